"""Token cost of a workload under on-demand, batch and provisioned-throughput pricing.

Rates come from the shipped, dated table ``prices.json`` (see its ``as_of``, ``sources`` and ``caveat``).
Provisioned Throughput is a flat hourly charge per model unit whatever the traffic, so its rate is an input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .tokens import count_tokens

PRICES_FILE = Path(__file__).with_name("prices.json")
HOURS_PER_MONTH = 730  # AWS pricing examples use 730 hours in a month


@cache
def price_table() -> dict:
    return json.loads(PRICES_FILE.read_text())


def rates(model_id: str) -> dict:
    table = price_table()["models"]
    if model_id not in table:
        raise KeyError(f"No price for {model_id!r} in the {price_table()['as_of']} table; known: {sorted(table)}")
    return table[model_id]


@dataclass(frozen=True)
class Workload:
    """Monthly traffic: requests and average tokens in and out per request."""

    requests_per_month: int
    input_tokens: int
    output_tokens: int

    @classmethod
    def from_examples(cls, requests_per_month: int, prompts: list[str], responses: list[str]) -> Workload:
        """Average token counts measured on sample prompts and responses."""
        if not prompts or not responses:
            raise ValueError("Give at least one sample prompt and one sample response.")
        return cls(requests_per_month, round(sum(map(count_tokens, prompts)) / len(prompts)),
                   round(sum(map(count_tokens, responses)) / len(responses)))


def on_demand_cost(model_id: str, workload: Workload) -> float:
    r = rates(model_id)
    per_request = workload.input_tokens / 1000 * r["input"] + workload.output_tokens / 1000 * r["output"]
    return per_request * workload.requests_per_month


def batch_cost(model_id: str, workload: Workload) -> float:
    return on_demand_cost(model_id, workload) * (1 - price_table()["batch_discount"])


def provisioned_cost(hourly_rate_per_model_unit: float, model_units: int = 1, hours: float = HOURS_PER_MONTH) -> float:
    if hourly_rate_per_model_unit < 0 or model_units < 1:
        raise ValueError("The hourly rate must be >= 0 and at least one model unit is needed.")
    return hourly_rate_per_model_unit * model_units * hours


def compare(model_id: str, workload: Workload, provisioned_hourly_rate: float | None = None,
            model_units: int = 1) -> dict:
    """Monthly cost per pricing option, cheapest first (provisioned only when its rate is given)."""
    costs = {"on_demand": on_demand_cost(model_id, workload), "batch": batch_cost(model_id, workload)}
    if provisioned_hourly_rate is not None:
        costs["provisioned_throughput"] = provisioned_cost(provisioned_hourly_rate, model_units)
    return dict(sorted(((k, round(v, 2)) for k, v in costs.items()), key=lambda kv: kv[1]))
