"""Asynchronous inference: ``InvokeEndpointAsync`` and the endpoint's internal queue.

The request is answered at once with the ``InferenceId`` and the output locations; the input is read from
``InputLocation`` (or the inline ``Body``), the model answers when a worker (``MaxConcurrentInvocationsPerInstance``)
and an instance are free, and the result is written to ``<S3OutputPath>/<inference id>.out`` or
``<S3FailurePath>/<inference id>-error.out`` and announced on the SNS success or error topic
(https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference.html).

An asynchronous endpoint may scale to zero instances (``MinCapacity`` 0): requests then wait in the queue until
it scales out again. Each tick the queue publishes the backlog metrics of
https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html (namespace ``AWS/SageMaker``,
dimension ``EndpointName``): ``ApproximateBacklogSize``, ``ApproximateBacklogSizePerInstance`` (only while there
are instances), ``ApproximateAgeOfOldestRequest`` (service seconds) and ``HasBacklogWithoutCapacity``, the
metrics of the scaling policies in https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html.
Real-time metrics ``Invocations``, ``InvocationsPerInstance`` and ``OverheadLatency`` are not published for
asynchronous endpoints, as on AWS.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from ...protocol import ServiceError
from ...registry import handles
from ..sagemaker import s3io
from ..sagemaker.jobs import client, now
from . import clock, endpoints, metrics, runtime

INLINE_MAX_BYTES = 128_000
DEFAULT_CONCURRENCY_PER_INSTANCE = 4
CAPACITY_POLL_SECONDS = 0.05


class Queue:
    """One endpoint's queue: the workers and what is waiting or running."""

    def __init__(self, endpoint):
        per_instance = (endpoint.config["AsyncInferenceConfig"].get("ClientConfig") or {}) \
            .get("MaxConcurrentInvocationsPerInstance", DEFAULT_CONCURRENCY_PER_INSTANCE)
        self.workers = ThreadPoolExecutor(max_workers=per_instance, thread_name_prefix=f"mla-async-{endpoint.name}"[:40])
        self.received: dict[str, float] = {}  # inference id -> time.monotonic() it arrived, until it is answered
        self.lock = threading.Lock()

    def backlog(self) -> tuple[int, float]:
        """Requests waiting or running, and the age of the oldest in real seconds."""
        with self.lock:
            oldest = min(self.received.values(), default=None)
            return len(self.received), 0.0 if oldest is None else time.monotonic() - oldest


QUEUES: dict[str, Queue] = {}  # endpoint ARN -> its queue
_queues_lock = threading.Lock()


def _queue(endpoint) -> Queue:
    with _queues_lock:
        if endpoint.arn not in QUEUES:
            QUEUES[endpoint.arn] = Queue(endpoint)
        return QUEUES[endpoint.arn]


def capacity(endpoint) -> int:
    with endpoint.lock:
        return sum(v.instance_count for v in endpoint.variants)


def record_backlog() -> None:
    """The backlog metrics of every asynchronous endpoint in service (called each tick); the queues of deleted
    endpoints go."""
    live = [e for e in list(endpoints.ENDPOINTS.values()) if e.config.get("AsyncInferenceConfig")]
    with _queues_lock:
        gone = [QUEUES.pop(a) for a in set(QUEUES) - {e.arn for e in live}]
    for queue in gone:
        queue.workers.shutdown(wait=False)
    for endpoint in live:
        if endpoint.status != "InService":
            continue
        size, age = _queue(endpoint).backlog()
        instances = capacity(endpoint)
        values = {"ApproximateBacklogSize": size, "ApproximateAgeOfOldestRequest": age * clock.factor(),
                  "HasBacklogWithoutCapacity": int(size > 0 and instances == 0)}
        if instances:
            values["ApproximateBacklogSizePerInstance"] = size / instances
        metrics.RECORDER.record(endpoint.ctx, endpoint.name, "", values)


def _wait_for_capacity(endpoint) -> bool:
    """Block until the endpoint has an instance again; False once it is gone."""
    while capacity(endpoint) == 0:
        if endpoint.status in ("Deleting", "Failed"):
            return False
        time.sleep(CAPACITY_POLL_SECONDS)
    return True


def _notify(endpoint, topic: str | None, message: dict) -> None:
    if topic:
        client(endpoint.ctx, "sns").publish(TopicArn=topic, Message=json.dumps(message))


def _put(s3, uri: str, body: bytes, **extra) -> None:
    bucket, key = s3io.split_uri(uri)
    s3.put_object(Bucket=bucket, Key=key, Body=body, **extra)


def _run(endpoint, queue: Queue, params: dict, inference_id: str, output: str, failure: str | None, received) -> None:
    try:
        if _wait_for_capacity(endpoint):
            _answer(endpoint, params, inference_id, output, failure, received)
    finally:
        with queue.lock:
            queue.received.pop(inference_id, None)


def _answer(endpoint, params: dict, inference_id: str, output: str, failure: str | None, received) -> None:
    s3 = client(endpoint.ctx, "s3")
    topics = endpoint.config["AsyncInferenceConfig"]["OutputConfig"].get("NotificationConfig") or {}
    base = {"awsRegion": endpoint.ctx.region, "receivedTime": received.isoformat().replace("+00:00", "Z"),
            "requestParameters": {"contentType": params.get("ContentType") or "application/octet-stream",
                                  "endpointName": endpoint.name, "inputLocation": params.get("InputLocation")},
            "inferenceId": inference_id, "eventVersion": "1.0", "eventSource": "aws:sagemaker",
            "eventName": "InferenceResult"}
    variant = None
    try:
        if params.get("InputLocation"):
            bucket, key = s3io.split_uri(params["InputLocation"])
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        else:
            body = params.get("Body") or b""
        variant = runtime.choose(endpoint, None)
        answer = runtime.ask(endpoint, variant, body, params.get("ContentType"), params.get("Accept"),
                             params.get("CustomAttributes"))
    except Exception as error:  # an unreadable input or a model server gone: the request fails, the queue goes on
        answer = None
        text = f"{type(error).__name__}: {error}"
    if variant is not None:
        runtime.record_metrics(endpoint, variant, answer, None)
    event_time = now().isoformat().replace("+00:00", "Z")
    if answer is not None and answer.status == 200:
        _put(s3, output, answer.body, ContentType=answer.content_type)
        _notify(endpoint, topics.get("SuccessTopic"), base | {
            "eventTime": event_time, "invocationStatus": "Completed",
            "responseParameters": {"contentType": answer.content_type, "outputLocation": output}})
        return
    if answer is not None:
        text = answer.body.decode("utf-8", "replace")
    if failure:
        _put(s3, failure, text.encode())
    _notify(endpoint, topics.get("ErrorTopic"), base | {
        "eventTime": event_time, "invocationStatus": "Failed", "failureReason": text[:1024],
        "responseParameters": {"failureLocation": failure} if failure else {}})


@handles("sagemaker-runtime", "InvokeEndpointAsync")
def invoke_endpoint_async(params, ctx):
    endpoint = runtime.find_live_endpoint(ctx, params["EndpointName"])
    if not endpoint.config.get("AsyncInferenceConfig"):
        raise ServiceError("ValidationError", f"Endpoint {endpoint.name} is not configured for asynchronous "
                                              "inference (AsyncInferenceConfig).")
    if bool(params.get("InputLocation")) == bool(params.get("Body")):
        raise ServiceError("ValidationError", "Provide exactly one of InputLocation and Body.")
    if params.get("Body") and len(params["Body"]) > INLINE_MAX_BYTES:
        raise ServiceError("ValidationError", f"An inline Body is limited to {INLINE_MAX_BYTES} bytes; "
                                              "upload larger payloads to S3 and pass InputLocation.")
    output_config = endpoint.config["AsyncInferenceConfig"]["OutputConfig"]
    inference_id = params.get("InferenceId") or str(uuid.uuid4())
    output = s3io.join_uri(output_config["S3OutputPath"], f"{inference_id}.out")
    failure = s3io.join_uri(output_config["S3FailurePath"], f"{inference_id}-error.out") \
        if output_config.get("S3FailurePath") else None
    queue = _queue(endpoint)
    with queue.lock:
        queue.received[inference_id] = time.monotonic()
    queue.workers.submit(_run, endpoint, queue, params, inference_id, output, failure, dt.datetime.now(dt.UTC))
    result = {"InferenceId": inference_id, "OutputLocation": output}
    if failure:
        result["FailureLocation"] = failure
    return result
