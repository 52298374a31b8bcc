"""`mla run --backend aws`: every notebook is priced first, and torn down outside its kernel afterwards however
it ends (an error, sys.exit(0), a dead kernel, SIGTERM to `mla run`); leftovers fail the run."""

import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import boto3
import nbformat
import pytest
from sandbox_support import REGION, tagged_with

from mla.cli import main
from mla.sandbox import tags

DEPLOY = """sm = lab.client("sagemaker")
name = lab.name("endpoint")
sm.create_model(ModelName=name, ExecutionRoleArn=lab.role_arn, PrimaryContainer={"Image": "example:1"})
sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{"VariantName": "main", "ModelName": name,
                          "InstanceType": "ml.t2.medium", "InitialInstanceCount": 1}])
sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
lab.client("s3").put_object(Bucket=lab.bucket, Key=lab.prefix + "/data.csv", Body=b"1,2")"""
ENDPOINT = ["model", "endpoint-config", {"kind": "endpoint", "instance_type": "ml.t2.medium"}]
ESCAPED = "escaped-model-1"
NOTEBOOKS = {  # name -> (cells after the bootstrap, expected status, declared resources)
    "a_raises": ([DEPLOY, "raise RuntimeError('broken after deploying')", "lab.cleanup()"], "error", ENDPOINT),
    "b_sys_exit": ([DEPLOY, "import sys\nsys.exit(0)", "lab.cleanup()"], "incomplete", ENDPOINT),
    "c_kernel_dies": ([DEPLOY, "import os\nos._exit(1)", "lab.cleanup()"], "kernel-died", ENDPOINT),
    "d_forgets_cleanup": ([DEPLOY], "passed", ENDPOINT),
}
# a client made before the lab bootstrap has no hook: its resource escapes the tags, and the audit catches it
EARLY_CLIENT = ("import boto3, os\nearly = boto3.session.Session(region_name='us-east-1').client("
                "'sagemaker', endpoint_url=os.environ['MLA_SANDBOX_ENDPOINT_URL'])")


def write_notebook(path, cells, resources, before_lab=""):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("BACKEND = None", metadata={"tags": ["parameters"]})]
    if before_lab:
        nb.cells.append(nbformat.v4.new_code_cell(before_lab))
    nb.cells += [nbformat.v4.new_code_cell("from mla.lab import start\n\nlab = start(BACKEND)")]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["mla"] = {"week": 1, "resources": resources}
    nbformat.write(nb, path)


def verdicts(run_dir):
    suite = ET.parse(run_dir / "junit.xml").getroot()
    return {case.get("name").split("/")[-1].removesuffix(".ipynb"):
            (case.find("failure").get("type") if case.find("failure") is not None else "passed",
             case.find("failure").get("message") if case.find("failure") is not None else "")
            for case in suite}


@pytest.fixture
def course(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # rich folds the price table to the terminal width
    folder = tmp_path / "course"
    folder.mkdir()
    for name, (cells, _, resources) in NOTEBOOKS.items():
        write_notebook(folder / f"{name}.ipynb", cells, resources)
    return folder


def test_every_ending_is_torn_down_outside_the_kernel_and_failures_reported(sandbox, course, tmp_path):
    code = main(["run", str(course), "--backend", "aws", "--out", str(tmp_path / "run"), "-j", "2",
                 "--cell-timeout", "60"])
    assert code == 1
    assert {name: status for name, (status, _) in verdicts(tmp_path / "run").items()} == {
        name: expected for name, (_, expected, _) in NOTEBOOKS.items()}
    assert tagged_with(tags.COURSE, tags.COURSE_NAME) == []  # zero tagged resources left by any notebook
    session = boto3.session.Session(region_name=REGION)
    endpoints = session.client("sagemaker").list_endpoints()["Endpoints"]
    assert [e for e in endpoints if e["EndpointName"].startswith("mla-")] == []  # other tests' endpoints may remain
    bucket = f"mla-course-123456789012-{REGION}"
    assert session.client("s3").list_objects_v2(Bucket=bucket, Prefix="runs/").get("KeyCount") == 0


def test_an_untagged_resource_left_in_the_run_window_fails_the_run(sandbox, tmp_path):
    escape = [DEPLOY, f"early.create_model(ModelName={ESCAPED!r}, ExecutionRoleArn=lab.role_arn, "
                      "PrimaryContainer={'Image': 'example:1'})"]
    write_notebook(tmp_path / "escapes.ipynb", escape, ENDPOINT, before_lab=EARLY_CLIENT)
    sagemaker = boto3.session.Session(region_name=REGION).client("sagemaker")
    before = {m["ModelName"] for m in sagemaker.list_models()["Models"]}  # other tests in this worker share moto
    try:
        assert main(["run", str(tmp_path / "escapes.ipynb"), "--backend", "aws", "--out", str(tmp_path / "run")]) == 1
        status, message = verdicts(tmp_path / "run")["escapes"]
        assert status == "leftovers"
        assert f"model/{ESCAPED} was created during the run without the {tags.RUN_ID} tag" in message
        left = {m["ModelName"] for m in sagemaker.list_models()["Models"]} - before
        assert left == {ESCAPED}  # the tagged ones went
    finally:
        sagemaker.delete_model(ModelName=ESCAPED)


def test_dry_run_prices_every_notebook_and_runs_nothing(sandbox, course, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MLA_SANDBOX_ACCOUNT_ID")  # pricing needs no account
    write_notebook(course / "f_storage_only.ipynb", ["pass"], ["s3"])
    code = main(["run", str(course), "--backend", "aws", "--dry-run", "--out", str(tmp_path / "run")])
    printed = capsys.readouterr().out
    assert code == 0 and not (tmp_path / "run").exists()
    assert "prices as of 2026-11-26" in printed and "default caps" in printed
    lines = {line.split()[1]: line for line in printed.splitlines() if ".ipynb" in line}
    assert set(lines) == {f"{name}.ipynb" for name in [*NOTEBOOKS, "f_storage_only"]}
    # endpoint on ml.t2.medium (0.06 USD/h) for the 600 s wall limit plus the 300 s teardown wait
    assert all("0.02" in lines[f"{name}.ipynb"] for name in NOTEBOOKS)
    assert "0.00" in lines["f_storage_only.ipynb"]


def test_a_notebook_over_the_ceiling_refuses_the_whole_run(sandbox, course, tmp_path, capsys):
    code = main(["run", str(course), "--backend", "aws", "--cost-ceiling", "0.01", "--out", str(tmp_path / "run")])
    printed = capsys.readouterr().out
    assert code == 1 and "over the 0.01 USD ceiling" in printed and "nothing was run" in printed
    assert not (tmp_path / "run").exists()


def test_an_unpriceable_declaration_is_named(sandbox, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    write_notebook(tmp_path / "gpu.ipynb", ["pass"], [{"kind": "endpoint", "instance_type": "ml.p5.48xlarge"}])
    write_notebook(tmp_path / "typo.ipynb", ["pass"], ["endpiont"])
    assert main(["run", str(tmp_path), "--backend", "aws", "--dry-run"]) == 1
    printed = capsys.readouterr().out
    assert "no hosting price for ml.p5.48xlarge" in printed and "unknown resource kind 'endpiont'" in printed


def test_sigterm_to_mla_run_still_tears_down(sandbox, tmp_path):
    marker = tmp_path / "deployed"
    write_notebook(tmp_path / "slow.ipynb", [DEPLOY + f"\nopen({str(marker)!r}, 'w').write(name)",
                                             "import time\ntime.sleep(120)", "lab.cleanup()"], ENDPOINT)
    runner = subprocess.Popen([sys.executable, "-m", "mla.cli", "run", str(tmp_path / "slow.ipynb"), "--backend",
                               "aws", "--out", str(tmp_path / "run")], env=dict(os.environ),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline and runner.poll() is None:
            time.sleep(0.2)
        assert marker.exists(), runner.communicate(timeout=5)[0] if runner.poll() is not None else "never deployed"
        endpoint = marker.read_text()
        assert tagged_with(tags.RUN_ID, endpoint.split("-")[1])  # deployed and tagged
        runner.send_signal(signal.SIGTERM)
        output, _ = runner.communicate(timeout=60)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode == 1, output
    assert verdicts(tmp_path / "run")["slow"][0] == "interrupted"
    assert tagged_with(tags.COURSE, tags.COURSE_NAME) == []
    sagemaker = boto3.session.Session(region_name=REGION).client("sagemaker")
    assert sagemaker.list_endpoints(NameContains=endpoint)["Endpoints"] == []


def test_a_broken_config_is_named_even_for_a_dry_run(sandbox, course, monkeypatch, capsys):
    monkeypatch.setenv("MLA_SANDBOX_COST_CEILING", "lots")
    assert main(["run", str(course), "--backend", "aws", "--dry-run"]) == 2
    assert "cost_ceiling_usd must be a number" in capsys.readouterr().out
