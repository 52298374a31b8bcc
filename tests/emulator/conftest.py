
import pytest


@pytest.fixture(scope="session")
def bucket(aws):
    name = "mla-emulator-tests"
    aws.s3.create_bucket(Bucket=name)
    return name


