"""SageMaker's List* operations, one per resource type, for finding resources by name or by creation time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from botocore.config import Config

# no retries: a list the account will not answer is reported as unchecked rather than waited on
NO_RETRIES = Config(retries={"total_max_attempts": 1})


@dataclass(frozen=True)
class Listing:
    kind: str  # the resource type in the ARN, e.g. endpoint-config
    operation: str
    key: str
    name_key: str
    arn_key: str
    name_filter: str = "NameContains"
    created_after: str = "CreationTimeAfter"

    def items(self, client, *, name_contains: str | None = None, since: dt.datetime | None = None) -> list[dict]:
        """Every item, filtered server-side where the API can and again here (not every backend honours it)."""
        filters = {}
        if name_contains:
            filters[self.name_filter] = name_contains
        if since:
            filters[self.created_after] = since
        found = [item for page in client.get_paginator(self.operation).paginate(**filters) for item in page[self.key]]
        return [item for item in found
                if (not name_contains or name_contains in item[self.name_key])
                and (not since or item.get("CreationTime", since) >= since)]


SAGEMAKER = [
    Listing("endpoint", "list_endpoints", "Endpoints", "EndpointName", "EndpointArn"),
    Listing("endpoint-config", "list_endpoint_configs", "EndpointConfigs", "EndpointConfigName", "EndpointConfigArn"),
    Listing("model", "list_models", "Models", "ModelName", "ModelArn"),
    Listing("training-job", "list_training_jobs", "TrainingJobSummaries", "TrainingJobName", "TrainingJobArn"),
    Listing("processing-job", "list_processing_jobs", "ProcessingJobSummaries", "ProcessingJobName",
            "ProcessingJobArn"),
    Listing("transform-job", "list_transform_jobs", "TransformJobSummaries", "TransformJobName", "TransformJobArn"),
    Listing("hyper-parameter-tuning-job", "list_hyper_parameter_tuning_jobs", "HyperParameterTuningJobSummaries",
            "HyperParameterTuningJobName", "HyperParameterTuningJobArn"),
    Listing("notebook-instance", "list_notebook_instances", "NotebookInstances", "NotebookInstanceName",
            "NotebookInstanceArn"),
    Listing("monitoring-schedule", "list_monitoring_schedules", "MonitoringScheduleSummaries",
            "MonitoringScheduleName", "MonitoringScheduleArn"),
    Listing("pipeline", "list_pipelines", "PipelineSummaries", "PipelineName", "PipelineArn",
            name_filter="PipelineNamePrefix", created_after="CreatedAfter"),
    Listing("feature-group", "list_feature_groups", "FeatureGroupSummaries", "FeatureGroupName", "FeatureGroupArn"),
    Listing("model-package-group", "list_model_package_groups", "ModelPackageGroupSummaryList",
            "ModelPackageGroupName", "ModelPackageGroupArn"),
]
