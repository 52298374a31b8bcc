"""Worst-case prices from the dated table: jobs until their runtime cap, endpoints until teardown."""

import math

import pytest

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
