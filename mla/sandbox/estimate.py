"""Worst-case cost of one notebook run, from what its metadata declares and the dated price table.

A notebook declares ``metadata.mla.resources``: kinds as strings (``"s3"``, ``"endpoint"``) or mappings
``{"kind": "endpoint", "instance_type": "ml.m5.large", "count": 1}``; a tuning job adds ``"jobs": N``.
Without an instance type the estimate takes the dearest type the caps allow.
Kinds billed by use also declare what the run is expected to use, in the units the price table names, e.g.
``{"kind": "bedrock", "model": "amazon.nova-lite-v1:0", "usage": {"input_tokens": 20000, "output_tokens": 5000}}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from ..genai.cost import rates as model_rates

PRICES_FILE = Path(__file__).with_name("prices.yaml")
TEARDOWN_WAIT_S = 300  # how long teardown may take to see an endpoint gone; billed in the worst case too
TOKEN_UNITS = {"input_tokens": "input", "output_tokens": "output"}  # genai prices are per 1,000 tokens


class EstimateError(ValueError):
    """A resource declaration the estimate cannot price."""


@dataclass(frozen=True)
class Declared:
    kind: str
    instance_type: str | None = None
    count: int = 1
    jobs: int = 1
    model: str | None = None
    usage: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Line:
    declared: Declared
    instance_type: str | None
    hours: float
    usd: float


@dataclass
class Estimate:
    notebook: str
    lines: list[Line] = field(default_factory=list)

    @property
    def usd(self) -> float:
        return math.ceil(round(sum(line.usd for line in self.lines), 6) * 100) / 100  # worst case: round up


@cache
def price_table() -> dict:
    return yaml.safe_load(PRICES_FILE.read_text())


def declared_resources(metadata: dict) -> list[Declared]:
    """Parse ``metadata.mla.resources`` (the notebook's own metadata dict) into declarations."""
    raw = metadata.get("mla", {}).get("resources", [])
    if not isinstance(raw, list):
        raise EstimateError("metadata.mla.resources must be a list")
    kinds = price_table()["kinds"]
    found = []
    for item in raw:
        entry = {"kind": item} if isinstance(item, str) else item
        if not isinstance(entry, dict) or "kind" not in entry:
            raise EstimateError(f"resource declaration {item!r} needs a kind, e.g. {{'kind': 'endpoint'}}")
        unknown = set(entry) - {"kind", "instance_type", "count", "jobs", "model", "usage"}
        if unknown:
            raise EstimateError(f"resource declaration {item!r} has unknown field(s) {sorted(unknown)}")
        if entry["kind"] not in kinds:
            raise EstimateError(f"unknown resource kind {entry['kind']!r}: declare what the notebook creates as a "
                                f"kind listed under `kinds:` in {PRICES_FILE.name} (e.g. endpoint, training, bedrock, "
                                "kms-key), not a service name")
        try:
            declared = Declared(entry["kind"], entry.get("instance_type"), int(entry.get("count", 1)),
                                int(entry.get("jobs", 1)), entry.get("model"),
                                {unit: float(n) for unit, n in entry.get("usage", {}).items()})
        except (TypeError, ValueError, AttributeError):
            raise EstimateError(f"count and jobs must be whole numbers and usage a mapping of unit to number "
                                f"in {item!r}") from None
        _unit_prices(declared, kinds[declared.kind])  # a bad unit or model is named here, before any run
        found.append(declared)
    return found


def estimate(notebook: str, declared: list[Declared], *, region: str, instance_types, max_runtime_seconds: int,
             wall_limit_s: int) -> Estimate:
    table = price_table()
    factor = 1.0 if region == table["region"] else table["other_region_factor"]
    result = Estimate(notebook)
    for item in declared:
        kind = table["kinds"][item.kind]
        instance_type, hours, usd = None, 0.0, 0.0
        if "prices" in kind:
            prices = table["hourly"][kind["prices"]]
            instance_type = item.instance_type or _dearest(prices, instance_types, item.kind)
            if instance_type not in prices:
                raise EstimateError(
                    f"{notebook}: no {kind['prices']} price for {instance_type} in {PRICES_FILE.name} "
                    f"(dated {table['as_of']}); add it from {table['source']}")
            seconds = max_runtime_seconds if kind["lives"] == "runtime-cap" else wall_limit_s + TEARDOWN_WAIT_S
            hours = seconds / 3600
            usd = prices[instance_type] * item.count * item.jobs * hours
        elif "per_hour" in kind:  # billed per started hour until teardown
            hours = math.ceil((wall_limit_s + TEARDOWN_WAIT_S) / 3600)
            usd = kind["per_hour"] * item.count * hours
        usd += kind.get("each", 0.0) * item.count
        unit_prices = _unit_prices(item, kind)
        usd += sum(unit_prices[unit] * amount for unit, amount in item.usage.items())
        result.lines.append(Line(item, instance_type, hours, round(usd * factor, 4)))
    return result


def _unit_prices(item: Declared, kind: dict) -> dict:
    """USD per unit of use for this declaration; checks that the units and the model are ones the table prices."""
    per = kind.get("per", {})
    if per == "model":
        if not item.model:
            raise EstimateError(f"{item.kind} is priced per model: declare its 'model' id")
        try:
            rates = model_rates(item.model)
        except KeyError as error:
            raise EstimateError(f"{item.kind}: {error.args[0]}") from None
        per = {unit: rates[key] / 1000 for unit, key in TOKEN_UNITS.items()}
    unknown = set(item.usage) - set(per)
    if unknown:
        raise EstimateError(f"{item.kind}: usage unit(s) {sorted(unknown)} not priced; "
                            f"use {sorted(per) or 'none (this kind has no usage charge)'}")
    if per and not item.usage:
        raise EstimateError(f"{item.kind} is billed by use: declare the expected usage in {sorted(per)}")
    return per


def _dearest(prices: dict, allowed, kind: str) -> str:
    candidates = [t for t in allowed if t in prices]
    if not candidates:
        raise EstimateError(f"none of the allowed instance types {list(allowed)} has a price for {kind}")
    return max(candidates, key=prices.__getitem__)
