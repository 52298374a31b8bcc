"""The lab object every notebook gets from its bootstrap cell."""

from __future__ import annotations

import os
import uuid
from functools import cached_property

import boto3

from .cleanup import ResourceLedger

LOCAL_ACCOUNT = "123456789012"


class Lab:
    """Learner-facing handle on the backend: clients, SDK session, bucket, role, names, cleanup.

    Notebook code uses only this surface, so it runs unchanged on the local backend and on AWS.
    """

    def __init__(self, backend: str, region: str, endpoint_url: str | None, emulator=None):
        self.backend = backend
        self.region = region
        self.endpoint_url = endpoint_url
        self.run_id = os.environ.get("MLA_RUN_ID") or uuid.uuid4().hex[:8]
        self._emulator = emulator
        self._ledger = ResourceLedger()
        self._counter = 0
        self.boto_session = boto3.session.Session(region_name=region)
        self._ledger.attach(self.boto_session._session)

    def client(self, service: str, **kwargs):
        return self.boto_session.client(service, **kwargs)

    @cached_property
    def account_id(self) -> str:
        return self.client("sts").get_caller_identity()["Account"]

    @cached_property
    def bucket(self) -> str:
        """The course's bucket; each run writes under its own prefix (``lab.prefix``)."""
        name = f"mla-course-{self.account_id}-{self.region}"
        s3 = boto3.session.Session(region_name=self.region).client("s3")  # shared: not in the ledger
        try:
            s3.head_bucket(Bucket=name)
        except s3.exceptions.ClientError:
            config = {} if self.region == "us-east-1" else {
                "CreateBucketConfiguration": {"LocationConstraint": self.region}}
            s3.create_bucket(Bucket=name, **config)
        return name

    @property
    def prefix(self) -> str:
        return f"runs/{self.run_id}"

    def s3_uri(self, *parts: str) -> str:
        return "/".join([f"s3://{self.bucket}", self.prefix, *parts])

    @cached_property
    def role_arn(self) -> str:
        """The SageMaker execution role the labs pass to jobs and models."""
        return f"arn:aws:iam::{self.account_id}:role/mla-course-sagemaker-execution"

    @cached_property
    def mlflow_tracking_uri(self) -> str:
        """Where ``mlflow.set_tracking_uri`` points: locally a SQLite store in the workspace
        (``<workspace>/mlflow/mlflow.db``); on AWS the SageMaker AI MLflow tracking server (or MLflow App) ARN
        from ``MLA_MLFLOW_TRACKING_ARN``, which the ``sagemaker-mlflow`` plugin resolves and signs for."""
        if self.backend != "local":
            from .aws import mlflow_tracking_arn

            return mlflow_tracking_arn(self.region)
        from ..workspace import default_workspace

        folder = default_workspace() / "mlflow"
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'mlflow.db'}"

    @cached_property
    def session(self):
        """A SageMaker Python SDK v3 session bound to this lab's backend and bucket."""
        from sagemaker.core.helper import session_helper

        if self.endpoint_url:
            _point_sdk_sts_at(self.endpoint_url)
        return session_helper.Session(boto_session=self.boto_session, default_bucket=self.bucket,
                                      default_bucket_prefix=self.prefix)

    def name(self, kind: str) -> str:
        """A unique, valid resource name such as ``mla-1a2b3c4d-endpoint-1`` (≤ 63 characters)."""
        self._counter += 1
        clean = "".join(c if c.isalnum() else "-" for c in kind.lower()).strip("-")[:40]
        return f"mla-{self.run_id}-{clean}-{self._counter}"

    def cleanup(self) -> list[str]:
        """Delete every resource this lab created, newest first, then what jobs wrote under ``lab.prefix``."""
        done = self._ledger.cleanup(self.client)
        if "bucket" in self.__dict__:  # the run used the course bucket: empty its prefix (job outputs included)
            done += self._empty_prefix()
        for line in done:
            print("deleted:", line)
        print(f"cleanup: {len(done)} resource(s) deleted")
        return done

    def _empty_prefix(self) -> list[str]:
        s3 = self.client("s3")
        count = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=f"{self.prefix}/"):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
                count += len(keys)
        return [f"DeleteObjects {count} left under s3://{self.bucket}/{self.prefix}/"] if count else []

    def __repr__(self):
        where = self.endpoint_url or "AWS"
        return f"<Lab backend={self.backend} region={self.region} endpoint={where} run={self.run_id}>"


def _point_sdk_sts_at(url: str) -> None:
    """The SDK builds its STS client with a hard-coded https://sts.<region>.amazonaws.com endpoint."""
    from sagemaker.core import common_utils
    from sagemaker.core.helper import session_helper

    session_helper.sts_regional_endpoint = lambda region: url
    common_utils.sts_regional_endpoint = lambda region: url
