"""Several kernels at once never cross-talk: each endpoint's model server binds a port of its own, in a shared
emulator or in a kernel's own emulator, and deleting an endpoint frees its port."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import xgboost as xgb
from serving_helpers import csv_body, features, tar_files, train_booster, xgboost_image

from mla.emulator.services.serving import endpoints

HERE = Path(__file__).parent


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_kernels_in_separate_processes_each_get_their_own_model(aws, name, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MLA_EMULATOR_URL"))}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parents[1]), env.get("PYTHONPATH", "")])
    rows = features(5, seed=100)  # the same rows for every kernel: only the models differ
    (tmp_path / "rows.csv").write_text(csv_body(rows))
    kernels = {  # label -> (seed of the model's training data, endpoint name, shares the test's emulator)
        "a": (1, f"{name}-a", True), "b": (2, f"{name}-b", True),
        "own": (3, f"{name}-a", False)}  # a kernel with an emulator of its own may reuse kernel a's endpoint name
    expected, processes = {}, {}
    for label, (seed, endpoint, shared) in kernels.items():
        booster = train_booster(seed=seed, slope=float(seed))
        expected[label] = booster.predict(xgb.DMatrix(rows))
        archive = tmp_path / f"{label}.tar.gz"
        archive.write_bytes(tar_files({"xgboost-model": bytes(booster.save_raw("ubj"))}))
        processes[label] = subprocess.Popen(
            [sys.executable, str(HERE / "endpoint_kernel.py"), endpoint, str(archive), xgboost_image(), str(tmp_path)],
            env=env | ({"MLA_EMULATOR_URL": aws.url} if shared else {}), cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("*.ready"))) < len(kernels):
        failed = [p.stderr.read() for p in processes.values() if p.poll() is not None]
        assert not failed and time.monotonic() < deadline, failed
        time.sleep(0.05)
    assert {p.read_text() for p in tmp_path.glob("*.ready")} == {"InService"}
    ports = {label: endpoints.ENDPOINTS[("us-east-1", kernels[label][1])].variants[0].server.port for label in "ab"}
    assert ports["a"] != ports["b"]

    (tmp_path / "go").touch()
    reports = {}
    for label, process in processes.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        reports[label] = json.loads(out.splitlines()[-1])
    for label, report in reports.items():
        assert len(report["answers"]) == 1, label  # every answer came from the kernel's own model
        np.testing.assert_allclose(np.array(report["answers"][0].split(","), dtype=float), expected[label], rtol=1e-6)
    assert min(np.abs(expected["a"] - expected[other]).max() for other in ("b", "own")) > 0.1  # models really differ
    assert max(r["started"] for r in reports.values()) < min(r["ended"] for r in reports.values())  # concurrently

    aws.sagemaker.delete_endpoint(EndpointName=f"{name}-a")
    deadline = time.monotonic() + 10
    while listening(ports["a"]):
        assert time.monotonic() < deadline, "the deleted endpoint's model server still listens"
        time.sleep(0.05)
    assert listening(ports["b"])
    answer = aws.sagemaker_runtime.invoke_endpoint(EndpointName=f"{name}-b", ContentType="text/csv",
                                                   Body=csv_body(rows))["Body"].read().decode()
    np.testing.assert_allclose(np.array(answer.split(","), dtype=float), expected["b"], rtol=1e-6)
    aws.sagemaker.delete_endpoint(EndpointName=f"{name}-b")
