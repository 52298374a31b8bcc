"""Data quality monitoring over a real endpoint's captured traffic: a baseline from clean data, no violation on
in-distribution traffic, drift found with the right check name, CloudWatch metrics emitted."""

from monitoring_helpers import (
    FEATURES,
    capturing_endpoint,
    data_quality_definition,
    features,
    read_json,
    schedule,
    send,
    violations_of,
    wait_execution,
    wait_for_capture,
)


def test_baseline_writes_statistics_and_constraints(aws, baseline):
    _, results = baseline
    statistics = read_json(aws, f"{results}/statistics.json")
    constraints = read_json(aws, f"{results}/constraints.json")
    assert statistics["dataset"]["item_count"] == 1000
    by_name = {f["name"]: f for f in statistics["features"]}
    assert [f["name"] for f in constraints["features"]] == ["score", *FEATURES]
    assert by_name["x2"]["inferred_type"] == "Integral" and by_name["x0"]["inferred_type"] == "Fractional"
    numbers = by_name["x0"]["numerical_statistics"]
    assert abs(numbers["mean"]) < 0.1 and 0.9 < numbers["std_dev"] < 1.1
    assert sum(b["count"] for b in numbers["distribution"]["kll"]["buckets"]) == 1000
    assert constraints["monitoring_config"]["distribution_constraints"]["comparison_threshold"] == 0.1


def run_traffic(aws, bucket, name, booster, baseline_uri, frame):
    capture = capturing_endpoint(aws, bucket, name, booster)
    send(aws, name, frame)
    wait_for_capture(aws, capture, len(frame) // 10)
    data_quality_definition(aws, name, name, bucket, baseline_uri)
    schedule(aws, name, name)
    return wait_execution(aws, name)


def test_clean_traffic_raises_no_violation(aws, bucket, baseline, name):
    booster, results = baseline
    summary = run_traffic(aws, bucket, name, booster, results, features(200, seed=7))
    violations, report = violations_of(aws, summary)
    assert violations == []
    assert summary["MonitoringExecutionStatus"] == "Completed"
    assert report.endswith(f"{name}/{name}/" + summary["ScheduledTime"].strftime("%Y/%m/%d/%H"))
    assert read_json(aws, f"{report}/statistics.json")["dataset"]["item_count"] == 200


def test_drifted_feature_is_found(aws, bucket, baseline, name):
    booster, results = baseline
    summary = run_traffic(aws, bucket, name, booster, results, features(200, seed=8, shift=2.5))
    assert summary["MonitoringExecutionStatus"] == "CompletedWithViolations"
    violations, _ = violations_of(aws, summary)
    drifted = {v["feature_name"] for v in violations if v["constraint_check_type"] == "baseline_drift_check"}
    assert "x0" in drifted and not {"x1", "x2"} & drifted
    metrics = aws.cloudwatch.list_metrics(Namespace="aws/sagemaker/Endpoints/data-metrics",
                                          MetricName="feature_baseline_drift_x0",
                                          Dimensions=[{"Name": "Endpoint", "Value": name}])["Metrics"]
    assert {d["Name"] for d in metrics[0]["Dimensions"]} == {"Endpoint", "Feature", "MonitoringSchedule"}
