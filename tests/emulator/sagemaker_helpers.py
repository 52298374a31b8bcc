"""Shared helpers of the SageMaker emulator tests: data, requests and waiting for jobs."""

import io
import tarfile
import time

import numpy as np
from sagemaker.core import image_uris

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/mla-course-sagemaker-execution"
TERMINAL = ("Completed", "Failed", "Stopped")


def regression_data(rows=300, seed=0):
    rng = np.random.RandomState(seed)
    features = np.round(rng.rand(rows, 4), 6)  # exactly what the CSV file holds
    labels = np.round(3 * features[:, 0] - 2 * features[:, 1] + 0.1 * rng.rand(rows), 6)
    return features, labels


def put_csv(s3, bucket, key, table):
    text = io.StringIO()
    np.savetxt(text, table, delimiter=",", fmt="%.6f")
    s3.put_object(Bucket=bucket, Key=key, Body=text.getvalue())
    return f"s3://{bucket}/{key}"


def xgboost_image():
    return image_uris.retrieve("xgboost", REGION, "1.7-1")


def channel(name, uri, content_type=None):
    spec = {"ChannelName": name, "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}}}
    if content_type:
        spec["ContentType"] = content_type
    return spec


def training_request(name, bucket, image, hyperparameters=None, channels=(), max_runtime=600, **extra):
    return {"TrainingJobName": name, "RoleArn": ROLE,
            "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
            "HyperParameters": hyperparameters or {}, **({"InputDataConfig": list(channels)} if channels else {}),
            "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/output"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime}, **extra}


def wait_for(describe, status_key, timeout=60, **kwargs):
    deadline = time.monotonic() + timeout
    while True:
        description = describe(**kwargs)
        if description[status_key] in TERMINAL:
            return description
        assert time.monotonic() < deadline, f"still {description[status_key]} after {timeout} s"
        time.sleep(0.05)


def wait_training(sagemaker, name, timeout=60):
    return wait_for(sagemaker.describe_training_job, "TrainingJobStatus", timeout, TrainingJobName=name)


def model_files(s3, uri, dest):
    bucket, key = uri[5:].split("/", 1)
    archive = dest / "model.tar.gz"
    s3.download_file(bucket, key, str(archive))
    with tarfile.open(archive) as tar:
        tar.extractall(dest / "model", filter="data")
    return dest / "model"
