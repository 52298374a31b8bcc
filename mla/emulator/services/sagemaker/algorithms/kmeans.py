"""K-Means stand-in on scikit-learn's ``KMeans`` (``k`` and ``feature_dim`` required, as in
https://docs.aws.amazon.com/sagemaker/latest/dg/k-means-api-config.html); inference gives
``closest_cluster`` and ``distance_to_cluster``. Where numbers differ from AWS: AWS runs a web-scale
mini-batch variant with ``local_lloyd_max_iter`` refinement; here Lloyd's algorithm with k-means++ seeding.
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans

from . import first_party

OPTIONAL = {"mini_batch_size": 5000, "epochs": 1, "init_method": "random", "extra_center_factor": "auto",
            "local_lloyd_max_iter": 300, "local_lloyd_tol": 0.0001, "local_lloyd_init_method": "kmeans++",
            "local_lloyd_num_trials": "auto", "half_life_time_size": 0, "eval_metrics": '["msd"]'}
METRIC_DEFINITIONS = first_party.metric_definitions("msd", "ssd")


def train(run) -> None:
    values = first_party.hyperparameters(run.hyperparameters, ("k", "feature_dim"), OPTIONAL)
    features, _ = first_party.read(run, "train", supervised=False)
    first_party.check_feature_dim(values, features)
    tol = float(values["local_lloyd_tol"])
    model = KMeans(n_clusters=first_party.number(values, "k", int, 2), random_state=0, n_init=10, tol=tol,
                   max_iter=int(values["local_lloyd_max_iter"])).fit(features)
    first_party.save(run, model)
    test, _ = first_party.read(run, "test", supervised=False)
    if test is not None:
        distances = model.transform(test).min(axis=1)
        first_party.report(run, "test", "msd", float(np.mean(distances ** 2)))
        first_party.report(run, "test", "ssd", float(np.sum(distances ** 2)))


def predict(model_dir, features) -> list[dict]:
    model = first_party.load(model_dir)
    distances = model.transform(features)
    return [{"closest_cluster": float(row.argmin()), "distance_to_cluster": float(row.min())} for row in distances]
