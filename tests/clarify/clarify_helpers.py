"""A small loan dataset with a biased label, an XGBoost model of it in the local backend, and job plumbing."""

import io
import tarfile
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from sagemaker.core import image_uris

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/mla-course-sagemaker-execution"
HEADERS = ["income", "debt", "sex", "approved"]
FEATURES = HEADERS[:3]


def loans(rows=60, seed=0) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame({"income": np.round(rng.rand(rows), 4), "debt": np.round(rng.rand(rows), 4),
                          "sex": rng.randint(0, 2, rows)})
    frame["approved"] = ((frame.income - frame.debt + 0.3 * frame.sex + 0.1 * rng.randn(rows)) > 0.1).astype(int)
    return frame


def train(frame: pd.DataFrame) -> xgb.Booster:
    params = {"objective": "binary:logistic", "seed": 0, "nthread": 1, "max_depth": 3}
    return xgb.train(params, xgb.DMatrix(frame[FEATURES].to_numpy(float), label=frame["approved"]), 20)


def scores(booster, rows) -> np.ndarray:
    return booster.predict(xgb.DMatrix(np.asarray(rows, float)))


def put_model(aws, bucket, name, booster) -> str:
    archive = io.BytesIO()
    data = bytes(booster.save_raw("ubj"))
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/model.tar.gz", Body=archive.getvalue())
    aws.sagemaker.create_model(ModelName=name, ExecutionRoleArn=ROLE,
                               PrimaryContainer={"Image": image_uris.retrieve("xgboost", REGION, "1.7-1"),
                                                 "ModelDataUrl": f"s3://{bucket}/{name}/model.tar.gz"})
    return name


def put_dataset(aws, bucket, key, frame) -> str:
    aws.s3.put_object(Bucket=bucket, Key=key, Body=frame.to_csv(header=False, index=False))
    return f"s3://{bucket}/{key}"


def clarify_image() -> str:
    return image_uris.retrieve("clarify", REGION)


def wait_job(sagemaker, name, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        job = sagemaker.describe_processing_job(ProcessingJobName=name)
        if job["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return job
        assert time.monotonic() < deadline, f"still {job['ProcessingJobStatus']}"
        time.sleep(0.1)
