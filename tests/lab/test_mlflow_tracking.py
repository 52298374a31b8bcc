"""Experiment tracking through the lab: ``lab.mlflow_tracking_uri`` is a SQLite store in the workspace locally
and the SageMaker AI MLflow ARN (resolved by the sagemaker-mlflow plugin) on AWS."""

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from mla.lab import BackendError, start
from mla.lab.aws import MLFLOW_ARN_ENV, mlflow_tracking_arn

ARN = "arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/course"


@pytest.fixture
def tracked(data_dirs, clean_environ, monkeypatch):
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(data_dirs)  # where MLflow puts a SQLite store's artifacts (./mlruns)
    lab = start("local")
    yield lab
    mlflow.set_tracking_uri(None)


def test_runs_params_and_metrics_are_logged_and_read_back_through_the_lab_uri(tracked, data_dirs):
    uri = tracked.mlflow_tracking_uri
    assert uri == f"sqlite:///{data_dirs / 'workspace' / 'mlflow' / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(experiment := tracked.name("churn"))
    for depth in (2, 6):
        with mlflow.start_run(run_name=f"depth-{depth}"):
            mlflow.log_params({"max_depth": depth, "seed": 0})
            for step, loss in enumerate([0.9, 0.5, 0.1 * depth]):
                mlflow.log_metric("loss", loss, step=step)
            mlflow.log_dict({"depth": depth}, "config.json")
    mlflow.set_tracking_uri(None)

    reader = MlflowClient(tracking_uri=uri)  # a new client on the same store sees what was logged
    runs = reader.search_runs([reader.get_experiment_by_name(experiment).experiment_id],
                              order_by=["metrics.loss ASC"])
    assert [(r.info.run_name, r.data.params["max_depth"], r.data.metrics["loss"]) for r in runs] == [
        ("depth-2", "2", pytest.approx(0.2)), ("depth-6", "6", pytest.approx(0.6))]
    assert [m.value for m in reader.get_metric_history(runs[0].info.run_id, "loss")] == [0.9, 0.5, pytest.approx(0.2)]
    assert [a.path for a in reader.list_artifacts(runs[0].info.run_id)] == ["config.json"]


def test_aws_mode_takes_the_tracking_server_arn_and_mlflow_resolves_it_with_the_plugin(monkeypatch):
    from mlflow.tracking._tracking_service.utils import _get_store

    monkeypatch.setenv(MLFLOW_ARN_ENV, ARN)
    assert mlflow_tracking_arn("us-east-1") == ARN
    assert type(_get_store(ARN)).__name__ == "MlflowSageMakerStore"
    with pytest.raises(BackendError, match="us-west-2"):
        mlflow_tracking_arn("us-west-2")


@pytest.mark.parametrize("value", [None, "arn:aws:sagemaker:us-east-1:123456789012:endpoint/course"])
def test_aws_mode_without_a_valid_arn_says_what_to_set(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(MLFLOW_ARN_ENV, raising=False)
    else:
        monkeypatch.setenv(MLFLOW_ARN_ENV, value)
    with pytest.raises(BackendError, match=f"Set {MLFLOW_ARN_ENV}"):
        mlflow_tracking_arn("us-east-1")
