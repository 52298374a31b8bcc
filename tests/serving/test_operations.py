"""Canary rollout with auto-rollback, target-tracking autoscaling, asynchronous inference, multi-model and
serverless endpoints, through boto3 (clock compressed 600×)."""

import json
import time

import numpy as np
import xgboost as xgb
from serving_helpers import (
    create_model,
    csv_body,
    deploy,
    features,
    put_xgboost_model,
    train_booster,
    variant,
    wait_status,
    xgboost_image,
)


def wait_until(check, timeout=60):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)
    return result


def test_canary_with_a_failing_model_rolls_back_on_the_alarm(aws, bucket, name, monkeypatch):
    monkeypatch.setenv("MLA_SERVING_CLOCK_FACTOR", "60")  # the 600 s canary wait lasts 10 real seconds
    create_model(aws.sagemaker, f"{name}-old", put_xgboost_model(aws.s3, bucket, f"{name}/old.tar.gz", train_booster()))
    # the new model knows 2 features: every 3-feature request fails inside xgboost (HTTP 500)
    create_model(aws.sagemaker, f"{name}-new",
                 put_xgboost_model(aws.s3, bucket, f"{name}/new.tar.gz", train_booster(columns=2)))
    deploy(aws.sagemaker, name, [variant(f"{name}-old", count=2)])
    aws.sagemaker.create_endpoint_config(EndpointConfigName=f"{name}-v2",
                                         ProductionVariants=[variant(f"{name}-new", count=2)])
    aws.cloudwatch.put_metric_alarm(
        AlarmName=f"{name}-errors", Namespace="AWS/SageMaker", MetricName="Invocation5XXErrors", Statistic="Sum",
        Dimensions=[{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": "AllTraffic"}],
        Period=60, EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold")
    aws.sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=f"{name}-v2", DeploymentConfig={
        "BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
            "Type": "CANARY", "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}, "WaitIntervalInSeconds": 600},
            "TerminationWaitInSeconds": 600},
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": f"{name}-errors"}]}})
    pending = wait_until(lambda: aws.sagemaker.describe_endpoint(EndpointName=name).get("PendingDeploymentSummary"))
    assert pending["EndpointConfigName"] == f"{name}-v2"
    failures, deadline = 0, time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body="0.1,0.2,0.3")
        except aws.sagemaker_runtime.exceptions.ModelError:
            failures += 1
        if aws.sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService":
            break
    assert failures >= 1
    final = wait_status(aws.sagemaker, name, ("InService",))
    assert final["EndpointConfigName"] == name and "rolled back" in final["FailureReason"]
    assert "PendingDeploymentSummary" not in final
    assert aws.cloudwatch.describe_alarms(AlarmNames=[f"{name}-errors"])["MetricAlarms"][0]["StateValue"] == "ALARM"
    for _ in range(20):  # all traffic is back on the old model
        aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body="0.1,0.2,0.3")
    aws.sagemaker.delete_endpoint(EndpointName=name)


def test_linear_rollout_of_a_good_model_completes(aws, bucket, name):
    old, new = train_booster(slope=1.0), train_booster(slope=-4.0)
    create_model(aws.sagemaker, f"{name}-old", put_xgboost_model(aws.s3, bucket, f"{name}/old.tar.gz", old))
    create_model(aws.sagemaker, f"{name}-new", put_xgboost_model(aws.s3, bucket, f"{name}/new.tar.gz", new))
    deploy(aws.sagemaker, name, [variant(f"{name}-old")])
    aws.sagemaker.create_endpoint_config(EndpointConfigName=f"{name}-v2", ProductionVariants=[variant(f"{name}-new")])
    policy = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
        "Type": "LINEAR", "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 50}, "WaitIntervalInSeconds": 60},
        "TerminationWaitInSeconds": 60}}
    aws.sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=f"{name}-v2", DeploymentConfig=policy)
    final = wait_status(aws.sagemaker, name, ("InService",))
    assert final["EndpointConfigName"] == f"{name}-v2" and final["LastDeploymentConfig"] == policy
    row = features(1, seed=2)
    answer = float(aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv",
                                                         Body=csv_body(row))["Body"].read())
    assert answer == np.float32(new.predict(xgb.DMatrix(row))[0])
    aws.sagemaker.delete_endpoint(EndpointName=name)


def test_rolling_update_and_all_at_once_move_traffic_in_their_steps(aws, bucket, name):
    boosters = [train_booster(slope=1.0), train_booster(slope=-2.0), train_booster(slope=5.0)]
    for index, booster in enumerate(boosters):
        create_model(aws.sagemaker, f"{name}-{index}",
                     put_xgboost_model(aws.s3, bucket, f"{name}/{index}.tar.gz", booster))
    deploy(aws.sagemaker, name, [variant(f"{name}-0", count=2)])
    row = features(1, seed=3)
    policies = {  # 300 s waits last half a real second at 600×
        1: {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
                                    "WaitIntervalInSeconds": 300}},
        2: {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
                                      "TerminationWaitInSeconds": 300}}}
    expected_stages = {1: {("ActivatingTraffic", 50)}, 2: {("Baking", 100)}}  # half the instances, then all
    for index, policy in policies.items():
        aws.sagemaker.create_endpoint_config(EndpointConfigName=f"{name}-v{index}",
                                             ProductionVariants=[variant(f"{name}-{index}", count=2)])
        aws.sagemaker.update_endpoint(EndpointName=name, EndpointConfigName=f"{name}-v{index}", DeploymentConfig=policy)
        seen = set()
        while (described := aws.sagemaker.describe_endpoint(EndpointName=name))["EndpointStatus"] != "InService":
            for summary in described.get("PendingDeploymentSummary", {}).get("ProductionVariants", []):
                status = summary["VariantStatus"][0]
                seen.add((status["Status"], int(status["StatusMessage"].split("%")[0])))
            time.sleep(0.02)
        assert expected_stages[index] <= seen, seen
        assert described["EndpointConfigName"] == f"{name}-v{index}" and described["LastDeploymentConfig"] == policy
        answer = float(aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv",
                                                             Body=csv_body(row))["Body"].read())
        assert answer == np.float32(boosters[index].predict(xgb.DMatrix(row))[0])
    aws.sagemaker.delete_endpoint(EndpointName=name)


def test_target_tracking_scales_out_under_load_and_back_in(aws, bucket, name, monkeypatch):
    monkeypatch.setenv("MLA_SERVING_CLOCK_FACTOR", "60")  # the one-minute metric window lasts one real second
    create_model(aws.sagemaker, name, put_xgboost_model(aws.s3, bucket, f"{name}/model.tar.gz", train_booster()))
    deploy(aws.sagemaker, name, [variant(name)])
    resource = f"endpoint/{name}/variant/AllTraffic"
    scaling = aws.application_autoscaling
    scaling.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=resource, MinCapacity=1, MaxCapacity=4,
                                     ScalableDimension="sagemaker:variant:DesiredInstanceCount")
    scaling.put_scaling_policy(
        PolicyName=f"{name}-tt", ServiceNamespace="sagemaker", ResourceId=resource, PolicyType="TargetTrackingScaling",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 10.0, "ScaleInCooldown": 60, "ScaleOutCooldown": 30,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}})

    def count():
        return aws.sagemaker.describe_endpoint(EndpointName=name)["ProductionVariants"][0]["CurrentInstanceCount"]

    body = csv_body(features(1))
    for _ in range(40):  # 40 invocations well within one service minute: far above 10 per instance
        aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=body)
    assert wait_until(lambda: count() > 1) <= 4
    assert wait_until(lambda: count() == 1)  # no traffic: scales back in to MinCapacity
    scaling.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=resource,
                                       ScalableDimension="sagemaker:variant:DesiredInstanceCount")
    aws.sagemaker.delete_endpoint(EndpointName=name)


def test_async_inference_writes_to_s3_and_notifies(aws, bucket, name):
    booster = train_booster()
    create_model(aws.sagemaker, name, put_xgboost_model(aws.s3, bucket, f"{name}/model.tar.gz", booster))
    topic = aws.sns.create_topic(Name=f"{name}-ok")["TopicArn"]
    queue_url = aws.sqs.create_queue(QueueName=f"{name}-ok")["QueueUrl"]
    queue_arn = aws.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    deploy(aws.sagemaker, name, [variant(name)], AsyncInferenceConfig={"OutputConfig": {
        "S3OutputPath": f"s3://{bucket}/{name}/out", "S3FailurePath": f"s3://{bucket}/{name}/failed",
        "NotificationConfig": {"SuccessTopic": topic}}})
    rows = features(4, seed=8)
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/in.csv", Body=csv_body(rows))
    response = aws.sagemaker_runtime.invoke_endpoint_async(EndpointName=name, ContentType="text/csv",
                                                           InputLocation=f"s3://{bucket}/{name}/in.csv")
    key = response["OutputLocation"].split(f"s3://{bucket}/", 1)[1]
    body = wait_until(lambda: next((aws.s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in
                                    aws.s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])), None))
    np.testing.assert_allclose(np.array(body.decode().split(","), dtype=float), booster.predict(xgb.DMatrix(rows)),
                               rtol=1e-6)
    message = wait_until(lambda: aws.sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages"))[0]
    notice = json.loads(message["Body"])
    assert notice["invocationStatus"] == "Completed" and notice["inferenceId"] == response["InferenceId"]
    assert notice["responseParameters"]["outputLocation"] == response["OutputLocation"]
    aws.sagemaker.delete_endpoint(EndpointName=name)


def test_multi_model_endpoint_loads_each_target_model_from_the_prefix(aws, bucket, name):
    boosters = {"a.tar.gz": train_booster(slope=2.0), "b.tar.gz": train_booster(slope=-7.0)}
    for key, booster in boosters.items():
        put_xgboost_model(aws.s3, bucket, f"{name}/models/{key}", booster)
    aws.sagemaker.create_model(ModelName=name, ExecutionRoleArn="arn:aws:iam::123456789012:role/r", PrimaryContainer={
        "Image": xgboost_image(), "Mode": "MultiModel", "ModelDataUrl": f"s3://{bucket}/{name}/models/"})
    deploy(aws.sagemaker, name, [variant(name)])
    row = features(1, seed=6)
    for key, booster in boosters.items():
        answer = aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_body(row),
                                                       TargetModel=key)["Body"].read()
        assert float(answer) == np.float32(booster.predict(xgb.DMatrix(row))[0])
    missing = None
    try:
        aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_body(row),
                                              TargetModel="absent.tar.gz")
    except aws.sagemaker_runtime.exceptions.ModelError as error:
        missing = error.response
    assert missing is not None and missing["OriginalStatusCode"] == 404
    aws.sagemaker.delete_endpoint(EndpointName=name)


def test_serverless_endpoint_cold_starts_and_limits_payload(aws, bucket, name):
    create_model(aws.sagemaker, name, put_xgboost_model(aws.s3, bucket, f"{name}/model.tar.gz", train_booster()))
    deploy(aws.sagemaker, name, [{"VariantName": "AllTraffic", "ModelName": name,
                                  "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 2}}])
    description = aws.sagemaker.describe_endpoint(EndpointName=name)
    assert description["ProductionVariants"][0]["CurrentServerlessConfig"]["MemorySizeInMB"] == 2048
    body = csv_body(features(1))
    for _ in range(3):
        aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=body)
    try:
        aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv",
                                              Body=b"1" * (4 * 1024 * 1024 + 1))
        raise AssertionError("a payload over 4 MB reached a serverless endpoint")
    except aws.sagemaker_runtime.exceptions.ValidationError:
        pass
    from mla.emulator.services.serving import endpoints, metrics

    endpoints.flush()
    setups = metrics.RECORDER.values("us-east-1", name, "ModelSetupTime", 0)
    assert len(setups) == 1 and setups[0] > 0  # only the first call after creation was cold
    aws.sagemaker.delete_endpoint(EndpointName=name)
    try:
        aws.sagemaker.create_endpoint_config(EndpointConfigName=f"{name}-bad", ProductionVariants=[
            {"VariantName": "v", "ModelName": name, "ServerlessConfig": {"MemorySizeInMB": 1500, "MaxConcurrency": 1}}])
        raise AssertionError("an invalid serverless memory size was accepted")
    except aws.sagemaker.exceptions.ClientError as error:
        assert "memorySizeInMB" in str(error)
