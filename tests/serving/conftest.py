import uuid

import boto3
import pytest
from serving_helpers import REGION

from mla.emulator import Emulator


@pytest.fixture(scope="session")
def emulator():
    with Emulator() as running:
        yield running


@pytest.fixture(scope="session")
def aws(emulator):
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=REGION)

    class Clients:
        url = emulator.url

        def __getattr__(self, service):
            return session.client(service.replace("_", "-"), endpoint_url=emulator.url)

    return Clients()


@pytest.fixture(scope="session")
def bucket(aws):
    name = "mla-serving-tests"
    aws.s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def name():
    return f"s-{uuid.uuid4().hex[:10]}"


@pytest.fixture(autouse=True)
def fast_clock(monkeypatch):
    monkeypatch.setenv("MLA_SERVING_CLOCK_FACTOR", "600")
