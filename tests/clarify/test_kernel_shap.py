"""Kernel SHAP: additivity, agreement with the closed form for a linear model and with brute-force Shapley values."""

from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd
import pytest

from mla.clarify.shap import clustered_baseline, expected_value, kernel_shap

rng = np.random.default_rng(7)
X = rng.normal(size=(12, 4))
BASELINE = rng.normal(size=(5, 4))


def nonlinear(rows):
    rows = np.asarray(rows, float)
    return np.tanh(rows[:, 0] * rows[:, 1]) + rows[:, 2] ** 2 - rows[:, 3] * rows[:, 0]


def brute_force_shapley(f, x, baseline):
    """phi_i = sum over S without i of |S|! (M - |S| - 1)! / M! [v(S + i) - v(S)], v(S) = mean_b f(x_S, b_rest)."""
    m = len(x)

    def value(subset):
        rows = baseline.copy()
        rows[:, list(subset)] = x[list(subset)]
        return f(rows).mean()

    phi = np.zeros(m)
    for i in range(m):
        others = [j for j in range(m) if j != i]
        for size in range(m):
            for subset in combinations(others, size):
                weight = factorial(size) * factorial(m - size - 1) / factorial(m)
                phi[i] += weight * (value(subset + (i,)) - value(subset))
    return phi


def test_linear_model_attributions_are_coefficient_times_distance_from_the_baseline_mean():
    coef = np.array([2.0, -1.0, 0.5, 0.0])
    phi = kernel_shap(lambda rows: rows @ coef + 3.0, X, BASELINE)
    np.testing.assert_allclose(phi, coef * (X - BASELINE.mean(axis=0)), atol=1e-10)


def test_exact_enumeration_equals_shapley_values_of_a_nonlinear_model():
    phi = kernel_shap(nonlinear, X[:3], BASELINE)
    for row, attributions in zip(X[:3], phi, strict=True):
        np.testing.assert_allclose(attributions, brute_force_shapley(nonlinear, row, BASELINE), atol=1e-10)


def test_values_sum_to_prediction_minus_baseline_prediction_also_when_sampled():
    wide = rng.normal(size=(6, 15))  # above the exact-enumeration limit: coalitions are sampled
    wide_baseline = rng.normal(size=(3, 15))

    def model(rows):
        return np.sin(rows).sum(axis=1) + rows[:, 0] * rows[:, 1]

    phi = kernel_shap(model, wide, wide_baseline, num_samples=300, seed=3)
    np.testing.assert_allclose(phi.sum(axis=1), model(wide) - model(wide_baseline).mean(), atol=1e-9)
    np.testing.assert_array_equal(phi, kernel_shap(model, wide, wide_baseline, num_samples=300, seed=3))
    assert expected_value(model, wide_baseline) == pytest.approx(model(wide_baseline).mean())


def test_sampling_approaches_the_exact_values():
    exact = kernel_shap(nonlinear, X, BASELINE)
    sampled = kernel_shap(nonlinear, X, BASELINE, num_samples=12, seed=0)
    np.testing.assert_allclose(sampled.sum(axis=1), exact.sum(axis=1), atol=1e-10)
    assert np.abs(sampled - exact).mean() < 0.5 * np.abs(exact).mean()


def test_computed_baseline_clusters_numeric_columns_and_takes_the_mode_of_categorical_ones():
    frame = pd.DataFrame({"x": np.r_[rng.normal(0, 0.1, 30), rng.normal(10, 0.1, 30)],
                          "colour": ["red"] * 25 + ["blue"] * 5 + ["blue"] * 28 + ["red"] * 2})
    baseline = clustered_baseline(frame, num_clusters=2, seed=0).sort_values("x")
    np.testing.assert_allclose(baseline["x"], [frame.x[:30].mean(), frame.x[30:].mean()])
    assert list(baseline["colour"]) == ["red", "blue"]


def test_mismatched_baseline_is_rejected():
    with pytest.raises(ValueError, match="one column per feature"):
        kernel_shap(nonlinear, X, BASELINE[:, :3])
