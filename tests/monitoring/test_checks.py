"""Every data quality check name, through the analyzer image run as a processing job over CSV data with a
baseline's constraints (the way a monitoring execution runs it, here on a batch dataset)."""

import json

import numpy as np
import pandas as pd
import pytest
from monitoring_helpers import ANALYZER, RESOURCES, ROLE, baseline_job, output, put_csv, read_json, wait_job


def frame(rows, seed, colors=("red", "green", "blue")):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"amount": rng.integers(1, 100, rows), "ratio": rng.uniform(0, 1, rows).round(4),
                         "color": rng.choice(list(colors), rows)})


def monitor(aws, bucket, name, data, results):
    dataset = put_csv(aws, bucket, f"{name}/current/data.csv", data)
    aws.sagemaker.create_processing_job(
        ProcessingJobName=name, RoleArn=ROLE, ProcessingResources=RESOURCES, AppSpecification={"ImageUri": ANALYZER},
        ProcessingInputs=[
            {"InputName": "data", "S3Input": {"S3Uri": dataset, "LocalPath": "/opt/ml/processing/input/data",
                                              "S3DataType": "S3Prefix", "S3InputMode": "File"}},
            {"InputName": "constraints", "S3Input": {"S3Uri": f"{results}/constraints.json",
                                                     "LocalPath": "/opt/ml/processing/baseline/constraints",
                                                     "S3DataType": "S3Prefix", "S3InputMode": "File"}},
            {"InputName": "statistics", "S3Input": {"S3Uri": f"{results}/statistics.json",
                                                    "LocalPath": "/opt/ml/processing/baseline/stats",
                                                    "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "out", "S3Output": {
            "S3Uri": output(name, bucket, "report"), "LocalPath": "/opt/ml/processing/output",
            "S3UploadMode": "EndOfJob"}}]},
        Environment={"dataset_format": json.dumps({"csv": {"header": True}}),
                     "dataset_source": "/opt/ml/processing/input/data", "output_path": "/opt/ml/processing/output",
                     "baseline_constraints": "/opt/ml/processing/baseline/constraints/constraints.json",
                     "baseline_statistics": "/opt/ml/processing/baseline/stats/statistics.json",
                     "publish_cloudwatch_metrics": "Disabled"})
    job = wait_job(aws, name)
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    return read_json(aws, output(name, bucket, "report", "constraint_violations.json"))["violations"]


@pytest.fixture(scope="module")
def results(aws, bucket):
    uri = put_csv(aws, bucket, "checks-baseline/data.csv", frame(1000, 0))
    job = baseline_job(aws, "checks-baseline", uri, output("checks-baseline", bucket, "results"))
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    return output("checks-baseline", bucket, "results")


def test_string_feature_gets_a_domain(aws, results):
    constraints = read_json(aws, f"{results}/constraints.json")
    color = next(f for f in constraints["features"] if f["name"] == "color")
    assert color["inferred_type"] == "String" and color["string_constraints"]["domains"] == ["blue", "green", "red"]


def test_same_distribution_passes(aws, bucket, results, name):
    reordered = frame(300, 1)[["color", "ratio", "amount"]]  # a header matches columns by name
    assert monitor(aws, bucket, name, reordered, results) == []


def test_each_check_fires(aws, bucket, results, name):
    data = frame(300, 2, colors=("red", "purple"))  # an unknown category and a different mix
    data["amount"] = data["amount"].astype(object)
    data.loc[:29, "amount"] = ""  # 10 % missing
    data.loc[30:59, "amount"] = data.loc[30:59, "amount"].astype(float) + 0.5  # not Integral any more
    data["extra"] = 1
    found = {(v["feature_name"], v["constraint_check_type"]) for v in monitor(aws, bucket, name, data, results)}
    assert {("amount", "completeness_check"), ("amount", "data_type_check"), ("color", "categorical_values_check"),
            ("color", "baseline_drift_check"), ("extra", "extra_column_check")} <= found
    assert ("ratio", "baseline_drift_check") not in found


def test_missing_column(aws, bucket, results, name):
    found = monitor(aws, bucket, name, frame(300, 3)[["amount", "ratio"]], results)
    assert [(v["feature_name"], v["constraint_check_type"]) for v in found] == [("color", "missing_column_check")]
