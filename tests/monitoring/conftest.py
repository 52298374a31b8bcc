import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "serving"))  # shared model and endpoint helpers


@pytest.fixture(scope="session")
def bucket(aws):
    name = "mla-monitoring-tests"
    aws.s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(autouse=True)
def fast_clock(monkeypatch):
    monkeypatch.setenv("MLA_SERVING_CLOCK_FACTOR", "600")  # a service hour lasts 6 s
