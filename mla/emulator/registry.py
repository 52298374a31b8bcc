"""Which operations the local layer answers itself instead of moto, and the handlers that do it.

A service module under ``mla.emulator.services`` decorates a function with ``@handles("sagemaker",
"CreateTrainingJob")``; the function takes the request's parameters and a :class:`Context` and returns the
response as a dict (or raises :class:`~mla.emulator.protocol.ServiceError`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

HANDLERS: dict[tuple[str, str], Callable] = {}


def handles(service: str, operation: str):
    def register(func):
        HANDLERS[(service, operation)] = func
        return func

    return register


def operations_by_service() -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for service, operation in HANDLERS:
        grouped[service].append(operation)
    return grouped


@dataclass
class Context:
    """What a handler knows about the request and the emulator it runs in."""

    url: str
    region: str
    account_id: str = "123456789012"

    def client(self, service: str):
        """A boto3 client that talks to this same emulator (for S3 artifacts, logs, metrics...)."""
        import boto3

        return boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=self.region
        ).client(service, endpoint_url=self.url)

    def moto_backend(self, service: str):
        from moto.backends import get_backend

        return get_backend(service)[self.account_id][self.region]
