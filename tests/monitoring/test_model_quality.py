"""Model quality: a baseline from predictions with labels, then captured predictions merged with ground truth
uploaded to S3 by inferenceId; wrong predictions break the baseline's constraints."""

import xgboost as xgb
from monitoring_helpers import (
    baseline_job,
    capturing_endpoint,
    features,
    labels,
    model_quality_definition,
    output,
    put_csv,
    put_ground_truth,
    read_json,
    schedule,
    send,
    train,
    violations_of,
    wait_execution,
    wait_for_capture,
)

QUALITY = {"analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification",
           "inference_attribute": "prediction", "probability_attribute": "probability",
           "ground_truth_attribute": "label"}


def model_quality_baseline(aws, bucket, booster, frame, name):
    probability = booster.predict(xgb.DMatrix(frame.to_numpy(float)))
    dataset = frame.assign(prediction=(probability >= 0.5).astype(int), probability=probability.round(6),
                           label=labels(frame, 0))[["prediction", "probability", "label"]]
    uri = put_csv(aws, bucket, f"{name}/baseline/data.csv", dataset)
    job = baseline_job(aws, f"{name}-baseline", uri, output(name, bucket, "baseline"), **QUALITY)
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    return output(name, bucket, "baseline")


def test_model_quality_baseline_and_violation_with_ground_truth(aws, bucket, name):
    booster, frame = train()
    results = model_quality_baseline(aws, bucket, booster, frame, name)
    metrics = read_json(aws, f"{results}/statistics.json")["binary_classification_metrics"]
    assert metrics["accuracy"]["value"] > 0.8 and metrics["auc"]["value"] > 0.9
    assert isinstance(metrics["accuracy"]["standard_deviation"], float)  # 1000 records: five 80 % samples
    constraints = read_json(aws, f"{results}/constraints.json")["binary_classification_constraints"]
    assert constraints["accuracy"] == {"threshold": metrics["accuracy"]["value"],
                                       "comparison_operator": "LessThanThreshold"}

    capture = capturing_endpoint(aws, bucket, name, booster)
    traffic = features(100, seed=3)
    send(aws, name, traffic, batch=1, inference_ids=True)
    wait_for_capture(aws, capture, len(traffic))
    wrong = {f"row-{i}": 1 - label for i, label in enumerate(labels(traffic, 3))}  # the world disagrees
    truth = put_ground_truth(aws, bucket, f"{name}/groundtruth", wrong)
    model_quality_definition(aws, name, name, bucket, f"{results}/constraints.json", truth)
    schedule(aws, name, name, monitoring_type="ModelQuality")
    summary = wait_execution(aws, name)
    assert summary["MonitoringExecutionStatus"] == "CompletedWithViolations", summary.get("FailureReason")
    assert summary["MonitoringType"] == "ModelQuality"
    violations, report = violations_of(aws, summary)
    by_metric = {v["metric_name"]: v for v in violations}
    assert by_metric["accuracy"]["constraint_check_type"] == "LessThanThreshold"
    current = read_json(aws, f"{report}/statistics.json")
    assert current["dataset"]["item_count"] == 100
    assert current["binary_classification_metrics"]["accuracy"]["value"] < 0.3
    emitted = aws.cloudwatch.list_metrics(Namespace="aws/sagemaker/Endpoints/model-metrics", MetricName="accuracy",
                                          Dimensions=[{"Name": "MonitoringSchedule", "Value": name}])["Metrics"]
    assert {d["Name"] for d in emitted[0]["Dimensions"]} == {"Endpoint", "MonitoringSchedule"}
