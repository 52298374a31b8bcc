"""Data quality: per-feature statistics, suggested constraints and the checks Model Monitor's prebuilt container
runs, in its documented file formats.

* ``statistics.json``: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-statistics.html
  (numerical ``mean``/``sum``/``std_dev``/``min``/``max`` and a 10-bucket distribution; the ``kll.sketch``
  holds up to 2048 sorted quantiles of the data, exact below that size, in place of Apache DataSketches' KLL).
* ``constraints.json``: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html
* ``constraint_violations.json``: https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-violations.html
  with the check names ``data_type_check``, ``completeness_check``, ``baseline_drift_check``,
  ``missing_column_check``, ``extra_column_check`` and ``categorical_values_check``.

Distribution distance (``baseline_drift_check``): for numerical features the L-infinity distance between the
baseline's and the current data's cumulative distribution functions (``Simple``, the two-sample
Kolmogorov–Smirnov statistic); ``Robust`` takes off the Kolmogorov–Smirnov critical value at 95 % confidence for the
two sample sizes, so small windows of clean traffic do not raise drift (the documentation says only that the robust
form is "based on the two-sample Kolmogorov–Smirnov test" and meant for few samples: this reading is ours).
Categorical features use the L-infinity distance between category frequencies (``LInfinity``) or a chi-squared
test whose p-value below the threshold flags drift (``ChiSquared``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

SKETCH_K = 2048
BUCKETS = 10
DOMAIN_LIMIT = 20  # string features with at most this many distinct values get a domain constraint
KS_C_ALPHA = 1.358  # two-sample Kolmogorov-Smirnov critical coefficient at alpha = 0.05
DEFAULT_MONITORING_CONFIG = {
    "evaluate_constraints": "Enabled", "emit_metrics": "Enabled",
    "datatype_check_threshold": 1.0, "domain_content_threshold": 1.0,
    "distribution_constraints": {"perform_comparison": "Enabled", "comparison_threshold": 0.1,
                                 "comparison_method": "Robust", "categorical_comparison_threshold": 0.1,
                                 "categorical_drift_method": "LInfinity"},
}


def value_kind(text: str) -> str | None:
    """``Integral``, ``Fractional``, ``String``, or None for a missing value."""
    text = text.strip()
    if not text or text.lower() in ("nan", "null", "none"):
        return None
    try:
        int(text)
        return "Integral"
    except ValueError:
        pass
    try:
        float(text)
        return "Fractional"
    except ValueError:
        return "String"


def column_type(kinds: pd.Series) -> str:
    present = set(kinds.dropna())
    if not present:
        return "Unknown"
    if present <= {"Integral"}:
        return "Integral"
    if present <= {"Integral", "Fractional"}:
        return "Fractional"
    return "String"


def type_match(kinds: pd.Series, expected: str) -> float:
    present = kinds.dropna()
    if present.empty or expected in ("String", "Unknown"):
        return 1.0
    allowed = {"Integral"} if expected == "Integral" else {"Integral", "Fractional"}
    return float(present.isin(allowed).mean())


def _numbers(values: pd.Series, kinds: pd.Series) -> np.ndarray:
    return values[kinds.isin(["Integral", "Fractional"])].astype(float).to_numpy()


def _sketch(numbers: np.ndarray) -> list[float]:
    ordered = np.sort(numbers)
    if len(ordered) > SKETCH_K:
        ordered = np.quantile(ordered, np.linspace(0, 1, SKETCH_K))
    return [float(v) for v in ordered]


def feature_statistics(name: str, values: pd.Series) -> dict:
    kinds = values.map(value_kind)
    inferred = column_type(kinds)
    common = {"num_present": int(kinds.notna().sum()), "num_missing": int(kinds.isna().sum())}
    if inferred in ("Integral", "Fractional"):
        numbers = _numbers(values, kinds)
        counts, edges = np.histogram(numbers, bins=BUCKETS)
        buckets = [{"lower_bound": float(edges[i]), "upper_bound": float(edges[i + 1]), "count": int(counts[i])}
                   for i in range(BUCKETS)]
        return {"name": name, "inferred_type": inferred, "numerical_statistics": {
            "common": common, "mean": float(numbers.mean()), "sum": float(numbers.sum()),
            "std_dev": float(numbers.std()), "min": float(numbers.min()), "max": float(numbers.max()),
            "distribution": {"kll": {"buckets": buckets, "sketch": {"parameters": {"c": 0.64, "k": SKETCH_K},
                                                                     "data": [_sketch(numbers)]}}}}}
    present = values[kinds.notna()].str.strip()
    frequencies = present.value_counts()
    return {"name": name, "inferred_type": inferred, "string_statistics": {
        "common": common, "distinct_count": int(len(frequencies)),
        "distribution": {"categorical": {"buckets": [{"value": str(v), "count": int(c)}
                                                     for v, c in frequencies.items()]}}}}


def statistics(frame: pd.DataFrame) -> dict:
    return {"version": 0.0, "dataset": {"item_count": int(len(frame))},
            "features": [feature_statistics(str(c), frame[c].astype(str)) for c in frame.columns]}


def suggest_constraints(stats_doc: dict, categorical_drift_method: str | None = None) -> dict:
    features = []
    for feature in stats_doc["features"]:
        numeric = feature.get("numerical_statistics")
        block = numeric or feature["string_statistics"]
        total = block["common"]["num_present"] + block["common"]["num_missing"]
        entry = {"name": feature["name"], "inferred_type": feature["inferred_type"],
                 "completeness": block["common"]["num_present"] / total if total else 0.0}
        if numeric:
            entry["num_constraints"] = {"is_non_negative": numeric["min"] >= 0}
        elif block["distinct_count"] <= DOMAIN_LIMIT:
            buckets = block["distribution"]["categorical"]["buckets"]
            entry["string_constraints"] = {"domains": sorted(b["value"] for b in buckets)}
        features.append(entry)
    config = {**DEFAULT_MONITORING_CONFIG,
              "distribution_constraints": dict(DEFAULT_MONITORING_CONFIG["distribution_constraints"])}
    if categorical_drift_method:
        config["distribution_constraints"]["categorical_drift_method"] = categorical_drift_method
    return {"version": 0.0, "features": features, "monitoring_config": config}


def _cdf_distance(baseline: np.ndarray, current: np.ndarray) -> float:
    points = np.union1d(baseline, current)
    base_cdf = np.searchsorted(np.sort(baseline), points, side="right") / len(baseline)
    cur_cdf = np.searchsorted(np.sort(current), points, side="right") / len(current)
    return float(np.max(np.abs(base_cdf - cur_cdf)))


def numeric_distance(baseline_feature: dict, current: np.ndarray, method: str) -> float:
    numeric = baseline_feature["numerical_statistics"]
    sample = np.asarray(numeric["distribution"]["kll"]["sketch"]["data"][0], dtype=float)
    distance = _cdf_distance(sample, current)
    if method.lower() in ("robust", "linf_robust"):
        n, m = numeric["common"]["num_present"], len(current)
        distance = max(0.0, distance - KS_C_ALPHA * math.sqrt((n + m) / (n * m)))
    return distance


def categorical_distance(baseline_feature: dict, current: pd.Series, method: str) -> float:
    base = {b["value"]: b["count"] for b in baseline_feature["string_statistics"]["distribution"]["categorical"][
        "buckets"]}
    seen = current.value_counts().to_dict()
    categories = sorted(set(base) | set(seen))
    base_counts = np.array([base.get(c, 0) for c in categories], dtype=float)
    cur_counts = np.array([seen.get(c, 0) for c in categories], dtype=float)
    if method == "ChiSquared":
        from scipy import stats

        expected = (base_counts + 0.5) / (base_counts + 0.5).sum() * cur_counts.sum()
        return float(stats.chisquare(cur_counts, expected).pvalue)
    return float(np.max(np.abs(base_counts / base_counts.sum() - cur_counts / cur_counts.sum())))


def _violation(feature: str, check: str, description: str) -> dict:
    return {"feature_name": feature, "constraint_check_type": check, "description": description}


def _merged_config(config: dict, overrides: dict) -> dict:
    merged = {**config, **{k: v for k, v in overrides.items() if k != "distribution_constraints"}}
    merged["distribution_constraints"] = {**config.get("distribution_constraints", {}),
                                          **overrides.get("distribution_constraints", {})}
    return merged


def check(frame: pd.DataFrame, constraints: dict, baseline_stats: dict | None) -> tuple[list[dict], dict]:
    """Violations of ``constraints`` by ``frame`` and each feature's drift distance (for the CloudWatch metrics)."""
    features = constraints.get("features", [])
    config = constraints.get("monitoring_config") or DEFAULT_MONITORING_CONFIG
    baseline_by_name = {f["name"]: f for f in (baseline_stats or {}).get("features", [])}
    violations, distances = [], {}
    names = [feature["name"] for feature in features]
    counts = (f"Number of columns in current dataset: {frame.shape[1]}, Number of columns in baseline constraints: "
              f"{len(features)}")
    for name in names:
        if name not in frame.columns:
            violations.append(_violation(name, "missing_column_check",
                                         f"There are missing columns in current dataset. {counts}"))
    for column in frame.columns:
        if column not in names:
            violations.append(_violation(str(column), "extra_column_check",
                                         f"There are extra columns in current dataset. {counts}"))
    for feature in features:
        name = feature["name"]
        if name not in frame.columns:
            continue
        values = frame[name].astype(str)
        kinds = values.map(value_kind)
        settings = _merged_config(config, feature.get("monitoringConfigOverrides") or {})
        expected_type = feature.get("inferred_type", "Unknown")
        match = type_match(kinds, expected_type)
        wanted = float(settings.get("datatype_check_threshold", 1.0))
        if match < wanted:
            violations.append(_violation(name, "data_type_check", (
                f"Data type match requirement is not met. Expected data type: {expected_type}, Expected match: "
                f"{wanted * 100}%.  Observed: Only {match * 100}% of data is {expected_type}.")))
        completeness = float(kinds.notna().mean()) if len(kinds) else 0.0
        if "completeness" in feature and completeness < float(feature["completeness"]):
            violations.append(_violation(name, "completeness_check", (
                f"Data completeness requirement is not met. Expected completeness: {float(feature['completeness'])}"
                f". Observed: Only {completeness} of data is present.")))
        domains = (feature.get("string_constraints") or {}).get("domains")
        present = values[kinds.notna()].str.strip()
        if domains is not None and len(present):
            inside = float(present.isin(domains).mean())
            wanted = float(settings.get("domain_content_threshold", 1.0))
            if inside < wanted:
                violations.append(_violation(name, "categorical_values_check", (
                    f"Data does not meet the domain content requirement. Expected: {wanted * 100}% of values in "
                    f"the baseline domain. Observed: {inside * 100}%.")))
        drift = _drift(baseline_by_name.get(name), values, kinds, settings["distribution_constraints"])
        if drift is not None:
            distances[name] = drift[0]
            if drift[1]:
                violations.append(_violation(name, "baseline_drift_check", drift[1]))
    return violations, distances


def _drift(baseline_feature: dict | None, values: pd.Series, kinds: pd.Series, settings: dict):
    """(distance, violation description or None), or None when no comparison applies."""
    if baseline_feature is None or settings.get("perform_comparison", "Enabled") != "Enabled":
        return None
    threshold = float(settings.get("comparison_threshold", 0.1))
    if "numerical_statistics" in baseline_feature:
        numbers = _numbers(values, kinds)
        if not len(numbers) or not baseline_feature["numerical_statistics"]["common"]["num_present"]:
            return None
        distance = numeric_distance(baseline_feature, numbers, str(settings.get("comparison_method", "Robust")))
        breached = distance > threshold
    else:
        present = values[kinds.notna()].str.strip()
        if present.empty:
            return None
        method = settings.get("categorical_drift_method", "LInfinity")
        threshold = float(settings.get("categorical_comparison_threshold", threshold))
        distance = categorical_distance(baseline_feature, present, method)
        breached = distance < threshold if method == "ChiSquared" else distance > threshold
    if not breached:
        return distance, None
    if "numerical_statistics" not in baseline_feature and method == "ChiSquared":
        return distance, f"Baseline drift chi-squared p-value: {distance} is below threshold: {threshold}"
    return distance, f"Baseline drift distance: {distance} exceeds threshold: {threshold}"
