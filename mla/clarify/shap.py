"""Kernel SHAP (Lundberg & Lee 2017) as SageMaker Clarify computes feature attributions.

https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-shapley-values.html: the value of a coalition S of features
is the model's mean prediction over the baseline rows with the features outside S taken from the baseline row and
those inside S from the explained row. Kernel SHAP fits a linear model to coalition values with the Shapley kernel
weights ``(M - 1) / (C(M, |S|) |S| (M - |S|))``, constrained so that the attributions add up to
``f(x) - E[f(baseline)]``. With up to ``EXACT_LIMIT`` features every coalition is enumerated (the attributions are the
exact Shapley values); above that, or when fewer ``num_samples`` are asked for, coalitions are sampled from the
kernel with a seeded generator.

Baseline (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-feature-attribute-shap-baselines.html): the rows
given in the analysis configuration, or, without one, a baseline Clarify computes from the dataset by clustering
(K-means for numeric data, K-prototypes when there are categorical columns); :func:`clustered_baseline` does that
with K-means on the numeric columns and each cluster's most frequent value for the categorical ones.

The ``shap`` package was considered: with numba and llvmlite it adds about 213 MB, so Kernel SHAP is written here.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from math import comb

import numpy as np
import pandas as pd

EXACT_LIMIT = 12
DEFAULT_CLUSTERS = 10
ROWS_PER_CALL = 200_000  # synthetic rows handed to ``predict`` at once


def coalitions(features: int, num_samples: int | None, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Coalition masks (without the empty and full coalitions, whose values are pinned) and their regression weights."""
    every = 2 ** features - 2
    if features <= EXACT_LIMIT and (num_samples is None or num_samples >= every):
        masks = np.array([[j in chosen for j in range(features)]
                          for size in range(1, features) for chosen in combinations(range(features), size)], bool)
        sizes = masks.sum(axis=1)
        weights = (features - 1) / (np.array([comb(features, s) for s in sizes]) * sizes * (features - sizes))
        return masks, weights
    count = num_samples or 2 * features + 2048
    sizes = np.arange(1, features)
    size_probability = (features - 1) / (sizes * (features - sizes))
    drawn = rng.choice(sizes, size=count, p=size_probability / size_probability.sum())
    masks = np.zeros((count, features), bool)
    for row, size in enumerate(drawn):
        masks[row, rng.choice(features, size=size, replace=False)] = True
    return masks, np.ones(count)  # sampled from the kernel: equal weights


def _solve(masks: np.ndarray, weights: np.ndarray, values: np.ndarray, total: float) -> np.ndarray:
    """Weighted least squares for phi with sum(phi) = total, the last feature's phi eliminated by that constraint."""
    features = masks.shape[1]
    if features == 1:
        return np.array([total])
    z = masks.astype(float)
    design = z[:, :-1] - z[:, -1:]
    target = values - z[:, -1] * total
    root = np.sqrt(weights)[:, None]
    head, *_ = np.linalg.lstsq(design * root, target * root[:, 0], rcond=None)
    return np.append(head, total - head.sum())


def kernel_shap(predict: Callable[[np.ndarray], np.ndarray], X, baseline, num_samples: int | None = None,
                seed: int = 0) -> np.ndarray:
    """SHAP values (rows x features) of ``predict`` (rows -> one score per row) at each row of ``X`` against the
    ``baseline`` rows. For each row the values add up to ``predict(row) - mean(predict(baseline))``."""
    X = np.asarray(X)
    baseline = np.atleast_2d(np.asarray(baseline))
    if X.ndim != 2 or baseline.shape[1] != X.shape[1]:
        raise ValueError(f"X is {X.shape} and the baseline {baseline.shape}: both need one column per feature")
    rng = np.random.default_rng(seed)
    masks, weights = coalitions(X.shape[1], num_samples, rng)
    expected = float(np.mean(_scores(predict, baseline)))
    explained = _scores(predict, X)
    per_row = len(masks) * len(baseline)
    chunk = max(1, ROWS_PER_CALL // per_row)
    result = np.empty(X.shape, float)
    for start in range(0, len(X), chunk):
        rows = X[start:start + chunk]
        # synthetic[row, coalition, baseline row] = the explained row where the coalition holds, the baseline elsewhere
        synthetic = np.where(masks[None, :, None, :], rows[:, None, None, :], baseline[None, None, :, :])
        values = _scores(predict, synthetic.reshape(-1, X.shape[1])).reshape(len(rows), len(masks), len(baseline))
        for offset, coalition_values in enumerate(values.mean(axis=2)):
            index = start + offset
            result[index] = _solve(masks, weights, coalition_values - expected, explained[index] - expected)
    return result


def expected_value(predict: Callable[[np.ndarray], np.ndarray], baseline) -> float:
    return float(np.mean(_scores(predict, np.atleast_2d(np.asarray(baseline)))))


def _scores(predict, rows: np.ndarray) -> np.ndarray:
    scores = np.asarray(predict(rows), float).reshape(len(rows), -1)
    if scores.shape[1] != 1:
        raise ValueError(f"predict must return one score per row, got {scores.shape[1]} per row")
    return scores[:, 0]


def clustered_baseline(features: pd.DataFrame, num_clusters: int | None = None, seed: int = 0) -> pd.DataFrame:
    """Clarify's computed baseline: K-means centres of the numeric columns, with each cluster's most frequent value
    for the categorical columns (all rows form one cluster when no column is numeric)."""
    from sklearn.cluster import KMeans

    numeric = features.select_dtypes(include=[np.number]).columns
    clusters = min(num_clusters or DEFAULT_CLUSTERS, len(features.drop_duplicates()))
    if len(numeric) and clusters > 1:
        kmeans = KMeans(n_clusters=clusters, random_state=seed, n_init=10).fit(features[numeric].to_numpy(float))
        assignment, centres = kmeans.labels_, kmeans.cluster_centers_
    else:
        assignment = np.zeros(len(features), int)
        centres = features[numeric].to_numpy(float).mean(axis=0, keepdims=True)
    rows = []
    for cluster, centre in enumerate(centres):
        members = features[assignment == cluster]
        row = {c: members[c].mode().iloc[0] for c in features.columns if c not in numeric}
        row.update(zip(numeric, centre, strict=True))
        rows.append(row)
    return pd.DataFrame(rows, columns=features.columns)
