"""Submit → Completed for built-in XGBoost on 10,000 rows through the local backend (target ≤ 3 s).

Run: .venv/bin/python bench/training_bench.py

Prints the cold figure (the first job after the emulator starts, libraries not yet imported) and the warm
one (the median of the next jobs), each measured from CreateTrainingJob to the Describe that shows Completed.
"""

from __future__ import annotations

import io
import statistics
import sys
import time

import boto3
import numpy as np
from sagemaker.core import image_uris

from mla.emulator import Emulator

ROWS, FEATURES, ROUNDS, TARGET_SECONDS = 10_000, 10, 50, 3.0


def submit_and_wait(sagemaker, name, image, uri) -> float:
    start = time.perf_counter()
    sagemaker.create_training_job(
        TrainingJobName=name, RoleArn="arn:aws:iam::123456789012:role/bench",
        AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
        HyperParameters={"num_round": str(ROUNDS), "max_depth": "5", "eta": "0.2"},
        InputDataConfig=[{"ChannelName": "train", "ContentType": "text/csv",
                          "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}}}],
        OutputDataConfig={"S3OutputPath": "s3://mla-bench/output"},
        ResourceConfig={"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600})
    while True:
        job = sagemaker.describe_training_job(TrainingJobName=name)
        if job["TrainingJobStatus"] != "InProgress":
            break
        time.sleep(0.02)
    if job["TrainingJobStatus"] != "Completed":
        raise SystemExit(f"{name}: {job['TrainingJobStatus']} {job.get('FailureReason')}")
    return time.perf_counter() - start


def main() -> int:
    rng = np.random.RandomState(0)
    features = rng.rand(ROWS, FEATURES)
    labels = features @ rng.rand(FEATURES) + 0.1 * rng.rand(ROWS)
    text = io.StringIO()
    np.savetxt(text, np.column_stack([labels, features]), delimiter=",", fmt="%.6f")
    with Emulator() as emulator:
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name="us-east-1")
        s3 = session.client("s3", endpoint_url=emulator.url)
        sagemaker = session.client("sagemaker", endpoint_url=emulator.url)
        s3.create_bucket(Bucket="mla-bench")
        s3.put_object(Bucket="mla-bench", Key="train/train.csv", Body=text.getvalue())
        image = image_uris.retrieve("xgboost", "us-east-1", "1.7-1")
        cold = submit_and_wait(sagemaker, "bench-cold", image, "s3://mla-bench/train")
        warm = statistics.median(submit_and_wait(sagemaker, f"bench-warm-{i}", image, "s3://mla-bench/train")
                                 for i in range(5))
    print(f"XGBoost, {ROWS} rows x {FEATURES} features, {ROUNDS} rounds: submit -> Completed")
    print(f"  cold (first job): {cold:.2f} s")
    print(f"  warm (median of 5): {warm:.2f} s   target <= {TARGET_SECONDS:.0f} s: "
          f"{'met' if warm <= TARGET_SECONDS else 'NOT met'}")
    return 0 if warm <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
