"""The ``sagemaker-clarify-processing`` image for the local backend: ``python -m mla.clarify.processing``.

As the Clarify container does (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html),
it reads the analysis configuration from ``/opt/ml/processing/input/config/analysis_config.json`` and the dataset from
``/opt/ml/processing/input/data``, runs the configured ``methods`` (``pre_training_bias``, ``post_training_bias``,
``shap``, ``report``) and writes ``analysis.json``, the report and ``explanations_shap/`` to
``/opt/ml/processing/output`` (https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-analysis-results.html).
Predictions come from a shadow endpoint built from ``predictor.model_name`` (see :mod:`mla.clarify.predictor`).
``MLA_OPT_ML`` names the job's ``/opt/ml`` folder. Datasets: ``text/csv`` and ``application/x-parquet``.
"""

from __future__ import annotations

import io
import json
import os
import sys
from contextlib import nullcontext
from pathlib import Path

import boto3
import numpy as np
import pandas as pd
from botocore.exceptions import ClientError

from . import bias, predictor, report, shap

PREDICTED = "__mla_clarify_predicted_label"  # the column predictions are put in for the bias metrics
SHAP_AGGREGATIONS = {"mean_abs": lambda v: np.abs(v).mean(axis=0), "median": lambda v: np.median(v, axis=0),
                     "mean_sq": lambda v: (v ** 2).mean(axis=0)}


class ConfigError(ValueError):
    """The analysis configuration or the dataset does not fit together; the job fails with ClientError."""


class Job:
    def __init__(self, opt_ml: Path):
        self.opt_ml = opt_ml
        self.output = opt_ml / "processing" / "output"
        self.config = json.loads((opt_ml / "processing/input/config/analysis_config.json").read_text())
        job_config = opt_ml / "input/config/processingjobconfig.json"
        self.job_name = json.loads(job_config.read_text())["ProcessingJobName"] if job_config.exists() else "local"
        self.data = read_dataset(opt_ml / "processing/input/data", self.config)
        self.label = self.column(self.config.get("label"))
        self.methods = self.config.get("methods") or {}
        if not self.methods:
            raise ConfigError("analysis_config.json has no methods")

    def column(self, name_or_index):
        if name_or_index is None:
            return None
        if isinstance(name_or_index, int) and name_or_index not in self.data.columns:
            return self.data.columns[name_or_index]
        if name_or_index not in self.data.columns:
            raise ConfigError(f"Column {name_or_index!r} is not in the dataset (columns: {list(self.data.columns)})")
        return name_or_index

    @property
    def feature_columns(self) -> list:
        left_out = {self.label, self.column(self.config.get("predicted_label"))}
        left_out |= {self.column(c) for c in self.config.get("excluded_columns") or []}
        return [c for c in self.data.columns if c not in left_out]

    def needs_model(self) -> bool:
        return "shap" in self.methods or ("post_training_bias" in self.methods
                                          and not self.config.get("predicted_label"))

    def run(self) -> dict:
        analysis: dict = {"version": "1.0"}
        model = self.config.get("predictor")
        if self.needs_model() and not model:
            raise ConfigError("post_training_bias without predicted_label, and shap, need a predictor")
        endpoint_context = predictor.shadow_endpoint(model, self.job_name) if self.needs_model() else nullcontext()
        with endpoint_context as endpoint:
            if "pre_training_bias" in self.methods:
                analysis["pre_training_bias_metrics"] = self.bias_section(self.methods["pre_training_bias"], None)
            if "post_training_bias" in self.methods:
                predicted = self.predicted_labels(endpoint)
                analysis["post_training_bias_metrics"] = self.bias_section(self.methods["post_training_bias"],
                                                                           predicted)
            if "shap" in self.methods:
                analysis["explanations"] = {"kernel_shap": {"label0": self.explain(endpoint, self.methods["shap"])}}
        self.output.mkdir(parents=True, exist_ok=True)
        (self.output / "analysis.json").write_text(json.dumps(analysis, indent=2))
        if "report" in self.methods:
            report.write_report(analysis, self.output, self.methods["report"].get("title", "Analysis Report"))
        return analysis

    # ------------------------------------------------------------ bias

    def bias_section(self, method_config: dict, predicted: pd.Series | None) -> dict:
        if self.label is None or "label_values_or_threshold" not in self.config:
            raise ConfigError("Bias analysis needs label and label_values_or_threshold")
        frame = self.data if predicted is None else self.data.assign(**{PREDICTED: predicted.to_numpy()})
        section: dict = {"facets": {}}
        for facet in self.config.get("facet") or []:
            try:
                part = bias.bias_report(frame, self.label, self.column(facet["name_or_index"]),
                                        self.config["label_values_or_threshold"], facet.get("value_or_threshold"),
                                        self.column(self.config.get("group_variable")),
                                        method_config.get("methods", "all"),
                                        predicted_label=None if predicted is None else PREDICTED)
            except ValueError as error:
                raise ConfigError(str(error)) from error
            section = {**part, "facets": {**section["facets"], **part["facets"]}}
        if not section["facets"]:
            raise ConfigError("Bias analysis needs at least one facet")
        return section

    def predicted_labels(self, endpoint) -> pd.Series:
        if self.config.get("predicted_label"):
            return self.data[self.column(self.config["predicted_label"])]
        model = self.config["predictor"]
        answers = endpoint.predict(self.data[self.feature_columns].to_numpy())
        picked = [predictor.pick(a, model.get("label", model.get("probability"))) for a in answers]
        headers = model.get("label_headers")
        if headers and isinstance(picked[0], list):  # scores per class: the best class is the predicted label
            return pd.Series([headers[int(np.argmax(p))] for p in picked])
        return self.binarize(pd.Series(picked))

    def binarize(self, predicted: pd.Series) -> pd.Series:
        """A probability score becomes the positive label when above ``probability_threshold`` (0.5 by default)."""
        labels = self.data[self.label]
        positive, _ = bias.selected(labels, self.config["label_values_or_threshold"])
        others = labels[~positive].unique()
        is_score = pd.api.types.is_float_dtype(predicted) and predicted.between(0, 1).all()
        if not is_score or labels.nunique() != 2 or len(others) != 1 or positive.all():
            return predicted
        threshold = float(self.config.get("probability_threshold", 0.5))
        return pd.Series(np.where(predicted > threshold, labels[positive].iloc[0], others[0]))

    # ------------------------------------------------------------ SHAP

    def explain(self, endpoint, shap_config: dict) -> dict:
        if shap_config.get("features_to_explain") or shap_config.get("text_config") or shap_config.get("image_config"):
            raise ConfigError("The local Clarify image explains all tabular features (no features_to_explain, text "
                              "or image config)")
        features = self.data[self.feature_columns]
        seed = int(shap_config.get("seed") or 0)
        baseline = self.baseline(features, shap_config, seed)
        model = self.config["predictor"]
        key = model.get("probability", model.get("label"))
        use_logit = bool(shap_config.get("use_logit"))

        def predict(rows: np.ndarray) -> np.ndarray:
            values = predictor.scores(endpoint.predict(rows), key)
            return np.log(values / (1 - values)) if use_logit else values

        values = shap.kernel_shap(predict, features.to_numpy(), baseline.to_numpy(), shap_config.get("num_samples"),
                                  seed)
        aggregate = SHAP_AGGREGATIONS[shap_config.get("agg_method") or "mean_abs"]
        if shap_config.get("save_local_shap_values", True):
            folder = self.output / "explanations_shap"
            folder.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(values, columns=features.columns).to_csv(folder / "out.csv", index=False)
        return {"global_shap_values": dict(zip(map(str, features.columns), map(float, aggregate(values)), strict=True)),
                "expected_value": shap.expected_value(predict, baseline.to_numpy())}

    def baseline(self, features: pd.DataFrame, shap_config: dict, seed: int) -> pd.DataFrame:
        given = shap_config.get("baseline")
        if isinstance(given, list):
            rows = [row if isinstance(row, list) else [row] for row in given]
            if any(len(row) != features.shape[1] for row in rows):
                raise ConfigError(f"Each baseline row needs the {features.shape[1]} feature values "
                                  f"{list(features.columns)}")
            return pd.DataFrame(rows, columns=features.columns)
        if isinstance(given, str):
            return pd.DataFrame(read_s3_csv(given).to_numpy(), columns=features.columns)
        computed = shap.clustered_baseline(features, shap_config.get("num_clusters"), seed)
        folder = self.output / "explanations_shap"
        folder.mkdir(parents=True, exist_ok=True)
        computed.to_csv(folder / "baseline.csv", index=False, header=False)
        return computed



def read_dataset(folder: Path, config: dict) -> pd.DataFrame:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    if not files:
        raise ConfigError(f"No dataset files under {folder}")
    kind = config.get("dataset_type", "text/csv")
    headers = config.get("headers")
    if kind == "application/x-parquet":
        frame = pd.concat([pd.read_parquet(p) for p in files], ignore_index=True)
    elif kind == "text/csv":
        frame = pd.concat([pd.read_csv(p, header=None) for p in files], ignore_index=True)
        if headers is None:
            frame = _numeric(frame.iloc[1:].reset_index(drop=True).rename(columns=dict(enumerate(frame.iloc[0]))))
        elif [str(v) for v in frame.iloc[0]] == [str(h) for h in headers]:
            frame = _numeric(frame.iloc[1:].reset_index(drop=True))
    else:
        raise ConfigError(f"dataset_type {kind} is not supported by the local Clarify image "
                          "(text/csv, application/x-parquet)")
    if headers is not None:
        if len(headers) != frame.shape[1]:
            raise ConfigError(f"headers names {len(headers)} columns but the dataset has {frame.shape[1]}")
        frame.columns = headers
    return frame


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns read as text because a header row was among them become numbers where they are numbers."""
    for name in frame.columns:
        converted = pd.to_numeric(frame[name], errors="coerce")
        if converted.notna().all():
            frame[name] = converted
    return frame


def read_s3_csv(uri: str) -> pd.DataFrame:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return pd.read_csv(io.StringIO(body), header=None)


def main() -> int:
    opt_ml = Path(os.environ.get("MLA_OPT_ML", "/opt/ml"))
    try:
        Job(opt_ml).run()
    except (ValueError, KeyError, ClientError) as error:  # ConfigError is a ValueError
        message = f"ClientError: {error}"
        (opt_ml / "output").mkdir(parents=True, exist_ok=True)
        (opt_ml / "output" / "failure").write_text(message)
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
