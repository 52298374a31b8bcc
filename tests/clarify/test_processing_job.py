"""A Clarify processing job on the local backend: analysis_config.json in, analysis.json and a report out, with
predictions from a shadow endpoint the job creates from the model and deletes afterwards."""

import io
import json

import numpy as np
import pandas as pd
import pytest
from botocore.exceptions import ClientError
from clarify_helpers import (
    FEATURES,
    HEADERS,
    ROLE,
    clarify_image,
    loans,
    put_dataset,
    put_model,
    scores,
    train,
    wait_job,
)

from mla.clarify import bias


def clarify_request(name, bucket, data_uri, config_uri):
    local = "/opt/ml/processing"
    return {
        "ProcessingJobName": name, "RoleArn": ROLE,
        "AppSpecification": {"ImageUri": clarify_image()},
        "ProcessingInputs": [
            {"InputName": "dataset", "S3Input": {"S3Uri": data_uri, "LocalPath": f"{local}/input/data",
                                                 "S3DataType": "S3Prefix", "S3InputMode": "File"}},
            {"InputName": "analysis_config", "S3Input": {"S3Uri": config_uri, "LocalPath": f"{local}/input/config",
                                                         "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "analysis_result", "S3Output": {
            "S3Uri": f"s3://{bucket}/{name}/output", "LocalPath": f"{local}/output", "S3UploadMode": "EndOfJob"}}]},
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                  "VolumeSizeInGB": 10}},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }


def run_job(aws, bucket, name, frame, config):
    data_uri = put_dataset(aws, bucket, f"{name}/data/loans.csv", frame)
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/config/analysis_config.json", Body=json.dumps(config))
    aws.sagemaker.create_processing_job(**clarify_request(name, bucket, data_uri, f"s3://{bucket}/{name}/config"))
    return wait_job(aws.sagemaker, name)


def output(aws, bucket, name, file):
    return aws.s3.get_object(Bucket=bucket, Key=f"{name}/output/{file}")["Body"].read().decode()


def values(section, facet="sex"):
    [analysis] = section["facets"][facet]
    return {m["name"]: float(m["value"]) for m in analysis["metrics"] if "value" in m}  # "Infinity" as in Clarify


def test_bias_and_shap_job_writes_clarify_analysis_json(aws, bucket, name):
    frame = loans()
    booster = train(frame)
    put_model(aws, bucket, name, booster)
    baseline = [frame[FEATURES].mean().round(4).tolist()]
    config = {"dataset_type": "text/csv", "headers": HEADERS, "label": "approved",
              "label_values_or_threshold": [1], "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
              "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"},
                          "shap": {"baseline": baseline, "num_samples": 100, "agg_method": "mean_abs",
                                   "save_local_shap_values": True, "seed": 1},
                          "report": {"name": "report", "title": "Loan analysis"}},
              "predictor": {"model_name": name, "instance_type": "ml.m5.large", "initial_instance_count": 1,
                            "accept_type": "text/csv"}}

    job = run_job(aws, bucket, name, frame, config)

    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    analysis = json.loads(output(aws, bucket, name, "analysis.json"))
    pre, post = analysis["pre_training_bias_metrics"], analysis["post_training_bias_metrics"]
    assert (pre["label"], pre["label_value_or_threshold"]) == ("approved", "1")
    assert values(pre) == pytest.approx(bias.pretraining(frame, "approved", "sex", [1], [0]))
    d, a = frame.sex == 0, frame.sex == 1
    assert values(pre)["CI"] == pytest.approx((a.sum() - d.sum()) / len(frame))

    predicted = (scores(booster, frame[FEATURES]) > 0.5).astype(int)
    expected_post = bias.posttraining(frame.assign(p=predicted), "approved", "p", "sex", [1], [0])
    assert values(post) == pytest.approx(expected_post)
    assert values(post)["DPPL"] == pytest.approx(predicted[a].mean() - predicted[d].mean())

    shap = analysis["explanations"]["kernel_shap"]["label0"]
    baseline_score = float(scores(booster, baseline)[0])
    assert shap["expected_value"] == pytest.approx(baseline_score, abs=1e-6)
    local = pd.read_csv(io.StringIO(output(aws, bucket, name, "explanations_shap/out.csv")))
    assert list(local.columns) == FEATURES and len(local) == len(frame)
    np.testing.assert_allclose(local.sum(axis=1), scores(booster, frame[FEATURES]) - baseline_score, atol=1e-5)
    assert shap["global_shap_values"] == pytest.approx(local.abs().mean().to_dict())
    assert "Loan analysis" in output(aws, bucket, name, "report.html")
    assert json.loads(output(aws, bucket, name, "report.ipynb"))["cells"]

    # the shadow endpoint sm-clarify-<job name> served the predictions and is gone with its configuration
    assert aws.sagemaker.list_endpoints(NameContains=name)["Endpoints"] == []
    with pytest.raises(ClientError, match="Could not find endpoint configuration"):
        aws.sagemaker.describe_endpoint_config(EndpointConfigName=f"sm-clarify-{name}")


def test_pre_training_only_job_needs_no_model(aws, bucket, name):
    frame = loans(seed=1)
    config = {"dataset_type": "text/csv", "headers": HEADERS, "label": "approved",
              "label_values_or_threshold": [1], "facet": [{"name_or_index": "income", "value_or_threshold": [0.5]}],
              "methods": {"pre_training_bias": {"methods": ["CI", "DPL", "KS"]}}}

    job = run_job(aws, bucket, name, frame, config)

    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    section = json.loads(output(aws, bucket, name, "analysis.json"))["pre_training_bias_metrics"]
    [analysis] = section["facets"]["income"]
    assert analysis["value_or_threshold"].startswith("(0.5, ")
    d = frame.income > 0.5
    assert values(section, "income") == pytest.approx({
        "CI": ((~d).sum() - d.sum()) / len(frame),
        "DPL": frame.approved[~d].mean() - frame.approved[d].mean(),
        "KS": abs(frame.approved[~d].mean() - frame.approved[d].mean())})


def test_bad_configuration_fails_the_job_with_a_client_error(aws, bucket, name):
    config = {"dataset_type": "text/csv", "headers": HEADERS, "label": "approved",
              "label_values_or_threshold": [1], "facet": [{"name_or_index": "gender"}],
              "methods": {"pre_training_bias": {"methods": "all"}}}

    job = run_job(aws, bucket, name, loans(), config)

    assert job["ProcessingJobStatus"] == "Failed"
    assert "ClientError" in job["FailureReason"] and "gender" in job["FailureReason"]
