"""Monitoring schedules: ``Create/Describe/List/Update/Delete/Start/StopMonitoringSchedule`` and
``ListMonitoringExecutions`` (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateMonitoringSchedule.html).

A background tick starts each schedule's executions when due (see :mod:`.timing`) and moves running executions
to the outcome of their processing job. A schedule is ``Pending`` until the first tick, then ``Scheduled``;
``DescribeMonitoringSchedule`` carries the latest execution as ``LastMonitoringExecutionSummary``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ...background import repeat
from ...protocol import ServiceError
from ...registry import Context, handles
from ..sagemaker.jobs import now
from ..sagemaker.validation import validate
from . import executions, timing

TICK_SECONDS = 0.1
SUMMARY_KEYS = ("MonitoringScheduleName", "ScheduledTime", "CreationTime", "LastModifiedTime",
                "MonitoringExecutionStatus", "ProcessingJobArn", "EndpointName", "FailureReason",
                "MonitoringJobDefinitionName", "MonitoringType")


@dataclass
class Schedule:
    ctx: Context
    description: dict
    hours: int | None
    next_fire: float | None = None  # time.monotonic() of the next execution
    runs: list[executions.Execution] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def name(self) -> str:
        return self.description["MonitoringScheduleName"]

    def set(self, **fields) -> None:
        with self.lock:
            self.description.update(fields, LastModifiedTime=now())

    def snapshot(self) -> dict:
        with self.lock:
            description = dict(self.description)
            if self.runs:
                description["LastMonitoringExecutionSummary"] = _summary(self.runs[-1])
            return description

    def tick(self) -> None:
        with self.lock:
            status = self.description["MonitoringScheduleStatus"]
            if status == "Pending":
                self.set(MonitoringScheduleStatus="Scheduled")
                self.next_fire = time.monotonic() + (timing.real_period(self.hours) if self.hours else 0.0)
            elif status == "Scheduled" and self.next_fire is not None and time.monotonic() >= self.next_fire:
                self.next_fire = self.next_fire + timing.real_period(self.hours) if self.hours else None
                self._fire()
            running = [run for run in self.runs if run.summary["MonitoringExecutionStatus"] == "InProgress"]
        for run in running:
            executions.settle(self.ctx, run)

    def _fire(self) -> None:
        config = self.description["MonitoringScheduleConfig"]
        scheduled = now()
        spec = executions.spec_of(self.ctx, config)
        summary = {"MonitoringScheduleName": self.name, "ScheduledTime": scheduled, "CreationTime": scheduled,
                   "LastModifiedTime": scheduled, "MonitoringExecutionStatus": "Pending",
                   "EndpointName": self.description["EndpointName"], "MonitoringType": spec.monitoring_type}
        if spec.definition_name:
            summary["MonitoringJobDefinitionName"] = spec.definition_name
        run = executions.Execution(self.name, self.description["EndpointName"], spec, scheduled, summary)
        self.runs.append(run)
        try:
            executions.start(self.ctx, run, config, self.hours, _capture_uri(self.ctx, run.endpoint))
        except ServiceError as error:
            run.update(MonitoringExecutionStatus="Failed", FailureReason=error.message[:1024])
        except Exception as error:  # a defect, or the emulator shutting down: fail the execution, keep the schedule
            run.update(MonitoringExecutionStatus="Failed", FailureReason=f"InternalServerError: {error!r}"[:1024])


SCHEDULES: dict[tuple[str, str], Schedule] = {}
_LOCK = threading.Lock()


def _summary(run: executions.Execution) -> dict:
    snapshot = run.snapshot()
    return {k: snapshot[k] for k in SUMMARY_KEYS if snapshot.get(k) is not None}


def _capture_uri(ctx, endpoint_name: str) -> str:
    from ..serving.endpoints import get_endpoint

    capture = get_endpoint(ctx, endpoint_name).config.get("DataCaptureConfig") or {}
    if not capture.get("EnableCapture", True) or not capture.get("DestinationS3Uri"):
        raise ServiceError("ValidationException", f"Endpoint {endpoint_name} does not capture data: enable "
                           "DataCaptureConfig on its endpoint configuration to monitor it.")
    return capture["DestinationS3Uri"]


def _checked(ctx, config: dict) -> tuple[int | None, str, str]:
    """(hours between executions or None for NOW, endpoint name, monitoring type) of a valid configuration."""
    hours = timing.check_schedule(config)
    spec = executions.spec_of(ctx, config)
    endpoint = spec.endpoint_input.get("EndpointName")
    if not endpoint:
        raise ServiceError("ValidationException", "The local backend monitors endpoints (EndpointInput); "
                           "BatchTransformInput is not supported.")
    _capture_uri(ctx, endpoint)
    return hours, endpoint, spec.monitoring_type


def _get(ctx, name: str) -> Schedule:
    schedule = SCHEDULES.get((ctx.region, name))
    if schedule is None:
        raise ServiceError("ResourceNotFound", f"Monitoring Schedule {name} does not exist.")
    return schedule


def schedules_using(ctx, definition_name: str) -> list[str]:
    with _LOCK:
        return [s.name for (region, _), s in SCHEDULES.items() if region == ctx.region and
                s.description["MonitoringScheduleConfig"].get("MonitoringJobDefinitionName") == definition_name]


def _tick_schedules() -> None:
    with _LOCK:
        current = list(SCHEDULES.values())
    for schedule in current:
        try:
            schedule.tick()
        except Exception:  # an emulator shut down under a pending tick; keep ticking the other schedules
            pass


def _ensure_ticker() -> None:
    repeat("mla-monitoring-schedules", TICK_SECONDS, _tick_schedules)


@handles("sagemaker", "CreateMonitoringSchedule")
def create_monitoring_schedule(params, ctx):
    validate("CreateMonitoringSchedule", params)
    name, config = params["MonitoringScheduleName"], params["MonitoringScheduleConfig"]
    hours, endpoint, monitoring_type = _checked(ctx, config)
    arn = f"arn:aws:sagemaker:{ctx.region}:{ctx.account_id}:monitoring-schedule/{name.lower()}"
    created = now()
    description = {"MonitoringScheduleArn": arn, "MonitoringScheduleName": name, "MonitoringScheduleStatus": "Pending",
                   "MonitoringType": monitoring_type, "CreationTime": created, "LastModifiedTime": created,
                   "MonitoringScheduleConfig": config, "EndpointName": endpoint}
    with _LOCK:
        if (ctx.region, name) in SCHEDULES:
            raise ServiceError("ResourceInUse", f"Monitoring Schedule {name} already exists ({arn}).")
        SCHEDULES[(ctx.region, name)] = Schedule(Context(ctx.url, ctx.region, ctx.account_id), description, hours)
    _ensure_ticker()
    return {"MonitoringScheduleArn": arn}


@handles("sagemaker", "DescribeMonitoringSchedule")
def describe_monitoring_schedule(params, ctx):
    return _get(ctx, params["MonitoringScheduleName"]).snapshot()


@handles("sagemaker", "UpdateMonitoringSchedule")
def update_monitoring_schedule(params, ctx):
    validate("UpdateMonitoringSchedule", params)
    schedule = _get(ctx, params["MonitoringScheduleName"])
    config = params["MonitoringScheduleConfig"]
    hours, endpoint, monitoring_type = _checked(ctx, config)
    with schedule.lock:
        if hours != schedule.hours:
            schedule.next_fire = time.monotonic() + (timing.real_period(hours) if hours else 0.0)
        schedule.hours = hours
        schedule.set(MonitoringScheduleConfig=config, EndpointName=endpoint, MonitoringType=monitoring_type)
    return {"MonitoringScheduleArn": schedule.description["MonitoringScheduleArn"]}


@handles("sagemaker", "DeleteMonitoringSchedule")
def delete_monitoring_schedule(params, ctx):
    _get(ctx, params["MonitoringScheduleName"])
    with _LOCK:
        SCHEDULES.pop((ctx.region, params["MonitoringScheduleName"]), None)
    return {}


@handles("sagemaker", "StopMonitoringSchedule")
def stop_monitoring_schedule(params, ctx):
    _get(ctx, params["MonitoringScheduleName"]).set(MonitoringScheduleStatus="Stopped")
    return {}


@handles("sagemaker", "StartMonitoringSchedule")
def start_monitoring_schedule(params, ctx):
    schedule = _get(ctx, params["MonitoringScheduleName"])
    with schedule.lock:
        if schedule.description["MonitoringScheduleStatus"] == "Stopped":
            schedule.next_fire = time.monotonic() + timing.real_period(schedule.hours) if schedule.hours else None
            schedule.set(MonitoringScheduleStatus="Scheduled")
    return {}


def _in_region(ctx) -> list[Schedule]:
    with _LOCK:
        return [s for (region, _), s in SCHEDULES.items() if region == ctx.region]


def _filtered(items: list[dict], params: dict, status_key: str) -> list[dict]:
    if params.get("EndpointName"):
        items = [d for d in items if d.get("EndpointName") == params["EndpointName"]]
    if params.get("StatusEquals"):
        items = [d for d in items if d.get(status_key) == params["StatusEquals"]]
    if params.get("MonitoringJobDefinitionName"):
        items = [d for d in items if d.get("MonitoringJobDefinitionName") == params["MonitoringJobDefinitionName"]]
    if params.get("MonitoringTypeEquals"):
        items = [d for d in items if d.get("MonitoringType") == params["MonitoringTypeEquals"]]
    for key, field_name in (("CreationTime", "CreationTime"), ("LastModifiedTime", "LastModifiedTime"),
                            ("ScheduledTime", "ScheduledTime")):
        after, before = params.get(f"{key}After"), params.get(f"{key}Before")
        if after is not None:
            items = [d for d in items if d[field_name].timestamp() > _seconds(after)]
        if before is not None:
            items = [d for d in items if d[field_name].timestamp() < _seconds(before)]
    return items


def _seconds(value) -> float:
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def _page(items: list[dict], params: dict, sort_keys: dict, default_sort: str, list_key: str) -> dict:
    sort_by = sort_keys.get(params.get("SortBy"), default_sort)
    items.sort(key=lambda d: d[sort_by], reverse=params.get("SortOrder", "Descending") == "Descending")
    start, size = int(params.get("NextToken") or 0), params.get("MaxResults") or 10
    result = {list_key: items[start:start + size]}
    if start + size < len(items):
        result["NextToken"] = str(start + size)
    return result


@handles("sagemaker", "ListMonitoringSchedules")
def list_monitoring_schedules(params, ctx):
    items = []
    for schedule in _in_region(ctx):
        d = schedule.snapshot()
        items.append({k: d[k] for k in ("MonitoringScheduleName", "MonitoringScheduleArn", "CreationTime",
                                         "LastModifiedTime", "MonitoringScheduleStatus", "EndpointName",
                                         "MonitoringType") if d.get(k) is not None} |
                     ({"MonitoringJobDefinitionName": d["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"]}
                      if d["MonitoringScheduleConfig"].get("MonitoringJobDefinitionName") else {}))
    if params.get("NameContains"):
        items = [d for d in items if params["NameContains"] in d["MonitoringScheduleName"]]
    items = _filtered(items, params, "MonitoringScheduleStatus")
    return _page(items, params, {"Name": "MonitoringScheduleName", "Status": "MonitoringScheduleStatus",
                                 "CreationTime": "CreationTime"}, "CreationTime", "MonitoringScheduleSummaries")


@handles("sagemaker", "ListMonitoringExecutions")
def list_monitoring_executions(params, ctx):
    items = [_summary(run) for schedule in _in_region(ctx) for run in list(schedule.runs)
             if params.get("MonitoringScheduleName") in (None, schedule.name)]
    items = _filtered(items, params, "MonitoringExecutionStatus")
    return _page(items, params, {"CreationTime": "CreationTime", "ScheduledTime": "ScheduledTime",
                                 "Status": "MonitoringExecutionStatus"}, "ScheduledTime",
                 "MonitoringExecutionSummaries")
