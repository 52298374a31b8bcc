"""Tags of the hosting resources this layer keeps (endpoints, endpoint configurations, inference components):
``Tags`` given to their Create calls and ``AddTags`` / ``ListTags`` / ``DeleteTags`` on their ARNs. Tags of every
other SageMaker resource stay with moto. Behaviour as in
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AddTags.html (a key added again takes the new value;
at most 50 tags per resource) and https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListTags.html.
"""

from __future__ import annotations

import threading

from ...protocol import ServiceError
from ...registry import handles

OWN_KINDS = ("endpoint", "endpoint-config", "inference-component")
MAX_TAGS = 50
_tags: dict[str, dict[str, str]] = {}  # lower-case ARN -> tag key -> value, in the order added
_lock = threading.Lock()


def _key(arn: str) -> str:
    return arn.lower()


def _own(arn: str) -> bool:
    return arn.split(":", 5)[-1].split("/", 1)[0] in OWN_KINDS


def _merge(current: dict[str, str], tags: list[dict]) -> None:
    added = {t["Key"]: t.get("Value", "") for t in tags or []}
    if len(current | added) > MAX_TAGS:
        raise ServiceError("ValidationException", f"A resource can have at most {MAX_TAGS} tags.")
    current.update(added)


def created(arn: str, tags: list[dict] | None) -> None:
    """A resource of this layer was created with ``Tags``."""
    current: dict[str, str] = {}
    _merge(current, tags or [])
    with _lock:
        _tags[_key(arn)] = current


def deleted(arn: str) -> None:
    with _lock:
        _tags.pop(_key(arn), None)


def _own_tags(arn: str) -> dict[str, str]:
    found = _tags.get(_key(arn))
    if found is None:
        raise ServiceError("ValidationException", f"Could not find resource \"{arn}\".")
    return found


def _moto(ctx, arn: str, call):
    try:
        return call(ctx.moto_backend("sagemaker"))
    except Exception:  # moto fails on an unknown ARN with an AttributeError rather than the service's error
        raise ServiceError("ValidationException", f"Could not find resource \"{arn}\".") from None


@handles("sagemaker", "AddTags")
def add_tags(params, ctx):
    arn = params["ResourceArn"]
    if not _own(arn):
        return {"Tags": _moto(ctx, arn, lambda backend: backend.add_tags(arn, params["Tags"]))}
    with _lock:
        _merge(_own_tags(arn), params["Tags"])
    return {"Tags": params["Tags"]}


@handles("sagemaker", "ListTags")
def list_tags(params, ctx):
    arn = params["ResourceArn"]
    if not _own(arn):
        tags, token = _moto(ctx, arn, lambda backend: backend.list_tags(
            arn=arn, MaxResults=params.get("MaxResults"), NextToken=params.get("NextToken")))
        return {"Tags": tags, **({"NextToken": token} if token else {})}
    with _lock:  # one page: MaxResults is at least 50, the most tags a resource can have
        return {"Tags": [{"Key": k, "Value": v} for k, v in _own_tags(arn).items()]}


@handles("sagemaker", "DeleteTags")
def delete_tags(params, ctx):
    arn = params["ResourceArn"]
    if not _own(arn):
        _moto(ctx, arn, lambda backend: backend.delete_tags(arn, params["TagKeys"]))
        return {}
    with _lock:
        current = _own_tags(arn)
        for key in params["TagKeys"]:
            current.pop(key, None)
    return {}
