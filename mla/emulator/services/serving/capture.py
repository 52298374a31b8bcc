"""Data capture: sampled requests and responses written to S3 as SageMaker writes them for Model Monitor.

Key layout ``<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-mmm>-<uuid>.jsonl`` and one JSON
line per invocation ``{"captureData": {"endpointInput": {...}, "endpointOutput": {...}}, "eventMetadata":
{"eventId", "inferenceTime"}, "eventVersion": "0"}``; data is kept as text (``CSV``/``JSON``) for the
content types listed in ``CaptureContentTypeHeader`` and base64-encoded otherwise, as in
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html and
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfig.html.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import uuid
from collections import defaultdict

from ..sagemaker import s3io


def describe(config: dict | None) -> dict | None:
    """``DescribeEndpoint``'s ``DataCaptureConfig`` summary."""
    if not config:
        return None
    enabled = config.get("EnableCapture", True)
    return {"EnableCapture": enabled, "CaptureStatus": "Started" if enabled else "Stopped",
            "CurrentSamplingPercentage": config["InitialSamplingPercentage"],
            "DestinationS3Uri": config["DestinationS3Uri"], **({"KmsKeyId": config["KmsKeyId"]} if config.get("KmsKeyId") else {})}


def _payload(data: bytes, content_type: str, mode: str, headers: dict) -> dict:
    kind = content_type.split(";")[0].strip()
    if kind in headers.get("CsvContentTypes", []):
        encoding, text = "CSV", data.decode("utf-8", "replace")
    elif kind in headers.get("JsonContentTypes", []):
        encoding, text = "JSON", data.decode("utf-8", "replace")
    else:
        encoding, text = "BASE64", base64.b64encode(data).decode()
    return {"observedContentType": content_type, "mode": mode, "data": text, "encoding": encoding}


def record(config: dict, request: bytes, request_type: str, response: bytes | None, response_type: str,
           inference_id: str | None, when: dt.datetime) -> dict:
    modes = {option["CaptureMode"] for option in config["CaptureOptions"]}
    headers = config.get("CaptureContentTypeHeader") or {}
    data = {}
    if modes & {"Input", "InputAndOutput"}:
        data["endpointInput"] = _payload(request, request_type, "INPUT", headers)
    if response is not None and modes & {"Output", "InputAndOutput"}:
        data["endpointOutput"] = _payload(response, response_type, "OUTPUT", headers)
    metadata = {"eventId": str(uuid.uuid4()), "inferenceTime": when.strftime("%Y-%m-%dT%H:%M:%S.") +
                f"{when.microsecond // 1000:03d}Z"}
    if inference_id:
        metadata["inferenceId"] = inference_id
    return {"captureData": data, "eventMetadata": metadata, "eventVersion": "0"}


class Writer:
    """Buffers captured records and writes one file per endpoint variant and flush."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str, str, str, str], list[dict]] = defaultdict(list)

    def add(self, ctx, destination: str, endpoint: str, variant: str, line: dict) -> None:
        with self._lock:
            self._pending[(ctx.url, ctx.region, destination, endpoint, variant)].append(line)

    def flush(self, client_for) -> None:
        with self._lock:
            pending, self._pending = self._pending, defaultdict(list)
        for (url, region, destination, endpoint, variant), lines in pending.items():
            when = dt.datetime.now(dt.UTC)
            name = f"{when:%M-%S}-{when.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
            uri = s3io.join_uri(destination, endpoint, variant, f"{when:%Y/%m/%d/%H}", name)
            bucket, key = s3io.split_uri(uri)
            body = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
            client_for(url, region, "s3").put_object(Bucket=bucket, Key=key, Body=body.encode())


WRITER = Writer()
