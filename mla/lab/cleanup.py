"""Remembers what a lab created through botocore and deletes it again, newest first."""

from __future__ import annotations

import threading
from dataclasses import dataclass


def _same(*names: str) -> dict[str, str]:
    return {n: n for n in names}


# create operation -> (delete operation, {delete parameter: where its value is in the create request})
DELETE_FOR = {
    ("s3", "CreateBucket"): ("DeleteBucket", _same("Bucket")),
    ("s3", "PutObject"): ("DeleteObject", _same("Bucket", "Key")),
    ("sagemaker", "CreateModel"): ("DeleteModel", _same("ModelName")),
    ("sagemaker", "CreateEndpointConfig"): ("DeleteEndpointConfig", _same("EndpointConfigName")),
    ("sagemaker", "CreateEndpoint"): ("DeleteEndpoint", _same("EndpointName")),
    ("sagemaker", "CreateTrainingJob"): ("StopTrainingJob", _same("TrainingJobName")),
    ("sagemaker", "CreateProcessingJob"): ("StopProcessingJob", _same("ProcessingJobName")),
    ("sagemaker", "CreateTransformJob"): ("StopTransformJob", _same("TransformJobName")),
    ("sagemaker", "CreateHyperParameterTuningJob"): ("StopHyperParameterTuningJob", _same("HyperParameterTuningJobName")),
    ("sagemaker", "CreateMonitoringSchedule"): ("DeleteMonitoringSchedule", _same("MonitoringScheduleName")),
    ("sagemaker", "CreateDataQualityJobDefinition"): ("DeleteDataQualityJobDefinition", _same("JobDefinitionName")),
    ("sagemaker", "CreateModelQualityJobDefinition"): ("DeleteModelQualityJobDefinition", _same("JobDefinitionName")),
    ("sagemaker", "CreateModelBiasJobDefinition"): ("DeleteModelBiasJobDefinition", _same("JobDefinitionName")),
    ("sagemaker", "CreateModelExplainabilityJobDefinition"): ("DeleteModelExplainabilityJobDefinition", _same("JobDefinitionName")),
    ("sagemaker", "CreatePipeline"): ("DeletePipeline", _same("PipelineName")),
    ("sagemaker", "CreateFeatureGroup"): ("DeleteFeatureGroup", _same("FeatureGroupName")),
    ("sagemaker", "CreateModelPackageGroup"): ("DeleteModelPackageGroup", _same("ModelPackageGroupName")),
    ("sagemaker", "CreateModelPackage"): ("DeleteModelPackage", {}),  # named by the response, see RESPONSE_KEYS
    ("logs", "CreateLogGroup"): ("DeleteLogGroup", _same("logGroupName")),
    ("kinesis", "CreateStream"): ("DeleteStream", _same("StreamName")),
    ("sqs", "CreateQueue"): ("DeleteQueue", {}),  # addressed by the URL in the response
    ("firehose", "CreateDeliveryStream"): ("DeleteDeliveryStream", _same("DeliveryStreamName")),
    ("dynamodb", "CreateTable"): ("DeleteTable", _same("TableName")),
    ("glue", "CreateDatabase"): ("DeleteDatabase", {"Name": "DatabaseInput.Name"}),
    ("glue", "CreateTable"): ("DeleteTable", {"DatabaseName": "DatabaseName", "Name": "TableInput.Name"}),
    ("s3vectors", "CreateVectorBucket"): ("DeleteVectorBucket", _same("vectorBucketName")),
    ("bedrock", "CreateGuardrail"): ("DeleteGuardrail", {}),  # identified by the response, see RESPONSE_KEYS
    ("bedrock-agent", "CreateKnowledgeBase"): ("DeleteKnowledgeBase", {}),
}
# resources named by the service, not the caller: {delete parameter: where it is in the create response}
RESPONSE_KEYS = {
    ("bedrock", "CreateGuardrail"): {"guardrailIdentifier": "guardrailId"},
    ("bedrock-agent", "CreateKnowledgeBase"): {"knowledgeBaseId": "knowledgeBase.knowledgeBaseId"},
    ("sagemaker", "CreateModelPackage"): {"ModelPackageName": "ModelPackageArn"},
    ("sqs", "CreateQueue"): {"QueueUrl": "QueueUrl"},
}
_ALREADY_GONE = ("NoSuchKey", "NoSuchBucket", "ResourceNotFound", "ValidationException", "ResourceNotFoundException",
                 "NotFoundException", "EntityNotFoundException", "NoSuchEntity", "QueueDoesNotExist",
                 "AWS.SimpleQueueService.NonExistentQueue")  # e.g. deleted by hand before cleanup


@dataclass(frozen=True)
class Created:
    service: str
    operation: str
    params: dict


class ResourceLedger:
    def __init__(self):
        self._lock = threading.Lock()
        self.created: list[Created] = []

    def attach(self, session) -> None:
        """Watch every client the botocore ``session`` makes."""
        session.register("before-parameter-build", self._remember_params, unique_id="mla-ledger-params")
        session.register("after-call", self._record, unique_id="mla-ledger-record")

    @staticmethod
    def _remember_params(params, model, context, **_):
        context["mla_params"] = dict(params)

    def _record(self, model, http_response, parsed, context, **_):
        key = (model.service_model.service_name, model.name)
        if key not in DELETE_FOR or http_response.status_code >= 300:
            return
        request = context.get("mla_params", {})
        params = {name: _dig(request, path) for name, path in DELETE_FOR[key][1].items()}
        params |= {name: _dig(parsed, path) for name, path in RESPONSE_KEYS.get(key, {}).items()}
        with self._lock:
            self.created.append(Created(*key, params))

    def cleanup(self, client_for) -> list[str]:
        """Delete what was recorded, newest first; return a line per resource deleted."""
        with self._lock:
            todo, self.created = list(reversed(self.created)), []
        done = []
        for item in todo:
            delete = DELETE_FOR[(item.service, item.operation)][0]
            client = client_for(item.service)
            try:
                if (item.service, item.operation) == ("s3", "CreateBucket"):
                    _empty_bucket(client, item.params["Bucket"])
                getattr(client, _snake(delete))(**item.params)
                done.append(f"{delete} {list(item.params.values())[-1]}")
            except client.exceptions.ClientError as error:
                if error.response["Error"]["Code"] not in _ALREADY_GONE:
                    raise
        return done


def _dig(data: dict, path: str):
    for part in path.split("."):
        data = data[part]
    return data


def _empty_bucket(client, bucket):
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
            client.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])


def _snake(name: str) -> str:
    import botocore

    return botocore.xform_name(name)
