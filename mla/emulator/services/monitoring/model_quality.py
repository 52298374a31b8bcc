"""Model quality: the metrics Model Monitor computes for ``BinaryClassification``, ``MulticlassClassification`` and
``Regression``, the constraints it suggests and the violations of those constraints, as in
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html (each metric as
``{"value", "standard_deviation"}``; the deviation from five random 80 % samples when there are at least 200
records, else ``"NaN"``). The "best constant classifier" metrics predict the last class in sorted order for every
record, which reproduces the documentation's examples (the positive class ``1`` for binary problems).

Suggested constraints take the baseline's value as the threshold, ``LessThanThreshold`` for metrics where higher is
better and ``GreaterThanThreshold`` for error rates and regression errors; a violation reads
``{"constraint_check_type": "LessThanThreshold", "description": "Metric f1 with 0.61 was LessThanThreshold
0.83", "metric_name": "f1"}``.
"""

from __future__ import annotations

import numpy as np
from sklearn import metrics

SAMPLES_FOR_DEVIATION = 200
LOWER_IS_WORSE = {"BinaryClassification": ("recall", "precision", "accuracy", "true_positive_rate",
                                           "true_negative_rate", "auc", "f0_5", "f1", "f2"),
                  "MulticlassClassification": ("accuracy", "weighted_recall", "weighted_precision", "weighted_f0_5",
                                               "weighted_f1", "weighted_f2"),
                  "Regression": ("r2",)}
HIGHER_IS_WORSE = {"BinaryClassification": ("false_positive_rate", "false_negative_rate"),
                   "MulticlassClassification": (), "Regression": ("mae", "mse", "rmse")}
SECTION = {"BinaryClassification": "binary_classification", "MulticlassClassification": "multiclass_classification",
           "Regression": "regression"}


def _binary_scores(truth, predicted, probability) -> dict:
    tn, fp, fn, tp = metrics.confusion_matrix(truth, predicted, labels=[0, 1]).ravel()
    rate = lambda num, den: float(num / den) if den else 0.0  # noqa: E731
    scores = {"recall": rate(tp, tp + fn), "precision": rate(tp, tp + fp), "accuracy": rate(tp + tn, len(truth)),
              "true_positive_rate": rate(tp, tp + fn), "true_negative_rate": rate(tn, tn + fp),
              "false_positive_rate": rate(fp, fp + tn), "false_negative_rate": rate(fn, fn + tp)}
    for beta, key in ((0.5, "f0_5"), (1.0, "f1"), (2.0, "f2")):
        scores[key] = float(metrics.fbeta_score(truth, predicted, beta=beta, zero_division=0))
    constant = np.ones_like(truth)
    scores["recall_best_constant_classifier"] = 1.0 if (truth == 1).any() else 0.0
    scores["precision_best_constant_classifier"] = float((truth == 1).mean())
    scores["accuracy_best_constant_classifier"] = float((truth == 1).mean())
    for beta, key in ((0.5, "f0_5"), (1.0, "f1"), (2.0, "f2")):
        scores[f"{key}_best_constant_classifier"] = float(
            metrics.fbeta_score(truth, constant, beta=beta, zero_division=0))
    if len(set(truth)) == 2:
        scores["auc"] = float(metrics.roc_auc_score(truth, probability))
    return scores


def _multiclass_scores(truth, predicted) -> dict:
    scores = {"accuracy": float(metrics.accuracy_score(truth, predicted))}
    constant = np.full_like(truth, sorted(set(truth))[-1])
    for suffix, guess in (("", predicted), ("_best_constant_classifier", constant)):
        if suffix:
            scores["accuracy" + suffix] = float(metrics.accuracy_score(truth, guess))
        scores["weighted_recall" + suffix] = float(metrics.recall_score(truth, guess, average="weighted",
                                                                        zero_division=0))
        scores["weighted_precision" + suffix] = float(metrics.precision_score(truth, guess, average="weighted",
                                                                              zero_division=0))
        for beta, key in ((0.5, "weighted_f0_5"), (1.0, "weighted_f1"), (2.0, "weighted_f2")):
            scores[key + suffix] = float(metrics.fbeta_score(truth, guess, beta=beta, average="weighted",
                                                             zero_division=0))
    return scores


def _regression_scores(truth, predicted) -> dict:
    mse = float(metrics.mean_squared_error(truth, predicted))
    return {"mae": float(metrics.mean_absolute_error(truth, predicted)), "mse": mse, "rmse": float(np.sqrt(mse)),
            "r2": float(metrics.r2_score(truth, predicted))}


def _scores(problem: str, truth, predicted, probability) -> dict:
    if problem == "BinaryClassification":
        return _binary_scores(truth, predicted, probability)
    if problem == "MulticlassClassification":
        return _multiclass_scores(truth, predicted)
    return _regression_scores(truth, predicted)


def _confusion(truth, predicted) -> dict:
    labels = sorted(set(truth) | set(predicted))
    matrix = metrics.confusion_matrix(truth, predicted, labels=labels)
    return {str(_plain(a)): {str(_plain(b)): int(matrix[i, j]) for j, b in enumerate(labels)}
            for i, a in enumerate(labels)}


def _plain(value):
    return int(value) if float(value).is_integer() else value


def compute(problem: str, truth: np.ndarray, predicted: np.ndarray, probability: np.ndarray | None,
            seed: int = 0) -> dict:
    """The ``<problem>_metrics`` section of ``statistics.json``."""
    if problem not in SECTION:
        raise ValueError(f"problem_type must be one of {', '.join(SECTION)}, not {problem!r}.")
    if probability is None:
        probability = predicted.astype(float)
    scores = _scores(problem, truth, predicted, probability)
    deviations = {key: "NaN" for key in scores}
    if len(truth) >= SAMPLES_FOR_DEVIATION:
        rng = np.random.default_rng(seed)
        samples = []
        for _ in range(5):
            pick = rng.choice(len(truth), size=int(0.8 * len(truth)), replace=False)
            samples.append(_scores(problem, truth[pick], predicted[pick], probability[pick]))
        deviations = {key: float(np.std([s[key] for s in samples if key in s])) for key in scores}
    section = {key: {"value": value, "standard_deviation": deviations[key]} for key, value in scores.items()}
    if problem == "BinaryClassification":
        fpr, tpr, _ = metrics.roc_curve(truth, probability) if len(set(truth)) == 2 else ([], [], [])
        precision, recall, _ = metrics.precision_recall_curve(truth, probability)
        section["receiver_operating_characteristic_curve"] = {"false_positive_rates": [float(v) for v in fpr],
                                                              "true_positive_rates": [float(v) for v in tpr]}
        section["precision_recall_curve"] = {"precisions": [float(v) for v in precision],
                                             "recalls": [float(v) for v in recall]}
    if problem != "Regression":
        section = {"confusion_matrix": _confusion(truth, predicted), **section}
    return section


def statistics(problem: str, section: dict, count: int) -> dict:
    return {"version": 0.0, "dataset": {"item_count": count}, f"{SECTION[problem]}_metrics": section}


def suggest_constraints(problem: str, section: dict) -> dict:
    constraints = {}
    for operator, names in (("LessThanThreshold", LOWER_IS_WORSE[problem]),
                            ("GreaterThanThreshold", HIGHER_IS_WORSE[problem])):
        for name in names:
            if name in section:
                constraints[name] = {"threshold": section[name]["value"], "comparison_operator": operator}
    return {"version": 0.0, f"{SECTION[problem]}_constraints": constraints}


BREACHED = {"LessThanThreshold": lambda v, t: v < t, "LessThanOrEqualToThreshold": lambda v, t: v <= t,
            "GreaterThanThreshold": lambda v, t: v > t, "GreaterThanOrEqualToThreshold": lambda v, t: v >= t}


def check(problem: str, section: dict, constraints: dict) -> list[dict]:
    violations = []
    for name, constraint in (constraints.get(f"{SECTION[problem]}_constraints") or {}).items():
        operator = constraint.get("comparison_operator", "LessThanThreshold")
        if name in section and operator in BREACHED and \
                BREACHED[operator](section[name]["value"], float(constraint["threshold"])):
            violations.append({"constraint_check_type": operator, "metric_name": name, "description": (
                f"Metric {name} with {section[name]['value']} was {operator} {constraint['threshold']}")})
    return violations
