"""The ``sagemaker-model-monitor-analyzer`` image of the local backend: ``python -m`` this module inside a processing
job. It takes its work from the environment as the real image does
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-contract-inputs.html): ``dataset_format``,
``dataset_source``, ``output_path``, and for monitoring executions ``baseline_constraints``,
``baseline_statistics``, ``start_time``, ``end_time``, ``publish_cloudwatch_metrics``,
``sagemaker_endpoint_name`` and ``sagemaker_monitoring_schedule_name``. ``analysis_type=MODEL_QUALITY`` (as the
SDK's ``ModelQualityMonitor`` sets it) switches to model quality with ``problem_type``, ``inference_attribute``,
``probability_attribute``, ``probability_threshold_attribute`` and ``ground_truth_attribute``; a monitoring
execution also names ``ground_truth_source``, the labels to merge with the captured predictions (AWS runs that merge
as a separate job first). ``MODEL_BIAS`` and ``MODEL_EXPLAINABILITY`` executions (the service runs Clarify's image
for those on AWS) read Clarify's ``analysis_config`` and compare with a baseline ``analysis.json``
(:mod:`.clarify_drift`).

Without baseline constraints it writes ``statistics.json`` and ``constraints.json`` (a baselining job); with them
``statistics.json`` (``analysis.json`` for bias and explainability) and ``constraint_violations.json``, and
publishes the CloudWatch metrics Model Monitor emits: namespace ``aws/sagemaker/Endpoints/data-metrics``
(dimensions ``Endpoint``, ``Feature``, ``MonitoringSchedule``: ``feature_data_<f>``, ``feature_non_null_<f>``,
``feature_null_<f>``, ``feature_completeness_<f>``, ``feature_baseline_drift_<f>``),
``aws/sagemaker/Endpoints/model-metrics`` (dimensions ``Endpoint``, ``MonitoringSchedule``: one metric per model
quality metric), ``.../bias-metrics`` and ``.../explainability-metrics``, as in
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-cloudwatch.html,
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html and the SDK's CloudWatch
dashboards. The docs pages disagree on the data metrics' namespace (``/aws/sagemaker/Endpoints/data-metric``,
``/aws/sagemaker/Endpoint/data-metrics``); the SDK's dashboards search ``aws/sagemaker/Endpoints/data-metrics``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from . import data_quality, datasets

DATA_NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"
MODEL_NAMESPACE = "aws/sagemaker/Endpoints/model-metrics"
BIAS_NAMESPACE = "aws/sagemaker/Endpoints/bias-metrics"
EXPLAINABILITY_NAMESPACE = "aws/sagemaker/Endpoints/explainability-metrics"


class Settings:
    def __init__(self, env):
        self.env = env
        self.root = Path(env["MLA_OPT_ML"])

    def path(self, key: str) -> Path | None:
        value = self.env.get(key)
        if not value:
            return None
        return self.root / Path(value).relative_to("/opt/ml") if value.startswith("/opt/ml") else Path(value)

    def json_file(self, key: str) -> dict | None:
        path = self.path(key)
        if path is None:
            return None
        if path.is_dir():
            files = datasets.files_under(path)
            if not files:
                return None
            path = files[0]
        return json.loads(path.read_text())

    def get(self, key: str, default=None):
        return self.env.get(key) or default

    def window(self):
        start, end = self.get("start_time"), self.get("end_time")
        return (datasets.parse_time(start) if start else None), (datasets.parse_time(end) if end else None)


def _captured(settings: Settings) -> list[dict]:
    records = datasets.capture_records(settings.path("dataset_source"), *settings.window())
    if not records:
        raise datasets.NoData("Job inputs had no data: no captured records in the analysis window.")
    return records


def load_frame(settings: Settings) -> pd.DataFrame:
    """The dataset to analyze: a baseline dataset, or the captured traffic of the window."""
    fmt = json.loads(settings.get("dataset_format", '{"csv": {"header": true}}'))
    source = settings.path("dataset_source")
    if source is None or not source.exists():
        raise datasets.NoData("dataset_source names no data: the job has no input at that path.")
    if "sagemakerCaptureJson" in fmt:
        indexes = (fmt["sagemakerCaptureJson"] or {}).get("captureIndexNames") or datasets.CAPTURE_INDEXES
        return datasets.capture_frame(_captured(settings), indexes)
    return datasets.read_tabular(fmt, source)


def named_like(frame: pd.DataFrame, constraints: dict) -> pd.DataFrame:
    """Data without a header (captured traffic: ``_c0``, ``_c1``...) takes the baseline's feature names by position."""
    if list(frame.columns) != datasets.positional(frame.shape[1]):
        return frame
    names = [f["name"] for f in constraints.get("features", [])]
    frame = frame.copy()
    frame.columns = [names[i] if i < len(names) else str(column) for i, column in enumerate(frame.columns)]
    return frame


def write(output: Path, files: dict[str, dict]) -> None:
    output.mkdir(parents=True, exist_ok=True)
    for name, document in files.items():
        (output / name).write_text(json.dumps(document, indent=2))


def run_data_quality(settings: Settings) -> None:
    frame = load_frame(settings)
    output = settings.path("output_path")
    constraints = settings.json_file("baseline_constraints")
    if constraints is None:
        stats = data_quality.statistics(frame)
        write(output, {"statistics.json": stats, "constraints.json": data_quality.suggest_constraints(
            stats, settings.get("categorical_drift_method"))})
        return
    frame = named_like(frame, constraints)
    stats = data_quality.statistics(frame)
    violations, distances = [], {}
    if (constraints.get("monitoring_config") or {}).get("evaluate_constraints", "Enabled") == "Enabled":
        violations, distances = data_quality.check(frame, constraints, settings.json_file("baseline_statistics"))
    write(output, {"statistics.json": stats, "constraint_violations.json": {"violations": violations}})
    if (constraints.get("monitoring_config") or {}).get("emit_metrics", "Enabled") == "Enabled":
        publish(settings, DATA_NAMESPACE, data_metrics(stats, distances))


def data_metrics(stats: dict, distances: dict) -> list[tuple[dict, dict]]:
    """(extra dimensions, metric datum) pairs."""
    data = []
    for feature_stats in stats["features"]:
        name = feature_stats["name"]
        block = feature_stats.get("numerical_statistics") or feature_stats["string_statistics"]
        present, missing = block["common"]["num_present"], block["common"]["num_missing"]
        feature = {"Feature": name}
        data += [(feature, {"MetricName": f"feature_non_null_{name}", "Value": present, "Unit": "Count"}),
                 (feature, {"MetricName": f"feature_null_{name}", "Value": missing, "Unit": "Count"}),
                 (feature, {"MetricName": f"feature_completeness_{name}",
                            "Value": present / (present + missing) if present + missing else 0.0})]
        numeric = block if "numerical_statistics" in feature_stats else None
        if numeric and present:
            data.append((feature, {"MetricName": f"feature_data_{name}", "StatisticValues": {
                "SampleCount": present, "Sum": numeric["sum"], "Minimum": numeric["min"],
                "Maximum": numeric["max"]}}))
        if name in distances:
            data.append((feature, {"MetricName": f"feature_baseline_drift_{name}", "Value": distances[name]}))
    return data


def _column(frame: pd.DataFrame, attribute: str | None) -> pd.Series | None:
    if attribute in (None, ""):
        return None
    if attribute in frame.columns:
        return frame[attribute]
    if str(attribute).isdigit() and f"_c{attribute}" in frame.columns:
        return frame[f"_c{attribute}"]
    raise ValueError(f"The dataset has no column {attribute!r} (columns: {', '.join(map(str, frame.columns))}).")


def _labels(values: pd.Series, problem: str) -> np.ndarray:
    numbers = pd.to_numeric(values.str.strip(), errors="coerce")
    if problem == "Regression" or numbers.notna().all():
        floats = numbers.to_numpy(dtype=float)
        return floats if problem == "Regression" else floats.round().astype(int)
    return values.str.strip().to_numpy()


def quality_inputs(settings: Settings, frame: pd.DataFrame, truth_column: str | None):
    problem = settings.get("problem_type", "")
    truth = _column(frame, truth_column)
    if truth is None:
        raise ValueError("ground_truth_attribute is required for a model quality baseline.")
    probability = _column(frame, settings.get("probability_attribute"))
    probabilities = None if probability is None else pd.to_numeric(probability, errors="coerce").to_numpy(float)
    inference = _column(frame, settings.get("inference_attribute"))
    if inference is not None:
        predicted = _labels(inference, problem)
    elif probabilities is not None:
        predicted = (probabilities >= float(settings.get("probability_threshold_attribute", 0.5))).astype(int)
    else:
        raise ValueError("Set inference_attribute or probability_attribute to locate the predictions.")
    return problem, _labels(truth, problem), predicted, probabilities


def run_model_quality(settings: Settings) -> None:
    from . import model_quality  # scikit-learn, only for model quality

    output = settings.path("output_path")
    constraints = settings.json_file("baseline_constraints")
    ground_truth = settings.path("ground_truth_source")
    if ground_truth is not None:
        frame = datasets.merged_predictions(_captured(settings), datasets.ground_truth_labels(ground_truth))
        truth_column = "groundTruth"
    else:
        frame = load_frame(settings)
        truth_column = settings.get("ground_truth_attribute")
    problem, truth, predicted, probabilities = quality_inputs(settings, frame, truth_column)
    section = model_quality.compute(problem, truth, predicted, probabilities)
    stats = model_quality.statistics(problem, section, len(truth))
    if constraints is None:
        write(output, {"statistics.json": stats, "constraints.json": model_quality.suggest_constraints(problem,
                                                                                                        section)})
        return
    violations = model_quality.check(problem, section, constraints)
    write(output, {"statistics.json": stats, "constraint_violations.json": {"violations": violations}})
    publish(settings, MODEL_NAMESPACE, [({}, {"MetricName": name, "Value": float(entry["value"])})
                                        for name, entry in section.items()
                                        if isinstance(entry, dict) and isinstance(entry.get("value"), float)])


def _numeric_where_possible(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        numbers = pd.to_numeric(frame[column].str.strip(), errors="coerce")
        if numbers.notna().all():
            frame[column] = numbers
    return frame


def _predicted(settings: Settings, config: dict, outputs: list[list[str]]) -> np.ndarray:
    """The predicted label of each captured output (a score above the threshold is the positive label 1)."""
    attribute = settings.get("inference_attribute")
    if attribute is not None:
        return pd.to_numeric(pd.Series([row[int(attribute)] for row in outputs])).to_numpy()
    scores = np.array([float(row[int(settings.get("probability_attribute", 0))]) for row in outputs])
    threshold = float(settings.get("probability_threshold_attribute", config.get("probability_threshold", 0.5)))
    return (scores > threshold).astype(int)


def run_model_bias(settings: Settings) -> None:
    from . import clarify_drift

    config = settings.json_file("analysis_config")
    rows = datasets.merged_rows(_captured(settings), datasets.ground_truth_labels(settings.path("ground_truth_source")))
    inputs = [row_inputs for _, row_inputs, _ in rows]
    frame = pd.DataFrame(inputs, columns=clarify_drift.feature_names(config, len(inputs[0])), dtype=str)
    frame[config["label"]] = [label for _, _, label in rows]
    frame = _numeric_where_possible(frame)
    frame[clarify_drift.PREDICTED] = _predicted(settings, config, [output for output, _, _ in rows])
    analysis = clarify_drift.bias_analysis(frame, config)
    baseline = settings.json_file("baseline_constraints")
    violations = clarify_drift.bias_violations(analysis, baseline) if baseline else []
    write(settings.path("output_path"), {"analysis.json": analysis,
                                         "constraint_violations.json": {"version": "1.0", "violations": violations}})
    publish(settings, BIAS_NAMESPACE, clarify_drift.bias_metrics(analysis))


def endpoint_predictor(settings: Settings):
    """Scores of rows from the monitored endpoint (``text/csv`` in batches), for Kernel SHAP."""
    import boto3

    runtime = boto3.client("sagemaker-runtime")
    column = int(settings.get("probability_attribute", settings.get("inference_attribute", 0)))

    def predict(rows: np.ndarray) -> np.ndarray:
        scores = []
        for start in range(0, len(rows), 1000):
            batch = rows[start:start + 1000]
            body = "\n".join(",".join(repr(float(v)) for v in row) for row in batch)
            response = runtime.invoke_endpoint(EndpointName=settings.get("sagemaker_endpoint_name"),
                                               ContentType="text/csv", Accept="text/csv", Body=body)
            payload = {"data": response["Body"].read().decode(), "encoding": "CSV",
                       "observedContentType": response.get("ContentType", "text/csv")}
            scores += [float(row[column]) for row in datasets.payload_rows(payload, len(batch))]
        return np.array(scores)

    return predict


def _shap_reference(shap_config: dict, features: pd.DataFrame) -> np.ndarray:
    reference = shap_config.get("baseline")
    if isinstance(reference, str):
        import boto3

        bucket, key = reference[5:].split("/", 1)
        text = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        return np.array([[float(v) for v in line.split(",")] for line in text.splitlines() if line.strip()])
    if reference:
        return np.asarray(reference, dtype=float)
    from mla.clarify import shap

    return shap.clustered_baseline(features).to_numpy(float)


def run_model_explainability(settings: Settings) -> None:
    from . import clarify_drift

    config = settings.json_file("analysis_config")
    inputs = [row for record in _captured(settings) for _, row in datasets.record_rows(record)]
    names = clarify_drift.feature_names(config, len(inputs[0]))
    features = pd.DataFrame(inputs, columns=names, dtype=str).astype(float)
    shap_config = (config.get("methods") or {}).get("shap") or {}
    explanations = clarify_drift.explanations(endpoint_predictor(settings), features.to_numpy(), names, shap_config,
                                              _shap_reference(shap_config, features))
    analysis = {"version": "1.0", "explanations": explanations}
    baseline = settings.json_file("baseline_constraints")
    violations = clarify_drift.attribution_violations(analysis, baseline) if baseline else []
    write(settings.path("output_path"), {"analysis.json": analysis,
                                         "constraint_violations.json": {"version": "1.0", "violations": violations}})
    publish(settings, EXPLAINABILITY_NAMESPACE, clarify_drift.attribution_metrics(analysis))


def publish(settings: Settings, namespace: str, data: list[tuple[dict, dict]]) -> None:
    if settings.get("publish_cloudwatch_metrics") != "Enabled" or not data:
        return
    import boto3

    timestamp = settings.window()[1]
    base = [{"Name": "Endpoint", "Value": settings.get("sagemaker_endpoint_name", "")}]
    schedule = [{"Name": "MonitoringSchedule", "Value": settings.get("sagemaker_monitoring_schedule_name", "")}]
    metric_data = []
    for dimensions, datum in data:
        extra = [{"Name": k, "Value": v} for k, v in dimensions.items()]
        metric_data.append({**datum, "Dimensions": base + extra + schedule,
                            **({"Timestamp": timestamp} if timestamp else {})})
    cloudwatch = boto3.client("cloudwatch")
    for start in range(0, len(metric_data), 1000):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=metric_data[start:start + 1000])


def main() -> int:
    settings = Settings(os.environ)
    try:
        runners = {"MODEL_QUALITY": run_model_quality, "MODEL_BIAS": run_model_bias,
                   "MODEL_EXPLAINABILITY": run_model_explainability}
        runners.get(settings.get("analysis_type", "").upper(), run_data_quality)(settings)
    except (datasets.NoData, ValueError, KeyError) as error:
        message = str(error) if not isinstance(error, KeyError) else f"Missing field or setting {error}"
        failure = settings.root / "output" / "failure"
        failure.parent.mkdir(parents=True, exist_ok=True)
        failure.write_text(message)
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
