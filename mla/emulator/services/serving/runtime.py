"""SageMaker Runtime: ``InvokeEndpoint`` and ``InvokeEndpointAsync`` answered by the endpoint's own model
servers.

* Routing: ``TargetVariant`` or a weighted draw over the production variants (``CurrentWeight``); a
  blue/green deployment in progress shifts part of the traffic to the new fleet; shadow variants get a copy
  of each request in the background, their responses are logged and never returned.
* Limits and errors as documented for
  https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html: a 6 MB payload
  (4 MB serverless), 60 s for the container to answer (a ``ModelError`` with status 0 after that),
  ``ValidationError`` for an unknown endpoint or variant, ``ModelError`` (424) carrying the container's
  ``OriginalStatusCode`` and ``OriginalMessage``.
``InvokeEndpointAsync`` is in ``asynchronous.py``.
"""

from __future__ import annotations

import http.client
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from ...protocol import ServiceError
from ...registry import handles
from ..sagemaker.jobs import client, now
from ..sagemaker.logs import JobLog
from . import capture, clock, endpoints, inference_components, metrics, model_server

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
SERVERLESS_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024
INVOCATION_TIMEOUT_SECONDS = 60.0
SERVERLESS_IDLE_SECONDS = 900  # service time without requests after which a serverless variant is cold again
LIVE = ("InService", "Updating", "SystemUpdating", "RollingBack")
SHADOWS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="mla-shadow")
_pool: dict[int, list[http.client.HTTPConnection]] = {}
_pool_lock = threading.Lock()


class Answer:
    """What a variant's container answered, and how long it took."""

    def __init__(self, status: int, body: bytes, content_type: str, custom_attributes: str | None,
                 model_us: float, setup_us: float | None):
        self.status, self.body, self.content_type = status, body, content_type
        self.custom_attributes, self.model_us, self.setup_us = custom_attributes, model_us, setup_us


def invocation_timeout() -> float:
    """60 s, as on AWS. ``MLA_SERVING_INVOCATION_TIMEOUT_SECONDS`` lowers it so a test need not wait a minute;
    the compressed clock does not apply because the model's own computing time is never compressed."""
    return float(os.environ.get("MLA_SERVING_INVOCATION_TIMEOUT_SECONDS") or INVOCATION_TIMEOUT_SECONDS)


def _connection(port: int) -> http.client.HTTPConnection:
    timeout = invocation_timeout()
    with _pool_lock:
        idle = _pool.get(port)
        connection = idle.pop() if idle else None
    if connection is None:
        return http.client.HTTPConnection(model_server.HOST, port, timeout=timeout)
    connection.timeout = timeout
    if connection.sock is not None:
        connection.sock.settimeout(timeout)
    return connection


def _release(port: int, connection: http.client.HTTPConnection) -> None:
    with _pool_lock:
        _pool.setdefault(port, []).append(connection)


def ask(endpoint, variant, body: bytes, content_type: str | None, accept: str | None,
        custom_attributes: str | None = None, target_model: str | None = None) -> Answer:
    """POST ``body`` to the variant's ``/invocations``; a cold serverless variant first loads its model."""
    setup_us = None
    if variant.serverless:
        if not variant.concurrency.acquire(blocking=False):
            raise ServiceError("ThrottlingException", "The request was throttled: the serverless endpoint's "
                               f"MaxConcurrency ({variant.serverless['MaxConcurrency']}) is reached.", 400)
        with variant.lock:
            if variant.cold or time.monotonic() - variant.last_used > clock.real_seconds(SERVERLESS_IDLE_SECONDS):
                started = time.perf_counter()
                variant.restart(client(endpoint.ctx, "s3"))
                variant.cold = False
                setup_us = (time.perf_counter() - started) * 1e6
    try:
        headers = {"Content-Type": content_type or "application/octet-stream", "Accept": accept or "*/*"}
        if custom_attributes:
            headers["X-Amzn-SageMaker-Custom-Attributes"] = custom_attributes
        if target_model:
            headers[model_server.TARGET_MODEL_HEADER] = target_model
        port = variant.server.port
        started = time.perf_counter()
        connection = _connection(port)
        try:
            connection.request("POST", "/invocations", body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except TimeoutError:
            connection.close()
            return Answer(0, b"Your invocation timed out while waiting for a response from container primary. "
                             b"Review the latency metrics for each container in Amazon CloudWatch, resolve the "
                             b"issue, and try again.", "text/plain", None,
                          (time.perf_counter() - started) * 1e6, setup_us)
        except (ConnectionError, http.client.HTTPException, OSError):
            connection.close()
            raise
        model_us = (time.perf_counter() - started) * 1e6
        _release(port, connection)
        return Answer(response.status, data, response.getheader("Content-Type", ""),
                      response.getheader("X-Amzn-SageMaker-Custom-Attributes"), model_us, setup_us)
    finally:
        variant.last_used = time.monotonic()
        if variant.serverless:
            variant.concurrency.release()


def record_metrics(endpoint, variant, answer: Answer | None, overhead_us: float | None) -> None:
    """The invocation's metrics; ``overhead_us`` None for an asynchronous invocation, for which SageMaker
    publishes neither ``Invocations``, ``InvocationsPerInstance`` nor ``OverheadLatency``."""
    status = answer.status if answer else 500
    values = {"Invocation4XXErrors": int(400 <= status < 500), "Invocation5XXErrors": int(status >= 500 or status == 0),
              "InvocationModelErrors": int(status != 200)}
    if overhead_us is not None:
        values |= {"Invocations": 1, "InvocationsPerInstance": 1 / max(variant.instance_count, 1),
                   "OverheadLatency": overhead_us}
    if answer is not None:
        values["ModelLatency"] = answer.model_us
        if answer.setup_us is not None:
            values["ModelSetupTime"] = answer.setup_us
    metrics.RECORDER.record(endpoint.ctx, endpoint.name, variant.name, values)


def log(endpoint, variant, text: str) -> None:
    with endpoint.lock:
        logs = endpoint.logs
        if variant.name not in logs:
            logs[variant.name] = JobLog(client(endpoint.ctx, "logs"), log_group(endpoint.name),
                                        f"{variant.name}/i-{uuid.uuid5(uuid.NAMESPACE_URL, endpoint.arn).hex[:17]}")
    logs[variant.name].write(text)


def log_group(endpoint_name: str) -> str:
    return f"/aws/sagemaker/Endpoints/{endpoint_name}"


def model_error(endpoint, answer: Answer) -> ServiceError:
    region, account = endpoint.ctx.region, endpoint.ctx.account_id
    kind = "client" if 400 <= answer.status < 500 else "server"
    text = answer.body.decode("utf-8", "replace")
    message = (f'Received {kind} error ({answer.status}) from primary with message "{text}". See '
               f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logEventViewer:group="
               f"{log_group(endpoint.name)} in account {account} for more information.")
    return ServiceError("ModelError", message, 424, OriginalStatusCode=answer.status, OriginalMessage=text,
                        LogStreamArn=f"arn:aws:logs:{region}:{account}:log-group:{log_group(endpoint.name)}")


def find_live_endpoint(ctx, name: str):
    if name.startswith("arn:"):  # EndpointName also takes the endpoint's ARN, whose name part is lower case
        wanted = name.rsplit("/", 1)[-1]
        name = next((n for (region, n) in list(endpoints.ENDPOINTS) if region == ctx.region and n.lower() == wanted),
                    wanted)
    endpoint = endpoints.ENDPOINTS.get((ctx.region, name))
    if endpoint is None:
        raise ServiceError("ValidationError", f"Endpoint {name} of account {ctx.account_id} not found.")
    if endpoint.status not in LIVE or not endpoint.variants:
        raise ServiceError("ValidationError", f"Endpoint {name} of account {ctx.account_id} is in status "
                                              f"{endpoint.status}; it can be invoked once it is InService.")
    return endpoint


def choose(endpoint, target_variant: str | None):
    """The variant that serves this request: the one asked for, else a draw weighted by CurrentWeight."""
    with endpoint.lock:
        fleet = endpoint.deployment.route(endpoint.rng) if endpoint.deployment is not None else endpoint.variants
        if target_variant:
            for variant in endpoint.variants + fleet:
                if variant.name == target_variant:
                    return variant
            raise ServiceError("ValidationError", f"The variant {target_variant} does not exist for endpoint "
                                                  f"{endpoint.name}.")
        total = sum(v.weight for v in fleet)
        if total <= 0:
            raise ServiceError("ValidationError", f"Endpoint {endpoint.name} has no variant with a weight above 0; "
                                                  "use TargetVariant or UpdateEndpointWeightsAndCapacities.")
        point = endpoint.rng.random() * total
        for variant in fleet:
            point -= variant.weight
            if point < 0:
                return variant
        return fleet[-1]


def _shadow(endpoint, shadow, params: dict) -> None:
    started = time.perf_counter()
    try:
        answer = ask(endpoint, shadow, params.get("Body") or b"", params.get("ContentType"), params.get("Accept"),
                     params.get("CustomAttributes"))
    except Exception as error:  # a shadow's failure must never reach the caller
        log(endpoint, shadow, f"shadow request failed: {error}")
        return
    record_metrics(endpoint, shadow, answer, max((time.perf_counter() - started) * 1e6 - answer.model_us, 0))
    text = answer.body.decode("utf-8", "replace")
    with shadow.lock:
        shadow.shadow_log.append({"status": answer.status, "body": text})
        del shadow.shadow_log[:-1000]
    log(endpoint, shadow, f"shadow response ({answer.status}): {text[:2000]}")


def _capture(endpoint, variant, params: dict, answer: Answer) -> None:
    config = endpoint.config.get("DataCaptureConfig")
    if not config or not config.get("EnableCapture", True):
        return
    with endpoint.lock:
        sampled = endpoint.rng.random() * 100 < config["InitialSamplingPercentage"]
    if sampled:
        line = capture.record(config, params.get("Body") or b"", params.get("ContentType") or "application/octet-stream",
                              answer.body, answer.content_type, params.get("InferenceId"), now())
        capture.WRITER.add(endpoint.ctx, config["DestinationS3Uri"], endpoint.name, variant.name, line)


@handles("sagemaker-runtime", "InvokeEndpoint")
def invoke_endpoint(params, ctx):
    started = time.perf_counter()
    endpoint = find_live_endpoint(ctx, params["EndpointName"])
    body = params.get("Body") or b""
    if params.get("InferenceComponentName"):
        variant = inference_components.serving_variant(ctx, endpoint, params["InferenceComponentName"])
    else:
        variant = choose(endpoint, params.get("TargetVariant"))
        if variant.hosts_components:
            raise ServiceError("ValidationError", f"Endpoint {endpoint.name} hosts inference components: name one "
                                                  "with InferenceComponentName.")
    limit = SERVERLESS_MAX_PAYLOAD_BYTES if variant.serverless else MAX_PAYLOAD_BYTES
    if len(body) > limit:
        raise ServiceError("ValidationError", f"Request payload of {len(body)} bytes is larger than the maximum "
                                              f"of {limit} bytes for this endpoint.", 413)
    answer = ask(endpoint, variant, body, params.get("ContentType"), params.get("Accept"),
                 params.get("CustomAttributes"), params.get("TargetModel"))
    for shadow in endpoint.shadows:
        SHADOWS.submit(_shadow, endpoint, shadow, params)
    record_metrics(endpoint, variant, answer, max((time.perf_counter() - started) * 1e6 - answer.model_us, 0))
    if answer.status != 200:
        log(endpoint, variant, f"invocation failed ({answer.status}): {answer.body.decode('utf-8', 'replace')}")
        raise model_error(endpoint, answer)
    _capture(endpoint, variant, params, answer)
    result = {"Body": answer.body, "ContentType": answer.content_type, "InvokedProductionVariant": variant.name}
    if answer.custom_attributes:
        result["CustomAttributes"] = answer.custom_attributes
    return result
