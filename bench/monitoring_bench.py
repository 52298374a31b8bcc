"""Model Monitor speed on the local backend: wall time of a data quality baselining job and of one monitoring
execution (``CreateMonitoringSchedule`` with ``NOW`` → execution ``Completed``) over 500 captured records of a built-in
XGBoost endpoint, through boto3 against an emulator started here.

Run: ``.venv/bin/python bench/monitoring_bench.py`` (target: one monitoring execution ≤ 10 s on 2 cores).
"""

from __future__ import annotations

import json
import sys
import time

import boto3
import numpy as np
import xgboost as xgb
from sagemaker.core import image_uris
from serving_bench import model_archive  # bench/ is on sys.path when a bench runs as a script

from mla.emulator import Emulator

REGION = "us-east-1"
BUCKET = "monitoring-bench"
ROLE = "arn:aws:iam::123456789012:role/bench"
RECORDS = 500
RESOURCES = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}


def wait(describe, key, busy, timeout=120):
    deadline = time.monotonic() + timeout
    while (value := describe()) is None or key(value) in busy:
        if time.monotonic() > deadline:
            raise TimeoutError(f"still {value}")
        time.sleep(0.05)
    return value


def deploy(sm, s3, booster) -> None:
    s3.put_object(Bucket=BUCKET, Key="model.tar.gz", Body=model_archive(booster))
    sm.create_model(ModelName="bench", ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": image_uris.retrieve("xgboost", REGION, "1.7-1"), "ModelDataUrl": f"s3://{BUCKET}/model.tar.gz"})
    sm.create_endpoint_config(EndpointConfigName="bench", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "bench", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}],
        DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100,
                           "DestinationS3Uri": f"s3://{BUCKET}/capture", "CaptureOptions": [
                               {"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
                           "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}})
    sm.create_endpoint(EndpointName="bench", EndpointConfigName="bench")
    wait(lambda: sm.describe_endpoint(EndpointName="bench"), lambda d: d["EndpointStatus"], ("Creating",))


def baseline(sm, s3, x, scores, analyzer) -> float:
    rows = "\n".join(",".join(f"{v:.6f}" for v in [s, *row]) for s, row in zip(scores, x, strict=True))
    s3.put_object(Bucket=BUCKET, Key="baseline/train.csv",
                  Body=("score," + ",".join(f"f{i}" for i in range(x.shape[1])) + "\n" + rows).encode())
    started = time.perf_counter()
    sm.create_processing_job(
        ProcessingJobName="bench-baseline", RoleArn=ROLE, ProcessingResources=RESOURCES,
        AppSpecification={"ImageUri": analyzer},
        ProcessingInputs=[{"InputName": "baseline_dataset_input", "S3Input": {
            "S3Uri": f"s3://{BUCKET}/baseline/train.csv", "LocalPath": "/opt/ml/processing/input/baseline",
            "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "out", "S3Output": {
            "S3Uri": f"s3://{BUCKET}/baseline/results", "LocalPath": "/opt/ml/processing/output",
            "S3UploadMode": "EndOfJob"}}]},
        Environment={"dataset_format": json.dumps({"csv": {"header": True}}),
                     "dataset_source": "/opt/ml/processing/input/baseline", "output_path": "/opt/ml/processing/output"})
    job = wait(lambda: sm.describe_processing_job(ProcessingJobName="bench-baseline"),
               lambda d: d["ProcessingJobStatus"], ("InProgress",))
    if job["ProcessingJobStatus"] != "Completed":
        raise RuntimeError(job.get("FailureReason"))
    return time.perf_counter() - started


def measure() -> dict:
    rng = np.random.RandomState(0)
    x = rng.rand(2000, 10)
    booster = xgb.train({"objective": "reg:squarederror", "seed": 0, "nthread": 1},
                        xgb.DMatrix(x, label=x @ rng.rand(10)), 50)
    analyzer = image_uris.retrieve("model-monitor", REGION)
    with Emulator() as emulator:
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name=REGION)
        sm, runtime, s3 = (session.client(s, endpoint_url=emulator.url)
                           for s in ("sagemaker", "sagemaker-runtime", "s3"))
        s3.create_bucket(Bucket=BUCKET)
        deploy(sm, s3, booster)
        baseline_seconds = baseline(sm, s3, x, booster.predict(xgb.DMatrix(x)), analyzer)
        traffic = rng.rand(RECORDS, 10)
        for start in range(0, RECORDS, 50):
            body = "\n".join(",".join(f"{v:.6f}" for v in row) for row in traffic[start:start + 50])
            runtime.invoke_endpoint(EndpointName="bench", ContentType="text/csv", Body=body)["Body"].read()
        time.sleep(2)  # capture files are flushed twice a second; the window ends on the current second
        results = f"s3://{BUCKET}/baseline/results"
        sm.create_data_quality_job_definition(
            JobDefinitionName="bench", RoleArn=ROLE, JobResources=RESOURCES,
            DataQualityAppSpecification={"ImageUri": analyzer},
            DataQualityBaselineConfig={"ConstraintsResource": {"S3Uri": f"{results}/constraints.json"},
                                       "StatisticsResource": {"S3Uri": f"{results}/statistics.json"}},
            DataQualityJobInput={"EndpointInput": {"EndpointName": "bench",
                                                   "LocalPath": "/opt/ml/processing/input/endpoint"}},
            DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {
                "S3Uri": f"s3://{BUCKET}/reports", "LocalPath": "/opt/ml/processing/output"}}]})
        started = time.perf_counter()
        sm.create_monitoring_schedule(MonitoringScheduleName="bench", MonitoringScheduleConfig={
            "ScheduleConfig": {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT1H",
                               "DataAnalysisEndTime": "PT0H"},
            "MonitoringJobDefinitionName": "bench", "MonitoringType": "DataQuality"})
        summary = wait(lambda: sm.describe_monitoring_schedule(MonitoringScheduleName="bench").get(
            "LastMonitoringExecutionSummary"), lambda d: d["MonitoringExecutionStatus"], ("Pending", "InProgress"))
        execution_seconds = time.perf_counter() - started
        sm.delete_monitoring_schedule(MonitoringScheduleName="bench")
        sm.delete_endpoint(EndpointName="bench")
    if summary["MonitoringExecutionStatus"] not in ("Completed", "CompletedWithViolations"):
        raise RuntimeError(f"execution {summary['MonitoringExecutionStatus']}: {summary.get('FailureReason')}")
    return {"monitor_baseline_seconds": round(baseline_seconds, 2),
            "monitor_execution_seconds": round(execution_seconds, 2)}


def main() -> int:
    figures = measure()
    print(f"baselining job (2000 rows, 11 columns): {figures['monitor_baseline_seconds']:.2f} s")
    print(f"monitoring execution, NOW schedule -> Completed ({RECORDS} captured records): "
          f"{figures['monitor_execution_seconds']:.2f} s (target <= 10 s)")
    return 0 if figures["monitor_execution_seconds"] <= 10 else 1


if __name__ == "__main__":
    sys.exit(main())
