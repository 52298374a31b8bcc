"""Batch transform: ``CreateTransformJob``, ``DescribeTransformJob``, ``ListTransformJobs``, ``StopTransformJob``.

The model (``CreateModel``, kept by moto) is served exactly as an endpoint serves it: the serving layer's model
server (built-in algorithm images in a thread, the learner's ``inference.py`` handlers in a child process) on a
loopback port of its own, to which the job POSTs ``/invocations`` with ``ContentType`` (default ``text/csv``)
and ``Accept`` (default: the model's own), waiting at most ``ModelClientConfig.InvocationsTimeoutInSeconds``
(default 600, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelClientConfig.html). Each input
object is split into records (``SplitType``), sent in mini-batches no larger than ``MaxPayloadInMB``
(``BatchStrategy`` ``MultiRecord``) or one by one (``SingleRecord``), filtered and joined as ``DataProcessing``
says, and written to ``<S3OutputPath>/<input name>.out`` with records joined by ``AssembleWith``. As documented
in https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform.html and
https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-data-processing.html.

``InputFilter``/``OutputFilter`` support the JSONPath subset used with CSV rows: ``$``, ``$[i]``,
``$[i,j,...]`` and slices ``$[a:b]`` (negative indexes allowed).
"""

from __future__ import annotations

import io
import json
import re
import traceback

from ...registry import handles
from ..serving import model_server, models
from . import s3io, script_mode
from .container import HOST, OptMl
from .jobs import WORKERS, Interrupted, Job, JobFailure, JobTable, client, list_page, now
from .logs import JobLog
from .validation import validate

TRANSFORM_JOBS = JobTable("transform-job", "Transform job")
LOG_GROUP = "/aws/sagemaker/TransformJobs"
DEFAULT_MAX_PAYLOAD_MB = 6
DEFAULT_INVOCATION_TIMEOUT_SECONDS = 600


@handles("sagemaker", "CreateTransformJob")
def create_transform_job(params, ctx):
    validate("CreateTransformJob", params)
    client(ctx, "sagemaker").describe_model(ModelName=params["ModelName"])  # the service checks the model exists
    name = params["TransformJobName"]
    created = now()
    description = {k: v for k, v in params.items() if k != "Tags"}
    description.update(TransformJobArn=TRANSFORM_JOBS.arn(ctx, name), TransformJobStatus="InProgress",
                       CreationTime=created, LastModifiedTime=created)
    job = TRANSFORM_JOBS.add(ctx, Job(name, ctx.region, description))
    WORKERS.submit(_run, job, ctx)
    return {"TransformJobArn": description["TransformJobArn"]}


@handles("sagemaker", "DescribeTransformJob")
def describe_transform_job(params, ctx):
    return TRANSFORM_JOBS.get(ctx, params["TransformJobName"]).snapshot()


@handles("sagemaker", "ListTransformJobs")
def list_transform_jobs(params, ctx):
    return list_page(TRANSFORM_JOBS.in_region(ctx.region), params, "TransformJobName", "TransformJobStatus",
                     ("TransformJobName", "TransformJobArn", "CreationTime", "TransformEndTime", "LastModifiedTime",
                      "TransformJobStatus", "FailureReason"), "TransformJobSummaries")


@handles("sagemaker", "StopTransformJob")
def stop_transform_job(params, ctx):
    TRANSFORM_JOBS.stop(ctx, params["TransformJobName"], "TransformJobStatus")
    return {}


def json_path(expression: str, row: list) -> list:
    """Apply a ``$``/``$[...]`` JSONPath filter to a CSV row seen as a JSON array."""
    expression = expression.strip()
    if expression == "$":
        return row
    found = re.fullmatch(r"\$\[(.+)\]", expression)
    if not found:
        raise JobFailure(f"ClientError: Unsupported JSONPath filter {expression!r} (use $, $[i], $[i,j] or $[a:b]).")
    picked = []
    for part in found.group(1).split(","):
        if ":" in part:
            start, _, stop = part.partition(":")
            picked += row[slice(int(start) if start.strip() else None, int(stop) if stop.strip() else None)]
        else:
            picked.append(row[int(part)])
    return picked


def _records(body: bytes, split_type: str) -> list[str]:
    text = body.decode()
    if split_type == "Line":
        return [line for line in text.splitlines() if line.strip()]
    if split_type in (None, "None"):
        return [text]
    raise JobFailure(f"ClientError: SplitType {split_type} is not supported locally (use Line or None).")


def _batches(records: list[str], strategy: str, max_bytes: int) -> list[list[str]]:
    if strategy == "SingleRecord":
        batches = [[r] for r in records]
    else:
        batches, current, size = [], [], 0
        for record in records:
            if current and size + len(record) + 1 > max_bytes:
                batches.append(current)
                current, size = [], 0
            current.append(record)
            size += len(record) + 1
        if current:
            batches.append(current)
    for batch in batches:
        if sum(len(r) + 1 for r in batch) > max_bytes:
            raise JobFailure("ClientError: A single record is larger than MaxPayloadInMB; raise MaxPayloadInMB or "
                             "split the input (SplitType).")
    return batches


def _rows(batch: list[str]) -> list[list[str]]:
    return [line.split(",") for record in batch for line in record.splitlines() if line.strip()]


def _predictions(server, rows: list[list[str]], content_type: str, accept: str | None,
                 timeout: float) -> list[list[str]]:
    """One output row per input row: CSV values, or one JSON document per record."""
    payload = "\n".join(",".join(row) for row in rows).encode()
    try:
        body, returned = server.invoke(payload, content_type, accept, timeout)
    except TimeoutError as error:
        raise JobFailure(f"ClientError: The model did not answer an invocation within {timeout:g} seconds "
                         "(ModelClientConfig.InvocationsTimeoutInSeconds).") from error
    text, kind = body.decode(), models.mime(returned, models.CSV)
    if kind == models.JSON:
        document = json.loads(text)
        records = document["predictions"] if isinstance(document, dict) and "predictions" in document else document
        if isinstance(records, list) and len(records) == len(rows):
            return [[json.dumps(record)] for record in records]
    lines = [line for line in text.splitlines() if line.strip()]
    if kind != models.CSV and len(lines) == len(rows):  # JSON Lines: one record per line
        return [[line] for line in lines]
    if len(lines) == len(rows):
        return [line.split(",") for line in lines]
    if len(lines) == 1 and len(values := lines[0].split(",")) == len(rows):  # single values come comma-joined
        return [[value] for value in values]
    raise JobFailure(f"ClientError: The model answered {text[:200]!r} ({returned}) for {len(rows)} records; a "
                     "transform needs one prediction per record.")


def _transform_rows(server, rows: list[list[str]], desc: dict) -> list[str]:
    processing = desc.get("DataProcessing") or {}
    input_filter, output_filter = processing.get("InputFilter", "$"), processing.get("OutputFilter", "$")
    features = [[value.strip() for value in json_path(input_filter, row)] for row in rows]
    timeout = (desc.get("ModelClientConfig") or {}).get("InvocationsTimeoutInSeconds",
                                                        DEFAULT_INVOCATION_TIMEOUT_SECONDS)
    outputs = _predictions(server, features, desc["TransformInput"].get("ContentType") or models.CSV,
                           desc["TransformOutput"].get("Accept"), timeout)
    lines = []
    for row, output in zip(rows, outputs, strict=True):
        joined = row + output if processing.get("JoinSource") == "Input" else output
        lines.append(",".join(str(v) for v in json_path(output_filter, joined)))
    return lines


def _run(job: Job, ctx) -> None:
    desc = job.snapshot()
    opt = OptMl("transform", job.name)
    log = JobLog(client(ctx, "logs"), LOG_GROUP, f"{job.name}/{HOST}-{int(now().timestamp())}")
    s3 = client(ctx, "s3")
    job.update(TransformStartTime=now())
    server = None
    try:
        container = client(ctx, "sagemaker").describe_model(ModelName=desc["ModelName"])["PrimaryContainer"]
        env = script_mode.aws_environment(ctx) | (container.get("Environment") or {}) | (desc.get("Environment") or {})
        try:
            server = model_server.start(models.prepare(container, s3, opt.base / "serving"), s3, env)
        except JobFailure as failure:
            raise JobFailure(f"ClientError: {failure.reason}") from failure
        source = desc["TransformInput"]["DataSource"]["S3DataSource"]
        inputs = opt.root / "input" / "data" / "transform"
        s3io.download(s3, source["S3Uri"], inputs, source.get("S3DataType", "S3Prefix"), ctx.region)
        max_bytes = int((desc.get("MaxPayloadInMB") or DEFAULT_MAX_PAYLOAD_MB) * 1024 * 1024)
        assemble = "\n" if desc["TransformOutput"].get("AssembleWith") == "Line" else ""
        for path in sorted(p for p in inputs.rglob("*") if p.is_file()):
            records = _records(path.read_bytes(), desc["TransformInput"].get("SplitType"))
            lines = []
            for batch in _batches(records, desc.get("BatchStrategy", "MultiRecord"), max_bytes):
                lines += _transform_rows(server, _rows(batch), desc)
                job.check()
            body = assemble.join(lines) + ("\n" if assemble else "")
            key = path.relative_to(inputs).as_posix() + ".out"
            s3.upload_fileobj(io.BytesIO(body.encode()),
                              *s3io.split_uri(s3io.join_uri(desc["TransformOutput"]["S3OutputPath"], key)))
            log.write(f"{path.name}: {len(lines)} records transformed")
        fields = {"TransformJobStatus": "Completed"}
    except Interrupted:
        fields = {"TransformJobStatus": "Stopped"}
    except JobFailure as failure:
        log.write(failure.reason)
        fields = {"TransformJobStatus": "Failed", "FailureReason": failure.reason[:1024]}
    except Exception as error:  # a defect or a model that cannot score this input: the job fails, the emulator stays up
        log.write(traceback.format_exc())
        fields = {"TransformJobStatus": "Failed", "FailureReason": f"AlgorithmError: {error}"[:1024]}
    finally:
        if server is not None:
            server.stop()
        log.flush()
        job.update(TransformEndTime=now(), **fields)
        opt.remove()
        job.finished.set()
