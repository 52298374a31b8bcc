import pytest


@pytest.fixture(scope="session")
def bucket(aws):
    name = "mla-clarify-tests"
    aws.s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(autouse=True)
def fast_clock(monkeypatch):
    monkeypatch.setenv("MLA_SERVING_CLOCK_FACTOR", "600")
