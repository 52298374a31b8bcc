"""The SageMaker Python SDK v3 ``DefaultModelMonitor`` works unchanged against the local backend: baseline
suggestion, a one-time (``NOW``) monitoring schedule on a capturing endpoint, its execution and violations, and the
lab's cleanup of the schedule and its job definition; ``ModelQualityMonitor`` baselines."""

import types

import pytest
from monitoring_helpers import (
    capturing_endpoint,
    features,
    labels,
    send,
    train,
    wait_execution,
    wait_for_capture,
)
from sagemaker.core.model_monitor import (
    CronExpressionGenerator,
    DatasetFormat,
    DefaultModelMonitor,
    ModelQualityMonitor,
)

from mla import lab as bootstrap

pytestmark = pytest.mark.usefixtures("clean_environ")


def test_default_model_monitor_baselines_and_monitors(monkeypatch):
    monkeypatch.setenv("MLA_SERVING_CLOCK_FACTOR", "600")
    lab = bootstrap.start("local")
    aws = types.SimpleNamespace(s3=lab.client("s3"), sagemaker=lab.client("sagemaker"),
                                sagemaker_runtime=lab.client("sagemaker-runtime"))
    booster, frame = train()
    import xgboost as xgb

    dataset = frame.assign(score=booster.predict(xgb.DMatrix(frame.to_numpy(float))).round(6))
    dataset = dataset[["score", "x0", "x1", "x2"]]
    key = f"{lab.prefix}/monitor/train.csv"
    aws.s3.put_object(Bucket=lab.bucket, Key=key, Body=dataset.to_csv(index=False).encode())

    monitor = DefaultModelMonitor(role=lab.role_arn, instance_count=1, instance_type="ml.m5.xlarge",
                                  sagemaker_session=lab.session)
    monitor.suggest_baseline(baseline_dataset=f"s3://{lab.bucket}/{key}", dataset_format=DatasetFormat.csv(header=True),
                             output_s3_uri=lab.s3_uri("monitor", "baseline"), wait=True, logs=False)
    assert monitor.baseline_statistics().body_dict["dataset"]["item_count"] == 1000
    assert [f["name"] for f in monitor.suggested_constraints().body_dict["features"]] == ["score", "x0", "x1", "x2"]

    endpoint = lab.name("endpoint")
    capture = capturing_endpoint(aws, lab.bucket, endpoint, booster)
    send(aws, endpoint, features(100, seed=5, shift=3.0))
    wait_for_capture(aws, capture, 10)
    monitor.create_monitoring_schedule(
        endpoint_input=endpoint, output_s3_uri=lab.s3_uri("monitor", "reports"),
        statistics=monitor.baseline_statistics(), constraints=monitor.suggested_constraints(),
        schedule_cron_expression=CronExpressionGenerator.now(), data_analysis_start_time="-PT1H",
        data_analysis_end_time="PT0H")
    summary = wait_execution(aws, monitor.monitoring_schedule_name)
    assert summary["MonitoringExecutionStatus"] == "CompletedWithViolations", summary.get("FailureReason")
    violations = monitor.latest_monitoring_constraint_violations().body_dict["violations"]
    assert {"x0"} <= {v["feature_name"] for v in violations if v["constraint_check_type"] == "baseline_drift_check"}
    assert len(monitor.list_executions()) == 1
    lab.cleanup()  # deletes the schedule, then its job definition
    assert aws.sagemaker.list_monitoring_schedules(EndpointName=endpoint)["MonitoringScheduleSummaries"] == []
    assert aws.sagemaker.list_data_quality_job_definitions(EndpointName=endpoint)["JobDefinitionSummaries"] == []


def test_model_quality_monitor_suggests_a_baseline():
    lab = bootstrap.start("local")
    booster, frame = train()
    import xgboost as xgb

    scores = booster.predict(xgb.DMatrix(frame.to_numpy(float)))
    dataset = frame.assign(prediction=(scores >= 0.5).astype(int), probability=scores.round(6),
                           label=labels(frame, 0))[["prediction", "probability", "label"]]
    key = f"{lab.prefix}/quality/data.csv"
    lab.client("s3").put_object(Bucket=lab.bucket, Key=key, Body=dataset.to_csv(index=False).encode())
    monitor = ModelQualityMonitor(role=lab.role_arn, instance_count=1, instance_type="ml.m5.xlarge",
                                  sagemaker_session=lab.session)
    monitor.suggest_baseline(baseline_dataset=f"s3://{lab.bucket}/{key}", dataset_format=DatasetFormat.csv(header=True),
                             output_s3_uri=lab.s3_uri("quality", "baseline"), problem_type="BinaryClassification",
                             inference_attribute="prediction", probability_attribute="probability",
                             ground_truth_attribute="label", wait=True, logs=False)
    metrics = monitor.baseline_statistics().body_dict["binary_classification_metrics"]
    assert sum(sum(row.values()) for row in metrics["confusion_matrix"].values()) == 1000
    constraints = monitor.suggested_constraints().body_dict["binary_classification_constraints"]
    assert constraints["f1"]["comparison_operator"] == "LessThanThreshold"
    assert constraints["false_positive_rate"]["comparison_operator"] == "GreaterThanThreshold"
    lab.cleanup()
