"""Production variants by weight, TargetVariant, shadow variants, data capture and endpoint metrics."""

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
)

from mla.emulator.services.serving import endpoints


def two_models(aws, bucket, name):
    boosters = {"A": train_booster(slope=3.0), "B": train_booster(slope=-5.0)}
    for label, booster in boosters.items():
        create_model(aws.sagemaker, f"{name}-{label}",
                     put_xgboost_model(aws.s3, bucket, f"{name}/{label}/model.tar.gz", booster))
    return boosters


def wait_until(check, timeout=60):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_weighted_variants_split_traffic_and_target_variant_overrides(aws, bucket, name):
    boosters = two_models(aws, bucket, name)
    deploy(aws.sagemaker, name, [variant(f"{name}-A", "A", weight=1), variant(f"{name}-B", "B", weight=3)])
    row = features(1, seed=9)
    expected = {k: float(b.predict(xgb.DMatrix(row))[0]) for k, b in boosters.items()}
    invoked = []
    for _ in range(200):
        response = aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_body(row))
        chosen = response["InvokedProductionVariant"]
        assert float(response["Body"].read()) == np.float32(expected[chosen])  # each variant answers with its model
        invoked.append(chosen)
    share_b = invoked.count("B") / len(invoked)
    assert abs(share_b - 0.75) < 4 * np.sqrt(0.75 * 0.25 / 200), share_b  # binomial, 4 standard deviations

    for _ in range(20):
        targeted = aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv",
                                                         Body=csv_body(row), TargetVariant="A")
        assert targeted["InvokedProductionVariant"] == "A"

    aws.sagemaker.update_endpoint_weights_and_capacities(EndpointName=name, DesiredWeightsAndCapacities=[
        {"VariantName": "A", "DesiredWeight": 0.0}, {"VariantName": "B", "DesiredInstanceCount": 3}])
    summary = {v["VariantName"]: v for v in aws.sagemaker.describe_endpoint(EndpointName=name)["ProductionVariants"]}
    assert summary["A"]["CurrentWeight"] == 0.0 and summary["B"]["CurrentInstanceCount"] == 3
    after = {aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv",
                                                   Body=csv_body(row))["InvokedProductionVariant"] for _ in range(30)}
    assert after == {"B"}
    aws.sagemaker.delete_endpoint(EndpointName=name)


def test_shadow_variant_gets_a_copy_but_never_answers(aws, bucket, name):
    boosters = two_models(aws, bucket, name)
    deploy(aws.sagemaker, name, [variant(f"{name}-A", "Production")],
           ShadowProductionVariants=[variant(f"{name}-B", "Shadow")])
    rows = features(3, seed=4)
    production = boosters["A"].predict(xgb.DMatrix(rows))
    shadow_answer = ",".join(repr(float(v)) for v in boosters["B"].predict(xgb.DMatrix(rows)))
    for _ in range(10):
        response = aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=csv_body(rows))
        assert response["InvokedProductionVariant"] == "Production"
        np.testing.assert_allclose(np.array(response["Body"].read().decode().split(","), dtype=float), production)
    shadow = endpoints.ENDPOINTS[("us-east-1", name)].shadows[0]
    wait_until(lambda: len(shadow.shadow_log) == 10)
    assert all(entry == {"status": 200, "body": shadow_answer} for entry in shadow.shadow_log)
    description = aws.sagemaker.describe_endpoint(EndpointName=name)
    assert [v["VariantName"] for v in description["ShadowProductionVariants"]] == ["Shadow"]
    endpoints.flush()
    events = aws.logs.filter_log_events(logGroupName=f"/aws/sagemaker/Endpoints/{name}")["events"]
    assert any(shadow_answer in e["message"] for e in events)
    aws.sagemaker.delete_endpoint(EndpointName=name)


def test_data_capture_writes_sagemaker_jsonl_and_metrics_reach_cloudwatch(aws, bucket, name):
    booster = train_booster()
    create_model(aws.sagemaker, name, put_xgboost_model(aws.s3, bucket, f"{name}/model.tar.gz", booster))
    destination = f"s3://{bucket}/{name}/capture"
    deploy(aws.sagemaker, name, [variant(name)], DataCaptureConfig={
        "EnableCapture": True, "InitialSamplingPercentage": 100, "DestinationS3Uri": destination,
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]}})
    bodies = [csv_body(features(1, seed=s)) for s in range(5)]
    answers = [aws.sagemaker_runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Body=b)["Body"]
               .read().decode() for b in bodies]
    endpoints.flush()
    keys = [o["Key"] for o in aws.s3.list_objects_v2(Bucket=bucket, Prefix=f"{name}/capture/")["Contents"]]
    assert all(k.startswith(f"{name}/capture/{name}/AllTraffic/") and k.endswith(".jsonl") for k in keys)
    assert len(keys[0].split("/")) == 9  # <prefix>/capture/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>
    lines = [json.loads(line) for k in keys for line in
             aws.s3.get_object(Bucket=bucket, Key=k)["Body"].read().decode().splitlines()]
    captured = {(r["captureData"]["endpointInput"]["data"], r["captureData"]["endpointOutput"]["data"]) for r in lines}
    assert captured == set(zip(bodies, answers, strict=True))
    assert {r["captureData"]["endpointInput"]["encoding"] for r in lines} == {"CSV"}
    assert all(r["eventVersion"] == "0" and r["eventMetadata"]["eventId"] for r in lines)
    assert aws.sagemaker.describe_endpoint(EndpointName=name)["DataCaptureConfig"]["CaptureStatus"] == "Started"

    dimensions = [{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": "AllTraffic"}]
    stats = {}
    for metric in ("Invocations", "ModelLatency", "OverheadLatency", "Invocation5XXErrors"):
        points = aws.cloudwatch.get_metric_statistics(
            Namespace="AWS/SageMaker", MetricName=metric, Dimensions=dimensions, Period=60,
            StartTime=time.time() - 600, EndTime=time.time() + 60, Statistics=["Sum", "SampleCount"])["Datapoints"]
        stats[metric] = sum(p["Sum"] for p in points), sum(p["SampleCount"] for p in points)
    assert stats["Invocations"] == (5, 5) and stats["Invocation5XXErrors"] == (0, 5)
    assert stats["ModelLatency"][0] > 0 and stats["ModelLatency"][1] == 5
    aws.sagemaker.delete_endpoint(EndpointName=name)
