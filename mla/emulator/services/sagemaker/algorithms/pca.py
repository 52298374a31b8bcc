"""PCA stand-in on scikit-learn's ``PCA`` (``feature_dim``, ``mini_batch_size`` and ``num_components``
required; ``algorithm_mode`` regular or randomized; ``subtract_mean``), as in
https://docs.aws.amazon.com/sagemaker/latest/dg/PCA-reference.html; inference gives ``projection``.
Where numbers differ from AWS: component signs may be flipped, and ``subtract_mean=False`` is approximated
by centring anyway (scikit-learn always centres).
"""

from __future__ import annotations

from sklearn.decomposition import PCA

from . import first_party

OPTIONAL = {"algorithm_mode": "regular", "subtract_mean": True, "extra_components": -1}
METRIC_DEFINITIONS: list[dict] = []


def train(run) -> None:
    values = first_party.hyperparameters(run.hyperparameters, ("feature_dim", "mini_batch_size", "num_components"),
                                         OPTIONAL)
    features, _ = first_party.read(run, "train", supervised=False)
    first_party.check_feature_dim(values, features)
    solver = "randomized" if values["algorithm_mode"] == "randomized" else "full"
    model = PCA(n_components=first_party.number(values, "num_components", int, 1), svd_solver=solver,
                random_state=0).fit(features)
    run.log.write(f"explained variance ratio: {[round(float(v), 6) for v in model.explained_variance_ratio_]}")
    first_party.save(run, model)


def predict(model_dir, features) -> list[dict]:
    return [{"projection": [float(v) for v in row]} for row in first_party.load(model_dir).transform(features)]
