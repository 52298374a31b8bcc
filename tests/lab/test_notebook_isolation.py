"""A local-mode notebook talks only to loopback, even with real-looking AWS credentials and a profile around."""

import nbformat
import pytest

from mla.runner.run import run_notebooks

CELLS = [
    "BACKEND = None",
    "from mla.lab import start\nlab = start(BACKEND)",
    "import boto3, os\n"
    "creds = boto3.session.Session().get_credentials()\n"
    "assert creds.access_key == 'testing' and 'AWS_PROFILE' not in os.environ\n"
    "assert lab.endpoint_url.startswith('http://127.0.0.1:')",
    "from mla.lab import LocalModeNetworkError\n"
    "try:\n"
    "    boto3.client('s3', endpoint_url='https://s3.us-east-1.amazonaws.com').list_buckets()\n"
    "    raise AssertionError('a request to real AWS went out')\n"
    "except LocalModeNetworkError:\n"
    "    pass",
    "lab.client('s3').put_object(Bucket=lab.bucket, Key=f'{lab.prefix}/x', Body=b'1')\nlab.cleanup()",
]


@pytest.mark.notebooks
def test_local_notebook_ignores_ambient_credentials_and_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA" + "REALLOOKINGKEY12")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s" * 40)
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://sagemaker.us-east-1.amazonaws.com")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, tmp_path / "isolation.ipynb")
    [outcome] = run_notebooks([(tmp_path / "isolation.ipynb", "isolation.ipynb")], run_dir=tmp_path / "run")
    assert outcome.passed, outcome.reason
