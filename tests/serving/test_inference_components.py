"""Inference components through boto3: an endpoint whose variant has no model hosts two components, each
answering with its own model; InvokeEndpoint names the component."""

import time

import numpy as np
import pytest
import xgboost as xgb
from botocore.exceptions import ClientError
from serving_helpers import (
    ROLE,
    create_model,
    csv_body,
    features,
    put_xgboost_model,
    train_booster,
    xgboost_image,
)


def wait_component(sagemaker, name, timeout=60):
    deadline = time.monotonic() + timeout
    while (status := sagemaker.describe_inference_component(InferenceComponentName=name))[
            "InferenceComponentStatus"] == "Creating":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return status


def test_inference_components_share_an_endpoint_and_each_answer_with_their_model(aws, bucket, name):
    boosters = {"small": train_booster(seed=5, slope=1.0), "large": train_booster(seed=6, slope=-6.0)}
    aws.sagemaker.create_endpoint_config(EndpointConfigName=name, ExecutionRoleArn=ROLE, ProductionVariants=[{
        "VariantName": "AllTraffic", "InstanceType": "ml.m5.xlarge", "InitialInstanceCount": 1,
        "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 2},
        "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}}])
    aws.sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
    deadline = time.monotonic() + 60
    while (endpoint := aws.sagemaker.describe_endpoint(EndpointName=name))["EndpointStatus"] == "Creating":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert endpoint["EndpointStatus"] == "InService", endpoint.get("FailureReason")
    assert endpoint["ProductionVariants"][0]["ManagedInstanceScaling"]["MaxInstanceCount"] == 2

    for label, booster in boosters.items():
        url = put_xgboost_model(aws.s3, bucket, f"{name}/{label}.tar.gz", booster)
        if label == "small":  # by model name
            create_model(aws.sagemaker, f"{name}-{label}", url)
            specification = {"ModelName": f"{name}-{label}"}
        else:  # or by container
            specification = {"Container": {"Image": xgboost_image(), "ArtifactUrl": url}}
        aws.sagemaker.create_inference_component(
            InferenceComponentName=f"{name}-{label}", EndpointName=name, VariantName="AllTraffic",
            Specification={**specification, "ComputeResourceRequirements": {
                "NumberOfCpuCoresRequired": 1, "MinMemoryRequiredInMb": 1024}},
            RuntimeConfig={"CopyCount": 1}, Tags=[{"Key": "size", "Value": label}])
    for label in boosters:
        described = wait_component(aws.sagemaker, f"{name}-{label}")
        assert described["InferenceComponentStatus"] == "InService", described.get("FailureReason")
        assert described["RuntimeConfig"] == {"DesiredCopyCount": 1, "CurrentCopyCount": 1}
        assert aws.sagemaker.list_tags(ResourceArn=described["InferenceComponentArn"])["Tags"] == [
            {"Key": "size", "Value": label}]
    listed = aws.sagemaker.list_inference_components(EndpointNameEquals=name)["InferenceComponents"]
    assert sorted(c["InferenceComponentName"] for c in listed) == [f"{name}-large", f"{name}-small"]

    rows = features(4, seed=14)
    for label, booster in boosters.items():
        answer = aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, InferenceComponentName=f"{name}-{label}",
                                                       ContentType="text/csv", Body=csv_body(rows))
        np.testing.assert_allclose(np.array(answer["Body"].read().decode().split(","), dtype=float),
                                   booster.predict(xgb.DMatrix(rows)), rtol=1e-6)
    with pytest.raises(ClientError) as unnamed:
        aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_body(rows))
    assert unnamed.value.response["Error"]["Code"] == "ValidationError"

    aws.sagemaker.update_inference_component_runtime_config(InferenceComponentName=f"{name}-large",
                                                            DesiredRuntimeConfig={"CopyCount": 2})
    large = aws.sagemaker.describe_inference_component(InferenceComponentName=f"{name}-large")
    assert large["RuntimeConfig"]["DesiredCopyCount"] == 2
    aws.sagemaker.delete_inference_component(InferenceComponentName=f"{name}-small")
    with pytest.raises(ClientError) as gone:
        aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, InferenceComponentName=f"{name}-small",
                                              ContentType="text/csv", Body=csv_body(rows))
    assert gone.value.response["Error"]["Code"] == "ValidationError"
    aws.sagemaker.delete_endpoint(EndpointName=name)
    assert aws.sagemaker.list_inference_components(EndpointNameEquals=name)["InferenceComponents"] == []
