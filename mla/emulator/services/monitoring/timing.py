"""When monitoring executions run and which data they analyze.

``ScheduleExpression`` takes the forms of https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ScheduleConfig.html:
``cron(0 * ? * * *)`` (hourly), ``cron(0 H ? * * *)`` (daily), ``cron(0 H/N ? * * *)`` (every N hours) and ``NOW``
(one execution, at once, over ``DataAnalysisStartTime``..``DataAnalysisEndTime``, ISO 8601 offsets such as
``-PT1H`` from the execution time, both required with ``NOW``).

Recurring schedules run on the serving layer's compressed clock (``MLA_SERVING_CLOCK_FACTOR``, default 60): an
hourly schedule runs every 3600 / factor real seconds from its creation and analyzes the traffic captured since
the previous run, with offsets scaled the same way. ``NOW`` offsets are wall-clock durations, since captured data
carries wall-clock times.
"""

from __future__ import annotations

import datetime as dt
import re

from ...protocol import ServiceError
from ..serving.clock import real_seconds

_CRON = re.compile(r"^cron\(0 (\*|\d{1,2}|\d{1,2}/\d{1,2}) \? \* \* \*\)$")
_DURATION = re.compile(r"^([-+]?)P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def period_hours(expression: str) -> int | None:
    """Hours between executions, or None for ``NOW``."""
    if expression == "NOW":
        return None
    found = _CRON.match(expression.strip())
    if not found:
        raise invalid(f"Invalid ScheduleExpression {expression!r}: use cron(0 * ? * * *) (hourly), "
                      "cron(0 H ? * * *) (daily), cron(0 H/N ? * * *) (every N hours) or NOW.")
    hours = found.group(1)
    if hours == "*":
        return 1
    if "/" in hours:
        first, step = (int(v) for v in hours.split("/"))
        if first > 23 or not 1 <= step <= 24:
            raise invalid(f"Invalid ScheduleExpression {expression!r}: hours 0-23, interval 1-24.")
        return step
    if int(hours) > 23:
        raise invalid(f"Invalid ScheduleExpression {expression!r}: hours 0-23.")
    return 24


def duration(text: str) -> dt.timedelta:
    found = _DURATION.match(text or "")
    if not found or not any(found.groups()[1:]):
        raise invalid(f"Invalid duration {text!r}: use an ISO 8601 duration such as -PT1H.")
    sign = -1 if found.group(1) == "-" else 1
    days, hours, minutes, seconds = (int(v or 0) for v in found.groups()[1:])
    return sign * dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def check_schedule(config: dict) -> int | None:
    schedule = config.get("ScheduleConfig")
    if not schedule:  # "if you would like a daily schedule, you do not provide this parameter"
        return 24
    hours = period_hours(schedule.get("ScheduleExpression", ""))
    start, end = schedule.get("DataAnalysisStartTime"), schedule.get("DataAnalysisEndTime")
    if hours is None and not (start and end):
        raise invalid("DataAnalysisStartTime and DataAnalysisEndTime are required when ScheduleExpression is NOW.")
    if bool(start) != bool(end):
        raise invalid("Specify both DataAnalysisStartTime and DataAnalysisEndTime, or neither.")
    if start and end:
        begin, finish = duration(start), duration(end)
        if begin > finish or finish - begin > dt.timedelta(hours=24):
            raise invalid("DataAnalysisStartTime must precede DataAnalysisEndTime by at most 24 hours.")
    return hours


def real_period(hours: int) -> float:
    return real_seconds(hours * 3600)


def window(config: dict, scheduled: dt.datetime, hours: int | None,
           offsets: tuple[str | None, str | None] = (None, None)) -> tuple[dt.datetime, dt.datetime]:
    """The [start, end) of the data an execution scheduled at ``scheduled`` analyzes, in wall-clock time.

    ``offsets`` are a model quality input's ``StartTimeOffset``/``EndTimeOffset``; they take precedence."""
    schedule = config.get("ScheduleConfig") or {}
    start = offsets[0] or schedule.get("DataAnalysisStartTime")
    end = offsets[1] or schedule.get("DataAnalysisEndTime")

    def scaled(offset: dt.timedelta) -> dt.timedelta:
        return offset if hours is None else dt.timedelta(seconds=real_seconds(offset.total_seconds()))

    if start and end:
        return scheduled + scaled(duration(start)), scheduled + scaled(duration(end))
    return scheduled - dt.timedelta(seconds=real_period(hours)), scheduled
