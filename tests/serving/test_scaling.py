"""Application Auto Scaling of endpoint variants through boto3: step scaling from an alarm with its cooldown,
scheduled actions, and an asynchronous endpoint that scales in to zero and back out when requests queue. The
clock runs 60× (one service minute per real second)."""

import datetime as dt
import threading
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
)

DIMENSION = "sagemaker:variant:DesiredInstanceCount"


def wait_until(check, timeout=30):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)
    return result


def instance_count(aws, name):
    return aws.sagemaker.describe_endpoint(EndpointName=name)["ProductionVariants"][0]["CurrentInstanceCount"]


def scalable(aws, name, low, high):
    resource = f"endpoint/{name}/variant/AllTraffic"
    aws.application_autoscaling.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=resource,
                                                         ScalableDimension=DIMENSION, MinCapacity=low, MaxCapacity=high)
    return resource


def forget(aws, resource):
    aws.application_autoscaling.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=resource,
                                                           ScalableDimension=DIMENSION)


def test_step_scaling_follows_its_alarm_and_waits_out_the_cooldown(aws, bucket, name, monkeypatch):
    monkeypatch.setenv("MLA_SERVING_CLOCK_FACTOR", "60")
    create_model(aws.sagemaker, name, put_xgboost_model(aws.s3, bucket, f"{name}/model.tar.gz", train_booster()))
    deploy(aws.sagemaker, name, [variant(name)])
    resource = scalable(aws, name, 1, 4)
    policy = aws.application_autoscaling.put_scaling_policy(
        PolicyName=f"{name}-step", ServiceNamespace="sagemaker", ResourceId=resource, ScalableDimension=DIMENSION,
        PolicyType="StepScaling", StepScalingPolicyConfiguration={
            "AdjustmentType": "ChangeInCapacity", "Cooldown": 180, "MetricAggregationType": "Sum",
            "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]})["PolicyARN"]
    aws.cloudwatch.put_metric_alarm(
        AlarmName=f"{name}-busy", Namespace="AWS/SageMaker", MetricName="Invocations", Statistic="Sum",
        Dimensions=[{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": "AllTraffic"}],
        Period=60, EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[policy])
    stop = threading.Event()

    def load():
        body = csv_body(features(1))
        while not stop.is_set():
            aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=body)

    worker = threading.Thread(target=load)
    worker.start()
    try:
        wait_until(lambda: instance_count(aws, name) == 2)
        first_step = time.monotonic()
        assert aws.cloudwatch.describe_alarms(AlarmNames=[f"{name}-busy"])["MetricAlarms"][0]["StateValue"] == "ALARM"
        while time.monotonic() - first_step < 1.2:  # the 180 s cooldown lasts 3 real seconds: no step meanwhile
            assert instance_count(aws, name) == 2
            time.sleep(0.1)
        wait_until(lambda: instance_count(aws, name) == 3)
        assert time.monotonic() - first_step >= 1.2
    finally:
        stop.set()
        worker.join()
    wait_until(lambda: aws.cloudwatch.describe_alarms(AlarmNames=[f"{name}-busy"])["MetricAlarms"][0]
               ["StateValue"] == "INSUFFICIENT_DATA")  # no invocations, no datapoints (TreatMissingData: missing)
    assert instance_count(aws, name) == 3  # a step policy without a scale-in step keeps its capacity
    forget(aws, resource)
    aws.sagemaker.delete_endpoint(EndpointName=name)


def test_scheduled_actions_change_the_capacity_limits_at_their_time(aws, bucket, name, monkeypatch):
    create_model(aws.sagemaker, name, put_xgboost_model(aws.s3, bucket, f"{name}/model.tar.gz", train_booster()))
    deploy(aws.sagemaker, name, [variant(name)])
    resource = scalable(aws, name, 1, 4)
    soon = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=1)
    for action, when, limits in (("up", soon, {"MinCapacity": 3}),
                                 ("down", soon + dt.timedelta(seconds=1), {"MinCapacity": 1, "MaxCapacity": 2})):
        aws.application_autoscaling.put_scheduled_action(
            ServiceNamespace="sagemaker", ScheduledActionName=f"{name}-{action}", ResourceId=resource,
            ScalableDimension=DIMENSION, Schedule=f"at({when:%Y-%m-%dT%H:%M:%S})", ScalableTargetAction=limits)
    assert instance_count(aws, name) == 1
    wait_until(lambda: instance_count(aws, name) == 3)  # the morning peak: at least 3 instances
    assert dt.datetime.now(dt.UTC) >= soon
    wait_until(lambda: instance_count(aws, name) == 2)  # then at most 2
    target = aws.application_autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker",
                                                                   ResourceIds=[resource])["ScalableTargets"][0]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 2)
    forget(aws, resource)
    aws.sagemaker.delete_endpoint(EndpointName=name)


def test_async_endpoint_scales_to_zero_and_back_out_when_requests_queue(aws, bucket, name, monkeypatch):
    monkeypatch.setenv("MLA_SERVING_CLOCK_FACTOR", "60")
    booster = train_booster()
    create_model(aws.sagemaker, name, put_xgboost_model(aws.s3, bucket, f"{name}/model.tar.gz", booster))
    deploy(aws.sagemaker, name, [variant(name)], AsyncInferenceConfig={"OutputConfig": {
        "S3OutputPath": f"s3://{bucket}/{name}/out"}})
    resource = scalable(aws, name, 0, 2)
    # the two policies of https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html
    aws.application_autoscaling.put_scaling_policy(
        PolicyName=f"{name}-backlog", ServiceNamespace="sagemaker", ResourceId=resource, ScalableDimension=DIMENSION,
        PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 5.0, "ScaleInCooldown": 60, "ScaleOutCooldown": 60,
            "CustomizedMetricSpecification": {
                "MetricName": "ApproximateBacklogSizePerInstance", "Namespace": "AWS/SageMaker",
                "Dimensions": [{"Name": "EndpointName", "Value": name}], "Statistic": "Average"}})
    step = aws.application_autoscaling.put_scaling_policy(
        PolicyName=f"{name}-from-zero", ServiceNamespace="sagemaker", ResourceId=resource, ScalableDimension=DIMENSION,
        PolicyType="StepScaling", StepScalingPolicyConfiguration={
            "AdjustmentType": "ChangeInCapacity", "MetricAggregationType": "Average", "Cooldown": 60,
            "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]})["PolicyARN"]
    aws.cloudwatch.put_metric_alarm(
        AlarmName=f"{name}-backlog-without-capacity", Namespace="AWS/SageMaker", MetricName="HasBacklogWithoutCapacity",
        Statistic="Average", Dimensions=[{"Name": "EndpointName", "Value": name}], Period=60, EvaluationPeriods=1,
        Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[step])

    wait_until(lambda: instance_count(aws, name) == 0)  # no backlog: scaled in to zero
    rows = features(3, seed=12)
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/in.csv", Body=csv_body(rows))
    response = aws.sagemaker_runtime.invoke_endpoint_async(EndpointName=name, ContentType="text/csv",
                                                           InputLocation=f"s3://{bucket}/{name}/in.csv")
    key = response["OutputLocation"].split(f"s3://{bucket}/", 1)[1]
    time.sleep(0.3)  # queued while there is no instance
    assert instance_count(aws, name) == 0
    assert "Contents" not in aws.s3.list_objects_v2(Bucket=bucket, Prefix=key)
    wait_until(lambda: instance_count(aws, name) == 1)  # HasBacklogWithoutCapacity alarm → step policy +1
    body = wait_until(lambda: next((aws.s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in
                                    aws.s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])), None))
    np.testing.assert_allclose(np.array(body.decode().split(","), dtype=float), booster.predict(xgb.DMatrix(rows)),
                               rtol=1e-6)
    wait_until(lambda: instance_count(aws, name) == 0)  # the queue is empty again: back to zero

    dimensions = [{"Name": "EndpointName", "Value": name}]
    points = aws.cloudwatch.get_metric_statistics(
        Namespace="AWS/SageMaker", MetricName="HasBacklogWithoutCapacity", Dimensions=dimensions, Period=60,
        StartTime=time.time() - 600, EndTime=time.time() + 60, Statistics=["Maximum"])["Datapoints"]
    assert max(p["Maximum"] for p in points) == 1
    invocations = aws.cloudwatch.get_metric_statistics(
        Namespace="AWS/SageMaker", MetricName="Invocations", Dimensions=dimensions + [
            {"Name": "VariantName", "Value": "AllTraffic"}], Period=60, StartTime=time.time() - 600,
        EndTime=time.time() + 60, Statistics=["Sum"])["Datapoints"]
    assert invocations == []  # not published for asynchronous endpoints
    forget(aws, resource)
    aws.sagemaker.delete_endpoint(EndpointName=name)
