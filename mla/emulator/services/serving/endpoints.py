"""Endpoint configurations and endpoints: ``Create/Describe/List/DeleteEndpointConfig``,
``Create/Describe/List/Update/DeleteEndpoint`` and ``UpdateEndpointWeightsAndCapacities``.

moto marks an endpoint ``InService`` at once and serves nothing; here ``CreateEndpoint`` answers at once
with ``Creating`` while a worker downloads each variant's model, starts its model server on its own
loopback port and only then moves the endpoint to ``InService`` (or ``Failed`` with the reason the model
could not load). Statuses and fields as in
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ...background import repeat
from ...protocol import ServiceError
from ...registry import Context, handles
from ..sagemaker import script_mode
from ..sagemaker.container import jobs_root
from ..sagemaker.jobs import JobFailure, client, list_page, now
from ..sagemaker.validation import invalid, validate
from . import capture, metrics, model_server, models, tags

BUILDERS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="mla-endpoint")
SERVERLESS_MEMORY_SIZES = (1024, 2048, 3072, 4096, 5120, 6144)
FLUSH_SECONDS = 0.5
CONFIGS: dict[tuple[str, str], dict] = {}
ENDPOINTS: dict[tuple[str, str], Endpoint] = {}
_lock = threading.Lock()


def arn(ctx, kind: str, name: str) -> str:
    return f"arn:aws:sagemaker:{ctx.region}:{ctx.account_id}:{kind}/{name.lower()}"


@dataclass
class Variant:
    """One production (or shadow) variant of a running endpoint: its model server and its traffic share."""

    spec: dict
    image: str
    server: object | None  # None: the variant hosts inference components
    artifact: models.Artifact | None
    env: dict
    workdir: Path
    weight: float
    instance_count: int
    resolved_at: dt.datetime = field(default_factory=now)
    last_used: float = field(default_factory=time.monotonic)
    concurrency: threading.BoundedSemaphore | None = None
    cold: bool = True  # serverless: the next request starts a fresh model server first
    shadow_log: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        return self.spec["VariantName"]

    @property
    def serverless(self) -> dict | None:
        return self.spec.get("ServerlessConfig")

    def restart(self, s3) -> None:
        """A serverless cold start: a fresh model server loads the model again."""
        self.server.stop()
        self.server = model_server.start(self.artifact, s3, self.env)

    @property
    def hosts_components(self) -> bool:
        return self.server is None

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            shutil.rmtree(self.workdir, ignore_errors=True)

    def describe(self, desired_weight: float | None = None) -> dict:
        summary = {"VariantName": self.name,
                   "DeployedImages": [{"SpecifiedImage": self.image, "ResolvedImage": self.image,
                                       "ResolutionTime": self.resolved_at}],
                   "CurrentWeight": self.weight, "DesiredWeight": self.weight if desired_weight is None else desired_weight}
        if self.serverless:
            summary.update(CurrentServerlessConfig=self.serverless, DesiredServerlessConfig=self.serverless)
        else:
            summary.update(CurrentInstanceCount=self.instance_count, DesiredInstanceCount=self.instance_count)
        if self.spec.get("ManagedInstanceScaling"):
            summary["ManagedInstanceScaling"] = self.spec["ManagedInstanceScaling"]
        if self.hosts_components:
            del summary["DeployedImages"]
        return summary


def container_of(ctx, model_name: str) -> dict:
    """The primary container of a model ``CreateModel`` stored (moto)."""
    try:
        model = ctx.moto_backend("sagemaker").describe_model(model_name)
    except Exception:
        raise JobFailure(f"Could not find model \"{arn(ctx, 'model', model_name)}\".") from None
    return model.primary_container or (model.containers[0] if model.containers else {})


def start_variant(ctx, spec: dict, root: Path, container: dict | None = None) -> Variant:
    """Download the variant's model, load it and serve it on a port of its own. A variant without a model
    (``ModelName`` left out) hosts inference components, which bring their own model servers."""
    if container is None and spec.get("ModelName"):
        container = container_of(ctx, spec["ModelName"])
    serverless = spec.get("ServerlessConfig")
    variant = Variant(spec, (container or {}).get("Image", ""), None, None, {}, root,
                      weight=float(spec.get("InitialVariantWeight", 1.0)),
                      instance_count=int(spec.get("InitialInstanceCount") or 1),
                      concurrency=threading.BoundedSemaphore(serverless["MaxConcurrency"]) if serverless else None)
    if container is None:
        return variant
    variant.workdir = Path(tempfile.mkdtemp(prefix=f"{spec['VariantName']}-", dir=root))
    s3 = client(ctx, "s3")
    try:
        variant.artifact = models.prepare(container, s3, variant.workdir)
        variant.env = script_mode.aws_environment(ctx) | (container.get("Environment") or {})
        variant.server = model_server.start(variant.artifact, s3, variant.env)
    except BaseException:
        shutil.rmtree(variant.workdir, ignore_errors=True)
        raise
    return variant


def start_fleet(ctx, config: dict, root: Path) -> tuple[list[Variant], list[Variant]]:
    started: list[Variant] = []
    try:
        for spec in config["ProductionVariants"] + config.get("ShadowProductionVariants", []):
            started.append(start_variant(ctx, spec, root))
    except BaseException:
        for variant in started:
            variant.stop()
        raise
    count = len(config["ProductionVariants"])
    return started[:count], started[count:]


class Endpoint:
    def __init__(self, ctx, name: str, config: dict):
        self.ctx = Context(ctx.url, ctx.region, ctx.account_id)
        self.name, self.config = name, config
        self.arn = arn(ctx, "endpoint", name)
        self.status, self.failure_reason = "Creating", None
        self.created = self.modified = now()
        self.variants: list[Variant] = []
        self.shadows: list[Variant] = []
        self.rng = random.Random(name)  # deterministic routing and sampling for a given endpoint name
        self.lock = threading.RLock()
        self.root = Path(tempfile.mkdtemp(prefix=f"endpoint-{name}-", dir=jobs_root()))
        self.deployment = None  # the blue/green deployment in progress (deployment.Deployment)
        self.last_deployment_config: dict | None = None
        self.logs: dict = {}  # variant name -> JobLog in /aws/sagemaker/Endpoints/<name>

    def set_status(self, status: str, reason: str | None = None) -> None:
        with self.lock:
            self.status, self.failure_reason, self.modified = status, reason, now()

    def snapshot(self) -> dict:
        with self.lock:
            description = {"EndpointName": self.name, "EndpointArn": self.arn,
                           "EndpointConfigName": self.config["EndpointConfigName"],
                           "EndpointStatus": self.status, "CreationTime": self.created,
                           "LastModifiedTime": self.modified}
            if self.variants:
                description["ProductionVariants"] = [v.describe() for v in self.variants]
            elif self.status == "Creating":
                description["ProductionVariants"] = [
                    {"VariantName": s["VariantName"], "CurrentWeight": 0.0,
                     "DesiredWeight": float(s.get("InitialVariantWeight", 1.0)),
                     "VariantStatus": [{"Status": "Creating", "StartTime": self.created}]}
                    for s in self.config["ProductionVariants"]]
            if self.shadows:
                description["ShadowProductionVariants"] = [v.describe() for v in self.shadows]
            if self.failure_reason:
                description["FailureReason"] = self.failure_reason
            if capture.describe(self.config.get("DataCaptureConfig")):
                description["DataCaptureConfig"] = capture.describe(self.config["DataCaptureConfig"])
            if self.config.get("AsyncInferenceConfig"):
                description["AsyncInferenceConfig"] = self.config["AsyncInferenceConfig"]
            if self.last_deployment_config:
                description["LastDeploymentConfig"] = self.last_deployment_config
            if self.deployment is not None:
                description["PendingDeploymentSummary"] = self.deployment.summary()
            return description

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)

    def stop(self) -> None:
        with self.lock:
            for variant in self.variants + self.shadows:
                variant.stop()
            self.variants, self.shadows = [], []
        shutil.rmtree(self.root, ignore_errors=True)


def _build(endpoint: Endpoint) -> None:
    try:
        variants, shadows = start_fleet(endpoint.ctx, endpoint.config, endpoint.root)
    except JobFailure as failure:
        endpoint.set_status("Failed", failure.reason[:1024])
        return
    except Exception as error:  # a defect or an unexpected artifact: the endpoint fails, the emulator stays up
        endpoint.set_status("Failed", f"{type(error).__name__}: {error}"[:1024])
        return
    with endpoint.lock:
        if endpoint.status == "Deleting":
            for variant in variants + shadows:
                variant.stop()
            return
        endpoint.variants, endpoint.shadows = variants, shadows
    endpoint.set_status("InService")
    ensure_ticker()


def get_endpoint(ctx, name: str) -> Endpoint:
    endpoint = ENDPOINTS.get((ctx.region, name))
    if endpoint is None:
        raise ServiceError("ValidationException", f"Could not find endpoint \"{arn(ctx, 'endpoint', name)}\".")
    return endpoint


def get_config(ctx, name: str) -> dict:
    config = CONFIGS.get((ctx.region, name))
    if config is None:
        raise ServiceError("ValidationException",
                           f"Could not find endpoint configuration \"{arn(ctx, 'endpoint-config', name)}\".")
    return config


def check_variants(ctx, params: dict) -> None:
    names = set()
    for spec in params["ProductionVariants"] + params.get("ShadowProductionVariants", []):
        if spec["VariantName"] in names:
            raise invalid(f"Variant names must be unique; {spec['VariantName']} is used twice.")
        names.add(spec["VariantName"])
        serverless = spec.get("ServerlessConfig")
        if serverless is None and not spec.get("InstanceType"):
            raise invalid(f"Variant {spec['VariantName']} needs an InstanceType or a ServerlessConfig.")
        if not spec.get("ModelName"):  # the variant will host inference components
            if serverless is not None or params.get("ShadowProductionVariants") or params.get("AsyncInferenceConfig"):
                raise invalid(f"Variant {spec['VariantName']} has no ModelName: only instance-based real-time "
                              "endpoints host inference components.")
            continue
        if serverless is not None:
            if spec.get("InstanceType") or spec.get("InitialInstanceCount"):
                raise invalid(f"Variant {spec['VariantName']}: ServerlessConfig cannot be combined with "
                              "InstanceType or InitialInstanceCount.")
            if serverless.get("MemorySizeInMB") not in SERVERLESS_MEMORY_SIZES:
                raise invalid(f"1 validation error detected: Value '{serverless.get('MemorySizeInMB')}' at "
                              "'productionVariants.1.member.serverlessConfig.memorySizeInMB' failed to satisfy "
                              f"constraint: Member must satisfy enum value set: {list(SERVERLESS_MEMORY_SIZES)}")
        try:
            ctx.moto_backend("sagemaker").describe_model(spec["ModelName"])
        except Exception:
            raise invalid(f"Could not find model \"{arn(ctx, 'model', spec['ModelName'])}\".") from None
    if params.get("ShadowProductionVariants") and len(params["ProductionVariants"]) != 1:
        raise invalid("An endpoint configuration with shadow variants must have exactly one production variant.")


@handles("sagemaker", "CreateEndpointConfig")
def create_endpoint_config(params, ctx):
    validate("CreateEndpointConfig", params)
    check_variants(ctx, params)
    name = params["EndpointConfigName"]
    config_arn = arn(ctx, "endpoint-config", name)
    with _lock:
        if (ctx.region, name) in CONFIGS:
            raise invalid(f"Cannot create already existing endpoint configuration \"{config_arn}\".")
        tags.created(config_arn, params.get("Tags"))
        CONFIGS[(ctx.region, name)] = {**{k: v for k, v in params.items() if k != "Tags"},
                                       "EndpointConfigArn": config_arn, "CreationTime": now()}
    return {"EndpointConfigArn": config_arn}


@handles("sagemaker", "DescribeEndpointConfig")
def describe_endpoint_config(params, ctx):
    return get_config(ctx, params["EndpointConfigName"])


@handles("sagemaker", "ListEndpointConfigs")
def list_endpoint_configs(params, ctx):
    items = [c for (region, _), c in list(CONFIGS.items()) if region == ctx.region]
    if params.get("NameContains"):
        items = [c for c in items if params["NameContains"] in c["EndpointConfigName"]]
    key = "EndpointConfigName" if params.get("SortBy") == "Name" else "CreationTime"
    items.sort(key=lambda c: c[key], reverse=params.get("SortOrder", "Descending") == "Descending")
    start, size = int(params.get("NextToken") or 0), params.get("MaxResults") or 10
    result = {"EndpointConfigs": [{k: c[k] for k in ("EndpointConfigName", "EndpointConfigArn", "CreationTime")}
                                  for c in items[start:start + size]]}
    if start + size < len(items):
        result["NextToken"] = str(start + size)
    return result


@handles("sagemaker", "DeleteEndpointConfig")
def delete_endpoint_config(params, ctx):
    config = get_config(ctx, params["EndpointConfigName"])
    with _lock:
        CONFIGS.pop((ctx.region, params["EndpointConfigName"]), None)
    tags.deleted(config["EndpointConfigArn"])
    return {}


@handles("sagemaker", "CreateEndpoint")
def create_endpoint(params, ctx):
    validate("CreateEndpoint", params)
    config = get_config(ctx, params["EndpointConfigName"])
    name = params["EndpointName"]
    with _lock:
        if (ctx.region, name) in ENDPOINTS:
            raise invalid(f"Cannot create already existing endpoint \"{arn(ctx, 'endpoint', name)}\".")
        tags.created(arn(ctx, "endpoint", name), params.get("Tags"))
        endpoint = ENDPOINTS[(ctx.region, name)] = Endpoint(ctx, name, config)
    BUILDERS.submit(_build, endpoint)
    return {"EndpointArn": endpoint.arn}


@handles("sagemaker", "DescribeEndpoint")
def describe_endpoint(params, ctx):
    return get_endpoint(ctx, params["EndpointName"]).snapshot()


@handles("sagemaker", "ListEndpoints")
def list_endpoints(params, ctx):
    in_region = [e for (region, _), e in list(ENDPOINTS.items()) if region == ctx.region]
    return list_page(in_region, params, "EndpointName", "EndpointStatus",
                     ("EndpointName", "EndpointArn", "CreationTime", "LastModifiedTime", "EndpointStatus"), "Endpoints")


@handles("sagemaker", "DeleteEndpoint")
def delete_endpoint(params, ctx):
    from . import inference_components

    endpoint = get_endpoint(ctx, params["EndpointName"])
    endpoint.set_status("Deleting")
    if endpoint.deployment is not None:
        endpoint.deployment.cancel()
    with _lock:
        ENDPOINTS.pop((ctx.region, endpoint.name), None)
    tags.deleted(endpoint.arn)
    inference_components.stop_for(endpoint)
    BUILDERS.submit(endpoint.stop)
    return {}


@handles("sagemaker", "UpdateEndpoint")
def update_endpoint(params, ctx):
    from . import deployment

    validate("UpdateEndpoint", params)
    endpoint = get_endpoint(ctx, params["EndpointName"])
    config = get_config(ctx, params["EndpointConfigName"])
    with endpoint.lock:
        if endpoint.status != "InService":
            raise invalid(f"Cannot update in-progress endpoint \"{endpoint.arn}\".")
        endpoint.set_status("Updating")
    deployment.start(endpoint, config, params.get("DeploymentConfig"), BUILDERS)
    return {"EndpointArn": endpoint.arn}


@handles("sagemaker", "UpdateEndpointWeightsAndCapacities")
def update_endpoint_weights_and_capacities(params, ctx):
    validate("UpdateEndpointWeightsAndCapacities", params)
    endpoint = get_endpoint(ctx, params["EndpointName"])
    with endpoint.lock:
        if endpoint.status != "InService":
            raise invalid(f"Cannot update in-progress endpoint \"{endpoint.arn}\".")
        for desired in params["DesiredWeightsAndCapacities"]:
            if endpoint.variant(desired["VariantName"]) is None:
                raise invalid(f"The variant name(s) [{desired['VariantName']}] is/are not present in endpoint "
                              f"\"{endpoint.arn}\".")
        for desired in params["DesiredWeightsAndCapacities"]:
            variant = endpoint.variant(desired["VariantName"])
            if desired.get("DesiredWeight") is not None:
                variant.weight = float(desired["DesiredWeight"])
            if desired.get("DesiredInstanceCount") is not None:
                variant.instance_count = int(desired["DesiredInstanceCount"])
        endpoint.modified = now()
    return {"EndpointArn": endpoint.arn}


# --- background work: metric and capture flushes, autoscaling ------------------------------------------------

def _client_for(url: str, region: str, service: str):
    return client(Context(url, region), service)


def flush() -> None:
    metrics.RECORDER.flush(_client_for)
    capture.WRITER.flush(_client_for)
    for endpoint in list(ENDPOINTS.values()):
        for log in list(endpoint.logs.values()):
            log.flush()


def ensure_ticker() -> None:
    from . import asynchronous, autoscaling

    repeat("mla-serving-ticker", FLUSH_SECONDS, asynchronous.record_backlog, flush, autoscaling.evaluate)
