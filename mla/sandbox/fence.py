"""The account fence: before anything is created, prove the credentials belong to the named sandbox account."""

from __future__ import annotations

import re

from .config import SandboxConfig


class SandboxRefused(RuntimeError):
    """Sandbox mode will not run against this account, region or credential source."""


def check_account(boto_session, config: SandboxConfig, region: str) -> dict:
    """Refuse the wrong account, a production-looking alias or a region off the list.

    Makes read-only calls only (STS GetCallerIdentity, IAM ListAccountAliases). Returns what it found.
    """
    if region not in config.regions:
        raise SandboxRefused(
            f"Region {region!r} is not in your sandbox region allow-list {list(config.regions)}; nothing was "
            "created. Use an allowed region or add it to `regions` in your sandbox config on purpose.")
    credentials = boto_session.get_credentials()
    if credentials is None:
        raise SandboxRefused(
            "No AWS credentials found. Outside SageMaker Studio sign in with a named profile or SSO session "
            "(`aws sso login --profile NAME`, then MLA_SANDBOX_PROFILE=NAME); in Studio the execution role is used.")
    identity = boto_session.client("sts").get_caller_identity()
    if identity["Account"] != config.account_id:
        raise SandboxRefused(
            f"These credentials belong to account {identity['Account']}, not to your sandbox account "
            f"{config.account_id}; nothing was created. Switch profile, or fix `account_id` if the sandbox moved.")
    aliases = boto_session.client("iam").list_account_aliases().get("AccountAliases", [])
    for alias in aliases:
        words = set(re.split(r"[-_.]", alias.lower()))
        production = words & set(config.production_words)
        if production:
            raise SandboxRefused(
                f"Account {config.account_id} has the alias {alias!r}, which suggests production "
                f"({', '.join(sorted(production))}); sandbox mode refuses it. Use a dedicated sandbox account.")
    return {"account": identity["Account"], "arn": identity["Arn"], "aliases": aliases,
            "credentials": credentials.method}
