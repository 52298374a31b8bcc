"""What the Bedrock handlers share: request validation, per-account/region state, error helpers."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field

from botocore.validate import ParamValidator

from ...protocol import ServiceError, service_model
from ...registry import handles


def operation(service: str, name: str):
    """Register a handler that first validates the request against botocore's model for the operation, so
    raw HTTP callers get the same checks (and wording) as botocore's client-side validation."""

    def register(func):
        def validated(params: dict, ctx):
            shape = service_model(service).operation_model(name).input_shape
            if shape is not None:
                report = ParamValidator().validate(params, shape)
                if report.has_errors():
                    raise ServiceError("ValidationException", report.generate_report())
            return func(params, ctx)

        validated.__name__ = func.__name__
        validated.__doc__ = func.__doc__
        return handles(service, name)(validated)

    return register


def not_found(what: str, identifier: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"{what} {identifier} does not exist.", 404)


def invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


@dataclass
class RegionState:
    guardrails: dict = field(default_factory=dict)  # id -> {"versions": {"DRAFT": record, "1": record}, ...}
    data_sources: dict = field(default_factory=dict)  # (kb id, data source id) -> data source dict
    ingestion_jobs: dict = field(default_factory=dict)  # (kb id, ds id) -> [job dict]
    indexes: dict = field(default_factory=dict)  # kb id -> VectorIndex
    lock: threading.RLock = field(default_factory=threading.RLock)


_STATES: dict[tuple[str, str], RegionState] = defaultdict(RegionState)


def state(ctx) -> RegionState:
    return _STATES[(ctx.account_id, ctx.region)]
