"""Predictions for a Clarify job from a shadow endpoint, as the Clarify container gets them.

https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html (``predictor``): with
``model_name`` the job creates an endpoint configuration and an endpoint for that model (``initial_instance_count``
instances of ``instance_type``), sends the features as ``content_type`` (CSV here), reads the ``accept_type`` answer
and deletes both when it ends; with ``endpoint_name`` it uses that endpoint and leaves it. ``label`` / ``probability``
pick the predicted label or score out of each answer (a column index for CSV, a key for JSON Lines).
Every call goes through boto3 to ``AWS_ENDPOINT_URL``: the local backend in a local job.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager

import boto3
import numpy as np
from botocore.exceptions import ClientError

CSV, JSONLINES, JSON = "text/csv", "application/jsonlines", "application/json"
ROWS_PER_REQUEST = 2000  # keeps each request far below InvokeEndpoint's 6 MB payload limit
READY_TIMEOUT_SECONDS = 600


class ShadowEndpoint:
    def __init__(self, predictor: dict, job_name: str):
        self.config = predictor
        self.sagemaker = boto3.client("sagemaker")
        self.runtime = boto3.client("sagemaker-runtime")
        self.owned = "endpoint_name" not in predictor
        prefix = predictor.get("endpoint_name_prefix", "sm-clarify")
        self.name = predictor.get("endpoint_name") or f"{prefix}-{job_name}"[:63].rstrip("-")
        self.accept = predictor.get("accept_type") or predictor.get("content_type") or CSV

    def start(self) -> None:
        if not self.owned:
            return
        if "model_name" not in self.config:
            raise ValueError("predictor needs model_name (a shadow endpoint is created from it) or endpoint_name")
        variant = {"VariantName": "AllTraffic", "ModelName": self.config["model_name"],
                   "InitialInstanceCount": int(self.config.get("initial_instance_count", 1)),
                   "InstanceType": self.config.get("instance_type", "ml.m5.large")}
        self.sagemaker.create_endpoint_config(EndpointConfigName=self.name, ProductionVariants=[variant])
        self.sagemaker.create_endpoint(EndpointName=self.name, EndpointConfigName=self.name)
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            description = self.sagemaker.describe_endpoint(EndpointName=self.name)
            if description["EndpointStatus"] == "InService":
                return
            if description["EndpointStatus"] == "Failed" or time.monotonic() > deadline:
                raise RuntimeError(f"The shadow endpoint {self.name} did not start: "
                                   f"{description.get('FailureReason', description['EndpointStatus'])}")
            time.sleep(0.1)

    def stop(self) -> None:
        """Delete what :meth:`start` created, also after a failed start."""
        if not self.owned:
            return
        for delete, argument in ((self.sagemaker.delete_endpoint, "EndpointName"),
                                 (self.sagemaker.delete_endpoint_config, "EndpointConfigName")):
            try:
                delete(**{argument: self.name})
            except ClientError:
                pass  # never created

    def predict(self, rows: np.ndarray) -> list:
        """One answer per row (a number, a label or a list of scores, as the model gives it)."""
        answers: list = []
        for start in range(0, len(rows), ROWS_PER_REQUEST):
            batch = rows[start:start + ROWS_PER_REQUEST]
            body = "\n".join(",".join(_csv_cell(v) for v in row) for row in batch)
            reply = self.runtime.invoke_endpoint(EndpointName=self.name, Body=body.encode(), ContentType=CSV,
                                                 Accept=self.accept, **_target(self.config))
            answers += parse_answers(reply["Body"].read().decode(), self.accept, len(batch))
        return answers


def _target(predictor: dict) -> dict:
    extra = {}
    if predictor.get("target_model"):
        extra["TargetModel"] = predictor["target_model"]
    if predictor.get("custom_attributes"):
        extra["CustomAttributes"] = predictor["custom_attributes"]
    return extra


def _csv_cell(value) -> str:
    return repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)


def parse_answers(text: str, accept: str, rows: int) -> list:
    kind = accept.split(";")[0].strip()
    if kind == CSV:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) == 1 and rows > 1:  # one value per record, all on one line (XGBoost's CSV answer)
            lines = lines[0].split(",")
        answers = [[_number(v) for v in line.split(",")] for line in lines]
    elif kind in (JSONLINES, "application/jsonl"):
        answers = [json.loads(line) for line in text.splitlines() if line.strip()]
    elif kind == JSON:
        document = json.loads(text)
        answers = document.get("predictions", document) if isinstance(document, dict) else document
    else:
        raise ValueError(f"accept_type {accept} is not supported locally: use text/csv, application/jsonlines or "
                         "application/json")
    if len(answers) != rows:
        raise ValueError(f"The endpoint answered {len(answers)} predictions for {rows} records")
    return answers


def _number(text: str):
    try:
        return float(text)
    except ValueError:
        return text.strip()


def pick(answer, key):
    """The part of one answer that ``label`` or ``probability`` names: a column of a CSV answer, a key of a JSON one;
    without a key the whole answer (a list when the model gives several values per record)."""
    if isinstance(answer, list):
        if key is None:
            return answer[0] if len(answer) == 1 else answer
        return answer[int(key)]
    if isinstance(answer, dict):
        if key is None:
            if len(answer) != 1:
                raise ValueError(f"Set predictor label or probability to pick a value out of {sorted(answer)}")
            return next(iter(answer.values()))
        return answer[key]
    return answer


def scores(answers: list, key) -> np.ndarray:
    picked = [pick(a, key) for a in answers]
    if any(isinstance(p, list) for p in picked):
        raise ValueError("The model answers several values per record: set predictor probability (or label) to the "
                         "one to explain")
    return np.array(picked, float)


@contextmanager
def shadow_endpoint(predictor: dict, job_name: str):
    endpoint = ShadowEndpoint(predictor, job_name)
    try:
        endpoint.start()
        yield endpoint
    finally:
        endpoint.stop()

