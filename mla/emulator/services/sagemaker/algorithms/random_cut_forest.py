"""Random Cut Forest stand-in: anomaly scores from scikit-learn's ``IsolationForest``, a close relative
(random axis-aligned cuts; RCF picks the cut dimension in proportion to its range). Hyperparameters as in
https://docs.aws.amazon.com/sagemaker/latest/dg/rcf_hyperparameters.html (``feature_dim`` required,
``num_trees``, ``num_samples_per_tree``); inference gives ``score``, higher meaning more anomalous.
Where numbers differ from AWS: the score scale. Here it is the isolation-forest anomaly score (around 0.5
for ordinary points, towards 1 for anomalies) times ``log2(num_samples_per_tree)``, not RCF's
collusive-displacement score, so compare points with each other (e.g. mean + 3 sigma), not with AWS numbers.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import IsolationForest

from . import first_party

OPTIONAL = {"num_samples_per_tree": 256, "num_trees": 100, "eval_metrics": None}
METRIC_DEFINITIONS = first_party.metric_definitions("f1", "precision", "recall")


def train(run) -> None:
    values = first_party.hyperparameters(run.hyperparameters, ("feature_dim",), OPTIONAL)
    features, _ = first_party.read(run, "train", supervised=False)
    first_party.check_feature_dim(values, features)
    samples = first_party.number(values, "num_samples_per_tree", int, 1)
    model = IsolationForest(n_estimators=first_party.number(values, "num_trees", int, 50),
                            max_samples=min(samples, len(features)), random_state=0).fit(features)
    model.score_scale = float(np.log2(max(samples, 2)))
    first_party.save(run, model)


def predict(model_dir, features) -> list[dict]:
    model = first_party.load(model_dir)
    return [{"score": float(-s * model.score_scale)} for s in model.score_samples(features)]
