"""Server side of the AWS JSON and REST-JSON wire protocols, driven by botocore's service models.

botocore only speaks the client side; the local backend needs the other half to answer the operations
moto fakes or lacks: find the operation a request is for, read its parameters, and write the response
or error the way the real service does.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import parse_qs, unquote

import botocore.session


class ServiceError(Exception):
    """An error the service returns: its code (e.g. ``ValidationException``), message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400, **fields):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status, self.fields = code, message, status, fields


@cache
def service_model(service: str):
    return botocore.session.get_session().get_service_model(service)


@dataclass(frozen=True)
class Route:
    service: str
    operation: str
    method: str
    pattern: re.Pattern | None  # REST routes; None for JSON-RPC (X-Amz-Target) routes
    target: str | None


def routes_for(service: str, operations) -> list[Route]:
    model = service_model(service)
    protocol = model.metadata["protocol"]
    routes = []
    for name in operations:
        op = model.operation_model(name)
        if protocol == "json":
            routes.append(Route(service, name, "POST", None, f"{model.metadata['targetPrefix']}.{name}"))
        elif protocol == "rest-json":
            uri = op.http["requestUri"].split("?")[0]
            regex = re.sub(r"\{(\w+)\+\}", r"(?P<\1>.+)", uri)
            regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
            routes.append(Route(service, name, op.http["method"], re.compile(f"^{regex}/?$"), None))
        else:
            raise ValueError(f"{service} uses the {protocol} protocol, which the local layer does not serve")
    return routes


def match(route: Route, method: str, path: str, target: str | None):
    if route.target is not None:
        return {} if target == route.target else None
    if method != route.method:
        return None
    found = route.pattern.match(path)
    return None if found is None else {k: unquote(v) for k, v in found.groupdict().items()}


def _coerce(shape, text: str):
    kind = shape.type_name
    if kind in ("integer", "long"):
        return int(text)
    if kind in ("float", "double"):
        return float(text)
    if kind == "boolean":
        return text.lower() == "true"
    if kind == "blob":
        return base64.b64decode(text)
    if kind == "list":
        return [_coerce(shape.member, t) for t in text.split(",")]
    return text


def _decode_blobs(shape, value):
    """JSON bodies carry blobs as base64; hand handlers bytes."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    if kind == "structure" and isinstance(value, dict):
        return {k: _decode_blobs(shape.members.get(k), v) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_decode_blobs(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _decode_blobs(shape.value, v) for k, v in value.items()}
    return value


def parse_request(route: Route, uri_params: dict, headers, query: str, body: bytes) -> dict:
    op = service_model(route.service).operation_model(route.operation)
    shape = op.input_shape
    if shape is None:
        return {}
    if route.target is not None:
        return _decode_blobs(shape, json.loads(body or b"{}"))
    params: dict = {}
    qs = parse_qs(query, keep_blank_values=True)
    payload = shape.serialization.get("payload")
    body_members = {}
    for name, member in shape.members.items():
        where = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if where == "uri" and wire in uri_params:
            params[name] = _coerce(member, uri_params[wire])
        elif where == "header" and wire in headers:
            params[name] = _coerce(member, headers[wire])
        elif where == "querystring" and wire in qs:
            values = qs[wire]
            params[name] = values if member.type_name == "list" else _coerce(member, values[0])
        elif where is None and name != payload:
            body_members[name] = member
    if payload:
        member = shape.members[payload]
        if member.type_name in ("blob", "string"):
            params[payload] = body
        elif body:
            params[payload] = _decode_blobs(member, json.loads(body))
    elif body and body_members:
        data = json.loads(body)
        for name, member in body_members.items():
            wire = member.serialization.get("name", name)
            if wire in data:
                params[name] = _decode_blobs(member, data[wire])
    return params


def _jsonable(value):
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def serialize_response(route: Route, result: dict) -> tuple[int, dict, bytes]:
    op = service_model(route.service).operation_model(route.operation)
    status = op.http.get("responseCode", 200)
    if route.target is not None:
        return status, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(_jsonable(result)).encode()
    headers = {"Content-Type": "application/json"}
    shape = op.output_shape
    if shape is None:
        return status, headers, b""
    payload = shape.serialization.get("payload")
    body: dict = {}
    raw: bytes | None = None
    for name, value in result.items():
        member = shape.members.get(name)
        if member is None or value is None:
            continue
        where = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if where == "header":
            headers[wire] = str(value).lower() if isinstance(value, bool) else str(value)
        elif where == "statusCode":
            status = int(value)
        elif name == payload:
            if member.type_name in ("blob", "string"):
                raw = value if isinstance(value, bytes) else str(value).encode()
            else:
                raw = json.dumps(_jsonable(value)).encode()
        else:
            body[wire] = _jsonable(value)
    if raw is None:
        raw = json.dumps(body).encode()
    return status, headers, raw


def serialize_error(route: Route | None, error: ServiceError) -> tuple[int, dict, bytes]:
    body = {"__type": error.code, "message": error.message, **error.fields}
    content_type = "application/x-amz-json-1.1" if route is None or route.target else "application/json"
    headers = {"Content-Type": content_type, "x-amzn-ErrorType": error.code}
    return error.status, headers, json.dumps(_jsonable(body)).encode()
