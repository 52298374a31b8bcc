"""Training jobs through boto3: built-in XGBoost, script mode, failures, limits, stops and validation."""

import io
import json
import textwrap

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError
from sagemaker.core import image_uris
from sagemaker_helpers import (
    REGION,
    channel,
    model_files,
    put_csv,
    regression_data,
    training_request,
    wait_training,
    xgboost_image,
)

SKLEARN_IMAGE = image_uris.retrieve("sklearn", REGION, "1.2-1")


def upload_script(aws, bucket, name, source):
    """A framework-estimator style source bundle: sourcedir.tar.gz holding train.py."""
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        body = textwrap.dedent(source).encode()
        info = tarfile.TarInfo("train.py")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/sourcedir.tar.gz", Body=buffer.getvalue())
    return {"sagemaker_program": '"train.py"', "sagemaker_submit_directory": f'"s3://{bucket}/{name}/sourcedir.tar.gz"'}


@pytest.mark.filterwarnings("ignore:.*Unknown file format")  # xgboost guesses the format of a file named xgboost-model
def test_xgboost_artifact_predicts_like_the_same_model_trained_directly(aws, bucket, name, tmp_path):
    features, labels = regression_data()
    train_uri = put_csv(aws.s3, bucket, f"{name}/train/train.csv", np.column_stack([labels, features]))
    hyperparameters = {"num_round": "20", "max_depth": "3", "eta": "0.2", "objective": "reg:squarederror"}
    aws.sagemaker.create_training_job(**training_request(
        name, bucket, xgboost_image(), hyperparameters, [channel("train", train_uri, "text/csv")]))

    job = wait_training(aws.sagemaker, name)

    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == [
        "Starting", "Downloading", "Training", "Uploading", "Completed"]
    uri = job["ModelArtifacts"]["S3ModelArtifacts"]
    assert uri == f"s3://{bucket}/output/{name}/output/model.tar.gz"
    booster = xgb.Booster()
    booster.load_model(str(model_files(aws.s3, uri, tmp_path) / "xgboost-model"))
    direct = xgb.train({"max_depth": 3, "eta": 0.2, "objective": "reg:squarederror", "base_score": 0.5, "seed": 0,
                        "nthread": 1}, xgb.DMatrix(features, label=labels), num_boost_round=20)
    np.testing.assert_allclose(booster.predict(xgb.DMatrix(features)), direct.predict(xgb.DMatrix(features)),
                               rtol=1e-4, atol=1e-4)
    assert {m["MetricName"] for m in job["FinalMetricDataList"]} == {"train:rmse"}


def test_xgboost_reads_libsvm_and_parquet_and_reports_validation_metrics(aws, bucket, name):
    features, labels = regression_data(200)
    lines = "\n".join(f"{y} " + " ".join(f"{i}:{v}" for i, v in enumerate(row)) for y, row in zip(labels, features, strict=True))
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/libsvm/train.libsvm", Body=lines)
    parquet = io.BytesIO()
    pd.DataFrame(np.column_stack([labels, features]), columns=list("yabcd")).to_parquet(parquet)
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/parquet/valid.parquet", Body=parquet.getvalue())
    aws.sagemaker.create_training_job(**training_request(
        name, bucket, xgboost_image(), {"num_round": "5", "eval_metric": "mae"},
        [channel("train", f"s3://{bucket}/{name}/libsvm", "text/libsvm"),
         channel("validation", f"s3://{bucket}/{name}/parquet", "application/x-parquet")]))

    job = wait_training(aws.sagemaker, name)

    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert {m["MetricName"] for m in job["FinalMetricDataList"]} == {"train:mae", "validation:mae"}
    events = aws.logs.filter_log_events(logGroupName="/aws/sagemaker/TrainingJobs",
                                        logStreamNamePrefix=f"{name}/algo-1")["events"]
    assert any(e["message"].startswith("[4]#011train-mae:") for e in events)
    stats = aws.cloudwatch.list_metrics(Namespace="/aws/sagemaker/TrainingJobs", MetricName="validation:mae")
    assert {"Name": "Host", "Value": f"{name}/algo-1"} in [d for m in stats["Metrics"] for d in m["Dimensions"]]


@pytest.mark.parametrize("hyperparameters,reason", [
    ({"max_depth": "3"}, "Missing required hyperparameter: num_round"),
    ({"num_round": "5", "eta": "7"}, "Hyperparameter eta: value 7 not in range [0, 1]"),
    ({"num_round": "5", "learning_rate_typo": "1"}, "'learning_rate_typo' was unexpected"),
])
def test_xgboost_rejects_bad_hyperparameters_the_way_the_algorithm_does(aws, bucket, name, hyperparameters, reason):
    features, labels = regression_data(50)
    uri = put_csv(aws.s3, bucket, f"{name}/train.csv", np.column_stack([labels, features]))
    aws.sagemaker.create_training_job(**training_request(
        name, bucket, xgboost_image(), hyperparameters, [channel("train", uri, "text/csv")]))

    job = wait_training(aws.sagemaker, name)

    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"].startswith("ClientError:") and reason in job["FailureReason"]


def test_script_mode_sees_hyperparameters_channels_and_the_container_layout(aws, bucket, name, tmp_path):
    features, labels = regression_data(40)
    train_uri = put_csv(aws.s3, bucket, f"{name}/data/train.csv", np.column_stack([labels, features]))
    script = upload_script(aws, bucket, name, """
        import argparse, json, os
        parser = argparse.ArgumentParser()
        parser.add_argument("--alpha", type=float)
        parser.add_argument("--model-dir", default=os.environ["SM_MODEL_DIR"])
        args = parser.parse_args()
        train = os.environ["SM_CHANNEL_TRAIN"]
        config = os.path.join(os.environ["SM_INPUT_CONFIG_DIR"], "hyperparameters.json")
        report = {"alpha": args.alpha, "hps": json.loads(os.environ["SM_HPS"]), "files": sorted(os.listdir(train)),
                  "rows": sum(1 for _ in open(os.path.join(train, "train.csv"))),
                  "hosts": json.loads(os.environ["SM_HOSTS"]), "host": os.environ["SM_CURRENT_HOST"],
                  "gpus": os.environ["SM_NUM_GPUS"], "config": json.load(open(config))["alpha"]}
        json.dump(report, open(os.path.join(args.model_dir, "report.json"), "w"))
        print("validation loss = 0.125")
    """)
    request = training_request(name, bucket, SKLEARN_IMAGE, {"alpha": "0.5", **script},
                               [channel("train", train_uri, "text/csv")])
    request["AlgorithmSpecification"]["MetricDefinitions"] = [{"Name": "val:loss", "Regex": "loss = ([0-9.]+)"}]
    aws.sagemaker.create_training_job(**request)

    job = wait_training(aws.sagemaker, name)

    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    report = json.loads((model_files(aws.s3, job["ModelArtifacts"]["S3ModelArtifacts"], tmp_path)
                         / "report.json").read_text())
    assert report == {"alpha": 0.5, "hps": {"alpha": 0.5}, "files": ["train.csv"], "rows": 40, "hosts": ["algo-1"],
                      "host": "algo-1", "gpus": "0", "config": "0.5"}
    assert [(m["MetricName"], m["Value"]) for m in job["FinalMetricDataList"]] == [("val:loss", 0.125)]


def test_failing_script_fails_the_job_with_the_tracebacks_last_line(aws, bucket, name):
    script = upload_script(aws, bucket, name, """
        def load():
            raise ValueError("column 'price' has 3 missing values")
        load()
    """)
    aws.sagemaker.create_training_job(**training_request(name, bucket, SKLEARN_IMAGE, script))

    job = wait_training(aws.sagemaker, name)

    assert job["TrainingJobStatus"] == "Failed" and job["SecondaryStatus"] == "Failed"
    assert "ValueError: column 'price' has 3 missing values" in job["FailureReason"]
    assert job["FailureReason"].startswith("AlgorithmError: ExecuteUserScriptError")


def test_job_over_max_runtime_is_stopped_with_the_service_reason(aws, bucket, name):
    script = upload_script(aws, bucket, name, "import time\nprint('working', flush=True)\ntime.sleep(60)\n")
    aws.sagemaker.create_training_job(**training_request(name, bucket, SKLEARN_IMAGE, script, max_runtime=1))

    job = wait_training(aws.sagemaker, name, timeout=30)

    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Stopped", "MaxRuntimeExceeded")
    assert "MaxRuntimeInSeconds" in job["FailureReason"]
    assert job["TrainingTimeInSeconds"] < 10


def test_stop_training_job_stops_a_running_job(aws, bucket, name):
    script = upload_script(aws, bucket, name, "import time\ntime.sleep(60)\n")
    aws.sagemaker.create_training_job(**training_request(name, bucket, SKLEARN_IMAGE, script))

    aws.sagemaker.stop_training_job(TrainingJobName=name)
    job = wait_training(aws.sagemaker, name, timeout=30)

    assert (job["TrainingJobStatus"], job["SecondaryStatus"]) == ("Stopped", "Stopped")
    assert "Stopping" in [t["Status"] for t in job["SecondaryStatusTransitions"]]
    with pytest.raises(ClientError, match="is in status Stopped"):
        aws.sagemaker.stop_training_job(TrainingJobName=name)


def test_duplicate_name_is_resource_in_use(aws, bucket, name):
    script = upload_script(aws, bucket, name, "print('hi')\n")
    aws.sagemaker.create_training_job(**training_request(name, bucket, SKLEARN_IMAGE, script))
    with pytest.raises(aws.sagemaker.exceptions.ResourceInUse, match="already exists"):
        aws.sagemaker.create_training_job(**training_request(name, bucket, SKLEARN_IMAGE, script))
    listed = aws.sagemaker.list_training_jobs(NameContains=name)["TrainingJobSummaries"]
    assert [s["TrainingJobName"] for s in listed] == [name]


def test_bad_instance_type_is_rejected_with_the_service_wording(aws, bucket, name):
    request = training_request(name, bucket, xgboost_image())
    request["ResourceConfig"]["InstanceType"] = "ml.bogus"
    with pytest.raises(ClientError) as caught:
        aws.sagemaker.create_training_job(**request)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith("1 validation error detected: Value 'ml.bogus' at "
                                       "'resourceConfig.instanceType' failed to satisfy constraint: Member must "
                                       "satisfy enum value set: [")
    with pytest.raises(ClientError, match="Requested resource not found"):
        aws.sagemaker.describe_training_job(TrainingJobName=name)


def test_an_image_the_backend_cannot_run_fails_with_a_clear_reason(aws, bucket, name):
    aws.sagemaker.create_training_job(**training_request(
        name, bucket, "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own-container:latest"))
    job = wait_training(aws.sagemaker, name)
    assert job["TrainingJobStatus"] == "Failed" and "cannot run the container image" in job["FailureReason"]


def test_xgboost_writes_checkpoints_and_a_restarted_job_resumes_from_them(aws, bucket, name, capfd):
    features, labels = regression_data()
    train = put_csv(aws.s3, bucket, f"{name}/train/data.csv", np.column_stack([labels, features]))
    checkpoints = f"s3://{bucket}/{name}/checkpoints"
    request = training_request(name, bucket, xgboost_image(), {"num_round": "6", "objective": "reg:squarederror"},
                               [channel("train", train, "text/csv")],
                               CheckpointConfig={"S3Uri": checkpoints})
    aws.sagemaker.create_training_job(**request)
    assert wait_training(aws.sagemaker, name)["TrainingJobStatus"] == "Completed"
    saved = aws.s3.list_objects_v2(Bucket=bucket, Prefix=f"{name}/checkpoints/")["Contents"]
    assert len(saved) == 6
    request["TrainingJobName"] = f"{name}-again"
    aws.sagemaker.create_training_job(**request)
    assert wait_training(aws.sagemaker, f"{name}-again")["TrainingJobStatus"] == "Completed"
    events = aws.logs.filter_log_events(logGroupName="/aws/sagemaker/TrainingJobs",
                                        logStreamNamePrefix=f"{name}-again/")["events"]
    assert any("resuming from iteration 6" in e["message"] for e in events)
    assert "UBJSON" not in capfd.readouterr().err
