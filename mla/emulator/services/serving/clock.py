"""The serving layer's compressed clock: service time runs ``MLA_SERVING_CLOCK_FACTOR`` times faster than
wall time (default 60: one service minute per real second), so cooldowns, metric periods, canary wait
intervals and baking periods finish in seconds in a notebook while keeping their documented values."""

from __future__ import annotations

import os

DEFAULT_FACTOR = 60.0


def factor() -> float:
    value = float(os.environ.get("MLA_SERVING_CLOCK_FACTOR") or DEFAULT_FACTOR)
    if value <= 0:
        raise ValueError(f"MLA_SERVING_CLOCK_FACTOR must be positive, not {value}")
    return value


def real_seconds(service_seconds: float) -> float:
    """How long ``service_seconds`` of service time last on this machine."""
    return service_seconds / factor()
