"""Serving speed on the local backend: CreateEndpoint → InService and InvokeEndpoint latency (p50, p95) for a
built-in XGBoost endpoint, through boto3 against an emulator started here.

Run: ``.venv/bin/python bench/serving_bench.py`` (targets: create → InService ≤ 1 s, invoke p50 ≤ 10 ms).
"""

from __future__ import annotations

import io
import statistics
import sys
import tarfile
import time

import boto3
import numpy as np
import xgboost as xgb
from sagemaker.core import image_uris

from mla.emulator import Emulator

REGION = "us-east-1"
INVOCATIONS = 300


def model_archive(booster) -> bytes:
    data = bytes(booster.save_raw("ubj"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def main() -> int:
    rng = np.random.RandomState(0)
    x = rng.rand(1000, 10)
    booster = xgb.train({"objective": "reg:squarederror", "seed": 0, "nthread": 1},
                        xgb.DMatrix(x, label=x @ rng.rand(10)), 50)
    with Emulator() as emulator:
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name=REGION)
        sagemaker, runtime, s3 = (session.client(s, endpoint_url=emulator.url)
                                  for s in ("sagemaker", "sagemaker-runtime", "s3"))
        s3.create_bucket(Bucket="serving-bench")
        s3.put_object(Bucket="serving-bench", Key="model.tar.gz", Body=model_archive(booster))
        sagemaker.create_model(ModelName="bench", ExecutionRoleArn="arn:aws:iam::123456789012:role/bench",
                               PrimaryContainer={"Image": image_uris.retrieve("xgboost", REGION, "1.7-1"),
                                                 "ModelDataUrl": "s3://serving-bench/model.tar.gz"})
        sagemaker.create_endpoint_config(EndpointConfigName="bench", ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": "bench", "InstanceType": "ml.m5.large",
             "InitialInstanceCount": 1}])
        sagemaker.describe_endpoint_config(EndpointConfigName="bench")  # warm the serving layer's import
        started = time.perf_counter()
        sagemaker.create_endpoint(EndpointName="bench", EndpointConfigName="bench")
        while (status := sagemaker.describe_endpoint(EndpointName="bench")["EndpointStatus"]) == "Creating":
            time.sleep(0.005)
        create_seconds = time.perf_counter() - started
        if status != "InService":
            print(f"endpoint {status}: {sagemaker.describe_endpoint(EndpointName='bench').get('FailureReason')}")
            return 1
        body = ",".join(f"{v:.6f}" for v in x[0])
        latencies = []
        for _ in range(INVOCATIONS):
            started = time.perf_counter()
            runtime.invoke_endpoint(EndpointName="bench", ContentType="text/csv", Body=body)["Body"].read()
            latencies.append((time.perf_counter() - started) * 1000)
        p50 = statistics.median(latencies)
        p95 = statistics.quantiles(latencies, n=20)[-1]
        print(f"create -> InService: {create_seconds:.3f} s (target <= 1 s)")
        print(f"invoke over {INVOCATIONS} calls: p50 {p50:.2f} ms, p95 {p95:.2f} ms (target p50 <= 10 ms)")
        sagemaker.delete_endpoint(EndpointName="bench")
        return 0 if create_seconds <= 1 and p50 <= 10 else 1


if __name__ == "__main__":
    sys.exit(main())
