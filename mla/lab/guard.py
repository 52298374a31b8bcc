"""Local mode's network fence: every botocore request must go to loopback, whoever made the client."""

from __future__ import annotations

from urllib.parse import urlparse

import botocore.session

from ..emulator import is_loopback


class LocalModeNetworkError(RuntimeError):
    """A request in local mode tried to leave this machine."""


def refuse_non_loopback(request, **_):
    host = urlparse(request.url).hostname
    if not is_loopback(host):
        raise LocalModeNetworkError(
            f"Local mode refused a request to {host}: the local backend never reaches real AWS. "
            "Create clients with lab.client(...) (or plain boto3 after the lab bootstrap) so they use the "
            "local endpoint, or switch to sandbox mode (MLA_BACKEND=aws) on purpose."
        )


_original_init = botocore.session.Session.__init__


def _init_with_guard(self, *args, **kwargs):
    _original_init(self, *args, **kwargs)
    self.register("before-send", refuse_non_loopback, unique_id="mla-loopback-guard")


def install() -> None:
    """Guard every botocore session created from now on, and boto3's default session if one exists."""
    botocore.session.Session.__init__ = _init_with_guard
    import boto3

    boto3.DEFAULT_SESSION = None  # a session made before the bootstrap may hold real credentials


def installed() -> bool:
    return botocore.session.Session.__init__ is _init_with_guard
