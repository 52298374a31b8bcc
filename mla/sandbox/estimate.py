"""Worst-case cost of one notebook run, from what its metadata declares and the dated price table.

A notebook declares ``metadata.mla.resources``: kinds as strings (``"s3"``, ``"endpoint"``) or mappings
``{"kind": "endpoint", "instance_type": "ml.m5.large", "count": 1}``; a tuning job adds ``"jobs": N``.
Without an instance type the estimate takes the dearest type the caps allow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

PRICES_FILE = Path(__file__).with_name("prices.yaml")
TEARDOWN_WAIT_S = 300  # how long teardown may take to see an endpoint gone; billed in the worst case too


class EstimateError(ValueError):
    """A resource declaration the estimate cannot price."""


@dataclass(frozen=True)
class Declared:
    kind: str
    instance_type: str | None = None
    count: int = 1
    jobs: int = 1


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
        unknown = set(entry) - {"kind", "instance_type", "count", "jobs"}
        if unknown:
            raise EstimateError(f"resource declaration {item!r} has unknown field(s) {sorted(unknown)}")
        if entry["kind"] not in kinds:
            raise EstimateError(f"unknown resource kind {entry['kind']!r}; known kinds: {', '.join(kinds)}")
        try:
            found.append(Declared(entry["kind"], entry.get("instance_type"), int(entry.get("count", 1)),
                                  int(entry.get("jobs", 1))))
        except (TypeError, ValueError):
            raise EstimateError(f"count and jobs must be whole numbers in {item!r}") from None
    return found


def estimate(notebook: str, declared: list[Declared], *, region: str, instance_types, max_runtime_seconds: int,
             wall_limit_s: int) -> Estimate:
    table = price_table()
    factor = 1.0 if region == table["region"] else table["other_region_factor"]
    result = Estimate(notebook)
    for item in declared:
        kind = table["kinds"][item.kind]
        if kind["lives"] == "free":
            result.lines.append(Line(item, None, 0.0, 0.0))
            continue
        prices = table["hourly"][kind["prices"]]
        instance_type = item.instance_type or _dearest(prices, instance_types, item.kind)
        if instance_type not in prices:
            raise EstimateError(
                f"{notebook}: no {kind['prices']} price for {instance_type} in {PRICES_FILE.name} "
                f"(dated {table['as_of']}); add it from {table['source']}")
        seconds = max_runtime_seconds if kind["lives"] == "runtime-cap" else wall_limit_s + TEARDOWN_WAIT_S
        hours = seconds / 3600
        usd = prices[instance_type] * item.count * item.jobs * hours * factor
        result.lines.append(Line(item, instance_type, hours, round(usd, 4)))
    return result


def _dearest(prices: dict, allowed, kind: str) -> str:
    candidates = [t for t in allowed if t in prices]
    if not candidates:
        raise EstimateError(f"none of the allowed instance types {list(allowed)} has a price for {kind}")
    return max(candidates, key=prices.__getitem__)
