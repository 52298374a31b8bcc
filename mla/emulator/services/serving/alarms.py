"""CloudWatch alarms on endpoint metrics, evaluated by the serving layer (moto stores alarms but never
evaluates them): the alarm's statistic over ``Period × EvaluationPeriods`` of service time (compressed
clock) of the ``AWS/SageMaker`` datapoints this emulator recorded, compared with its threshold. A breach
sets the alarm's state to ``ALARM`` so a notebook sees it; a window without datapoints follows
``TreatMissingData`` (default ``missing``: ``INSUFFICIENT_DATA``), as in
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html. Alarms on other
namespaces count by their stored state (``SetAlarmState``)."""

from __future__ import annotations

import operator
import time

from ..sagemaker.jobs import client
from . import clock, metrics

COMPARE = {"GreaterThanThreshold": operator.gt, "GreaterThanOrEqualToThreshold": operator.ge,
           "LessThanThreshold": operator.lt, "LessThanOrEqualToThreshold": operator.le}
STATISTICS = {"Sum": sum, "Maximum": max, "Minimum": min, "SampleCount": len,
              "Average": lambda values: sum(values) / len(values)}


MISSING_DATA_STATES = {"breaching": "ALARM", "notBreaching": "OK"}


def evaluable(alarm: dict) -> bool:
    """Whether the serving layer records the alarm's metric (an ``AWS/SageMaker`` endpoint metric)."""
    return alarm.get("Namespace") == metrics.NAMESPACE and alarm.get("Statistic") in STATISTICS and \
        any(d["Name"] == "EndpointName" for d in alarm.get("Dimensions", []))


def value(ctx, alarm: dict, since: float = 0.0) -> float | None:
    """The alarm's statistic over its evaluation window, or None when there is no datapoint."""
    if not evaluable(alarm):
        return None
    dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
    window = clock.real_seconds(alarm.get("Period", 60) * alarm.get("EvaluationPeriods", 1))
    values = metrics.RECORDER.values(ctx.region, dimensions["EndpointName"], alarm["MetricName"],
                                     max(time.monotonic() - window, since), dimensions.get("VariantName"))
    return STATISTICS[alarm["Statistic"]](values) if values else None


def breached(ctx, alarm: dict, since: float = 0.0) -> tuple[bool, float | None]:
    """Whether ``alarm`` is in ALARM now (and the metric value that decided it)."""
    if not evaluable(alarm):
        return alarm.get("StateValue") == "ALARM", None
    current = value(ctx, alarm, since)
    if current is None:
        treat = alarm.get("TreatMissingData", "missing")
        state = alarm.get("StateValue") if treat == "ignore" else MISSING_DATA_STATES.get(treat, "INSUFFICIENT_DATA")
        reason = f"No datapoints in the evaluation window (TreatMissingData: {treat})."
    else:
        is_breached = COMPARE[alarm["ComparisonOperator"]](current, alarm["Threshold"])
        state = "ALARM" if is_breached else "OK"
        reason = (f"Threshold Crossed: {alarm['Statistic']} {current} "
                  f"{'crossed' if is_breached else 'within'} the threshold ({alarm['Threshold']}).")
    if alarm.get("StateValue") != state:
        client(ctx, "cloudwatch").set_alarm_state(AlarmName=alarm["AlarmName"], StateValue=state, StateReason=reason)
    return state == "ALARM", current


def describe(ctx, names: list[str]) -> list[dict]:
    if not names:
        return []
    return client(ctx, "cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]


def any_breached(ctx, names: list[str], since: float) -> list[str]:
    return [a["AlarmName"] for a in describe(ctx, names) if breached(ctx, a, since)[0]]
