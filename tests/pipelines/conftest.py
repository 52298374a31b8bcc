import os

import pytest
from pipeline_helpers import write_scripts


@pytest.fixture(scope="module")
def lab(emulator):
    """The lab bootstrap (what notebooks use) on this worker's emulator; os.environ restored afterwards."""
    from mla.lab import start

    saved = dict(os.environ)
    os.environ["MLA_EMULATOR_URL"] = emulator.url
    yield start("local")
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def scripts(tmp_path_factory):
    return write_scripts(tmp_path_factory.mktemp("pipeline-scripts"))


@pytest.fixture(scope="module")
def bucket(aws):
    aws.s3.create_bucket(Bucket="mla-pipeline-tests")
    return "mla-pipeline-tests"
