import uuid

import pytest
from local_aws import dummy_session
from sagemaker_helpers import REGION


@pytest.fixture(scope="session")
def aws(emulator):
    session = dummy_session(REGION)

    class Clients:
        url = emulator.url

        def __getattr__(self, service):
            return session.client(service.replace("_", "-"), endpoint_url=emulator.url)

    return Clients()


@pytest.fixture(scope="session")
def bucket(aws):
    name = "mla-emulator-tests"
    aws.s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def name():
    return f"t-{uuid.uuid4().hex[:12]}"
