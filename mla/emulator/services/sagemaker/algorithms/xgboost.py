"""Built-in XGBoost (image ``sagemaker-xgboost``), run with the open-source xgboost library it wraps.

As documented for the SageMaker AI XGBoost algorithm:

* hyperparameters, their names, ranges and defaults, ``num_round`` required and ``num_class`` required for
  ``multi:softmax``/``multi:softprob``: https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost_hyperparameters.html
* channels ``train`` (required) and ``validation``; content types ``text/libsvm`` (default), ``text/csv``
  (label in the first column, no header), ``application/x-parquet`` and ``application/x-recordio-protobuf``;
  ``csv_weights=1`` takes instance weights from the second CSV column:
  https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost.html
* metrics ``train:<metric>`` and ``validation:<metric>`` parsed from ``[round]#011train-rmse:...`` log lines:
  https://docs.aws.amazon.com/sagemaker/latest/dg/xgboost-tuning.html
* the artifact: ``model.tar.gz`` holding ``xgboost-model``, saved with ``Booster.save_model`` (versions 1.3-1
  and later) and loaded with ``xgboost.Booster().load_model(...)``.

Where numbers can differ from AWS: the xgboost version here (``xgboost.__version__``) is newer than the
container's, and ``nthread`` defaults to 1 locally (all vCPUs on AWS); results are deterministic for a seed.
"""

from __future__ import annotations

import numpy as np
import xgboost as xgb

from ..jobs import JobFailure
from . import data

SUPPORTED = (data.LIBSVM, data.CSV, data.PARQUET, data.RECORDIO)
MODEL_FILE = "xgboost-model"


def _num(kind, low=None, high=None, low_open=False):
    def parse(name, text):
        try:
            value = kind(float(text)) if kind is int and float(text).is_integer() else kind(text)
        except (TypeError, ValueError):
            raise JobFailure(f"ClientError: Hyperparameter {name}: value {text} is not a valid "
                             f"{'integer' if kind is int else 'float'}") from None
        if (low is not None and (value < low or (low_open and value == low))) or (high is not None and value > high):
            interval = f"{'(' if low_open else '['}{low if low is not None else '-inf'}, " \
                       f"{high if high is not None else 'inf'}]"
            raise JobFailure(f"ClientError: Hyperparameter {name}: value {text} not in range {interval}")
        return value
    return parse


def _choice(*options):
    def parse(name, text):
        if text not in options:
            raise JobFailure(f"ClientError: Hyperparameter {name}: value {text} not in {list(options)}")
        return text
    return parse


def _text(name, value):
    return value


OBJECTIVES = ("reg:squarederror", "reg:squaredlogerror", "reg:logistic", "reg:pseudohubererror", "reg:absoluteerror",
              "reg:quantileerror", "reg:gamma", "reg:tweedie", "binary:logistic", "binary:logitraw",
              "binary:hinge", "count:poisson", "survival:cox", "survival:aft", "multi:softmax", "multi:softprob",
              "rank:pairwise", "rank:ndcg", "rank:map", "reg:linear")
HYPERPARAMETERS = {
    "num_round": _num(int, 1), "num_class": _num(int, 2), "alpha": _num(float, 0), "base_score": _num(float),
    "booster": _choice("gbtree", "gblinear", "dart"), "colsample_bylevel": _num(float, 0, 1, True),
    "colsample_bynode": _num(float, 0, 1, True), "colsample_bytree": _num(float, 0, 1, True),
    "csv_weights": _num(int, 0, 1), "deterministic_histogram": _choice("true", "false"),
    "early_stopping_rounds": _num(int, 1), "eta": _num(float, 0, 1), "eval_metric": _text,
    "gamma": _num(float, 0), "grow_policy": _choice("depthwise", "lossguide"), "interaction_constraints": _text,
    "lambda": _num(float, 0), "lambda_bias": _num(float, 0), "max_bin": _num(int, 2),
    "max_delta_step": _num(float, 0), "max_depth": _num(int, 0), "max_leaves": _num(int, 0),
    "min_child_weight": _num(float, 0), "monotone_constraints": _text, "normalize_type": _choice("tree", "forest"),
    "nthread": _num(int, 1), "num_parallel_tree": _num(int, 1), "objective": _choice(*OBJECTIVES),
    "one_drop": _num(int, 0, 1), "process_type": _choice("default", "update"), "rate_drop": _num(float, 0, 1),
    "refresh_leaf": _num(int, 0, 1), "sample_type": _choice("uniform", "weighted"),
    "sampling_method": _choice("uniform", "gradient_based"), "scale_pos_weight": _num(float, 0),
    "seed": _num(int), "single_precision_histogram": _choice("true", "false"), "sketch_eps": _num(float, 0, 1),
    "skip_drop": _num(float, 0, 1), "subsample": _num(float, 0, 1, True),
    "tree_method": _choice("auto", "exact", "approx", "hist", "gpu_hist"), "tweedie_variance_power": _num(float, 1, 2),
    "updater": _text, "verbosity": _num(int, 0, 3), "max_cat_to_onehot": _num(int, 1),
    "aft_loss_distribution": _choice("normal", "logistic", "extreme"), "aft_loss_distribution_scale": _num(float, 0),
    "huber_slope": _num(float, 0), "quantile_alpha": _text, "save_model_on_termination": _choice("true", "false"),
    "use_dask_gpu_training": _choice("true", "false"), "_tuning_objective_metric": _text,
}
# SageMaker's documented defaults where they differ from the library's own.
DEFAULTS = {"objective": "reg:squarederror", "base_score": 0.5, "seed": 0, "verbosity": 1, "nthread": 1}
NOT_BOOSTER_PARAMS = ("num_round", "early_stopping_rounds", "csv_weights", "_tuning_objective_metric",
                      "save_model_on_termination", "use_dask_gpu_training", "single_precision_histogram",
                      "deterministic_histogram")
METRIC_NAMES = ("rmse", "mae", "mape", "logloss", "error", "merror", "mlogloss", "auc", "aucpr", "ndcg", "map",
                "poisson-nloglik", "gamma-nloglik", "gamma-deviance", "tweedie-nloglik", "f1", "accuracy",
                "mse", "cox-nloglik", "rmsle", "mphe", "error@0.5")
METRIC_DEFINITIONS = [{"Name": f"{channel}:{metric}",
                       "Regex": rf".*\[[0-9]+\].*#011{channel}-{metric}:([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"}
                      for channel in ("train", "validation") for metric in METRIC_NAMES]


def parse_hyperparameters(given: dict[str, str]) -> dict:
    unknown = sorted(set(given) - set(HYPERPARAMETERS))
    if unknown:
        raise JobFailure(f"ClientError: Additional hyperparameters are not allowed ({', '.join(map(repr, unknown))} "
                         f"{'was' if len(unknown) == 1 else 'were'} unexpected)")
    if "num_round" not in given:
        raise JobFailure("ClientError: Missing required hyperparameter: num_round")
    values = {**DEFAULTS, **{name: HYPERPARAMETERS[name](name, str(text)) for name, text in given.items()}}
    if values["objective"] in ("multi:softmax", "multi:softprob") and "num_class" not in values:
        raise JobFailure(f"ClientError: Require input for parameter num_class when objective is {values['objective']}")
    return values


def _dmatrix(run, channel: str, csv_weights: int) -> xgb.DMatrix | None:
    folder = run.channel(channel)
    if folder is None:
        return None
    content_type, _ = data.parse_content_type(run.channels[channel].get("ContentType"), data.LIBSVM)
    features, labels = data.read_channel(folder, content_type, SUPPORTED, label_size=1, sparse_ok=True)
    weights = None
    if csv_weights and content_type == data.CSV and channel == "train":
        weights, features = features[:, 0], features[:, 1:]
    return xgb.DMatrix(features, label=labels, weight=weights, nthread=1)


class _Progress(xgb.callback.TrainingCallback):
    """Logs each round as the SageMaker container does, saves checkpoints, and obeys stop requests."""

    def __init__(self, run, start_round: int):
        self.run, self.start_round = run, start_round

    def after_iteration(self, model, epoch, evals_log):
        scores = "".join(f"#011{channel}-{metric}:{history[-1]:.5f}"
                         for channel, metrics in evals_log.items() for metric, history in metrics.items())
        self.run.log.write(f"[{self.start_round + epoch}]{scores}")
        if self.run.checkpoint_dir is not None:
            # raw bytes: save_model warns about the extension-less file name on every round
            (self.run.checkpoint_dir / f"xgboost-checkpoint.{self.start_round + epoch}").write_bytes(model.save_raw("ubj"))
        self.run.job.check()
        return False


def _latest_checkpoint(run) -> tuple[xgb.Booster | None, int]:
    if run.checkpoint_dir is None:
        return None, 0
    rounds = [int(p.name.rsplit(".", 1)[1]) for p in run.checkpoint_dir.glob("xgboost-checkpoint.*")
              if p.name.rsplit(".", 1)[1].isdigit()]
    if not rounds:
        return None, 0
    booster = xgb.Booster()
    booster.load_model(bytearray((run.checkpoint_dir / f"xgboost-checkpoint.{max(rounds)}").read_bytes()))
    return booster, max(rounds) + 1


def train(run) -> None:
    params = parse_hyperparameters(run.hyperparameters)
    if "train" not in run.channels:
        raise JobFailure("ClientError: Channel 'train' is required but was not provided.")
    unexpected = sorted(set(run.channels) - {"train", "validation"})
    if unexpected:
        raise JobFailure(f"ClientError: Channel {unexpected[0]} is not supported; XGBoost takes train and "
                         "validation channels.")
    dtrain = _dmatrix(run, "train", params.get("csv_weights", 0))
    dvalid = _dmatrix(run, "validation", 0)
    run.log.write(f"Train matrix has {dtrain.num_row()} rows and {dtrain.num_col()} columns")
    evals = [(dtrain, "train")] + ([(dvalid, "validation")] if dvalid is not None else [])
    booster_params = {k: v for k, v in params.items() if k not in NOT_BOOSTER_PARAMS}
    if isinstance(booster_params.get("eval_metric"), str):
        booster_params["eval_metric"] = booster_params["eval_metric"].split(",")
    if booster_params.get("tree_method") == "gpu_hist":
        booster_params["tree_method"] = "hist"  # no GPU here; same algorithm on CPU
    resumed, done = _latest_checkpoint(run)
    if resumed is not None:
        run.log.write(f"Checkpoint loaded; resuming from iteration {done}")
    try:
        booster = xgb.train(booster_params, dtrain, num_boost_round=max(params["num_round"] - done, 0), evals=evals,
                            early_stopping_rounds=params.get("early_stopping_rounds"), verbose_eval=False,
                            callbacks=[_Progress(run, done)], xgb_model=resumed)
    except xgb.core.XGBoostError as error:
        raise JobFailure(f"AlgorithmError: XGB train call failed with exception:\n {error}") from error
    (run.opt.model_dir / MODEL_FILE).write_bytes(booster.save_raw("ubj"))


def load(model_dir) -> xgb.Booster:
    booster = xgb.Booster()
    booster.load_model(bytearray((model_dir / MODEL_FILE).read_bytes()))
    return booster


def predict(model_dir, features) -> np.ndarray:
    booster = load(model_dir)
    return booster.predict(xgb.DMatrix(features))
