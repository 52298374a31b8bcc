"""Endpoint invocation metrics as SageMaker emits them: namespace ``AWS/SageMaker``, dimensions
``EndpointName`` and ``VariantName``; ``Invocations``, ``InvocationsPerInstance`` (1/instance count per
request), ``ModelLatency`` and ``OverheadLatency`` (microseconds), ``Invocation4XXErrors``,
``Invocation5XXErrors``, ``InvocationModelErrors`` and, for serverless variants, ``ModelSetupTime``
(https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html); asynchronous endpoints' backlog
metrics carry the ``EndpointName`` dimension only (``asynchronous.py``).

Datapoints are kept in memory (autoscaling and deployment alarms read them on the compressed clock) and
sent to CloudWatch as one aggregated datum per metric each flush, so alarms and dashboards work on them.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass

NAMESPACE = "AWS/SageMaker"
UNITS = {"Invocations": "None", "InvocationsPerInstance": "None", "ModelLatency": "Microseconds",
         "OverheadLatency": "Microseconds", "Invocation4XXErrors": "None", "Invocation5XXErrors": "None",
         "InvocationModelErrors": "None", "ModelSetupTime": "Microseconds", "ApproximateBacklogSize": "None",
         "ApproximateBacklogSizePerInstance": "None", "ApproximateAgeOfOldestRequest": "Seconds",
         "HasBacklogWithoutCapacity": "None"}
HISTORY_SECONDS = 600  # real seconds of datapoints kept for alarms and scaling


@dataclass(frozen=True)
class Point:
    at: float  # time.monotonic()
    url: str  # the emulator the endpoint lives in
    region: str
    endpoint: str
    variant: str  # "" for an endpoint-level metric (dimension EndpointName only)
    metric: str
    value: float


class Recorder:
    def __init__(self):
        self._lock = threading.Lock()
        self._history: list[Point] = []
        self._pending: list[Point] = []

    def record(self, ctx, endpoint: str, variant: str, values: dict[str, float]) -> None:
        now = time.monotonic()
        points = [Point(now, ctx.url, ctx.region, endpoint, variant, name, float(v)) for name, v in values.items()]
        with self._lock:
            self._history += points
            self._pending += points

    def values(self, region: str, endpoint: str, metric: str, since: float, variant: str | None = None) -> list[float]:
        with self._lock:
            return [p.value for p in self._history if p.at >= since and p.region == region
                    and p.endpoint == endpoint and p.metric == metric and (variant is None or p.variant == variant)]

    def flush(self, client_for) -> None:
        """Put pending datapoints to CloudWatch, one statistic set per metric, endpoint and variant."""
        with self._lock:
            pending, self._pending = self._pending, []
            horizon = time.monotonic() - HISTORY_SECONDS
            self._history = [p for p in self._history if p.at >= horizon]
        groups: dict[tuple, list[float]] = defaultdict(list)
        for p in pending:
            groups[(p.url, p.region, p.endpoint, p.variant, p.metric)].append(p.value)
        by_place: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for (url, region, endpoint, variant, metric), values in groups.items():
            dimensions = [{"Name": "EndpointName", "Value": endpoint}]
            if variant:
                dimensions.append({"Name": "VariantName", "Value": variant})
            by_place[(url, region)].append({
                "MetricName": metric, "Unit": UNITS[metric], "Dimensions": dimensions,
                "StatisticValues": {"SampleCount": len(values), "Sum": sum(values), "Minimum": min(values),
                                    "Maximum": max(values)}})
        for (url, region), data in by_place.items():
            client = client_for(url, region, "cloudwatch")
            for start in range(0, len(data), 1000):
                client.put_metric_data(Namespace=NAMESPACE, MetricData=data[start:start + 1000])


RECORDER = Recorder()
