"""Teardown by run-id tag in dependency order, verified; the reaper by age; the leftover audit; mla cleanup."""

import datetime as dt

import boto3
import pytest
from sandbox_support import ACCOUNT, REGION, deploy_endpoint, tagged_with

from mla.cli import main
from mla.lab import start
from mla.sandbox import tags
from mla.sandbox.audit import untagged_sagemaker
from mla.sandbox.cli import duration
from mla.sandbox.runs import interactive_session
from mla.sandbox.teardown import course_bucket, covered_types, teardown


def session():
    return boto3.session.Session(region_name=REGION)


def run_teardown(run_id):
    return teardown(session(), ACCOUNT, [REGION], run_id=run_id, wait_s=0)


@pytest.fixture
def lab(sandbox, monkeypatch):
    def make(run_id):
        monkeypatch.setenv("MLA_RUN_ID", run_id)
        return start("aws")
    return make


def test_teardown_removes_a_run_in_dependency_order_and_verifies(lab):
    run = lab("tdown001")
    sagemaker, s3, logs = run.client("sagemaker"), run.client("s3"), run.client("logs")
    deploy_endpoint(sagemaker, run.name("endpoint"))
    for key in ("train.csv", "model/model.tar.gz"):
        s3.put_object(Bucket=run.bucket, Key=f"{run.prefix}/{key}", Body=b"1")
    logs.create_log_group(logGroupName=f"/mla/{run.run_id}")
    scratch = run.name("scratch")
    s3.create_bucket(Bucket=scratch)
    s3.put_object(Bucket=scratch, Key="a", Body=b"1")
    # moto drops CreateBucketConfiguration tags that AWS keeps; tag as AWS would have
    s3.put_bucket_tagging(Bucket=scratch, Tagging={"TagSet": [{"Key": tags.RUN_ID, "Value": run.run_id}]})
    report = run_teardown(run.run_id)
    assert report.clean, report.leftovers
    kinds = [line.split()[1] for line in report.removed[1:]]
    assert kinds.index("endpoint") < kinds.index("endpoint-config") < kinds.index("model") < kinds.index("bucket")
    assert "log-group" in kinds and report.removed[0].startswith("s3 objects: 2 under")
    assert tagged_with(tags.RUN_ID, run.run_id) == []
    assert s3.list_objects_v2(Bucket=run.bucket, Prefix=run.prefix).get("KeyCount") == 0
    assert sagemaker.list_endpoints(NameContains=run.run_id)["Endpoints"] == []
    again = run_teardown(run.run_id)
    assert again.removed == [] and again.clean


def test_teardown_leaves_other_runs_alone(lab):
    mine = lab("mine0001")
    deploy_endpoint(mine.client("sagemaker"), mine.name("endpoint"))
    theirs = lab("their001")  # one lab per kernel: the later start tags what follows
    deploy_endpoint(theirs.client("sagemaker"), theirs.name("endpoint"))
    assert run_teardown(mine.run_id).clean
    sagemaker = session().client("sagemaker")
    assert sagemaker.list_endpoints(NameContains=mine.run_id)["Endpoints"] == []
    assert len(sagemaker.list_endpoints(NameContains=theirs.run_id)["Endpoints"]) == 1
    assert tagged_with(tags.RUN_ID, mine.run_id) == [] and tagged_with(tags.RUN_ID, theirs.run_id)


def test_a_resource_type_teardown_cannot_remove_is_reported_as_a_leftover(lab):
    run = lab("odd00001")
    queue = run.client("sqs").create_queue(QueueName=run.name("queue"))["QueueUrl"]
    report = run_teardown(run.run_id)
    assert not report.clean and "no teardown step for this resource type" in report.leftovers[0]
    run.client("sqs").delete_queue(QueueUrl=queue)


def test_the_reaper_removes_only_course_resources_older_than_the_cutoff(sandbox, capsys):
    sagemaker = session().client("sagemaker")  # no hook: the tags say what an old run would have left
    now = dt.datetime.now(dt.UTC)
    for name, age in (("mla-old00001-model-1", dt.timedelta(hours=2)), ("mla-new00001-model-1", dt.timedelta(0))):
        sagemaker.create_model(ModelName=name, ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/r",
                               PrimaryContainer={"Image": "example:1"},
                               Tags=[{"Key": k, "Value": v} for k, v in tags.course_tags(
                                   name.split("-")[1], "n.ipynb", "me", 4, now=now - age).items()])
    assert main(["cleanup", "--older-than", "45m", "--wait", "0"]) == 0
    assert "removed: sagemaker model mla-old00001-model-1" in capsys.readouterr().out
    ours = {"mla-old00001-model-1", "mla-new00001-model-1"}  # moto's state is shared with other tests in this worker
    assert {m["ModelName"] for m in sagemaker.list_models()["Models"]} & ours == {"mla-new00001-model-1"}


def test_mla_cleanup_by_run_id_and_its_refusals(lab, monkeypatch, capsys):
    run = lab("clean001")
    deploy_endpoint(run.client("sagemaker"), run.name("endpoint"))
    monkeypatch.setenv("MLA_SANDBOX_ACCOUNT_ID", "111122223333")
    assert main(["cleanup", "--run-id", run.run_id]) == 2
    assert "not to your sandbox account 111122223333" in capsys.readouterr().out
    monkeypatch.setenv("MLA_SANDBOX_ACCOUNT_ID", ACCOUNT)
    assert main(["cleanup", "--run-id", run.run_id, "--wait", "0"]) == 0
    assert "3 removed, 0 left behind" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["cleanup", "--older-than", "soon"])


def test_the_audit_reports_an_untagged_sagemaker_resource_created_in_the_window(sandbox):
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    sagemaker = session().client("sagemaker")  # no hook: as if created by a client made before the lab
    deploy_endpoint(sagemaker, "untagged-endpoint-1")
    try:
        report = untagged_sagemaker(session(), REGION, since)
        assert any("model/untagged-endpoint-1 was created during the run without" in line for line in report.untagged)
        later = untagged_sagemaker(session(), REGION, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
        assert later.untagged == []
    finally:
        sagemaker.delete_endpoint(EndpointName="untagged-endpoint-1")
        sagemaker.delete_endpoint_config(EndpointConfigName="untagged-endpoint-1")
        sagemaker.delete_model(ModelName="untagged-endpoint-1")


@pytest.mark.parametrize("text,expected", [("45m", dt.timedelta(minutes=45)), ("1h30m", dt.timedelta(minutes=90)),
                                           ("2d", dt.timedelta(days=2)), ("90s", dt.timedelta(seconds=90))])
def test_durations(text, expected):
    assert duration(text) == expected


@pytest.mark.parametrize("text", ["soon", "45", "m45", "1h 30m", ""])
def test_bad_durations_are_refused(text):
    with pytest.raises(ValueError, match="not a duration"):
        duration(text)


def test_teardown_covers_the_issue_list_in_order():
    order = covered_types()
    for earlier, later in [("sagemaker:training-job", "sagemaker:endpoint"),
                           ("sagemaker:monitoring-schedule", "sagemaker:endpoint"),
                           ("sagemaker:endpoint", "sagemaker:endpoint-config"),
                           ("sagemaker:endpoint-config", "sagemaker:model"), ("sagemaker:model", "s3:bucket")]:
        assert order.index(earlier) < order.index(later)
    assert {"sagemaker:pipeline", "sagemaker:feature-group", "logs:log-group"} <= set(order)
    assert course_bucket(ACCOUNT, REGION) == f"mla-course-{ACCOUNT}-{REGION}"


def test_an_interactive_session_is_torn_down_when_jupyterlab_exits(sandbox, monkeypatch):
    env = {}
    with pytest.raises(KeyboardInterrupt):
        with interactive_session(env) as session_id:
            for name, value in env.items():  # what every kernel of the session inherits
                monkeypatch.setenv(name, value)
            kernels = []
            for _ in range(2):  # two notebooks open at once: their own run ids, so their names never clash
                monkeypatch.delenv("MLA_RUN_ID", raising=False)
                kernels.append(start("aws"))
                deploy_endpoint(kernels[-1].client("sagemaker"), kernels[-1].name("endpoint"))
            assert kernels[0].run_id != kernels[1].run_id
            assert all(k.run_id.startswith(session_id) for k in kernels)
            assert len(session().client("sagemaker").list_endpoints(NameContains=session_id)["Endpoints"]) == 2
            raise KeyboardInterrupt  # Ctrl-C (SIGTERM is turned into the same)
    assert tagged_with(tags.SESSION, session_id) == []
    assert session().client("sagemaker").list_endpoints(NameContains=session_id)["Endpoints"] == []


def test_an_interactive_session_refuses_the_wrong_account_before_jupyterlab_starts(sandbox, monkeypatch):
    monkeypatch.setenv("MLA_SANDBOX_ACCOUNT_ID", "111122223333")
    with pytest.raises(SystemExit, match="mla lab: .*not to your sandbox account 111122223333"):
        with interactive_session({}):
            pytest.fail("the session must not start")
