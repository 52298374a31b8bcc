"""Reading what a Model Monitor job analyzes: a baseline dataset (``csv`` / ``json`` as ``dataset_format`` names it)
or captured endpoint traffic (``sagemakerCaptureJson``), and ground-truth labels merged with captured predictions.

Captured data follows the container contract of
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-contract-inputs.html: files under
``dataset_source/<endpoint>/<variant>/yyyy/mm/dd/hh``, one capture record per line, possibly more data than the
``start_time``/``end_time`` window, which the analyzer filters on each record's ``inferenceTime``. Columns of
captured CSV are named ``_c0``, ``_c1``, ... with the output first (``output_columns_position`` ``START``).
Ground truth is merged by ``inferenceId`` when captured records carry one, else by ``eventId``
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pandas as pd

CAPTURE_INDEXES = ["endpointInput", "endpointOutput"]


class NoData(Exception):
    """Nothing to analyze in the window."""


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", ""))


def positional(count: int) -> list[str]:
    return [f"_c{i}" for i in range(count)]


def read_tabular(fmt: dict, source: Path) -> pd.DataFrame:
    """A ``csv`` or ``json`` baseline dataset as strings (missing values as empty strings)."""
    files = files_under(source) if source.is_dir() else [source]
    if not files:
        raise NoData(f"No files in the dataset source {source.name}.")
    if "csv" in fmt:
        header = bool(fmt["csv"].get("header", True))
        frames = [pd.read_csv(f, header=0 if header else None, dtype=str, keep_default_na=False) for f in files]
        frame = pd.concat(frames, ignore_index=True)
        if not header:
            frame.columns = positional(frame.shape[1])
        return frame
    if "json" in fmt:
        lines = bool(fmt["json"].get("lines", True))
        frame = pd.concat([pd.read_json(f, lines=lines, dtype=False) for f in files], ignore_index=True)
        return frame.map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
    raise ValueError(f"Unsupported dataset_format {json.dumps(fmt)}: expected csv, json or sagemakerCaptureJson.")


def _payload_text(payload: dict) -> str:
    if payload.get("encoding") == "BASE64":
        return base64.b64decode(payload["data"]).decode("utf-8", "replace")
    return payload["data"]


def _json_rows(document) -> list[list[str]]:
    """Rows of a JSON request or response: ``{"instances": [...]}``, ``{"predictions": [...]}``, lists, records."""
    if isinstance(document, dict):
        for key in ("instances", "predictions", "features"):
            if key in document:
                return _json_rows(document[key])
        return [[str(v) for v in _flat(document)]]
    if isinstance(document, list) and document and all(not isinstance(v, list | dict) for v in document):
        return [[str(v) for v in document]]
    return [[str(v) for v in _flat(item)] for item in document]


def _flat(value) -> list:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _flat(v)]
    if isinstance(value, list):
        return [x for v in value for x in _flat(v)]
    return [value]


def payload_rows(payload: dict, expected_rows: int | None = None) -> list[list[str]]:
    """The rows of one captured request or response (CSV lines, or a JSON document's instances/predictions)."""
    text = _payload_text(payload).strip()
    if not text:
        return []
    content_type = payload.get("observedContentType", "").split(";")[0].strip()
    if payload.get("encoding") == "JSON" or content_type.endswith("json"):
        return _json_rows(json.loads(text))
    rows = [line.split(",") for line in text.splitlines() if line.strip()]
    if expected_rows and expected_rows > 1 and len(rows) == 1 and len(rows[0]) == expected_rows:
        return [[value] for value in rows[0]]  # one score per input row, joined with commas
    return rows


def capture_records(source: Path, start: dt.datetime | None, end: dt.datetime | None) -> list[dict]:
    records = []
    for path in files_under(source):
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            when = parse_time(record["eventMetadata"]["inferenceTime"])
            if (start is None or when >= start) and (end is None or when < end):
                records.append(record)
    return records


def record_rows(record: dict, index_names: list[str] = CAPTURE_INDEXES) -> list[tuple[list[str], list[str]]]:
    """(output values, input values) of each predicted row of one capture record."""
    data = record["captureData"]
    inputs = payload_rows(data["endpointInput"]) if "endpointInput" in index_names and "endpointInput" in data else []
    outputs = payload_rows(data["endpointOutput"], len(inputs) or None) \
        if "endpointOutput" in index_names and "endpointOutput" in data else []
    count = max(len(inputs), len(outputs))
    return [(outputs[i] if i < len(outputs) else [], inputs[i] if i < len(inputs) else []) for i in range(count)]


def _frame(rows: list[list[str]], names: list[str] | None = None) -> pd.DataFrame:
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], columns=names or positional(width), dtype=str)


def capture_frame(records: list[dict], index_names: list[str]) -> pd.DataFrame:
    """Captured traffic as one row per predicted record: output columns first, then the input columns."""
    return _frame([output + inputs for record in records for output, inputs in record_rows(record, index_names)])


def ground_truth_labels(source: Path) -> dict[str, list[str]]:
    """eventId or inferenceId -> the label values of that event."""
    labels = {}
    for path in files_under(source):
        for line in path.read_text().splitlines():
            if line.strip():
                record = json.loads(line)
                values = [row[0] for row in payload_rows(record["groundTruthData"]) if row]
                labels[record["eventMetadata"]["eventId"]] = values
    return labels


def merged_rows(records: list[dict], labels: dict[str, list[str]]) -> list[tuple[list[str], list[str], str]]:
    """(output values, input values, ground truth) of the captured rows that have a ground truth record."""
    rows = []
    for record in records:
        metadata = record["eventMetadata"]
        truth = labels.get(metadata.get("inferenceId") or metadata["eventId"])
        if truth is not None:
            rows += [(output, inputs, label) for (output, inputs), label in zip(record_rows(record), truth,
                                                                                strict=False)]
    if not rows:
        raise NoData("No captured predictions matched a ground truth record in the analysis window.")
    return rows


def merged_predictions(records: list[dict], labels: dict[str, list[str]]) -> pd.DataFrame:
    """Captured outputs joined with their ground truth: columns ``_c0``... of the output plus ``groundTruth``."""
    rows = merged_rows(records, labels)
    frame = _frame([output for output, _, _ in rows])
    frame["groundTruth"] = [label for _, _, label in rows]
    return frame
