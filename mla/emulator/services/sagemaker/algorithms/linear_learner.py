"""Linear Learner stand-in on scikit-learn: logistic regression for ``binary_classifier`` and
``multiclass_classifier``, ridge regression for ``regressor`` (``wd`` is the L2 weight, ``l1`` selects an
elastic net); ``predictor_type`` is required and ``num_classes`` too for multiclass, as in
https://docs.aws.amazon.com/sagemaker/latest/dg/ll_hyperparameters.html. Inference output as in
https://docs.aws.amazon.com/sagemaker/latest/dg/LL-in-formats.html (``score``, ``predicted_label``).

Where numbers differ from AWS: AWS trains many models in parallel with SGD and picks the best on validation;
here one closed-form or L-BFGS fit, so coefficients and scores differ somewhat.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge

from ..jobs import JobFailure
from . import first_party

OPTIONAL = {"feature_dim": "auto", "mini_batch_size": 1000, "epochs": 15, "wd": "auto", "l1": "auto",
            "learning_rate": "auto", "use_bias": True, "loss": "auto", "optimizer": "auto",
            "normalize_data": True, "normalize_label": "auto", "num_models": "auto", "binary_classifier_model_selection_criteria": "accuracy",
            "target_recall": 0.8, "target_precision": 0.8, "positive_example_weight_mult": 1.0,
            "early_stopping_patience": 3, "early_stopping_tolerance": 0.001, "num_classes": None,
            "accuracy_top_k": 3, "balance_multiclass_weights": False, "huber_delta": 1.0, "quantile": 0.5,
            "init_method": "uniform", "init_scale": 0.07, "init_sigma": 0.01, "init_bias": 0.0,
            "num_point_for_scaler": 10000, "margin": 1.0, "unbias_data": "auto", "unbias_label": "auto",
            "num_calibration_samples": 10000000, "lr_scheduler_step": "auto", "lr_scheduler_factor": "auto",
            "lr_scheduler_minimum_lr": "auto", "momentum": "auto", "beta_1": "auto", "beta_2": "auto", "bias_lr_mult": "auto",
            "bias_wd_mult": "auto"}
METRIC_DEFINITIONS = first_party.metric_definitions("objective_loss", "binary_classification_accuracy",
                                                    "multiclass_accuracy", "mse", "absolute_loss")
PREDICTOR_TYPES = ("binary_classifier", "multiclass_classifier", "regressor")


def train(run) -> None:
    values = first_party.hyperparameters(run.hyperparameters, ("predictor_type",), OPTIONAL)
    kind = values["predictor_type"]
    if kind not in PREDICTOR_TYPES:
        raise JobFailure(f"ClientError: Hyperparameter predictor_type: value {kind} not in {list(PREDICTOR_TYPES)}")
    if kind == "multiclass_classifier" and values["num_classes"] is None:
        raise JobFailure("ClientError: num_classes is required when predictor_type is multiclass_classifier")
    features, labels = first_party.read(run, "train", supervised=True)
    first_party.check_feature_dim(values, features)
    wd = 0.0 if values["wd"] == "auto" else float(values["wd"])
    l1 = 0.0 if values["l1"] == "auto" else float(values["l1"])
    if kind == "regressor":
        model = ElasticNet(alpha=l1 + wd, l1_ratio=l1 / (l1 + wd)) if l1 else Ridge(alpha=max(wd, 1e-6))
    else:
        model = LogisticRegression(C=1.0 / max(wd, 1e-4), max_iter=500)
    model.fit(features, labels)
    model.predictor_type = kind
    first_party.save(run, model)
    for channel in ("train", "validation", "test"):
        x, y = (features, labels) if channel == "train" else first_party.read(run, channel, supervised=True)
        if x is not None:
            for metric, value in _scores(model, x, y).items():
                first_party.report(run, channel, metric, value)
        run.job.check()


def _scores(model, features, labels) -> dict[str, float]:
    predicted = model.predict(features)
    if model.predictor_type == "regressor":
        return {"mse": float(np.mean((predicted - labels) ** 2)), "absolute_loss": float(np.mean(np.abs(predicted - labels)))}
    name = "binary_classification_accuracy" if model.predictor_type == "binary_classifier" else "multiclass_accuracy"
    probabilities = np.clip(model.predict_proba(features), 1e-12, 1)
    index = np.searchsorted(model.classes_, labels)
    loss = float(-np.mean(np.log(probabilities[np.arange(len(labels)), index])))
    return {name: float(np.mean(predicted == labels)), "objective_loss": loss}


def predict(model_dir, features) -> list[dict]:
    model = first_party.load(model_dir)
    if model.predictor_type == "regressor":
        return [{"score": float(s)} for s in model.predict(features)]
    probabilities = model.predict_proba(features)
    labels = model.classes_[probabilities.argmax(axis=1)]
    if model.predictor_type == "binary_classifier":
        return [{"score": float(p[1]), "predicted_label": float(label)} for p, label in zip(probabilities, labels, strict=True)]
    return [{"score": [float(v) for v in p], "predicted_label": float(label)} for p, label in zip(probabilities, labels, strict=True)]
