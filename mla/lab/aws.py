"""Sandbox mode's start: prove the account, fence the region, install caps and tags, then hand out the Lab.

Everything is checked before the first create call. In SageMaker Studio the execution role signs requests;
elsewhere a named profile or SSO session (``MLA_SANDBOX_PROFILE``) does. See docs/sandbox.md.
"""

from __future__ import annotations

import json
import os
import re
import uuid

import boto3

from ..sandbox import hook, tags
from ..sandbox.config import SandboxConfigError, load_config
from ..sandbox.estimate import declared_resources, estimate
from ..sandbox.fence import SandboxRefused, check_account
from ..sandbox.teardown import course_bucket
from . import BackendError
from .core import Lab
from .environment import sdk_config_file

# Set by `mla run` for each notebook: the metadata it declares and the name it runs under.
DECLARED_ENV = "MLA_SANDBOX_DECLARED"
NOTEBOOK_ENV = "MLA_NOTEBOOK"
SESSION_ENV = "MLA_SANDBOX_SESSION"  # set by `mla lab` in sandbox mode: every kernel's resources share it
RUN_WALL_LIMIT_S = 600  # how long an interactive endpoint is priced for when no runner bounds the notebook
MLFLOW_ARN_ENV = "MLA_MLFLOW_TRACKING_ARN"
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AIMlflowConfig.html
_MLFLOW_ARN = re.compile(r"arn:aws[a-z\-]*:sagemaker:(?P<region>[a-z0-9\-]*):[0-9]{12}:mlflow-(app|tracking-server)/.+")


def start_aws(region: str | None) -> Lab:
    try:
        config = load_config()
    except SandboxConfigError as error:
        raise BackendError(str(error)) from None
    region = region or os.environ.get("AWS_REGION") or config.regions[0]
    _sandbox_environment(config, region)
    session = boto3.session.Session(region_name=region)
    try:
        identity = check_account(session, config, region)
    except SandboxRefused as error:
        raise BackendError(str(error)) from None
    session_id = os.environ.get(SESSION_ENV)
    fresh = f"{session_id}-{uuid.uuid4().hex[:3]}" if session_id else uuid.uuid4().hex[:8]  # unique names per kernel
    run_id = os.environ.setdefault("MLA_RUN_ID", fresh)
    notebook = os.environ.get(NOTEBOOK_ENV, "")
    declared_json = os.environ.get(DECLARED_ENV)
    declared = declared_resources({"mla": {"resources": json.loads(declared_json)}}) if declared_json else None
    policy = hook.Policy(config, tags.course_tags(run_id, notebook, config.owner, config.expiry_hours,
                                                  session=session_id), declared,
                         shared_bucket=course_bucket(identity["account"], region))
    hook.install(policy)
    lab = Lab("aws", region, config.endpoint_url)
    _announce(lab, identity, config, declared)
    return lab


def _sandbox_environment(config, region: str) -> None:
    os.environ.update(AWS_DEFAULT_REGION=region, AWS_REGION=region,
                      SAGEMAKER_USER_CONFIG_OVERRIDE=sdk_config_file())
    if config.profile:
        os.environ["AWS_PROFILE"] = config.profile
    if config.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = config.endpoint_url


def _announce(lab: Lab, identity: dict, config, declared) -> None:
    alias = f" ({', '.join(identity['aliases'])})" if identity["aliases"] else ""
    print(f"Sandbox mode: account {identity['account']}{alias}, region {lab.region}, run {lab.run_id}, "
          f"credentials from {identity['credentials']}.")
    print(f"Every resource is tagged {tags.RUN_ID}={lab.run_id} and removed by teardown "
          f"(`mla cleanup --run-id {lab.run_id}`); caps: {', '.join(config.instance_types)}, "
          f"{config.max_instance_count} instance, jobs stop after {config.max_runtime_seconds} s.")
    if declared is None:
        print("This notebook's declared resources are unknown here (no `mla run`): the caps still apply.")
        return
    cost = estimate(os.environ.get(NOTEBOOK_ENV, "notebook"), declared, region=lab.region,
                    instance_types=config.instance_types, max_runtime_seconds=config.max_runtime_seconds,
                    wall_limit_s=int(os.environ.get("MLA_WALL_LIMIT", RUN_WALL_LIMIT_S)))
    made = ", ".join(f"{line.declared.kind}" + (f" on {line.instance_type}" if line.instance_type else "")
                     for line in cost.lines) or "nothing billable"
    print(f"It will create: {made}; worst-case cost {cost.usd:.2f} USD.")


def mlflow_tracking_arn(region: str) -> str:
    """The SageMaker AI MLflow tracking server or MLflow App ARN the labs log to on AWS (see docs/local-backend-governance.md)."""
    arn = os.environ.get(MLFLOW_ARN_ENV, "").strip()
    found = _MLFLOW_ARN.fullmatch(arn)
    if not found:
        raise BackendError(
            f"Set {MLFLOW_ARN_ENV} to your SageMaker AI MLflow tracking server or MLflow App ARN "
            "(arn:aws:sagemaker:<region>:<account>:mlflow-tracking-server/<name>, e.g. the TrackingServerArn of "
            f"`aws sagemaker describe-mlflow-tracking-server`){'; got ' + repr(arn) if arn else ''}.")
    if found["region"] != region:
        raise BackendError(f"{MLFLOW_ARN_ENV} is in {found['region']}, but this lab runs in {region}.")
    return arn
