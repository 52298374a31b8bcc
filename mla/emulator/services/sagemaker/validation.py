"""Request validation the way the SageMaker service does it, driven by botocore's service model.

botocore checks only types, required members and minimums on the client; the service also rejects values
outside an enum (``ml.bogus``), over a maximum or not matching a pattern, with messages such as
``1 validation error detected: Value 'ml.bogus' at 'resourceConfig.instanceType' failed to satisfy
constraint: Member must satisfy enum value set: [...]``.
"""

from __future__ import annotations

import re
from functools import cache

from ...protocol import ServiceError, service_model


def validate(operation: str, params: dict) -> None:
    """Raise ``ValidationException`` listing every constraint ``params`` breaks, as the service words it."""
    shape = service_model("sagemaker").operation_model(operation).input_shape
    errors: list[str] = []
    _check(shape, params, "", errors)
    if errors:
        count = f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected: "
        raise ServiceError("ValidationException", count + "; ".join(errors))


def invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _shown(value) -> str:
    return "null" if value is None else f"'{value}'"


def _fail(errors, value, path, constraint):
    errors.append(f"Value {_shown(value)} at '{path}' failed to satisfy constraint: {constraint}")


@cache
def _pattern(text: str) -> re.Pattern | None:
    try:
        return re.compile(text)
    except re.error:  # a Java-only construct; the service would check it, we cannot
        return None


def _check(shape, value, path, errors):
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        for name in shape.required_members:
            if value.get(name) is None:
                _fail(errors, None, _join(path, name), "Member must not be null")
        for name, member in shape.members.items():
            if value.get(name) is not None:
                _check(member, value[name], _join(path, name), errors)
        return
    if kind in ("list", "map", "string"):
        size = len(value)
        if "min" in meta and size < meta["min"]:
            _fail(errors, value, path, f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and size > meta["max"]:
            _fail(errors, value, path, f"Member must have length less than or equal to {meta['max']}")
    if kind == "list":
        for index, item in enumerate(value, start=1):
            _check(shape.member, item, f"{path}.{index}.member", errors)
    elif kind == "map":
        for key, item in value.items():
            _check(shape.value, item, f"{path}.{key}", errors)
    elif kind == "string":
        if shape.enum and value not in shape.enum:
            _fail(errors, value, path, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        pattern = _pattern(meta["pattern"]) if "pattern" in meta else None
        if pattern is not None and not pattern.fullmatch(value):
            _fail(errors, value, path, f"Member must satisfy regular expression pattern: {meta['pattern']}")
    elif kind in ("integer", "long", "float", "double"):
        if "min" in meta and value < meta["min"]:
            _fail(errors, value, path, f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            _fail(errors, value, path, f"Member must have value less than or equal to {meta['max']}")


def _join(path: str, name: str) -> str:
    return f"{path}.{_camel(name)}" if path else _camel(name)
