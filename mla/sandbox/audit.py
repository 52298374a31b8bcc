"""Leftover audit: SageMaker resources created during a run window without the course's run-id tag.

Teardown finds resources by tag; this catches what escaped the tag hook (a client made before the lab, a call
the hook could not tag), so a run that leaves one behind is reported failed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from botocore.config import Config
from botocore.exceptions import ClientError

from . import tags

# list operation -> (result key, ARN key, name of the "created after" filter)
LISTS = {
    "list_endpoints": ("Endpoints", "EndpointArn", "CreationTimeAfter"),
    "list_endpoint_configs": ("EndpointConfigs", "EndpointConfigArn", "CreationTimeAfter"),
    "list_models": ("Models", "ModelArn", "CreationTimeAfter"),
    "list_training_jobs": ("TrainingJobSummaries", "TrainingJobArn", "CreationTimeAfter"),
    "list_processing_jobs": ("ProcessingJobSummaries", "ProcessingJobArn", "CreationTimeAfter"),
    "list_transform_jobs": ("TransformJobSummaries", "TransformJobArn", "CreationTimeAfter"),
    "list_hyper_parameter_tuning_jobs": ("HyperParameterTuningJobSummaries", "HyperParameterTuningJobArn",
                                         "CreationTimeAfter"),
    "list_notebook_instances": ("NotebookInstances", "NotebookInstanceArn", "CreationTimeAfter"),
    "list_pipelines": ("PipelineSummaries", "PipelineArn", "CreatedAfter"),
    "list_monitoring_schedules": ("MonitoringScheduleSummaries", "MonitoringScheduleArn", "CreationTimeAfter"),
    "list_feature_groups": ("FeatureGroupSummaries", "FeatureGroupArn", "CreationTimeAfter"),
}


@dataclass
class AuditReport:
    untagged: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)  # lists the account would not answer: state unknown


def untagged_sagemaker(session, region: str, since: dt.datetime) -> AuditReport:
    # no retries: a list the account will not answer is reported as unchecked rather than waited on
    client = session.client("sagemaker", region_name=region, config=Config(retries={"total_max_attempts": 1}))
    report = AuditReport()
    for operation, (key, arn_key, after) in LISTS.items():
        try:
            items = [item for page in client.get_paginator(operation).paginate(**{after: since})
                     for item in page[key] if item.get("CreationTime", since) >= since]  # filter not honoured everywhere
            for item in items:
                found = client.list_tags(ResourceArn=item[arn_key]).get("Tags", [])
                if not any(tag["Key"] == tags.RUN_ID for tag in found):
                    report.untagged.append(f"{item[arn_key]} was created during the run without the "
                                           f"{tags.RUN_ID} tag")
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "error")
            report.unchecked.append(f"{operation} in {region}: {code}")
    return report
