"""k-NN stand-in on scikit-learn's nearest-neighbour estimators (``k``, ``predictor_type`` classifier or
regressor, ``sample_size`` and ``feature_dim`` required), as in
https://docs.aws.amazon.com/sagemaker/latest/dg/kNN_hyperparameters.html; inference gives
``predicted_label``. Where numbers differ from AWS: exact neighbours here (AWS may use an approximate
faiss index), and ``dimension_reduction_type`` sign/random projections are not applied.
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from ..jobs import JobFailure
from . import first_party

OPTIONAL = {"dimension_reduction_target": None, "dimension_reduction_type": None, "faiss_index_ivf_nlists": "auto",
            "faiss_index_pq_m": None, "index_metric": "L2", "index_type": "faiss.Flat", "mini_batch_size": 5000}
METRIC_DEFINITIONS = first_party.metric_definitions("accuracy", "mse")


def train(run) -> None:
    values = first_party.hyperparameters(run.hyperparameters, ("k", "predictor_type", "sample_size", "feature_dim"),
                                         OPTIONAL)
    kind = values["predictor_type"]
    if kind not in ("classifier", "regressor"):
        raise JobFailure(f"ClientError: Hyperparameter predictor_type: value {kind} not in ['classifier', 'regressor']")
    features, labels = first_party.read(run, "train", supervised=True)
    first_party.check_feature_dim(values, features)
    sample = min(first_party.number(values, "sample_size", int, 1), len(features))
    chosen = np.random.RandomState(0).choice(len(features), sample, replace=False)
    metric = {"L2": "euclidean", "INNER_PRODUCT": "euclidean", "COSINE": "cosine"}.get(values["index_metric"], "euclidean")
    estimator = KNeighborsClassifier if kind == "classifier" else KNeighborsRegressor
    model = estimator(n_neighbors=first_party.number(values, "k", int, 1), metric=metric)
    model.fit(features[chosen], labels[chosen])
    first_party.save(run, model)
    test, truth = first_party.read(run, "test", supervised=True)
    if test is not None:
        predicted = model.predict(test)
        if kind == "classifier":
            first_party.report(run, "test", "accuracy", float(np.mean(predicted == truth)))
        else:
            first_party.report(run, "test", "mse", float(np.mean((predicted - truth) ** 2)))


def predict(model_dir, features) -> list[dict]:
    return [{"predicted_label": float(v)} for v in first_party.load(model_dir).predict(features)]
