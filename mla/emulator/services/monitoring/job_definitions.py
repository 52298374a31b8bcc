"""Monitoring job definitions of the four kinds: ``Create/Describe/List/Delete`` ``DataQuality``, ``ModelQuality``,
``ModelBias`` and ``ModelExplainability`` job definitions
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateDataQualityJobDefinition.html and its
siblings). ``Describe*`` answers the request back with the ARN and creation time, as the service does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ...protocol import ServiceError
from ...registry import handles
from ..sagemaker.jobs import now
from ..sagemaker.validation import validate


@dataclass(frozen=True)
class Kind:
    monitoring_type: str  # also the prefix of the request's members: DataQualityAppSpecification, ...
    arn_kind: str

    def operation(self, verb: str) -> str:
        return f"{verb}{self.monitoring_type}JobDefinition{'s' if verb == 'List' else ''}"


KINDS = {k.monitoring_type: k for k in (
    Kind("DataQuality", "data-quality-job-definition"), Kind("ModelQuality", "model-quality-job-definition"),
    Kind("ModelBias", "model-bias-job-definition"),
    Kind("ModelExplainability", "model-explainability-job-definition"))}

_DEFINITIONS: dict[tuple[str, str], dict] = {}  # (region, name) -> description (with "MonitoringType")
_LOCK = threading.Lock()


def get(ctx, name: str, monitoring_type: str | None = None) -> dict:
    definition = _DEFINITIONS.get((ctx.region, name))
    if definition is None or (monitoring_type and definition["MonitoringType"] != monitoring_type):
        raise ServiceError("ResourceNotFound", f"Job definition {name} does not exist.")
    return definition


def _create(kind: Kind, params: dict, ctx) -> dict:
    validate(kind.operation("Create"), params)
    name = params["JobDefinitionName"]
    arn = f"arn:aws:sagemaker:{ctx.region}:{ctx.account_id}:{kind.arn_kind}/{name.lower()}"
    description = {k: v for k, v in params.items() if k != "Tags"}
    description.update(JobDefinitionArn=arn, CreationTime=now(), MonitoringType=kind.monitoring_type)
    with _LOCK:
        if (ctx.region, name) in _DEFINITIONS:
            raise ServiceError("ResourceInUse", f"Job definition {name} already exists ({arn}).")
        _DEFINITIONS[(ctx.region, name)] = description
    return {"JobDefinitionArn": arn}


def _describe(kind: Kind, params: dict, ctx) -> dict:
    return {k: v for k, v in get(ctx, params["JobDefinitionName"], kind.monitoring_type).items()
            if k != "MonitoringType"}


def endpoint_of(definition: dict) -> str | None:
    job_input = definition.get(f"{definition['MonitoringType']}JobInput") or {}
    return (job_input.get("EndpointInput") or {}).get("EndpointName")


def _list(kind: Kind, params: dict, ctx) -> dict:
    with _LOCK:
        items = [d for (region, _), d in _DEFINITIONS.items()
                 if region == ctx.region and d["MonitoringType"] == kind.monitoring_type]
    if params.get("NameContains"):
        items = [d for d in items if params["NameContains"] in d["JobDefinitionName"]]
    if params.get("EndpointName"):
        items = [d for d in items if endpoint_of(d) == params["EndpointName"]]
    if params.get("CreationTimeAfter") is not None:
        items = [d for d in items if d["CreationTime"].timestamp() > _seconds(params["CreationTimeAfter"])]
    if params.get("CreationTimeBefore") is not None:
        items = [d for d in items if d["CreationTime"].timestamp() < _seconds(params["CreationTimeBefore"])]
    key = "JobDefinitionName" if params.get("SortBy") == "Name" else "CreationTime"
    items.sort(key=lambda d: d[key], reverse=params.get("SortOrder", "Descending") == "Descending")
    start, size = int(params.get("NextToken") or 0), params.get("MaxResults") or 10
    page = [{"MonitoringJobDefinitionName": d["JobDefinitionName"], "MonitoringJobDefinitionArn": d["JobDefinitionArn"],
             "CreationTime": d["CreationTime"], "EndpointName": endpoint_of(d) or ""} for d in items[start:start + size]]
    result = {"JobDefinitionSummaries": page}
    if start + size < len(items):
        result["NextToken"] = str(start + size)
    return result


def _seconds(value) -> float:
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def _delete(kind: Kind, params: dict, ctx) -> dict:
    from .schedules import schedules_using

    name = params["JobDefinitionName"]
    get(ctx, name, kind.monitoring_type)
    users = schedules_using(ctx, name)
    if users:
        raise ServiceError("ResourceInUse", f"Job definition {name} is in use by monitoring schedule "
                           f"{users[0]}; delete the schedule first.")
    with _LOCK:
        _DEFINITIONS.pop((ctx.region, name), None)
    return {}


def _register(kind: Kind) -> None:
    for verb, handler in (("Create", _create), ("Describe", _describe), ("List", _list), ("Delete", _delete)):
        handles("sagemaker", kind.operation(verb))(lambda params, ctx, h=handler: h(kind, params, ctx))


for _kind in KINDS.values():
    _register(_kind)
