"""Bias drift and feature attribution drift: Clarify's analysis of the captured traffic (with the course's Clarify
library, ``mla.clarify``) compared with the baseline ``analysis.json``.

* Bias drift (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-violations.html):
  pre- and post-training metrics of each facet of the analysis configuration; a metric further from 0 than in the
  baseline is a ``bias_drift_check`` violation (``{"facet", "facet_value", "metric_name",
  "constraint_check_type", "description": "Value v does not meet the constraint requirement"}``). DI, a ratio whose
  balanced value is 1, is compared by its distance from 1 (our reading; the page speaks of values near zero).
  Metrics go to ``aws/sagemaker/Endpoints/bias-metrics`` as ``bias_metric_<code>`` with dimensions ``Endpoint``,
  ``MonitoringSchedule``, ``BiasStage``, ``Label``, ``LabelValue``, ``Facet``, ``FacetValue``; infinities as
  ±2.348543e108 (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift-cw.html).
* Feature attribution drift
  (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-model-attribution-drift-violations.html):
  Kernel SHAP of the captured rows against the configuration's SHAP baseline, with predictions from the monitored
  endpoint; the nDCG score of the current global SHAP values against the baseline's below 0.9 is a
  ``feature_attribution_drift_check`` violation. Metrics go to ``aws/sagemaker/Endpoints/explainability-metrics``
  as ``feature_<name>`` with ``Endpoint``, ``MonitoringSchedule``, ``ExplainabilityMethod`` ``KernelShap``,
  ``Label``, ``ValueType`` ``GlobalShapValues``
  (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-feature-attribute-drift-cw.html).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

NDCG_THRESHOLD = 0.9
CLOUDWATCH_INFINITY = 2.348543e108
PREDICTED = "_predicted_label"
STAGES = {"pre_training_bias_metrics": "Pre-training", "post_training_bias_metrics": "Post-Training"}


def feature_names(config: dict, width: int) -> list[str]:
    """The captured input columns' names: the configuration's ``headers`` without the label when that fits."""
    headers = [str(h) for h in config.get("headers") or []]
    if len(headers) != width:
        headers = [h for h in headers if h != str(config.get("label"))]
    return headers if len(headers) == width else [f"_c{i}" for i in range(width)]


def _number(value) -> float:
    return float(value)  # "Infinity" / "-Infinity" as Clarify writes them


def bias_analysis(frame: pd.DataFrame, config: dict) -> dict:
    """``analysis.json``'s pre- and post-training sections for every facet of the configuration."""
    from mla.clarify import bias

    label, values = config["label"], config["label_values_or_threshold"]
    analysis = {"version": "1.0"}
    for section, predicted in (("pre_training_bias_metrics", None), ("post_training_bias_metrics", PREDICTED)):
        merged = None
        for facet in config["facet"]:
            report = bias.bias_report(frame, label, facet["name_or_index"], values, facet.get("value_or_threshold"),
                                      config.get("group_variable"), "all", predicted_label=predicted)
            if merged is None:
                merged = report
            else:
                merged["facets"].update(report["facets"])
        analysis[section] = merged
    return analysis


def _metric_values(analysis: dict, section: str) -> dict[tuple[str, str, str], float]:
    found = {}
    for facet, entries in ((analysis.get(section) or {}).get("facets") or {}).items():
        for entry in entries:
            for metric in entry["metrics"]:
                if "value" in metric:
                    found[(str(facet), str(entry["value_or_threshold"]), metric["name"])] = _number(metric["value"])
    return found


def _badness(metric: str, value: float) -> float:
    return abs(value - 1.0) if metric == "DI" else abs(value)


def bias_violations(current: dict, baseline: dict) -> list[dict]:
    violations = []
    for section in STAGES:
        limits = _metric_values(baseline, section)
        for key, value in _metric_values(current, section).items():
            facet, facet_value, metric = key
            if key in limits and _badness(metric, value) > _badness(metric, limits[key]):
                violations.append({"facet": facet, "facet_value": facet_value, "metric_name": metric,
                                   "constraint_check_type": "bias_drift_check",
                                   "description": f"Value {value} does not meet the constraint requirement"})
    return violations


def bias_metrics(analysis: dict) -> list[tuple[dict, dict]]:
    """(extra dimensions, datum) of each bias metric for CloudWatch."""
    data = []
    for section, stage in STAGES.items():
        block = analysis.get(section) or {}
        for (facet, facet_value, metric), value in _metric_values(analysis, section).items():
            if math.isnan(value):
                continue
            value = math.copysign(CLOUDWATCH_INFINITY, value) if math.isinf(value) else value
            dimensions = {"BiasStage": stage, "Label": str(block.get("label")),
                          "LabelValue": str(block.get("label_value_or_threshold")), "Facet": facet,
                          "FacetValue": facet_value}
            data.append((dimensions, {"MetricName": f"bias_metric_{metric}", "Value": value}))
    return data


def ndcg(baseline: dict[str, float], current: dict[str, float]) -> float:
    """nDCG of the current ranking of features, with the baseline's global SHAP values as the relevance."""
    from sklearn.metrics import ndcg_score

    names = sorted(set(baseline) & set(current))
    if len(names) < 2:
        return 1.0
    return float(ndcg_score([[abs(baseline[n]) for n in names]], [[abs(current[n]) for n in names]]))


def explanations(predict, rows: np.ndarray, names: list[str], shap_config: dict, reference: np.ndarray) -> dict:
    """``analysis.json``'s ``explanations`` section for one model output (``label0``)."""
    from mla.clarify import shap

    values = shap.kernel_shap(predict, rows, reference, shap_config.get("num_samples"), int(shap_config.get("seed", 0)))
    aggregate = {"mean_abs": lambda v: np.mean(np.abs(v), axis=0), "median": lambda v: np.median(v, axis=0),
                 "mean_sq": lambda v: np.mean(v ** 2, axis=0)}[shap_config.get("agg_method", "mean_abs")]
    global_values = dict(zip(names, (float(v) for v in aggregate(values)), strict=True))
    return {"kernel_shap": {"label0": {"global_shap_values": global_values,
                                       "expected_value": shap.expected_value(predict, reference)}}}


def attribution_violations(current: dict, baseline: dict) -> list[dict]:
    violations = []
    for label, found in (current.get("explanations", {}).get("kernel_shap") or {}).items():
        expected = (baseline.get("explanations", {}).get("kernel_shap") or {}).get(label)
        if expected is None:
            continue
        score = ndcg(expected["global_shap_values"], found["global_shap_values"])
        if score < NDCG_THRESHOLD:
            violations.append({"label": label, "metric_name": "shap",
                               "constraint_check_type": "feature_attribution_drift_check",
                               "description": f"Feature attribution drift {score} exceeds threshold {NDCG_THRESHOLD}"})
    return violations


def attribution_metrics(analysis: dict) -> list[tuple[dict, dict]]:
    data = []
    for label, found in (analysis.get("explanations", {}).get("kernel_shap") or {}).items():
        for name, value in found["global_shap_values"].items():
            data.append(({"ExplainabilityMethod": "KernelShap", "Label": label, "ValueType": "GlobalShapValues"},
                         {"MetricName": f"feature_{name}", "Value": value}))
    return data
