"""SageMaker Clarify bias metrics, each computed from its documented definition.

Pre-training (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-measure-data-bias.html): CI, DPL, KL, JS, LP,
TVD, KS, CDDL. Post-training (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-measure-post-training-bias.html):
DPPL, DI, DCA (the docs' DCAcc), DCR, SD, RD, DAR, DRR, AD, TE, FT, CDDPL, GE. Keys are the codes Clarify's analysis
configuration and ``analysis.json`` use.

Facet and label configuration as Clarify takes it (BiasConfig /
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html):

* ``label_values_or_threshold``: the positive label values, or one threshold that is the *exclusive* lower bound of
  positive labels. The label is collapsed to positive / not positive, as Clarify does.
* ``facet_values_or_threshold``: the values of the sensitive facet *d*, or one threshold that is the exclusive lower
  bound of facet *d*; every other row is facet *a*. ``None`` with a categorical facet means one analysis per value
  (that value versus the rest), which :func:`bias_report` produces; :func:`pretraining` / :func:`posttraining` need
  a single split.
* ``group_variable``: the column whose strata condition CDDL and CDDPL.

A single numeric value on a numeric column is a threshold when the column has more than
``CATEGORY_LIMIT`` distinct values or does not contain the value; otherwise it is a category (Clarify decides this
with its own heuristic on the column's values).

Undefined ratios follow the convention of AWS's open-source implementation (``smclarify``): 0/0 is 0 and x/0 is
±infinity.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

CATEGORY_LIMIT = 10
FT_NEIGHBORS = 5
GE_ALPHA = 2.0
DOCS = "https://docs.aws.amazon.com/sagemaker/latest/dg/"

PRETRAINING = ("CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL")
POSTTRAINING = ("DPPL", "DI", "DCA", "DCR", "SD", "RD", "DAR", "DRR", "AD", "TE", "FT", "CDDPL", "GE")
ALIASES = {"DCAcc": "DCA"}
DESCRIPTIONS = {
    "CI": "Class Imbalance (CI)",
    "DPL": "Difference in Positive Proportions in Labels (DPL)",
    "KL": "Kullback-Leibler Divergence (KL)",
    "JS": "Jensen-Shannon Divergence (JS)",
    "LP": "L-p Norm (LP)",
    "TVD": "Total Variation Distance (TVD)",
    "KS": "Kolmogorov-Smirnov Distance (KS)",
    "CDDL": "Conditional Demographic Disparity in Labels (CDDL)",
    "DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "DI": "Disparate Impact (DI)",
    "DCA": "Difference in Conditional Acceptance (DCA)",
    "DCR": "Difference in Conditional Rejection (DCR)",
    "SD": "Specificity Difference (SD)",
    "RD": "Recall Difference (RD)",
    "DAR": "Difference in Acceptance Rates (DAR)",
    "DRR": "Difference in Rejection Rates (DRR)",
    "AD": "Accuracy Difference (AD)",
    "TE": "Treatment Equality (TE)",
    "FT": "Flip Test (FT)",
    "CDDPL": "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
    "GE": "Generalized Entropy (GE)",
}


class BiasMetricError(ValueError):
    """A metric that cannot be computed on this data (empty facet, no group variable, non-numeric features...)."""


def divide(numerator: float, denominator: float) -> float:
    if denominator == 0:
        return 0.0 if numerator == 0 else math.copysign(math.inf, numerator)
    return numerator / denominator


# ---------------------------------------------------------------- facet and label configuration

def as_list(values) -> list | None:
    if values is None:
        return None
    return list(values) if isinstance(values, (list, tuple, np.ndarray, pd.Series)) else [values]


def is_threshold(column: pd.Series, values: list) -> bool:
    if len(values) != 1 or isinstance(values[0], (bool, np.bool_)) or not isinstance(values[0], (int, float, np.number)):
        return False
    if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
        return False
    return column.nunique() > CATEGORY_LIMIT or not (column == values[0]).any()


def _matches(column: pd.Series, values: list) -> pd.Series:
    found = column.isin(values)
    if not found.any():  # e.g. label_values_or_threshold [1] against a column read as strings "1"
        found = column.astype(str).isin([str(v) for v in values])
    return found


def selected(column: pd.Series, values_or_threshold) -> tuple[np.ndarray, str]:
    """Rows in the configured group (positive label, or facet d) and the group's text as ``analysis.json`` shows it."""
    values = as_list(values_or_threshold)
    if not values:
        raise ValueError(f"Column {column.name!r}: no values or threshold given")
    if is_threshold(column, values):
        interval = pd.Interval(values[0], column.max(), closed="right")  # shown as Clarify shows it: (40, 99]
        return (column > values[0]).to_numpy(), str(interval)
    return _matches(column, values).to_numpy(), ",".join(map(str, values))


def facet_splits(column: pd.Series, values_or_threshold) -> list[tuple[np.ndarray, str]]:
    """Clarify's facet analyses: the configured facet d, or each value of a categorical facet versus the rest."""
    if as_list(values_or_threshold):
        return [selected(column, values_or_threshold)]
    if pd.api.types.is_float_dtype(column) and column.nunique() > CATEGORY_LIMIT:
        raise ValueError(f"Facet {column.name!r} is continuous: facet_values_or_threshold must give a threshold")
    return [selected(column, [value]) for value in sorted(column.dropna().unique(), key=str)]


# ---------------------------------------------------------------- the data a metric sees

@dataclass
class Split:
    """Boolean masks over the rows: facet d, positive label, positive predicted label; plus what FT and CDD need."""

    d: np.ndarray
    y: np.ndarray
    yhat: np.ndarray | None = None
    groups: np.ndarray | None = None
    features: np.ndarray | None = None

    @property
    def a(self) -> np.ndarray:
        return ~self.d

    def count(self, *masks: np.ndarray) -> int:
        return int(np.logical_and.reduce(masks).sum())

    def predicted(self) -> np.ndarray:
        if self.yhat is None:
            raise BiasMetricError("Post-training metrics need predicted labels")
        return self.yhat


def _facet_sizes(s: Split) -> tuple[int, int]:
    na, nd = s.count(s.a), s.count(s.d)
    if na == 0:
        raise BiasMetricError("The facet a (rows outside the sensitive facet) is empty")
    if nd == 0:
        raise BiasMetricError("The sensitive facet d is empty")
    return na, nd


def _outcome_distributions(s: Split) -> tuple[np.ndarray, np.ndarray]:
    """Pa(y) and Pd(y) over the collapsed outcomes (not positive, positive)."""
    na, nd = _facet_sizes(s)
    pa = np.array([s.count(s.a, ~s.y), s.count(s.a, s.y)]) / na
    pd_ = np.array([s.count(s.d, ~s.y), s.count(s.d, s.y)]) / nd
    return pa, pd_


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    terms = [pi * math.log(pi / qi) if qi > 0 else math.inf for pi, qi in zip(p, q, strict=True) if pi > 0]
    return float(sum(terms))


# ---------------------------------------------------------------- pre-training metrics

def class_imbalance(s: Split) -> float:
    """CI = (na - nd) / (na + nd). https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-bias-metric-class-imbalance.html"""
    na, nd = _facet_sizes(s)
    return (na - nd) / (na + nd)


def _positive_proportion_difference(s: Split, positive: np.ndarray) -> float:
    na, nd = _facet_sizes(s)
    return s.count(s.a, positive) / na - s.count(s.d, positive) / nd


def difference_in_proportions_of_labels(s: Split) -> float:
    """DPL = qa - qd, q = n(1) / n per facet.
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-data-bias-metric-true-label-imbalance.html"""
    return _positive_proportion_difference(s, s.y)


def kl_divergence(s: Split) -> float:
    """KL(Pa || Pd) = sum_y Pa(y) log(Pa(y) / Pd(y)); infinite when Pd(y) = 0 < Pa(y).
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-data-bias-metric-kl-divergence.html"""
    return _kl(*_outcome_distributions(s))


def js_divergence(s: Split) -> float:
    """JS = 1/2 [KL(Pa || P) + KL(Pd || P)], P = (Pa + Pd) / 2.
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-data-bias-metric-jensen-shannon-divergence.html"""
    pa, pd_ = _outcome_distributions(s)
    mean = (pa + pd_) / 2
    return 0.5 * (_kl(pa, mean) + _kl(pd_, mean))


def lp_norm(s: Split) -> float:
    """LP = (sum_y |Pa(y) - Pd(y)|^2)^(1/2), the p = 2 norm Clarify reports.
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-data-bias-metric-lp-norm.html"""
    pa, pd_ = _outcome_distributions(s)
    return float(np.linalg.norm(pa - pd_, 2))


def total_variation_distance(s: Split) -> float:
    """TVD = 1/2 sum_y |Pa(y) - Pd(y)|.
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-data-bias-metric-total-variation-distance.html"""
    pa, pd_ = _outcome_distributions(s)
    return float(0.5 * np.abs(pa - pd_).sum())


def kolmogorov_smirnov(s: Split) -> float:
    """KS = max_y |Pa(y) - Pd(y)|.
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-data-bias-metric-kolmogorov-smirnov.html"""
    pa, pd_ = _outcome_distributions(s)
    return float(np.abs(pa - pd_).max())


def _conditional_demographic_disparity(s: Split, accepted: np.ndarray) -> float:
    """CDD = (1/n) sum_i n_i DD_i, DD_i = nd(0)/n(0) - nd(1)/n(1) within stratum i (0 when a count is empty)."""
    if s.groups is None:
        raise BiasMetricError("Conditional demographic disparity needs a group_variable")
    _facet_sizes(s)
    total = 0.0
    for stratum in pd.unique(s.groups):
        inside = s.groups == stratum
        rejected_share = divide(s.count(inside, s.d, ~accepted), s.count(inside, ~accepted))
        accepted_share = divide(s.count(inside, s.d, accepted), s.count(inside, accepted))
        total += inside.sum() * (rejected_share - accepted_share)
    return total / len(s.d)


def conditional_demographic_disparity_in_labels(s: Split) -> float:
    """CDDL: demographic disparity of the observed labels, averaged over the group_variable strata.
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-data-bias-metric-cddl.html"""
    return _conditional_demographic_disparity(s, s.y)


# ---------------------------------------------------------------- post-training metrics

def difference_in_positive_proportions_in_predicted_labels(s: Split) -> float:
    """DPPL = q'a - q'd, q' = n'(1) / n per facet.
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-post-training-bias-metric-dppl.html"""
    return _positive_proportion_difference(s, s.predicted())


def disparate_impact(s: Split) -> float:
    """DI = q'd / q'a. https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-post-training-bias-metric-di.html"""
    na, nd = _facet_sizes(s)
    yhat = s.predicted()
    return divide(s.count(s.d, yhat) / nd, s.count(s.a, yhat) / na)


def difference_in_conditional_acceptance(s: Split) -> float:
    """DCAcc = ca - cd, c = n(1) / n'(1): observed over predicted positives per facet.
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-post-training-bias-metric-dca.html"""
    _facet_sizes(s)
    yhat = s.predicted()
    return _difference(divide(s.count(s.a, s.y), s.count(s.a, yhat)), divide(s.count(s.d, s.y), s.count(s.d, yhat)))


def difference_in_conditional_rejection(s: Split) -> float:
    """DCR = rd - ra, r = n(0) / n'(0): observed over predicted negatives per facet.
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-post-training-bias-metric-dcr.html"""
    _facet_sizes(s)
    yhat = s.predicted()
    return _difference(divide(s.count(s.d, ~s.y), s.count(s.d, ~yhat)),
                       divide(s.count(s.a, ~s.y), s.count(s.a, ~yhat)))


def specificity_difference(s: Split) -> float:
    """SD = TNd / (TNd + FPd) - TNa / (TNa + FPa).
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-post-training-bias-metric-sd.html"""
    _facet_sizes(s)
    yhat = s.predicted()
    return _difference(divide(s.count(s.d, ~s.y, ~yhat), s.count(s.d, ~s.y)),
                       divide(s.count(s.a, ~s.y, ~yhat), s.count(s.a, ~s.y)))


def recall_difference(s: Split) -> float:
    """RD = TPa / (TPa + FNa) - TPd / (TPd + FNd).
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-post-training-bias-metric-rd.html"""
    _facet_sizes(s)
    yhat = s.predicted()
    return _difference(divide(s.count(s.a, s.y, yhat), s.count(s.a, s.y)),
                       divide(s.count(s.d, s.y, yhat), s.count(s.d, s.y)))


def difference_in_acceptance_rates(s: Split) -> float:
    """DAR = TPa / n'a(1) - TPd / n'd(1) (precision of each facet).
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-post-training-bias-metric-dar.html"""
    _facet_sizes(s)
    yhat = s.predicted()
    return _difference(divide(s.count(s.a, s.y, yhat), s.count(s.a, yhat)),
                       divide(s.count(s.d, s.y, yhat), s.count(s.d, yhat)))


def difference_in_rejection_rates(s: Split) -> float:
    """DRR = TNd / n'd(0) - TNa / n'a(0).
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-post-training-bias-metric-drr.html"""
    _facet_sizes(s)
    yhat = s.predicted()
    return _difference(divide(s.count(s.d, ~s.y, ~yhat), s.count(s.d, ~yhat)),
                       divide(s.count(s.a, ~s.y, ~yhat), s.count(s.a, ~yhat)))


def accuracy_difference(s: Split) -> float:
    """AD = ACCa - ACCd, ACC = (TP + TN) / n per facet.
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-post-training-bias-metric-ad.html"""
    na, nd = _facet_sizes(s)
    right = s.y == s.predicted()
    return s.count(s.a, right) / na - s.count(s.d, right) / nd


def treatment_equality(s: Split) -> float:
    """TE = FNd / FPd - FNa / FPa. https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-post-training-bias-metric-te.html"""
    _facet_sizes(s)
    yhat = s.predicted()
    return _difference(divide(s.count(s.d, s.y, ~yhat), s.count(s.d, ~s.y, yhat)),
                       divide(s.count(s.a, s.y, ~yhat), s.count(s.a, ~s.y, yhat)))


def flip_test(s: Split) -> float:
    """FT = (F+ - F-) / nd: F+ counts members of d the model turns down whose k nearest neighbours in facet a the model
    accepts (by majority), F- the reverse. k = 5, or the size of facet a when smaller.
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-post-training-bias-metric-ft.html"""
    from sklearn.neighbors import KNeighborsClassifier

    na, nd = _facet_sizes(s)
    yhat = s.predicted()
    if s.features is None or s.features.shape[1] == 0:
        raise BiasMetricError("The flip test needs numeric feature columns besides the facet and the labels")
    if len(np.unique(yhat[s.a])) == 1:
        neighbours_accept = np.full(nd, bool(yhat[s.a][0]))
    else:
        knn = KNeighborsClassifier(n_neighbors=min(FT_NEIGHBORS, na)).fit(s.features[s.a], yhat[s.a])
        neighbours_accept = knn.predict(s.features[s.d]).astype(bool)
    model_accepts = yhat[s.d]
    flipped_up = int((~model_accepts & neighbours_accept).sum())
    flipped_down = int((model_accepts & ~neighbours_accept).sum())
    return (flipped_up - flipped_down) / nd


def conditional_demographic_disparity_in_predicted_labels(s: Split) -> float:
    """CDDPL: CDDL computed on the predicted labels.
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-post-training-bias-metric-cddpl.html"""
    return _conditional_demographic_disparity(s, s.predicted())


def generalized_entropy(s: Split) -> float:
    """GE(2) = 1 / (n a (a - 1)) sum_i ((b_i / mean b)^a - 1), benefit b_i = y'_i - y_i + 1, a = 2.
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-post-training-bias-metric-ge.html"""
    benefit = s.predicted().astype(float) - s.y.astype(float) + 1
    mean = benefit.mean()
    if mean == 0:
        raise BiasMetricError("Generalized entropy is undefined when every prediction is a false negative")
    return float(((benefit / mean) ** GE_ALPHA - 1).sum() / (len(benefit) * GE_ALPHA * (GE_ALPHA - 1)))


def _difference(first: float, second: float) -> float:
    return 0.0 if first == second else first - second  # inf - inf is 0 here, not NaN


METRICS: dict[str, Callable[[Split], float]] = {
    "CI": class_imbalance, "DPL": difference_in_proportions_of_labels, "KL": kl_divergence, "JS": js_divergence,
    "LP": lp_norm, "TVD": total_variation_distance, "KS": kolmogorov_smirnov,
    "CDDL": conditional_demographic_disparity_in_labels,
    "DPPL": difference_in_positive_proportions_in_predicted_labels, "DI": disparate_impact,
    "DCA": difference_in_conditional_acceptance, "DCR": difference_in_conditional_rejection,
    "SD": specificity_difference, "RD": recall_difference, "DAR": difference_in_acceptance_rates,
    "DRR": difference_in_rejection_rates, "AD": accuracy_difference, "TE": treatment_equality, "FT": flip_test,
    "CDDPL": conditional_demographic_disparity_in_predicted_labels, "GE": generalized_entropy,
}


# ---------------------------------------------------------------- public entry points

def resolve_methods(methods, stage: tuple[str, ...]) -> list[str]:
    if methods in (None, "all"):
        return list(stage)
    names = [ALIASES.get(m, m) for m in as_list(methods)]
    unknown = [m for m in names if m not in stage]
    if unknown:
        raise ValueError(f"Unknown bias metric(s) {unknown}; choose from {list(stage)} or 'all'")
    return names


def _column(df: pd.DataFrame, name, role: str) -> pd.Series:
    if name not in df.columns:
        raise ValueError(f"The {role} column {name!r} is not in the dataset (columns: {list(df.columns)})")
    return df[name]


def _splits(df, label, facet, label_values_or_threshold, facet_values_or_threshold, group_variable,
            predicted_label=None) -> tuple[str, list[tuple[Split, str]]]:
    label_column = _column(df, label, "label")
    y, label_text = selected(label_column, label_values_or_threshold)
    yhat = None
    if predicted_label is not None:
        yhat, _ = selected(_column(df, predicted_label, "predicted label"), label_values_or_threshold)
    groups = _column(df, group_variable, "group variable").to_numpy() if group_variable is not None else None
    used = {label, facet, predicted_label, group_variable}
    features = df[[c for c in df.columns if c not in used]].select_dtypes(include=[np.number, bool]).to_numpy(float)
    splits = [(Split(d=d, y=y, yhat=yhat, groups=groups, features=features), text)
              for d, text in facet_splits(_column(df, facet, "facet"), facet_values_or_threshold)]
    return label_text, splits


def _compute(split: Split, names: list[str], explicit: bool) -> dict[str, float]:
    values = {}
    for name in names:
        try:
            values[name] = float(METRICS[name](split))
        except BiasMetricError:
            if explicit:
                raise
    return values


def _single(splits: list[tuple[Split, str]], facet) -> Split:
    if len(splits) != 1:
        raise ValueError(f"Facet {facet!r} has several values: give facet_values_or_threshold, or use bias_report "
                         "for one analysis per value")
    return splits[0][0]


def pretraining(df: pd.DataFrame, label, facet, label_values_or_threshold, facet_values_or_threshold=None,
                group_variable=None, methods="all") -> dict[str, float]:
    """Pre-training bias metrics of facet d versus facet a. With ``methods="all"`` a metric this data cannot support
    (CDDL without a group variable) is left out; a metric asked for by name raises :class:`BiasMetricError`."""
    names = resolve_methods(methods, PRETRAINING)
    _, splits = _splits(df, label, facet, label_values_or_threshold, facet_values_or_threshold, group_variable)
    return _compute(_single(splits, facet), names, explicit=methods not in (None, "all"))


def posttraining(df: pd.DataFrame, label, predicted_label, facet, label_values_or_threshold,
                 facet_values_or_threshold=None, group_variable=None, methods="all") -> dict[str, float]:
    """Post-training bias metrics; ``predicted_label`` is collapsed with the same ``label_values_or_threshold``."""
    names = resolve_methods(methods, POSTTRAINING)
    _, splits = _splits(df, label, facet, label_values_or_threshold, facet_values_or_threshold, group_variable,
                        predicted_label)
    return _compute(_single(splits, facet), names, explicit=methods not in (None, "all"))


def _json_number(value: float):
    return value if math.isfinite(value) else ("Infinity" if value > 0 else "-Infinity")


def bias_report(df: pd.DataFrame, label, facet, label_values_or_threshold, facet_values_or_threshold=None,
                group_variable=None, methods="all", predicted_label=None) -> dict:
    """One ``pre_training_bias_metrics`` (or, with ``predicted_label``, ``post_training_bias_metrics``) section of
    Clarify's ``analysis.json``, for one facet column: every metric asked for, with an ``error`` where it fails.
    https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-analysis-results.html"""
    names = resolve_methods(methods, POSTTRAINING if predicted_label is not None else PRETRAINING)
    label_text, splits = _splits(df, label, facet, label_values_or_threshold, facet_values_or_threshold,
                                 group_variable, predicted_label)
    analyses = []
    for split, facet_text in splits:
        metrics = []
        for name in names:
            entry = {"name": name, "description": DESCRIPTIONS[name]}
            try:
                entry["value"] = _json_number(float(METRICS[name](split)))
            except BiasMetricError as error:
                entry["error"] = str(error)
            metrics.append(entry)
        analyses.append({"value_or_threshold": facet_text, "metrics": metrics})
    return {"label": str(label), "label_value_or_threshold": label_text, "facets": {str(facet): analyses}}
