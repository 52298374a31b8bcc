"""Remembers what a lab created through botocore and deletes it again, newest first."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

log = logging.getLogger(__name__)

# create operation -> (service-relative delete operation, name of the identifying parameter)
DELETE_FOR = {
    ("s3", "CreateBucket"): ("DeleteBucket", "Bucket"),
    ("s3", "PutObject"): ("DeleteObject", "Key"),
    ("sagemaker", "CreateModel"): ("DeleteModel", "ModelName"),
    ("sagemaker", "CreateEndpointConfig"): ("DeleteEndpointConfig", "EndpointConfigName"),
    ("sagemaker", "CreateEndpoint"): ("DeleteEndpoint", "EndpointName"),
    ("sagemaker", "CreateTrainingJob"): ("StopTrainingJob", "TrainingJobName"),
    ("sagemaker", "CreateProcessingJob"): ("StopProcessingJob", "ProcessingJobName"),
    ("sagemaker", "CreateTransformJob"): ("StopTransformJob", "TransformJobName"),
    ("sagemaker", "CreateHyperParameterTuningJob"): ("StopHyperParameterTuningJob", "HyperParameterTuningJobName"),
    ("sagemaker", "CreateMonitoringSchedule"): ("DeleteMonitoringSchedule", "MonitoringScheduleName"),
    ("sagemaker", "CreatePipeline"): ("DeletePipeline", "PipelineName"),
    ("sagemaker", "CreateFeatureGroup"): ("DeleteFeatureGroup", "FeatureGroupName"),
    ("sagemaker", "CreateModelPackageGroup"): ("DeleteModelPackageGroup", "ModelPackageGroupName"),
    ("logs", "CreateLogGroup"): ("DeleteLogGroup", "logGroupName"),
}
_ALREADY_GONE = ("NoSuchKey", "NoSuchBucket", "ResourceNotFound", "ValidationException", "ResourceNotFoundException")


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

    def _record(self, model, http_response, context, **_):
        service = model.service_model.service_name
        if (service, model.name) not in DELETE_FOR or http_response.status_code >= 300:
            return
        params = context.get("mla_params", {})
        key = DELETE_FOR[(service, model.name)][1]
        kept = {k: params[k] for k in ("Bucket", key) if k in params}
        with self._lock:
            self.created.append(Created(service, model.name, kept))

    def cleanup(self, client_for) -> list[str]:
        """Delete what was recorded, newest first; return a line per resource deleted."""
        with self._lock:
            todo, self.created = list(reversed(self.created)), []
        done = []
        for item in todo:
            delete, key = DELETE_FOR[(item.service, item.operation)]
            client = client_for(item.service)
            try:
                if (item.service, item.operation) == ("s3", "CreateBucket"):
                    _empty_bucket(client, item.params["Bucket"])
                getattr(client, _snake(delete))(**item.params)
                done.append(f"{delete} {item.params[key]}")
            except client.exceptions.ClientError as error:
                if error.response["Error"]["Code"] not in _ALREADY_GONE:
                    raise
        return done


def _empty_bucket(client, bucket):
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
            client.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])


def _snake(name: str) -> str:
    import botocore

    return botocore.xform_name(name)
