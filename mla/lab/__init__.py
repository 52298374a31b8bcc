"""The lab bootstrap: the first code cell of every notebook is ``lab = start(BACKEND)``.

``start`` picks the backend from its argument (a papermill parameter), else ``MLA_BACKEND``, else
``local``. Only this module knows the difference between the backends.
"""

from __future__ import annotations

import os

from .core import Lab
from .guard import LocalModeNetworkError

BACKENDS = ("local", "aws")
DEFAULT_REGION = "us-east-1"
_active: Lab | None = None


class BackendError(RuntimeError):
    """The backend cannot be used as configured."""


def start(backend: str | None = None, region: str | None = None) -> Lab:
    global _active
    choice = (backend or os.environ.get("MLA_BACKEND") or "local").strip().lower()
    if choice not in BACKENDS:
        raise BackendError(
            f"Unknown backend {choice!r}. Use 'local' (the default: offline, no AWS account) or 'aws' "
            "(your own sandbox account, see docs/sandbox.md); set it with MLA_BACKEND or the BACKEND parameter."
        )
    if choice == "local":
        _active = _start_local(region or DEFAULT_REGION)
    else:
        _active = _start_aws(region)
    return _active


def _start_local(region: str) -> Lab:
    from ..emulator import Emulator, check_emulator_url
    from . import environment, guard

    shared = os.environ.get("MLA_EMULATOR_URL")
    environment.isolate_local(region)  # before anything, the emulator included, can create a boto3 session
    if _active is not None and _active.backend == "local" and not shared:
        emulator, url = _active._emulator, _active.endpoint_url  # re-running the cell keeps the state
    elif shared:
        emulator, url = None, check_emulator_url(shared)
    else:
        emulator = Emulator().start()
        url = emulator.url
    environment.isolate_local(region, url)
    guard.install()
    return Lab("local", region, url, emulator)


def _start_aws(region: str | None) -> Lab:
    from .aws import start_aws

    return start_aws(region)


__all__ = ["BACKENDS", "BackendError", "Lab", "LocalModeNetworkError", "start"]
