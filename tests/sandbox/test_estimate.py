"""Worst-case prices from the dated table: jobs until their runtime cap, endpoints until teardown."""

import math

import nbformat
import pytest

from mla.notebooks import course_notebooks
from mla.sandbox.config import SandboxConfig
from mla.sandbox.estimate import TEARDOWN_WAIT_S, EstimateError, declared_resources, estimate, price_table

ALLOWED = ("ml.t2.medium", "ml.m5.large", "ml.m5.xlarge")


def cost(resources, region="us-east-1", runtime=3600, wall=600):
    declared = declared_resources({"mla": {"resources": resources}})
    return estimate("nb", declared, region=region, instance_types=ALLOWED, max_runtime_seconds=runtime,
                    wall_limit_s=wall)


def test_a_job_is_priced_until_its_runtime_cap_and_a_tuning_job_per_training_job():
    training = price_table()["hourly"]["training"]["ml.m5.large"]
    half_hour = cost([{"kind": "training", "instance_type": "ml.m5.large"}], runtime=1800)
    assert half_hour.lines[0].usd == pytest.approx(training / 2) and half_hour.usd == math.ceil(training * 50) / 100
    one = cost([{"kind": "tuning", "instance_type": "ml.m5.large"}]).lines[0].usd
    four = cost([{"kind": "tuning", "instance_type": "ml.m5.large", "jobs": 4}]).lines[0].usd
    assert four == pytest.approx(4 * one)


def test_an_endpoint_is_priced_until_teardown_and_without_a_type_at_the_dearest_allowed():
    hosting = price_table()["hourly"]["hosting"]
    line = cost(["endpoint"], wall=3000).lines[0]
    assert line.instance_type == max(ALLOWED, key=hosting.__getitem__)
    assert line.hours == pytest.approx((3000 + TEARDOWN_WAIT_S) / 3600)


def test_storage_kinds_are_free_other_regions_cost_more_and_totals_round_up():
    assert cost(["s3", "model", "logs"]).usd == 0.0
    here, there = cost(["endpoint"]), cost(["endpoint"], region="eu-west-1")
    assert there.lines[0].usd == pytest.approx(here.lines[0].usd * price_table()["other_region_factor"], rel=1e-3)
    assert here.usd * 100 == int(here.usd * 100 + 1e-9) and here.usd >= here.lines[0].usd


@pytest.mark.parametrize("resources,message", [
    ("endpoint", "must be a list"),
    ([{"instance_type": "ml.m5.large"}], "needs a kind"),
    (["gpu-cluster"], "unknown resource kind 'gpu-cluster'"),
    ([{"kind": "endpoint", "size": "big"}], "unknown field"),
    ([{"kind": "endpoint", "count": "two"}], "whole numbers"),
])
def test_bad_declarations_are_named(resources, message):
    with pytest.raises(EstimateError, match=message):
        cost(resources)


def test_the_price_table_is_dated_and_sourced():
    table = price_table()
    assert table["as_of"] and table["source"].startswith("https://aws.amazon.com/")
    assert all(price > 0 for prices in table["hourly"].values() for price in prices.values())


def test_a_flat_hourly_kind_bills_every_started_hour_until_teardown_times_its_count():
    shard_hour = price_table()["kinds"]["kinesis-stream"]["per_hour"]
    line = cost([{"kind": "kinesis-stream", "count": 3, "usage": {"put_payload_units": 0}}], wall=3400).lines[0]
    assert line.hours == 2 and line.usd == pytest.approx(3 * 2 * shard_hour)  # 3400 s + teardown wait = 2 started hours


def test_per_resource_and_per_unit_charges_add_up():
    kinds = price_table()["kinds"]
    secret = cost([{"kind": "secret", "count": 2, "usage": {"api_calls": 10_000}}]).lines[0]
    assert secret.usd == pytest.approx(round(2 * kinds["secret"]["each"] + 10_000 * kinds["secret"]["per"]["api_calls"], 4))
    assert cost(["kms-key"]).usd == kinds["kms-key"]["each"]


def test_model_invocations_are_priced_per_token_from_the_genai_table():
    from mla.genai.cost import rates

    model = "amazon.nova-lite-v1:0"
    line = cost([{"kind": "bedrock", "model": model, "usage": {"input_tokens": 40_000, "output_tokens": 10_000}}]).lines[0]
    assert line.usd == pytest.approx(round(40 * rates(model)["input"] + 10 * rates(model)["output"], 4))


@pytest.mark.parametrize("resources,message", [
    (["bedrock"], "declare its 'model'"),
    ([{"kind": "bedrock", "model": "acme.unknown-v9", "usage": {"input_tokens": 1}}], "acme.unknown-v9"),
    ([{"kind": "bedrock", "model": "amazon.nova-lite-v1:0"}], "declare the expected usage"),
    ([{"kind": "dynamodb-table", "usage": {"writes": 5}}], r"usage unit\(s\) \['writes'\] not priced"),
    ([{"kind": "s3", "usage": {"gb": 1}}], "this kind has no usage charge"),
    ([{"kind": "secret", "usage": ["api_calls"]}], "usage a mapping"),
])
def test_usage_declarations_must_name_priced_units_and_models(resources, message):
    with pytest.raises(EstimateError, match=message):
        cost(resources)


def test_every_kind_outside_sagemaker_is_sourced_and_dated():
    table = price_table()
    assert table["kinds_as_of"]
    priced = {name: kind for name, kind in table["kinds"].items() if {"per_hour", "each", "per"} & set(kind)}
    assert {"bedrock", "kms-key", "kinesis-stream"} <= set(priced)
    assert all(kind["source"].startswith("https://aws.amazon.com/") for kind in priced.values())
    assert all(value > 0 for kind in priced.values() for value in
               [kind.get("per_hour", 1), kind.get("each", 1), *(kind["per"].values() if isinstance(kind.get("per"), dict) else [])])


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda p: p.name)
def test_every_course_notebook_declares_resources_the_dry_run_can_price(path):
    caps = SandboxConfig(account_id="", regions=("us-east-1",))
    declared = declared_resources(nbformat.read(path, as_version=4).metadata)
    result = estimate(path.name, declared, region="us-east-1", instance_types=caps.instance_types,
                      max_runtime_seconds=caps.max_runtime_seconds, wall_limit_s=600)
    assert len(result.lines) == len(declared) and result.usd >= 0
