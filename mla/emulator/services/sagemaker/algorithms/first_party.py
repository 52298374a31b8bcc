"""What SageMaker's first-party algorithms (Linear Learner, K-Means, PCA, k-NN, Random Cut Forest) share:
channels ``train`` / ``validation`` / ``test`` in CSV (label first for supervised algorithms,
``label_size=0`` for unsupervised ones) or RecordIO-protobuf, hyperparameters checked against the
algorithm's documented names and required set, ``#quality_metric`` log lines that the built-in metric
definitions parse, and the model kept in ``model.tar.gz`` as ``model_algo-1``.

The stand-ins store a pickled scikit-learn estimator in ``model_algo-1`` (AWS stores MXNet parameters there),
so the artifact loads here, not in the AWS inference containers.
"""

from __future__ import annotations

import json
import pickle
import re

import numpy as np

from ..jobs import JobFailure
from . import data

MODEL_FILE = "model_algo-1"
SUPPORTED = (data.CSV, data.RECORDIO)


def metric_definitions(*metrics: str) -> list[dict]:
    return [{"Name": f"{channel}:{metric}",
             "Regex": rf"#quality_metric: host=\S+, {channel} {re.escape(metric)} <score>=(\S+)"}
            for channel in ("train", "validation", "test") for metric in metrics]


def hyperparameters(given: dict[str, str], required: tuple[str, ...], optional: dict[str, object]) -> dict:
    unknown = sorted(set(given) - set(required) - set(optional) - {"_tuning_objective_metric"})
    if unknown:
        raise JobFailure(f"ClientError: Additional hyperparameters are not allowed ({', '.join(map(repr, unknown))} "
                         f"{'was' if len(unknown) == 1 else 'were'} unexpected)")
    missing = [name for name in required if name not in given]
    if missing:
        raise JobFailure(f"ClientError: Missing required hyperparameter: {missing[0]}")
    values = {**optional, **{k: _value(k, v) for k, v in given.items()}}
    return values


def _value(name: str, text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def number(values: dict, name: str, kind=int, low=None):
    try:
        value = kind(values[name])
    except (TypeError, ValueError):
        raise JobFailure(f"ClientError: Hyperparameter {name}: value {values[name]} is not a valid "
                         f"{kind.__name__}") from None
    if low is not None and value < low:
        raise JobFailure(f"ClientError: Hyperparameter {name}: value {value} must be >= {low}")
    return value


def read(run, channel: str, supervised: bool):
    folder = run.channel(channel)
    if folder is None:
        return None, None
    content_type, params = data.parse_content_type(run.channels[channel].get("ContentType"), data.RECORDIO)
    label_size = int(params.get("label_size", 1 if supervised else 0))
    features, labels = data.read_channel(folder, content_type, SUPPORTED, label_size=label_size)
    if supervised and labels is None:
        raise JobFailure(f"ClientError: Channel {channel} has no labels; this algorithm needs them.")
    return features, labels


def check_feature_dim(values: dict, features: np.ndarray) -> None:
    if "feature_dim" in values and values["feature_dim"] != "auto" and int(values["feature_dim"]) != features.shape[1]:
        raise JobFailure(f"ClientError: feature_dim is {values['feature_dim']} but the data has "
                         f"{features.shape[1]} features")


def report(run, channel: str, metric: str, value: float) -> None:
    run.log.write(f"#quality_metric: host=algo-1, {channel} {metric} <score>={value}")


def save(run, model) -> None:
    (run.opt.model_dir / MODEL_FILE).write_bytes(pickle.dumps(model))


def load(model_dir):
    return pickle.loads((model_dir / MODEL_FILE).read_bytes())
