"""Choosing hyperparameters for a tuning job: Random, Grid, Bayesian (a Gaussian process from scikit-learn
with expected improvement) and Hyperband's sampling, over ranges with their scaling types, as in
https://docs.aws.amazon.com/sagemaker/latest/dg/automatic-model-tuning-how-it-works.html and
https://docs.aws.amazon.com/sagemaker/latest/dg/automatic-model-tuning-define-ranges.html.

Every range maps to [0, 1]: ``Linear`` directly, ``Logarithmic`` through log(value), ``ReverseLogarithmic``
through log(1 - value); ``Auto`` is linear. A point in the unit cube is one set of hyperparameters.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Range:
    name: str
    kind: str  # Integer | Continuous | Categorical
    low: float = 0.0
    high: float = 0.0
    scaling: str = "Auto"
    values: tuple[str, ...] = ()

    def value(self, unit: float) -> str:
        unit = min(max(unit, 0.0), 1.0)
        if self.kind == "Categorical":
            return self.values[min(int(unit * len(self.values)), len(self.values) - 1)]
        if self.scaling == "Logarithmic":
            number = math.exp(math.log(self.low) + unit * (math.log(self.high) - math.log(self.low)))
        elif self.scaling == "ReverseLogarithmic":
            number = 1 - math.exp(math.log(1 - self.low) + unit * (math.log(1 - self.high) - math.log(1 - self.low)))
        else:
            number = self.low + unit * (self.high - self.low)
        if self.kind == "Integer":
            return str(int(min(max(round(number), self.low), self.high)))
        return repr(float(number))


def ranges(parameter_ranges: dict) -> list[Range]:
    found = []
    for item in parameter_ranges.get("IntegerParameterRanges") or []:
        found.append(Range(item["Name"], "Integer", float(item["MinValue"]), float(item["MaxValue"]),
                           item.get("ScalingType", "Auto")))
    for item in parameter_ranges.get("ContinuousParameterRanges") or []:
        found.append(Range(item["Name"], "Continuous", float(item["MinValue"]), float(item["MaxValue"]),
                           item.get("ScalingType", "Auto")))
    for item in parameter_ranges.get("CategoricalParameterRanges") or []:
        found.append(Range(item["Name"], "Categorical", values=tuple(item["Values"])))
    return found


def grid(space: list[Range]) -> list[np.ndarray]:
    """Every combination of the categorical values, each as a point of the unit cube."""
    axes = [[(i + 0.5) / len(r.values) for i in range(len(r.values))] for r in space]
    return [np.array(point) for point in itertools.product(*axes)]


def expected_improvement_pick(space: list[Range], seen: list[tuple[np.ndarray, float]], maximize: bool,
                              rng: np.random.RandomState, candidates: int = 512) -> np.ndarray:
    """Bayesian optimisation step: fit a Gaussian process to what was seen, return the candidate point with
    the largest expected improvement over the best so far."""
    from scipy.stats import norm
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    points = np.array([p for p, _ in seen])
    scores = np.array([s if maximize else -s for _, s in seen])
    mean, spread = scores.mean(), scores.std() or 1.0
    kernel = ConstantKernel() * Matern(nu=2.5, length_scale=np.full(len(space), 0.3)) + WhiteKernel(1e-3)
    model = GaussianProcessRegressor(kernel=kernel, normalize_y=False, random_state=rng.randint(2**31 - 1))
    model.fit(points, (scores - mean) / spread)
    pool = rng.rand(candidates, len(space))
    mu, sigma = model.predict(pool, return_std=True)
    best = ((scores - mean) / spread).max()
    sigma = np.maximum(sigma, 1e-9)
    z = (mu - best) / sigma
    improvement = (mu - best) * norm.cdf(z) + sigma * norm.pdf(z)
    return pool[int(np.argmax(improvement))]
