"""Shared helpers of the monitoring tests: a binary classifier behind an endpoint that captures its traffic,
baselines, job definitions and waiting for executions."""

import json
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from sagemaker.core import image_uris
from serving_helpers import ROLE, create_model, deploy, put_xgboost_model, variant

REGION = "us-east-1"
ANALYZER = image_uris.retrieve("model-monitor", REGION)
RESOURCES = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}
FEATURES = ["x0", "x1", "x2"]


def features(rows, seed, shift=0.0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x0": np.round(rng.normal(shift, 1.0, rows), 4), "x1": np.round(rng.uniform(0, 1, rows), 4),
                         "x2": rng.integers(0, 3, rows)})


def labels(frame, seed):
    noise = np.random.default_rng(seed).normal(0, 0.3, len(frame))
    return (frame["x0"] + frame["x1"] + noise > 0.5).astype(int)


def train(seed=0):
    frame = features(1000, seed)
    booster = xgb.train({"objective": "binary:logistic", "seed": 0, "nthread": 1},
                        xgb.DMatrix(frame.to_numpy(float), label=labels(frame, seed)), 20)
    return booster, frame


def capturing_endpoint(aws, bucket, name, booster):
    url = put_xgboost_model(aws.s3, bucket, f"{name}/model.tar.gz", booster)
    create_model(aws.sagemaker, name, url)
    capture = {"EnableCapture": True, "InitialSamplingPercentage": 100,
               "DestinationS3Uri": f"s3://{bucket}/{name}/capture",
               "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
               "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}}
    assert deploy(aws.sagemaker, name, [variant(name)], DataCaptureConfig=capture)["EndpointStatus"] == "InService"
    return f"s3://{bucket}/{name}/capture"


def send(aws, endpoint, frame, batch=10, inference_ids=False):
    """Invoke the endpoint with ``frame``'s rows; returns the scores."""
    scores = []
    for start in range(0, len(frame), batch):
        rows = frame.iloc[start:start + batch].to_csv(header=False, index=False)
        extra = {"InferenceId": f"row-{start}"} if inference_ids else {}
        body = aws.sagemaker_runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv",
                                                     Body=rows, **extra)["Body"].read().decode()
        scores += [float(v) for v in body.replace("\n", ",").split(",") if v]
    return scores


def wait_for_capture(aws, capture_uri, count, timeout=10):
    """Until ``count`` records are in S3 (capture files are flushed twice a second)."""
    bucket, prefix = capture_uri[5:].split("/", 1)
    deadline = time.monotonic() + timeout
    while True:
        records = [line for item in aws.s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
                   for line in aws.s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().splitlines()]
        if len(records) >= count:
            time.sleep(max(0.0, 1.0 - time.time() % 1.0))  # windows end on whole seconds
            return [json.loads(r) for r in records]
        assert time.monotonic() < deadline, f"only {len(records)} of {count} records captured"
        time.sleep(0.1)


def put_csv(aws, bucket, key, frame):
    aws.s3.put_object(Bucket=bucket, Key=key, Body=frame.to_csv(index=False).encode())
    return f"s3://{bucket}/{key}"


def baseline_job(aws, name, dataset_uri, output_uri, **environment):
    """The processing job ``DefaultModelMonitor.suggest_baseline`` sends; returns its description when done."""
    aws.sagemaker.create_processing_job(
        ProcessingJobName=name, RoleArn=ROLE, ProcessingResources=RESOURCES,
        AppSpecification={"ImageUri": ANALYZER}, StoppingCondition={"MaxRuntimeInSeconds": 600},
        ProcessingInputs=[{"InputName": "baseline_dataset_input", "S3Input": {
            "S3Uri": dataset_uri, "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
            "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "monitoring_output", "S3Output": {
            "S3Uri": output_uri, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
        Environment={"dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
                     "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
                     "output_path": "/opt/ml/processing/output", "publish_cloudwatch_metrics": "Disabled",
                     **environment})
    return wait_job(aws, name)


def wait_job(aws, name, timeout=60):
    deadline = time.monotonic() + timeout
    while (job := aws.sagemaker.describe_processing_job(ProcessingJobName=name))["ProcessingJobStatus"] in (
            "InProgress", "Stopping"):
        assert time.monotonic() < deadline, "processing job still running"
        time.sleep(0.1)
    return job


def read_json(aws, uri):
    bucket, key = uri[5:].split("/", 1)
    return json.loads(aws.s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def output(name, bucket, *parts):
    return "/".join([f"s3://{bucket}", name, *parts])


def data_quality_definition(aws, name, endpoint, bucket, baseline_uri):
    aws.sagemaker.create_data_quality_job_definition(
        JobDefinitionName=name, RoleArn=ROLE, JobResources=RESOURCES,
        DataQualityAppSpecification={"ImageUri": ANALYZER},
        DataQualityBaselineConfig={"ConstraintsResource": {"S3Uri": f"{baseline_uri}/constraints.json"},
                                   "StatisticsResource": {"S3Uri": f"{baseline_uri}/statistics.json"}},
        DataQualityJobInput={"EndpointInput": {"EndpointName": endpoint,
                                               "LocalPath": "/opt/ml/processing/input/endpoint"}},
        DataQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {
            "S3Uri": output(name, bucket, "reports"), "LocalPath": "/opt/ml/processing/output"}}]},
        StoppingCondition={"MaxRuntimeInSeconds": 600})
    return name


def schedule(aws, name, definition, monitoring_type="DataQuality", expression="NOW", **window):
    if expression == "NOW" and not window:
        window = {"DataAnalysisStartTime": "-PT1H", "DataAnalysisEndTime": "PT0H"}
    aws.sagemaker.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": expression, **window},
        "MonitoringJobDefinitionName": definition, "MonitoringType": monitoring_type})


DONE = ("Completed", "CompletedWithViolations", "Failed", "Stopped")


def wait_execution(aws, schedule_name, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        summary = aws.sagemaker.describe_monitoring_schedule(MonitoringScheduleName=schedule_name).get(
            "LastMonitoringExecutionSummary")
        if summary and summary["MonitoringExecutionStatus"] in DONE:
            return summary
        assert time.monotonic() < deadline, f"execution not done: {summary}"
        time.sleep(0.1)


def violations_of(aws, summary):
    job_name = summary["ProcessingJobArn"].split("/")[-1]
    job = aws.sagemaker.describe_processing_job(ProcessingJobName=job_name)
    report = job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    return read_json(aws, f"{report}/constraint_violations.json")["violations"], report


def model_quality_definition(aws, name, endpoint, bucket, constraints_uri, ground_truth_uri):
    aws.sagemaker.create_model_quality_job_definition(
        JobDefinitionName=name, RoleArn=ROLE, JobResources=RESOURCES,
        ModelQualityAppSpecification={"ImageUri": ANALYZER, "ProblemType": "BinaryClassification"},
        ModelQualityBaselineConfig={"ConstraintsResource": {"S3Uri": constraints_uri}},
        ModelQualityJobInput={"EndpointInput": {"EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input/endpoint",
                                                "ProbabilityAttribute": "0", "ProbabilityThresholdAttribute": 0.5},
                              "GroundTruthS3Input": {"S3Uri": ground_truth_uri}},
        ModelQualityJobOutputConfig={"MonitoringOutputs": [{"S3Output": {
            "S3Uri": output(name, bucket, "reports"), "LocalPath": "/opt/ml/processing/output"}}]},
        StoppingCondition={"MaxRuntimeInSeconds": 600})
    return name


def put_ground_truth(aws, bucket, prefix, labels_by_id):
    """Ground truth records as Model Monitor reads them, under ``prefix/yyyy/mm/dd/hh/``."""
    moment = time.gmtime()
    lines = [json.dumps({"groundTruthData": {"data": str(label), "encoding": "CSV"},
                         "eventMetadata": {"eventId": event_id}, "eventVersion": "0"})
             for event_id, label in labels_by_id.items()]
    key = f"{prefix}/{time.strftime('%Y/%m/%d/%H', moment)}/labels.jsonl"
    aws.s3.put_object(Bucket=bucket, Key=key, Body="\n".join(lines).encode())
    return f"s3://{bucket}/{prefix}"


def wait_first_execution(aws, schedule_name, timeout=60):
    """The schedule's first execution once done (an hourly schedule starts one every 6 s in the tests)."""
    deadline = time.monotonic() + timeout
    while True:
        listed = aws.sagemaker.list_monitoring_executions(MonitoringScheduleName=schedule_name, SortOrder="Ascending")
        first = (listed["MonitoringExecutionSummaries"] or [None])[0]
        if first and first["MonitoringExecutionStatus"] in DONE:
            return first
        assert time.monotonic() < deadline, f"first execution not done: {first}"
        time.sleep(0.1)
