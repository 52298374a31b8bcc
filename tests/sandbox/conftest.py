"""The local backend stands in for a sandbox account: moto's account 123456789012, reached over loopback."""

import datetime as dt
import os

import boto3
import botocore.session
import pytest
from sandbox_support import ACCOUNT, REGION

from mla.emulator import Emulator
from mla.sandbox import hook
from mla.sandbox.teardown import teardown


@pytest.fixture(scope="session")
def emulator():
    with Emulator() as running:
        yield running.url


@pytest.fixture
def sandbox(emulator, clean_environ, monkeypatch, tmp_path):
    """Sandbox-mode environment aimed at the emulator; botocore, boto3 and the hook are put back afterwards."""
    for name in [n for n in os.environ if n.startswith(("AWS_", "MLA_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MLA_SANDBOX_CONFIG", str(tmp_path / "no-sandbox.yaml"))
    monkeypatch.setenv("MLA_SANDBOX_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("MLA_SANDBOX_REGIONS", REGION)
    monkeypatch.setenv("MLA_SANDBOX_ENDPOINT_URL", emulator)
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(botocore.session.Session, "__init__", botocore.session.Session.__init__)
    monkeypatch.setattr(hook, "_active", None)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    yield emulator
    # the emulator's state outlives the test: sweep every course resource so tests stay independent (the
    # local serving layer keeps no tags, so its endpoints and configs go by name)
    session = boto3.session.Session(region_name=REGION)
    teardown(session, ACCOUNT, [REGION], older_than=dt.timedelta(0), wait_s=0)
    sagemaker = session.client("sagemaker")
    for endpoint in sagemaker.list_endpoints(NameContains="mla-")["Endpoints"]:
        sagemaker.delete_endpoint(EndpointName=endpoint["EndpointName"])
    for config in sagemaker.list_endpoint_configs(NameContains="mla-")["EndpointConfigs"]:
        sagemaker.delete_endpoint_config(EndpointConfigName=config["EndpointConfigName"])
