import os
import uuid

import pytest
from local_aws import dummy_session

from mla.emulator import Emulator


@pytest.fixture(scope="session")
def emulator():
    """One local backend per test worker (moto's state is per process anyway)."""
    with Emulator() as running:
        yield running


@pytest.fixture
def clean_environ():
    """The lab bootstrap rewrites os.environ on purpose; put it back after each test."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def data_dirs(tmp_path, monkeypatch):
    """Learner data, workspace and course root in a temporary folder."""
    monkeypatch.setenv("MLA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MLA_WORKSPACE", str(tmp_path / "workspace"))
    monkeypatch.setenv("MLA_COURSE_DIR", str(tmp_path / "course"))
    return tmp_path


@pytest.fixture(scope="session")
def aws(emulator):
    """``aws.s3``, ``aws.sagemaker_runtime``...: clients of the test worker's emulator."""
    session = dummy_session()

    class Clients:
        url = emulator.url

        def __getattr__(self, service):
            return session.client(service.replace("_", "-"), endpoint_url=emulator.url)

    return Clients()


@pytest.fixture
def name():
    """A fresh resource name."""
    return f"t-{uuid.uuid4().hex[:12]}"
