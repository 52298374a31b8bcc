import boto3
import pytest

from mla.emulator import Emulator


@pytest.fixture(scope="module")
def emulator():
    with Emulator() as running:
        yield running


@pytest.fixture(scope="module")
def aws(emulator):
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name="us-east-1")
    return lambda service: session.client(service, endpoint_url=emulator.url)
