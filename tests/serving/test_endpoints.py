"""Models and endpoints through boto3: real predictions, statuses, errors, describe/list, deletion."""

import json
import os
import socket
import time

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError
from serving_helpers import (
    create_model,
    csv_body,
    deploy,
    features,
    put_xgboost_model,
    tar_files,
    train_booster,
    variant,
    wait_status,
    xgboost_image,
)

from mla.emulator.services.serving import endpoints, metrics, runtime

INFERENCE_PY = b'''
import json, os
import numpy as np

def model_fn(model_dir):
    with open(os.path.join(model_dir, "weights.json")) as f:
        return np.array(json.load(f))

def input_fn(body, content_type):
    if content_type != "application/json":
        raise ValueError("only JSON please")
    return np.array(json.loads(body)["rows"])

def predict_fn(data, weights):
    if np.isnan(data).any():
        raise RuntimeError("NaN in the input")
    return data @ weights

def output_fn(prediction, accept):
    return json.dumps({"scores": prediction.tolist()}), "application/json"
'''


def test_xgboost_endpoint_serves_the_boosters_own_predictions(aws, bucket, name):
    booster = train_booster()
    url = put_xgboost_model(aws.s3, bucket, f"{name}/model.tar.gz", booster)
    create_model(aws.sagemaker, name, url)
    aws.sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant(name)])
    aws.sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
    assert aws.sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Creating"
    description = wait_status(aws.sagemaker, name)
    assert description["EndpointStatus"] == "InService", description.get("FailureReason")
    assert description["ProductionVariants"][0]["CurrentInstanceCount"] == 1
    rows = features(7, seed=3)
    expected = booster.predict(xgb.DMatrix(rows))

    response = aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_body(rows))
    assert response["InvokedProductionVariant"] == "AllTraffic"
    assert response["ContentType"].startswith("text/csv")
    np.testing.assert_allclose(np.array(response["Body"].read().decode().split(","), dtype=float), expected, rtol=1e-6)

    as_json = aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv",
                                                    Accept="application/json", Body=csv_body(rows))
    scores = [p["score"] for p in json.loads(as_json["Body"].read())["predictions"]]
    np.testing.assert_allclose(scores, expected, rtol=1e-6)

    by_arn = aws.sagemaker_runtime.invoke_endpoint(EndpointName=description["EndpointArn"], ContentType="text/csv",
                                                   Body=csv_body(rows))
    np.testing.assert_allclose(np.array(by_arn["Body"].read().decode().split(","), dtype=float), expected, rtol=1e-6)

    listed = aws.sagemaker.list_endpoints(NameContains=name)["Endpoints"]
    assert [(e["EndpointName"], e["EndpointStatus"]) for e in listed] == [(name, "InService")]
    port = endpoints.ENDPOINTS[("us-east-1", name)].variants[0].server.port
    aws.sagemaker.delete_endpoint(EndpointName=name)
    with pytest.raises(ClientError, match="Could not find endpoint"):
        aws.sagemaker.describe_endpoint(EndpointName=name)
    with pytest.raises(ClientError) as missing:
        aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body="1,2,3")
    assert missing.value.response["Error"]["Code"] == "ValidationError"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the model server's port is freed once the endpoint is gone
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                break
        time.sleep(0.05)
    else:
        pytest.fail("the deleted endpoint's model server still listens")


def test_invoke_errors_have_the_service_shapes(aws, bucket, name, monkeypatch):
    with pytest.raises(ClientError) as unknown:
        aws.sagemaker_runtime.invoke_endpoint(EndpointName=f"{name}-nope", ContentType="text/csv", Body="1")
    assert unknown.value.response["Error"]["Code"] == "ValidationError"
    assert "not found" in unknown.value.response["Error"]["Message"]

    url = put_xgboost_model(aws.s3, bucket, f"{name}/model.tar.gz", train_booster())
    create_model(aws.sagemaker, name, url)
    deploy(aws.sagemaker, name, [variant(name)])
    with pytest.raises(ClientError) as too_big:
        aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv",
                                              Body=b"1" * (6 * 1024 * 1024 + 1))
    assert too_big.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as unsupported:
        aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="image/png", Body=b"\x89PNG")
    error = unsupported.value.response
    assert error["Error"]["Code"] == "ModelError" and error["OriginalStatusCode"] == 415
    with pytest.raises(ClientError) as wrong_width:  # the booster has 3 features; xgboost itself refuses 5
        aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body="1,2,3,4,5")
    assert wrong_width.value.response["OriginalStatusCode"] == 500
    assert "/aws/sagemaker/Endpoints/" in wrong_width.value.response["LogStreamArn"]
    aws.sagemaker.delete_endpoint(EndpointName=name)


def test_endpoint_fails_with_a_reason_when_the_model_cannot_load(aws, bucket, name):
    create_model(aws.sagemaker, name, f"s3://{bucket}/{name}/absent/model.tar.gz")
    description = deploy(aws.sagemaker, name, [variant(name)])
    assert description["EndpointStatus"] == "Failed"
    assert f"{name}/absent/model.tar.gz" in description["FailureReason"]
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/junk.tar.gz", Body=tar_files({"xgboost-model": b"not a model"}))
    create_model(aws.sagemaker, f"{name}-junk", f"s3://{bucket}/{name}/junk.tar.gz")
    junk = deploy(aws.sagemaker, f"{name}-junk", [variant(f"{name}-junk")])
    assert junk["EndpointStatus"] == "Failed" and "could not be loaded" in junk["FailureReason"]


def test_inference_handlers_from_the_artifacts_code_folder_run_in_their_own_process(aws, bucket, name):
    weights = [0.5, -2.0, 1.0]
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/model.tar.gz", Body=tar_files(
        {"weights.json": json.dumps(weights).encode(), "code/inference.py": INFERENCE_PY}))
    image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    create_model(aws.sagemaker, name, f"s3://{bucket}/{name}/model.tar.gz", image=image)
    description = deploy(aws.sagemaker, name, [variant(name)])
    assert description["EndpointStatus"] == "InService", description.get("FailureReason")
    rows = features(4, seed=5)
    response = aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="application/json",
                                                     Body=json.dumps({"rows": rows.tolist()}))
    np.testing.assert_allclose(json.loads(response["Body"].read())["scores"], rows @ np.array(weights))
    with pytest.raises(ClientError) as failing:
        aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="application/json",
                                              Body=json.dumps({"rows": [[float("nan"), 1, 2]]}))
    assert failing.value.response["OriginalStatusCode"] == 500
    assert "NaN in the input" in failing.value.response["OriginalMessage"]
    aws.sagemaker.delete_endpoint(EndpointName=name)


def test_unsupported_image_without_handlers_fails_clearly(aws, bucket, name):
    url = put_xgboost_model(aws.s3, bucket, f"{name}/model.tar.gz", train_booster())
    create_model(aws.sagemaker, name, url, image="123456789012.dkr.ecr.us-east-1.amazonaws.com/my-own:latest")
    description = deploy(aws.sagemaker, name, [variant(name)])
    assert description["EndpointStatus"] == "Failed" and "inference.py" in description["FailureReason"]
    assert xgboost_image() not in description["FailureReason"]


def test_a_model_keeps_its_network_isolation_and_vpc_settings(aws, name):
    vpc = {"Subnets": ["subnet-0a1b2c3d"], "SecurityGroupIds": ["sg-0a1b2c3d"]}
    aws.sagemaker.create_model(ModelName=name, ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
                               PrimaryContainer={"Image": xgboost_image()}, VpcConfig=vpc, EnableNetworkIsolation=True)
    model = aws.sagemaker.describe_model(ModelName=name)
    assert model["EnableNetworkIsolation"] is True and model["VpcConfig"] == vpc
    aws.sagemaker.create_model(ModelName=f"{name}-open", ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
                               PrimaryContainer={"Image": xgboost_image()})
    assert aws.sagemaker.describe_model(ModelName=f"{name}-open")["EnableNetworkIsolation"] is False


def test_tags_on_endpoints_configs_and_models(aws, bucket, name):
    url = put_xgboost_model(aws.s3, bucket, f"{name}/model.tar.gz", train_booster())
    aws.sagemaker.create_model(ModelName=name, ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
                               PrimaryContainer={"Image": xgboost_image(), "ModelDataUrl": url},
                               Tags=[{"Key": "team", "Value": "ml"}])
    model = aws.sagemaker.describe_model(ModelName=name)
    assert "VpcConfig" not in model and model["PrimaryContainer"]["ModelDataUrl"] == url
    assert aws.sagemaker.list_tags(ResourceArn=model["ModelArn"])["Tags"] == [{"Key": "team", "Value": "ml"}]
    config_arn = aws.sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant(name)],
                                                      Tags=[{"Key": "stage", "Value": "test"}])["EndpointConfigArn"]
    endpoint_arn = aws.sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name, Tags=[
        {"Key": "cost-center", "Value": "42"}, {"Key": "owner", "Value": "alice"}])["EndpointArn"]
    assert aws.sagemaker.list_tags(ResourceArn=config_arn)["Tags"] == [{"Key": "stage", "Value": "test"}]
    aws.sagemaker.add_tags(ResourceArn=endpoint_arn, Tags=[{"Key": "owner", "Value": "bob"}, {"Key": "x", "Value": ""}])
    aws.sagemaker.delete_tags(ResourceArn=endpoint_arn, TagKeys=["cost-center"])
    assert aws.sagemaker.list_tags(ResourceArn=endpoint_arn)["Tags"] == [{"Key": "owner", "Value": "bob"},
                                                                         {"Key": "x", "Value": ""}]
    wait_status(aws.sagemaker, name)
    aws.sagemaker.delete_endpoint(EndpointName=name)
    with pytest.raises(ClientError) as gone:
        aws.sagemaker.list_tags(ResourceArn=endpoint_arn)
    assert gone.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as unknown_model:
        aws.sagemaker.list_tags(ResourceArn=model["ModelArn"] + "-nope")
    assert unknown_model.value.response["Error"]["Code"] == "ValidationException"


PID_INFERENCE_PY = b'''
import os
import numpy as np

def model_fn(model_dir):
    return float(open(os.path.join(model_dir, "bias.txt")).read())

def predict_fn(data, bias):
    return np.atleast_2d(data).sum(axis=1) + bias

def output_fn(prediction, accept):
    return "\\n".join(f"{float(p)!r},{os.getpid()}" for p in prediction), "text/csv"
'''


def test_batch_transform_and_endpoints_serve_a_model_the_same_way(aws, bucket, name):
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/model.tar.gz", Body=tar_files(
        {"bias.txt": b"0.5", "code/inference.py": PID_INFERENCE_PY}))
    image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    create_model(aws.sagemaker, name, f"s3://{bucket}/{name}/model.tar.gz", image=image)
    rows = features(6, seed=11)
    expected = rows.sum(axis=1) + 0.5
    deploy(aws.sagemaker, name, [variant(name)])
    online = aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_body(rows))
    online_rows = [line.split(",") for line in online["Body"].read().decode().splitlines()]
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/batch/rows.csv", Body=csv_body(rows))
    aws.sagemaker.create_transform_job(
        TransformJobName=name, ModelName=name, BatchStrategy="MultiRecord",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/{name}/batch"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{bucket}/{name}/scored", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    deadline = time.monotonic() + 60
    while (job := aws.sagemaker.describe_transform_job(TransformJobName=name))["TransformJobStatus"] == "InProgress":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    batch = aws.s3.get_object(Bucket=bucket, Key=f"{name}/scored/rows.csv.out")["Body"].read().decode()
    batch_rows = [line.split(",") for line in batch.splitlines()]
    np.testing.assert_allclose([float(r[0]) for r in online_rows], expected)
    np.testing.assert_allclose([float(r[0]) for r in batch_rows], expected)
    # both ran the handlers in a model server process of their own, never inside the emulator
    pids = {int(r[1]) for r in online_rows} | {int(r[1]) for r in batch_rows}
    assert len(pids) == 2 and os.getpid() not in pids
    aws.sagemaker.delete_endpoint(EndpointName=name)


SLOW_INFERENCE_PY = b'''
import json, time

def model_fn(model_dir):
    return None

def input_fn(body, content_type):
    return json.loads(body)

def predict_fn(data, model):
    time.sleep(data["seconds"])
    return data["seconds"]
'''


def test_an_invocation_the_container_does_not_answer_in_time_is_a_model_error(aws, bucket, name, monkeypatch):
    monkeypatch.delenv("MLA_SERVING_INVOCATION_TIMEOUT_SECONDS", raising=False)
    assert runtime.invocation_timeout() == 60  # the documented limit; the test lowers it to stay fast
    monkeypatch.setenv("MLA_SERVING_INVOCATION_TIMEOUT_SECONDS", "0.5")
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/model.tar.gz", Body=tar_files({"code/inference.py": SLOW_INFERENCE_PY}))
    image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    create_model(aws.sagemaker, name, f"s3://{bucket}/{name}/model.tar.gz", image=image)
    deploy(aws.sagemaker, name, [variant(name)])
    fast = aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="application/json",
                                                 Body=json.dumps({"seconds": 0}))
    assert json.loads(fast["Body"].read()) == 0
    started = time.monotonic()
    with pytest.raises(ClientError) as slow:
        aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="application/json",
                                              Body=json.dumps({"seconds": 3}))
    assert time.monotonic() - started < 2.5
    error = slow.value.response
    assert error["Error"]["Code"] == "ModelError" and error["OriginalStatusCode"] == 0
    assert "timed out while waiting for a response from container" in error["OriginalMessage"]
    again = aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="application/json",
                                                  Body=json.dumps({"seconds": 0.1}))
    assert json.loads(again["Body"].read()) == 0.1
    endpoints.flush()
    assert sum(metrics.RECORDER.values("us-east-1", name, "Invocation5XXErrors", 0)) == 1
    aws.sagemaker.delete_endpoint(EndpointName=name)
