"""The local backend server: loopback only, shared via `mla emulator`, and local handlers in front of moto."""

import os
import signal
import subprocess
import sys

import pytest
from local_aws import dummy_session

from mla.emulator import Emulator
from mla.emulator.protocol import ServiceError
from mla.emulator.registry import HANDLERS


def client(emulator, service):
    return dummy_session().client(service, endpoint_url=emulator.url)


def test_refuses_to_listen_beyond_loopback():
    with pytest.raises(ValueError, match="only listens on loopback"):
        Emulator(host="0.0.0.0")


def test_mla_emulator_serves_on_loopback_and_stops_on_sigterm():
    proc = subprocess.Popen([sys.executable, "-m", "mla.cli", "emulator"], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = proc.stdout.readline()
        assert line.startswith("local AWS backend at http://127.0.0.1:")
        url = line.split(" at ")[1].strip()
        s3 = dummy_session().client("s3", endpoint_url=url)
        s3.create_bucket(Bucket="shared-state")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["shared-state"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_local_handlers_answer_before_moto_and_errors_keep_the_service_shape(monkeypatch):
    def list_aliases(params, ctx):
        if params.get("ImageName") == "missing":
            raise ServiceError("ResourceNotFound", "Image missing does not exist.")
        return {"SageMakerImageVersionAliases": [f"{params['ImageName']}@{ctx.region}"]}

    monkeypatch.setitem(HANDLERS, ("sagemaker", "ListAliases"), list_aliases)
    with Emulator() as emulator:
        sagemaker = client(emulator, "sagemaker")
        assert sagemaker.list_aliases(ImageName="img")["SageMakerImageVersionAliases"] == ["img@us-east-1"]
        with pytest.raises(sagemaker.exceptions.ResourceNotFound, match="does not exist"):
            sagemaker.list_aliases(ImageName="missing")
        s3 = client(emulator, "s3")  # unhandled calls still reach moto
        s3.create_bucket(Bucket="reached-moto")
        assert "reached-moto" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        s3.delete_bucket(Bucket="reached-moto")


def test_an_arn_in_a_uri_parameter_reaches_its_handler(monkeypatch):
    import mla.emulator.services.serving  # noqa: F401  (registers the real handler now, so the patch below wins)

    seen = []
    monkeypatch.setitem(HANDLERS, ("sagemaker-runtime", "InvokeEndpoint"),
                        lambda params, ctx: seen.append(params["EndpointName"]) or {"Body": b"ok"})
    with Emulator() as emulator:
        runtime = client(emulator, "sagemaker-runtime")
        arn = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/my-endpoint"
        assert runtime.invoke_endpoint(EndpointName=arn, Body=b"1")["Body"].read() == b"ok"
    assert seen == [arn]
