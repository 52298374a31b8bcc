"""Sandbox-mode settings: the learner names the account and regions on purpose; everything else has safe defaults.

Read from a YAML file (``MLA_SANDBOX_CONFIG``, else ``<user config dir>/mla/sandbox.yaml``) and then from
``MLA_SANDBOX_*`` environment variables, which win. See docs/sandbox.md.
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlparse

import yaml

from ..emulator import is_loopback


class SandboxConfigError(ValueError):
    """The sandbox settings are missing or invalid."""


class SandboxNotConfigured(SandboxConfigError):
    """No sandbox account or region list is named at all."""


# Small, cheap CPU types only; a learner raises this list in the config file on purpose.
DEFAULT_INSTANCE_TYPES = ("ml.t2.medium", "ml.t3.medium", "ml.m5.large", "ml.m5.xlarge", "ml.c5.large",
                          "ml.c5.xlarge")
# Words in an account alias that mean "not a sandbox"; matched as whole alias parts (split on - _ .).
DEFAULT_PRODUCTION_WORDS = ("prod", "production", "prd", "live", "master", "billing", "payer", "management")


@dataclass(frozen=True)
class SandboxConfig:
    account_id: str
    regions: tuple[str, ...]
    profile: str | None = None
    owner: str = field(default_factory=getpass.getuser)
    cost_ceiling_usd: float = 5.0
    instance_types: tuple[str, ...] = DEFAULT_INSTANCE_TYPES
    max_instance_count: int = 1
    max_runtime_seconds: int = 3600
    expiry_hours: float = 4.0
    production_words: tuple[str, ...] = DEFAULT_PRODUCTION_WORDS
    # Test-only: point sandbox mode at the local backend; honoured only when it is a loopback address.
    endpoint_url: str | None = None

    def check_region(self, region: str) -> None:
        if region not in self.regions:
            raise SandboxConfigError(
                f"Region {region!r} is not in your sandbox region allow-list {list(self.regions)}. Use one of "
                "those, or add the region to `regions` in your sandbox config (MLA_SANDBOX_REGIONS) on purpose."
            )


_ENV = {  # config field -> environment variable
    "account_id": "MLA_SANDBOX_ACCOUNT_ID", "regions": "MLA_SANDBOX_REGIONS", "profile": "MLA_SANDBOX_PROFILE",
    "owner": "MLA_SANDBOX_OWNER", "cost_ceiling_usd": "MLA_SANDBOX_COST_CEILING",
    "instance_types": "MLA_SANDBOX_INSTANCE_TYPES", "max_instance_count": "MLA_SANDBOX_MAX_INSTANCE_COUNT",
    "max_runtime_seconds": "MLA_SANDBOX_MAX_RUNTIME", "expiry_hours": "MLA_SANDBOX_EXPIRY_HOURS",
    "endpoint_url": "MLA_SANDBOX_ENDPOINT_URL",
}


def config_path(env=os.environ) -> Path:
    if env.get("MLA_SANDBOX_CONFIG"):
        return Path(env["MLA_SANDBOX_CONFIG"])
    from platformdirs import user_config_dir

    return Path(user_config_dir("mla")) / "sandbox.yaml"


def load_config(env=os.environ) -> SandboxConfig:
    """The sandbox settings, or a SandboxConfigError that says exactly what to set."""
    path = config_path(env)
    raw: dict = {}
    if path.exists():
        try:
            raw = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as error:
            raise SandboxConfigError(f"{path} is not valid YAML: {error}") from error
        if not isinstance(raw, dict):
            raise SandboxConfigError(f"{path} must be a mapping of settings, e.g. `account_id: '111122223333'`")
        unknown = set(raw) - {f.name for f in fields(SandboxConfig)}
        if unknown:
            raise SandboxConfigError(f"{path} has unknown setting(s) {sorted(unknown)}")
    raw.update({name: env[var] for name, var in _ENV.items() if env.get(var)})
    if not raw.get("account_id") or not raw.get("regions"):
        raise SandboxNotConfigured(
            "Sandbox mode (MLA_BACKEND=aws) is not configured. Name your sandbox account and allowed regions, "
            "e.g. `export MLA_SANDBOX_ACCOUNT_ID=111122223333 MLA_SANDBOX_REGIONS=us-east-1`, or put "
            f"`account_id` and `regions` in {path}. See docs/sandbox.md."
        )
    return _validated(raw)


def _validated(raw: dict) -> SandboxConfig:
    values = dict(raw)
    values["account_id"] = str(values["account_id"]).strip()
    if not re.fullmatch(r"\d{12}", values["account_id"]):
        raise SandboxConfigError(f"account_id must be the 12-digit sandbox account id, not {raw['account_id']!r}")
    for name in ("regions", "instance_types", "production_words"):
        if name in values:
            values[name] = _as_tuple(values[name])
    for name, kind in (("cost_ceiling_usd", float), ("max_instance_count", int),
                       ("max_runtime_seconds", int), ("expiry_hours", float)):
        if name in values:
            try:
                values[name] = kind(values[name])
            except (TypeError, ValueError):
                raise SandboxConfigError(f"{name} must be a number, not {values[name]!r}") from None
            if values[name] <= 0:
                raise SandboxConfigError(f"{name} must be positive, not {values[name]!r}")
    url = values.get("endpoint_url")
    if url and not is_loopback(urlparse(url).hostname):
        raise SandboxConfigError(
            f"endpoint_url {url!r} is not a loopback address: it exists only so tests can stand the local "
            "backend in for a sandbox account; real sandbox mode talks to AWS's own endpoints.")
    return SandboxConfig(**values)


def _as_tuple(value) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(str(item).strip() for item in items if str(item).strip())
