"""Local stand-ins for SageMaker's built-in algorithms, picked by the repository of the training image URI
that ``sagemaker.core.image_uris.retrieve(<algorithm>, region, version)`` returns.

Each module offers ``train(run)`` (reads the channels, honours the hyperparameters, writes the model into
``run.opt.model_dir``), ``METRIC_DEFINITIONS`` (what the algorithm logs, for ``FinalMetricDataList`` and
tuning) and ``predict(model_dir, rows) -> list`` plus ``format_output(...)`` for batch transform.
"""

from __future__ import annotations

import importlib

BUILT_IN = {"sagemaker-xgboost": "xgboost", "xgboost": "xgboost", "linear-learner": "linear_learner",
            "kmeans": "kmeans", "pca": "pca", "knn": "knn", "randomcutforest": "random_cut_forest"}
# Framework images run a learner's script; without one there is nothing to run.
FRAMEWORK_REPOSITORIES = ("sagemaker-scikit-learn", "pytorch-training", "tensorflow-training", "mxnet-training",
                          "huggingface-pytorch-training", "sagemaker-base-python", "sagemaker-distribution")


def repository(image: str) -> str:
    """``683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1`` → ``sagemaker-xgboost``."""
    path = image.split("/", 1)[-1]
    return path.split("@")[0].split(":")[0]


def for_image(image: str):
    module = BUILT_IN.get(repository(image))
    return importlib.import_module(f"{__name__}.{module}") if module else None


def is_framework_image(image: str) -> bool:
    return repository(image) in FRAMEWORK_REPOSITORIES
