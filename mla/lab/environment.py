"""Process environment for each backend. Local mode replaces every ambient AWS identity with dummies."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Anything here could make botocore find real credentials, a profile or a real endpoint.
AMBIENT_AWS_VARIABLES = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
    "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_SAGEMAKER",
)
DUMMY_KEY_ID = "testing"
DUMMY_SECRET = "testing"

_SDK_CONFIG = """SchemaVersion: '1.0'
SageMaker:
  PythonSDK:
    Modules:
      TelemetryOptOut: true
"""


def sdk_config_file() -> str:
    """A SageMaker SDK user config that opts out of telemetry (which would otherwise call real AWS)."""
    path = Path(tempfile.gettempdir()) / "mla-sagemaker-config.yaml"
    if not path.exists() or path.read_text() != _SDK_CONFIG:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(_SDK_CONFIG)
        tmp.replace(path)
    return str(path)


def isolate_local(region: str, endpoint_url: str | None = None) -> None:
    """Dummy credentials, no profile, the given region; every client sent to ``endpoint_url`` once it is known."""
    for name in AMBIENT_AWS_VARIABLES:
        os.environ.pop(name, None)
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL_")]:
        os.environ.pop(name)
    os.environ.update(
        AWS_ACCESS_KEY_ID=DUMMY_KEY_ID,
        AWS_SECRET_ACCESS_KEY=DUMMY_SECRET,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_DEFAULT_REGION=region,
        AWS_REGION=region,
        AWS_EC2_METADATA_DISABLED="true",
        SAGEMAKER_VALIDATE_ROLE="false",  # ModelTrainer would check the role with an IAM call moto lacks
        SAGEMAKER_USER_CONFIG_OVERRIDE=sdk_config_file(),
    )
    if endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = endpoint_url
