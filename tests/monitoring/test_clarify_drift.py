"""Bias drift and feature attribution drift: executions analyze a real endpoint's captured traffic with the Clarify
library and compare it with a baseline ``analysis.json``; injected bias and a changed attribution ranking are found."""

import json

import numpy as np
import xgboost as xgb
from monitoring_helpers import (
    RESOURCES,
    capturing_endpoint,
    features,
    labels,
    output,
    put_ground_truth,
    read_json,
    schedule,
    send,
    train,
    violations_of,
    wait_execution,
    wait_for_capture,
)
from sagemaker.core import image_uris
from serving_helpers import ROLE

from mla.clarify import bias, shap

CLARIFY = image_uris.retrieve("clarify", "us-east-1")
NAMES = ["x0", "x1", "x2"]
BIAS_CONFIG = {"label": "label", "label_values_or_threshold": [1], "headers": ["label", *NAMES],
               "facet": [{"name_or_index": "x2", "value_or_threshold": [0]}]}


def put_json(aws, bucket, key, document):
    aws.s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(document).encode())
    return f"s3://{bucket}/{key}"


def job_definition(aws, kind, name, bucket, config_uri, constraints_uri, endpoint_input, **job_input):
    getattr(aws.sagemaker, f"create_{kind}_job_definition")(**{
        "JobDefinitionName": name, "RoleArn": ROLE, "JobResources": RESOURCES,
        f"{kind.title().replace('_', '')}AppSpecification": {"ImageUri": CLARIFY, "ConfigUri": config_uri},
        f"{kind.title().replace('_', '')}BaselineConfig": {"ConstraintsResource": {"S3Uri": constraints_uri}},
        f"{kind.title().replace('_', '')}JobInput": {"EndpointInput": endpoint_input, **job_input},
        f"{kind.title().replace('_', '')}JobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
            "S3Uri": output(name, bucket, "reports"), "LocalPath": "/opt/ml/processing/output"}}]}})


def endpoint_input(name):
    return {"EndpointName": name, "LocalPath": "/opt/ml/processing/input/endpoint", "ProbabilityAttribute": "0",
            "ProbabilityThresholdAttribute": 0.5}


def test_injected_bias_is_found(aws, bucket, name):
    booster, frame = train()
    clean = frame.assign(label=labels(frame, 0),
                         predicted=(booster.predict(xgb.DMatrix(frame.to_numpy(float))) > 0.5).astype(int))
    baseline = {"version": "1.0",
                "pre_training_bias_metrics": bias.bias_report(clean, "label", "x2", [1], [0]),
                "post_training_bias_metrics": bias.bias_report(clean, "label", "x2", [1], [0],
                                                               predicted_label="predicted")}
    constraints = put_json(aws, bucket, f"{name}/baseline/analysis.json", baseline)
    config = put_json(aws, bucket, f"{name}/analysis_config.json", BIAS_CONFIG)

    capture = capturing_endpoint(aws, bucket, name, booster)
    traffic = features(150, seed=4)
    traffic.loc[traffic["x2"] == 0, "x0"] -= 2.0  # facet x2 = 0 now rarely gets the positive outcome
    send(aws, name, traffic, batch=1, inference_ids=True)
    wait_for_capture(aws, capture, len(traffic))
    truth = put_ground_truth(aws, bucket, f"{name}/groundtruth",
                             {f"row-{i}": label for i, label in enumerate(labels(traffic, 4))})
    job_definition(aws, "model_bias", name, bucket, config, constraints, endpoint_input(name),
                   GroundTruthS3Input={"S3Uri": truth})
    schedule(aws, name, name, monitoring_type="ModelBias")
    summary = wait_execution(aws, name)
    assert summary["MonitoringExecutionStatus"] == "CompletedWithViolations", summary.get("FailureReason")
    violations, report = violations_of(aws, summary)
    found = {(v["facet"], v["facet_value"], v["metric_name"]) for v in violations}
    assert {("x2", "0", "DPL"), ("x2", "0", "DPPL")} <= found
    assert {v["constraint_check_type"] for v in violations} == {"bias_drift_check"}
    analysis = read_json(aws, f"{report}/analysis.json")
    dppl = next(m["value"] for m in analysis["post_training_bias_metrics"]["facets"]["x2"][0]["metrics"]
                if m["name"] == "DPPL")
    assert dppl > 0.3  # facet d's acceptance rate fell well below the rest's
    job = aws.sagemaker.describe_processing_job(ProcessingJobName=summary["ProcessingJobArn"].split("/")[-1])
    assert job["AppSpecification"]["ImageUri"] == CLARIFY
    emitted = aws.cloudwatch.list_metrics(Namespace="aws/sagemaker/Endpoints/bias-metrics",
                                          MetricName="bias_metric_DPPL",
                                          Dimensions=[{"Name": "Endpoint", "Value": name}])["Metrics"]
    assert {d["Name"] for d in emitted[0]["Dimensions"]} == {
        "Endpoint", "MonitoringSchedule", "BiasStage", "Label", "LabelValue", "Facet", "FacetValue"}


def test_changed_attribution_ranking_is_found(aws, bucket, name):
    booster, frame = train()
    reference = [[0.0, 0.5, 1]]
    predict = lambda rows: booster.predict(xgb.DMatrix(np.asarray(rows, float)))  # noqa: E731
    values = shap.kernel_shap(predict, frame.to_numpy(float)[:200], reference)
    baseline = {"version": "1.0", "explanations": {"kernel_shap": {"label0": {
        "global_shap_values": dict(zip(NAMES, np.abs(values).mean(axis=0).tolist(), strict=True)),
        "expected_value": shap.expected_value(predict, reference)}}}}
    constraints = put_json(aws, bucket, f"{name}/baseline/analysis.json", baseline)
    config = put_json(aws, bucket, f"{name}/analysis_config.json", {
        "headers": NAMES, "predictor": {"model_name": name, "probability": 0},
        "methods": {"shap": {"baseline": reference, "agg_method": "mean_abs"}}})

    capture = capturing_endpoint(aws, bucket, name, booster)
    traffic = features(60, seed=6).assign(x0=0.0)  # x0, the strongest feature, no longer varies
    send(aws, name, traffic)
    wait_for_capture(aws, capture, 6)
    job_definition(aws, "model_explainability", name, bucket, config, constraints, endpoint_input(name))
    schedule(aws, name, name, monitoring_type="ModelExplainability")
    summary = wait_execution(aws, name)
    assert summary["MonitoringExecutionStatus"] == "CompletedWithViolations", summary.get("FailureReason")
    violations, report = violations_of(aws, summary)
    assert [(v["label"], v["metric_name"], v["constraint_check_type"]) for v in violations] == [
        ("label0", "shap", "feature_attribution_drift_check")]
    current = read_json(aws, f"{report}/analysis.json")["explanations"]["kernel_shap"]["label0"]
    assert current["global_shap_values"]["x0"] < 1e-6 < current["global_shap_values"]["x1"]
