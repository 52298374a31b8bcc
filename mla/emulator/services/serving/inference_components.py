"""Inference components: ``Create/Describe/List/DeleteInferenceComponent`` and
``UpdateInferenceComponentRuntimeConfig``.

An endpoint whose configuration's variant has no ``ModelName`` (typically with ``ManagedInstanceScaling``) hosts
inference components; each component names a model (``Specification.ModelName``, or its own ``Container``) and
is served by a model server of its own, exactly like a variant's model. ``InvokeEndpoint`` with
``InferenceComponentName`` reaches that component. As in
https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-deploy-models.html and
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateInferenceComponent.html. Copies
(``RuntimeConfig.CopyCount``) are bookkeeping: one model server answers for all of them.
"""

from __future__ import annotations

import threading

from ...protocol import ServiceError
from ...registry import handles
from ..sagemaker.jobs import JobFailure, list_page, now
from ..sagemaker.validation import invalid, validate
from . import endpoints, tags

COMPONENTS: dict[tuple[str, str], Component] = {}
_lock = threading.Lock()
SUMMARY_KEYS = ("InferenceComponentName", "InferenceComponentArn", "EndpointName", "EndpointArn", "VariantName",
                "InferenceComponentStatus", "CreationTime", "LastModifiedTime")


class Component:
    def __init__(self, ctx, params: dict, endpoint, variant_name: str):
        self.name = params["InferenceComponentName"]
        self.arn = endpoints.arn(ctx, "inference-component", self.name)
        self.endpoint, self.variant_name = endpoint, variant_name
        self.specification = params["Specification"]
        self.copies = params["RuntimeConfig"]["CopyCount"]
        self.status, self.failure_reason = "Creating", None
        self.created = self.modified = now()
        self.variant = None  # the endpoints.Variant serving the component's model once it is InService
        self.lock = threading.Lock()

    def snapshot(self) -> dict:
        with self.lock:
            specification = {k: v for k, v in self.specification.items() if k != "Container"}
            container = self.specification.get("Container")
            if container:
                specification["Container"] = {
                    "DeployedImage": {"SpecifiedImage": container.get("Image", ""),
                                      "ResolvedImage": container.get("Image", "")},
                    **{k: container[k] for k in ("ArtifactUrl", "Environment") if k in container}}
            description = {
                "InferenceComponentName": self.name, "InferenceComponentArn": self.arn,
                "EndpointName": self.endpoint.name, "EndpointArn": self.endpoint.arn, "VariantName": self.variant_name,
                "Specification": specification, "InferenceComponentStatus": self.status,
                "RuntimeConfig": {"DesiredCopyCount": self.copies,
                                  "CurrentCopyCount": self.copies if self.status == "InService" else 0},
                "CreationTime": self.created, "LastModifiedTime": self.modified}
            if self.failure_reason:
                description["FailureReason"] = self.failure_reason
            return description

    def set_status(self, status: str, reason: str | None = None) -> None:
        with self.lock:
            self.status, self.failure_reason, self.modified = status, reason, now()

    def stop(self) -> None:
        if self.variant is not None:
            self.variant.stop()


def _container(ctx, specification: dict) -> dict:
    if specification.get("ModelName"):
        return endpoints.container_of(ctx, specification["ModelName"])
    container = specification.get("Container") or {}
    if not container.get("Image"):
        raise JobFailure("The inference component's Specification needs a ModelName or a Container with an Image.")
    return {"Image": container["Image"], "ModelDataUrl": container.get("ArtifactUrl"),
            "Environment": container.get("Environment") or {}}


def _build(component: Component) -> None:
    ctx = component.endpoint.ctx
    try:
        variant = endpoints.start_variant(ctx, {"VariantName": component.variant_name,
                                                "InitialInstanceCount": component.copies},
                                          component.endpoint.root, _container(ctx, component.specification))
    except JobFailure as failure:
        component.set_status("Failed", failure.reason[:1024])
        return
    except Exception as error:  # a defect or an unexpected artifact: the component fails, the emulator stays up
        component.set_status("Failed", f"{type(error).__name__}: {error}"[:1024])
        return
    with component.lock:
        gone = component.status == "Deleting"
        component.variant = variant
    if gone:
        variant.stop()
    else:
        component.set_status("InService")


def get(ctx, name: str) -> Component:
    component = COMPONENTS.get((ctx.region, name))
    if component is None:
        raise ServiceError("ValidationException", f"Could not find inference component "
                                                  f"\"{endpoints.arn(ctx, 'inference-component', name)}\".")
    return component


def serving_variant(ctx, endpoint, name: str):
    """The variant object that answers ``InvokeEndpoint`` with ``InferenceComponentName``."""
    component = COMPONENTS.get((ctx.region, name))
    if component is None or component.endpoint is not endpoint:
        raise ServiceError("ValidationError", f"Inference component {name} does not exist on endpoint "
                                              f"{endpoint.name}.")
    if component.status != "InService" or component.variant is None:
        raise ServiceError("ValidationError", f"Inference component {name} is in status {component.status}; it "
                                              "can be invoked once it is InService.")
    return component.variant


def stop_for(endpoint) -> None:
    """The endpoint is being deleted: its components go with it."""
    with _lock:
        gone = [key for key, c in COMPONENTS.items() if c.endpoint is endpoint]
        removed = [COMPONENTS.pop(key) for key in gone]
    for component in removed:
        tags.deleted(component.arn)
        component.set_status("Deleting")
        component.stop()


@handles("sagemaker", "CreateInferenceComponent")
def create_inference_component(params, ctx):
    validate("CreateInferenceComponent", params)
    endpoint = endpoints.get_endpoint(ctx, params["EndpointName"])
    if not params.get("Specification") or not params.get("RuntimeConfig"):
        raise invalid("An inference component needs a Specification and a RuntimeConfig (CopyCount).")
    hosts = [v for v in endpoint.variants if v.hosts_components]
    variant_name = params.get("VariantName") or (hosts[0].name if hosts else "")
    if endpoint.status != "InService" or not any(v.name == variant_name for v in hosts):
        raise invalid(f"Endpoint {endpoint.name} has no InService variant {variant_name or ''} that hosts inference "
                      "components (a production variant created without ModelName).")
    component = Component(ctx, params, endpoint, variant_name)
    with _lock:
        if (ctx.region, component.name) in COMPONENTS:
            raise invalid(f"Cannot create already existing inference component \"{component.arn}\".")
        tags.created(component.arn, params.get("Tags"))
        COMPONENTS[(ctx.region, component.name)] = component
    endpoints.BUILDERS.submit(_build, component)
    return {"InferenceComponentArn": component.arn}


@handles("sagemaker", "DescribeInferenceComponent")
def describe_inference_component(params, ctx):
    return get(ctx, params["InferenceComponentName"]).snapshot()


@handles("sagemaker", "ListInferenceComponents")
def list_inference_components(params, ctx):
    items = [c for (region, _), c in list(COMPONENTS.items()) if region == ctx.region
             and params.get("EndpointNameEquals") in (None, c.endpoint.name)
             and params.get("VariantNameEquals") in (None, c.variant_name)]
    return list_page(items, params, "InferenceComponentName", "InferenceComponentStatus", SUMMARY_KEYS,
                     "InferenceComponents")


@handles("sagemaker", "UpdateInferenceComponentRuntimeConfig")
def update_inference_component_runtime_config(params, ctx):
    component = get(ctx, params["InferenceComponentName"])
    with component.lock:
        component.copies = params["DesiredRuntimeConfig"]["CopyCount"]
        component.modified = now()
        if component.variant is not None:
            component.variant.instance_count = component.copies
    return {"InferenceComponentArn": component.arn}


@handles("sagemaker", "DeleteInferenceComponent")
def delete_inference_component(params, ctx):
    component = get(ctx, params["InferenceComponentName"])
    with _lock:
        COMPONENTS.pop((ctx.region, component.name), None)
    tags.deleted(component.arn)
    component.set_status("Deleting")
    endpoints.BUILDERS.submit(component.stop)
    return {}
