"""SageMaker work that really runs in local mode: training jobs (built-in algorithm stand-ins and script
mode), processing, hyperparameter tuning and batch transform. Everything else falls through to moto."""

from . import processing, training, transform, tuning  # noqa: F401  (importing registers the handlers)
from .jobs import warm_up

warm_up(("xgboost", "pandas", "sklearn.datasets"))
