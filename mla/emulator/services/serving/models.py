"""Loading a SageMaker model (``CreateModel``'s container) and answering one inference request with it.

One place for endpoints (real-time, serverless, asynchronous, multi-model) and batch transform:

* built-in algorithm images load their artifact with the training layer's stand-in (``algorithms/``) and
  speak the algorithm's inference formats: ``text/csv`` (features only, no label), ``text/libsvm``
  (XGBoost), ``application/json`` ``{"instances": [{"features": [...]}]}`` and
  ``application/x-recordio-protobuf`` (first-party algorithms), as in
  https://docs.aws.amazon.com/sagemaker/latest/dg/cdf-inference.html;
* any other image runs the learner's inference handlers ``model_fn`` / ``input_fn`` / ``predict_fn`` /
  ``output_fn`` from ``inference.py`` in the artifact's ``code/`` folder, or from
  ``SAGEMAKER_SUBMIT_DIRECTORY`` + ``SAGEMAKER_PROGRAM``, with the inference toolkit's defaults for the
  functions it leaves out (https://docs.aws.amazon.com/sagemaker/latest/dg/adapt-inference-container.html).
"""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..sagemaker import algorithms, s3io
from ..sagemaker.algorithms import first_party, recordio
from ..sagemaker.jobs import JobFailure

CSV, JSON, JSONLINES, LIBSVM, RECORDIO, NPY = ("text/csv", "application/json", "application/jsonlines",
                                               "text/libsvm", "application/x-recordio-protobuf",
                                               "application/x-npy")
DEFAULT_PROGRAM = "inference.py"


class RequestError(Exception):
    """The container answers this request with ``status`` (e.g. 415 for a content type it cannot read)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Artifact:
    """A model unpacked on this machine: what runs it and where its files are."""

    image: str
    model_dir: Path
    code_dir: Path | None
    program: str | None
    multi_model_uri: str | None = None  # Mode MultiModel: the S3 prefix TargetModel names are relative to

    @property
    def built_in(self):
        return algorithms.for_image(self.image)


def mime(value: str | None, default: str) -> str:
    return (value or default).split(";")[0].strip().lower() or default


def prepare(container: dict, s3, dest: Path) -> Artifact:
    """Download and unpack ``container``'s model (and its inference code) into ``dest``."""
    image = container.get("Image", "")
    env = container.get("Environment") or {}
    model_dir = dest / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    if container.get("Mode") == "MultiModel":
        return Artifact(image, model_dir, None, None, multi_model_uri=container["ModelDataUrl"])
    if container.get("ModelDataUrl"):
        unpack(s3, container["ModelDataUrl"], model_dir)
    code_dir, program = None, None
    if algorithms.for_image(image) is None:
        program = env.get("SAGEMAKER_PROGRAM", DEFAULT_PROGRAM)
        submit = env.get("SAGEMAKER_SUBMIT_DIRECTORY", "")
        if submit.startswith("s3://"):
            code_dir = dest / "code"
            unpack(s3, submit, code_dir)
        elif submit and Path(submit).is_dir():
            code_dir = Path(submit)
        else:
            code_dir = model_dir / "code"
        if not (code_dir / program).is_file():
            raise JobFailure(
                f"The local backend serves built-in algorithm images, and other images only with the learner's "
                f"inference handlers: {program} (model_fn, input_fn, predict_fn, output_fn) was not found in the "
                f"model's code/ folder or in SAGEMAKER_SUBMIT_DIRECTORY. Image: {image}")
    return Artifact(image, model_dir, code_dir, program)


def unpack(s3, uri: str, dest: Path) -> None:
    bucket, key = s3io.split_uri(uri)
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest.parent / f".{dest.name}.download"
    try:
        s3.download_file(bucket, key, str(archive))
    except Exception as error:  # botocore's ClientError for a missing key or bucket
        raise JobFailure(f"Failed to download model data from {uri}: {error}") from error
    if key.endswith((".tar.gz", ".tgz", ".tar")):
        s3io.untar(archive, dest)
        archive.unlink()
    else:
        archive.replace(dest / Path(key).name)


def load(artifact: Artifact, s3=None):
    """The loaded model, ready for ``invoke``: built-in, handler-based or multi-model."""
    if artifact.multi_model_uri:
        return MultiModel(artifact, s3)
    if artifact.built_in is not None:
        return BuiltInModel(artifact.built_in, artifact.model_dir)
    return HandlerModel(artifact.model_dir, artifact.code_dir, artifact.program)


# --- built-in algorithms ----------------------------------------------------------------------------------

class BuiltInModel:
    def __init__(self, algorithm, model_dir: Path):
        self.algorithm, self.model_dir = algorithm, model_dir
        self.is_xgboost = algorithm.__name__.endswith(".xgboost")
        self._check_loads()

    def _check_loads(self) -> None:
        try:
            getattr(self.algorithm, "load", first_party.load)(self.model_dir)  # first-party stand-ins share one
        except Exception as error:
            raise JobFailure(f"The model artifact could not be loaded by the {self.algorithm.__name__.rsplit('.', 1)[1]} "
                             f"algorithm: {error}") from error

    def predict(self, features):
        return self.algorithm.predict(self.model_dir, features)

    def features(self, body: bytes, content_type: str):
        kind = mime(content_type, CSV)
        if kind == CSV:
            return csv_rows(body)
        if kind in (LIBSVM, "text/x-libsvm") and self.is_xgboost:
            from sklearn.datasets import load_svmlight_file

            width = self.algorithm.load(self.model_dir).num_features()
            return load_svmlight_file(io.BytesIO(body), n_features=width, zero_based=True)[0]
        if kind == RECORDIO:
            return recordio.read_records(body)[0]
        if kind == JSON and not self.is_xgboost:
            try:
                return np.array([row["features"] for row in json.loads(body)["instances"]], dtype=np.float64)
            except (ValueError, KeyError, TypeError) as error:
                raise RequestError(400, f'Unable to parse JSON input; expected {{"instances": [{{"features": '
                                        f'[...]}}]}}: {error}') from error
        accepted = "text/csv, text/libsvm" if self.is_xgboost else \
            "text/csv, application/json, application/x-recordio-protobuf"
        raise RequestError(415, f"Content type {content_type} is not supported by this algorithm. "
                                f"Supported content types: {accepted}.")

    def invoke(self, body: bytes, content_type: str, accept: str) -> tuple[bytes, str]:
        predictions = self.predict(self.features(body, content_type))
        default = CSV if self.is_xgboost else JSON
        kind = mime(accept if accept and accept != "*/*" else None, default)
        records = [_xgboost_record(p) for p in predictions] if self.is_xgboost else list(predictions)
        if kind == CSV:
            lines = [",".join(_csv_values(r)) for r in records]
            text = ",".join(lines) if all("," not in line for line in lines) else "\n".join(lines)
            return text.encode(), "text/csv; charset=utf-8"
        if kind == JSON:
            return json.dumps({"predictions": records}).encode(), JSON
        if kind in (JSONLINES, "application/jsonl"):
            return "".join(json.dumps(r) + "\n" for r in records).encode(), JSONLINES
        raise RequestError(406, f"Accept type {accept} is not supported; use text/csv, application/json or "
                                "application/jsonlines.")


def csv_rows(body: bytes) -> np.ndarray:
    try:
        rows = [[float(v) for v in line.split(",")] for line in body.decode().splitlines() if line.strip()]
        return np.array(rows, dtype=np.float64)
    except ValueError as error:
        raise RequestError(400, f"Unable to parse CSV input (numbers only, no header, no label): {error}") from error


def _xgboost_record(prediction) -> dict:
    values = np.ravel(prediction)
    return {"score": float(values[0]) if values.size == 1 else [float(v) for v in values]}


def _csv_values(record: dict) -> list[str]:
    values = []
    for value in record.values():
        values += [repr(float(v)) for v in np.ravel(value)]
    return values


# --- the inference-handler contract -------------------------------------------------------------------------

class HandlerModel:
    """``model_fn(model_dir)`` once, then ``input_fn`` → ``predict_fn`` → ``output_fn`` per request."""

    def __init__(self, model_dir: Path, code_dir: Path, program: str):
        sys.path.insert(0, str(code_dir))
        spec = importlib.util.spec_from_file_location(Path(program).stem, code_dir / program)
        self.module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.module)
        if not hasattr(self.module, "model_fn"):
            raise JobFailure(f"{program} defines no model_fn(model_dir); the model server cannot load the model.")
        self.model = self.module.model_fn(str(model_dir))

    def invoke(self, body: bytes, content_type: str, accept: str) -> tuple[bytes, str]:
        content_type = content_type or JSON
        accept = JSON if not accept or accept == "*/*" else accept
        data = getattr(self.module, "input_fn", default_input_fn)(body, content_type)
        prediction = getattr(self.module, "predict_fn", default_predict_fn)(data, self.model)
        result = getattr(self.module, "output_fn", default_output_fn)(prediction, accept)
        if isinstance(result, tuple):  # the toolkit lets output_fn return (body, content type)
            result, accept = result
        return (result.encode() if isinstance(result, str) else bytes(result)), accept


def default_input_fn(body: bytes, content_type: str):
    kind = mime(content_type, JSON)
    if kind == JSON:
        return np.array(json.loads(body))
    if kind == CSV:
        return csv_rows(body)
    if kind == NPY:
        return np.load(io.BytesIO(body), allow_pickle=False)
    raise RequestError(415, f"Content type {content_type} is not supported by the default input_fn "
                            "(application/json, text/csv, application/x-npy); define input_fn in inference.py.")


def default_predict_fn(data, model):
    return model.predict(data)


def default_output_fn(prediction, accept: str):
    kind = mime(accept, JSON)
    array = np.asarray(prediction)
    if kind == JSON:
        return json.dumps(array.tolist()), JSON
    if kind == CSV:
        rows = array.reshape(len(array), -1) if array.ndim else array.reshape(1, 1)
        return "\n".join(",".join(repr(float(v)) for v in row) for row in rows), CSV
    if kind == NPY:
        buffer = io.BytesIO()
        np.save(buffer, array)
        return buffer.getvalue(), NPY
    raise RequestError(406, f"Accept type {accept} is not supported by the default output_fn "
                            "(application/json, text/csv, application/x-npy); define output_fn in inference.py.")


# --- multi-model endpoints ----------------------------------------------------------------------------------

MULTI_MODEL_CACHE_SIZE = 4


class MultiModel:
    """``Mode: MultiModel``: ``TargetModel`` names an artifact under the model's S3 prefix; loaded on first
    use, kept in a least-recently-used cache, evicted when the cache is full (as on an instance's memory)."""

    def __init__(self, artifact: Artifact, s3):
        self.artifact, self.s3 = artifact, s3
        self.loaded: OrderedDict[str, object] = OrderedDict()
        self.loads = 0
        self._lock = threading.Lock()

    def model_for(self, target: str | None):
        if not target:
            raise RequestError(400, "A multi-model endpoint needs TargetModel (the model's key under the "
                                    "endpoint's ModelDataUrl prefix).")
        with self._lock:
            if target in self.loaded:
                self.loaded.move_to_end(target)
                return self.loaded[target]
            folder = self.artifact.model_dir / f"m{self.loads}"
            try:
                unpack(self.s3, s3io.join_uri(self.artifact.multi_model_uri, target), folder)
                model = _load_unpacked(self.artifact.image, folder)
            except JobFailure as failure:
                shutil.rmtree(folder, ignore_errors=True)
                raise RequestError(404, f"Failed to load model {target}: {failure.reason}") from failure
            self.loads += 1
            self.loaded[target] = model
            while len(self.loaded) > MULTI_MODEL_CACHE_SIZE:
                self.loaded.popitem(last=False)
            return model

    def invoke(self, body: bytes, content_type: str, accept: str, target: str | None = None):
        return self.model_for(target).invoke(body, content_type, accept)


def _load_unpacked(image: str, model_dir: Path):
    algorithm = algorithms.for_image(image)
    if algorithm is not None:
        return BuiltInModel(algorithm, model_dir)
    return HandlerModel(model_dir, model_dir / "code", DEFAULT_PROGRAM)
