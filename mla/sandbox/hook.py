"""The sandbox hook on every botocore session: caps first, then the course's tags on every create call.

Installed like local mode's loopback guard (by wrapping ``botocore.session.Session.__init__``), so clients
the learner builds with plain boto3 or the SageMaker SDK get it too and cannot forget the tags.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import botocore.session

from . import caps, tags
from .config import SandboxConfig
from .estimate import Declared


@dataclass
class Policy:
    config: SandboxConfig
    tags: dict[str, str]
    declared: list[Declared] | None  # None: the notebook's declarations are unknown (interactive use)
    shared_bucket: str | None = None  # the course bucket every run shares: never tagged with one run's id
    untaggable: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def before_call(self, model, params, **_) -> None:
        service = model.service_model.service_name
        if not tags.is_create(service, model.name):
            return
        if service == "sagemaker":
            self._say(caps.enforce(model.name, params, self.config, self.declared))
        chosen = self.tags
        if (service, model.name) == ("s3", "CreateBucket") and params.get("Bucket") == self.shared_bucket:
            chosen = {tags.OWNER: self.tags[tags.OWNER], tags.SHARED: "course-bucket"}
        if not tags.add_tags(model, params, chosen):
            self.untaggable.append(f"{service}:{model.name}")
            self._say([f"WARNING: {service} {model.name} cannot be tagged: teardown finds what it creates only "
                       f"by a lab.name() name (mla-{self.tags[tags.RUN_ID]}-...), and the leftover audit reports "
                       "untagged SageMaker resources"])

    def _say(self, lines: list[str]) -> None:
        for line in lines:
            self.notes.append(line)
            print(f"sandbox: {line}", file=sys.stderr)


_active: Policy | None = None
_original_init = botocore.session.Session.__init__


def _dispatch(model, params, **kwargs) -> None:
    if _active is not None:
        _active.before_call(model, params, **kwargs)


def _init_with_sandbox_hook(self, *args, **kwargs):
    _original_init(self, *args, **kwargs)
    self.register("before-parameter-build", _dispatch, unique_id="mla-sandbox-hook")


def install(policy: Policy) -> None:
    """Apply ``policy`` to every botocore session created from now on (and drop boto3's default session)."""
    global _active, _original_init
    _active = policy
    if botocore.session.Session.__init__ is not _init_with_sandbox_hook:
        _original_init = botocore.session.Session.__init__  # keeps any wrapper installed before, e.g. the guard
        botocore.session.Session.__init__ = _init_with_sandbox_hook
    import boto3

    boto3.DEFAULT_SESSION = None


def active() -> Policy | None:
    return _active
