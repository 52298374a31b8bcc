"""The hook on every botocore session: over-cap calls never leave the machine; every create call is tagged."""

import json

import boto3
import pytest
from botocore.config import Config
from sandbox_support import ACCOUNT, REGION, deploy_endpoint, tagged_with

from mla.lab import start
from mla.sandbox import caps, hook, tags
from mla.sandbox.caps import CapExceeded
from mla.sandbox.config import load_config
from mla.sandbox.teardown import teardown


@pytest.fixture
def lab(sandbox):
    lab = start("aws")
    yield lab
    report = teardown(boto3.session.Session(region_name=REGION), ACCOUNT, [REGION], run_id=lab.run_id, wait_s=0)
    assert report.clean and tagged_with(tags.RUN_ID, lab.run_id) == [], report
    assert boto3.client("sagemaker").list_endpoints(NameContains=lab.run_id)["Endpoints"] == []


def tags_of(client, arn):
    return {t["Key"]: t["Value"] for t in client.list_tags(ResourceArn=arn)["Tags"]}


def test_every_create_call_is_tagged_even_from_a_plain_boto3_client(lab):
    sagemaker = boto3.client("sagemaker")  # the learner's own client, not lab.client
    sent = {}
    sagemaker.meta.events.register("before-call.sagemaker.*", lambda model, params, **_: sent.__setitem__(
        model.name, {t["Key"]: t["Value"] for t in json.loads(params["body"]).get("Tags", [])}))
    name = lab.name("endpoint")
    deploy_endpoint(sagemaker, name)
    assert set(sent) == {"CreateModel", "CreateEndpointConfig", "CreateEndpoint"}
    for found in sent.values():  # what went over the wire, whatever the backend keeps
        assert found[tags.RUN_ID] == lab.run_id and found[tags.COURSE] == tags.COURSE_NAME
        assert {tags.SESSION, tags.OWNER, tags.NOTEBOOK, tags.CREATED_AT, tags.EXPIRES_AT} <= set(found)
    kept = tags_of(sagemaker, sagemaker.describe_model(ModelName=name)["ModelArn"])
    assert kept == sent["CreateModel"]
    expires = tags.parse_time(kept[tags.EXPIRES_AT]) - tags.parse_time(kept[tags.CREATED_AT])
    assert expires.total_seconds() == 4 * 3600
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName=f"/mla/{lab.run_id}", tags={"team": "me"})
    group = logs.describe_log_groups(logGroupNamePrefix=f"/mla/{lab.run_id}")["logGroups"][0]
    merged = logs.list_tags_for_resource(resourceArn=group["logGroupArn"])["tags"]
    assert merged["team"] == "me" and merged[tags.RUN_ID] == lab.run_id


@pytest.mark.parametrize("variant,message", [
    ({"InstanceType": "ml.p4d.24xlarge", "InitialInstanceCount": 1}, r"ml.p4d.24xlarge is not in the sandbox allow-list"),
    ({"InstanceType": "ml.t2.medium", "InitialInstanceCount": 3}, r"InitialInstanceCount=3 is over .* max_instance_count=1"),
])
def test_a_call_over_the_caps_is_stopped_before_it_is_sent(lab, variant, message):
    sagemaker = lab.client("sagemaker")
    name = lab.name("config")
    with pytest.raises(CapExceeded, match=message):
        sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[
            {"VariantName": "main", "ModelName": "any", **variant}])
    assert not sagemaker.list_endpoint_configs(NameContains=name)["EndpointConfigs"]


def test_caps_can_be_raised_on_purpose(sandbox, monkeypatch):
    monkeypatch.setenv("MLA_SANDBOX_INSTANCE_TYPES", "ml.t2.medium,ml.g5.xlarge")
    config = load_config()
    params = {"ProductionVariants": [{"InstanceType": "ml.g5.xlarge", "InitialInstanceCount": 1}]}
    assert caps.enforce("CreateEndpointConfig", params, config, None) == []


def test_the_sdk_default_runtime_is_lowered_and_an_explicit_long_one_refused(sandbox):
    config = load_config()
    params = {"StoppingCondition": {"MaxRuntimeInSeconds": caps.SDK_DEFAULT_RUNTIME},
              "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}
    notes = caps.enforce("CreateTrainingJob", params, config, None)
    assert params["StoppingCondition"]["MaxRuntimeInSeconds"] == config.max_runtime_seconds and notes
    no_limit = {"ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}}
    caps.enforce("CreateProcessingJob", no_limit, config, None)
    assert no_limit["StoppingCondition"]["MaxRuntimeInSeconds"] == config.max_runtime_seconds
    with pytest.raises(CapExceeded, match="MaxRuntimeInSeconds=7200 is over"):
        caps.enforce("CreateTrainingJob", {"StoppingCondition": {"MaxRuntimeInSeconds": 7200}}, config, None)


def test_an_undeclared_billable_resource_is_blocked(sandbox, monkeypatch):
    monkeypatch.setenv("MLA_SANDBOX_DECLARED", json.dumps(["s3", "model", "endpoint-config"]))
    monkeypatch.setenv("MLA_SANDBOX_INSTANCE_TYPES", "ml.t2.medium")
    lab = start("aws")
    sagemaker = lab.client("sagemaker")
    name = lab.name("endpoint")
    with pytest.raises(CapExceeded, match="not one this notebook declares"):
        deploy_endpoint(sagemaker, name)
    monkeypatch.setenv("MLA_SANDBOX_DECLARED", json.dumps(["model", {"kind": "endpoint-config"},
                                                           {"kind": "notebook-instance", "instance_type": "ml.t2.medium"}]))
    lab = start("aws")
    with pytest.raises(CapExceeded, match="starts a billed 'endpoint' that this notebook does not declare"):
        deploy_endpoint(lab.client("sagemaker"), name)


def test_a_create_call_that_cannot_be_tagged_is_reported(lab, capsys):
    s3 = lab.client("s3")
    s3.create_bucket(Bucket=lab.name("scratch"))  # tagged through CreateBucketConfiguration.Tags
    assert hook.active().untaggable == []
    with pytest.raises(Exception):  # noqa: B017 - whatever the backend answers, the report comes first
        lab.client("sagemaker", config=Config(retries={"total_max_attempts": 1})).create_image_version(
            ImageName="nope", BaseImage="example:1", ClientToken="t" * 36)
    assert hook.active().untaggable == ["sagemaker:CreateImageVersion"]
    assert "CreateImageVersion cannot be tagged" in capsys.readouterr().err


def test_the_shared_course_bucket_never_carries_a_run_id(lab):
    s3 = boto3.client("s3")
    model = s3.meta.service_model.operation_model("CreateBucket")
    params = {"Bucket": lab.bucket}
    hook.active().before_call(model, params)
    sent = {t["Key"] for t in params["CreateBucketConfiguration"]["Tags"]}
    assert tags.RUN_ID not in sent and tags.COURSE not in sent and tags.SHARED in sent
