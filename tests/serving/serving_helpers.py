"""Shared helpers of the serving tests: models built directly with xgboost, requests, waiting."""

import io
import tarfile
import time

import numpy as np
import xgboost as xgb

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/mla-course-sagemaker-execution"


def features(rows=20, columns=3, seed=0):
    return np.round(np.random.RandomState(seed).rand(rows, columns), 6)


def train_booster(columns=3, seed=0, slope=3.0):
    x = features(200, columns, seed)
    y = slope * x[:, 0] - x[:, 1]
    return xgb.train({"objective": "reg:squarederror", "seed": 0, "nthread": 1}, xgb.DMatrix(x, label=y), 10)


def tar_files(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def put_xgboost_model(s3, bucket, key, booster) -> str:
    s3.put_object(Bucket=bucket, Key=key, Body=tar_files({"xgboost-model": bytes(booster.save_raw("ubj"))}))
    return f"s3://{bucket}/{key}"


def xgboost_image():
    from sagemaker.core import image_uris  # slow to import: only where a test needs the image

    return image_uris.retrieve("xgboost", REGION, "1.7-1")


def create_model(sagemaker, model_name, model_url, image=None, **container):
    sagemaker.create_model(ModelName=model_name, ExecutionRoleArn=ROLE,
                           PrimaryContainer={"Image": image or xgboost_image(), "ModelDataUrl": model_url, **container})
    return model_name


def variant(model_name, variant_name="AllTraffic", weight=1.0, count=1):
    return {"VariantName": variant_name, "ModelName": model_name, "InitialInstanceCount": count,
            "InstanceType": "ml.m5.large", "InitialVariantWeight": weight}


def wait_status(sagemaker, endpoint_name, wanted=("InService", "Failed"), timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        description = sagemaker.describe_endpoint(EndpointName=endpoint_name)
        if description["EndpointStatus"] in wanted:
            return description
        assert time.monotonic() < deadline, f"endpoint still {description['EndpointStatus']}"
        time.sleep(0.02)


def deploy(sagemaker, endpoint_name, variants, **config):
    sagemaker.create_endpoint_config(EndpointConfigName=endpoint_name, ProductionVariants=variants, **config)
    sagemaker.create_endpoint(EndpointName=endpoint_name, EndpointConfigName=endpoint_name)
    return wait_status(sagemaker, endpoint_name)


def csv_body(rows) -> str:
    return "\n".join(",".join(repr(float(v)) for v in row) for row in rows)
