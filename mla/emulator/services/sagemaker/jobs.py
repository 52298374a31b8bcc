"""Bookkeeping shared by every SageMaker job kind: the job record, its table, its worker threads, and how
a run ends (completed, failed with a reason, or interrupted by a stop request or the runtime limit).

moto marks jobs ``Completed`` at once and runs nothing; here the record is the ``Describe*`` response,
updated by the thread that really runs the job, so a notebook polling it sees the job progress.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ...protocol import ServiceError

# Jobs do their heavy work here, off the request threads; tuning jobs only wait on children, in their own pool
# so that a tuning job can never take the worker its children need.
WORKERS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="mla-sagemaker-job")
ORCHESTRATORS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="mla-sagemaker-tuning")


_clients: dict[tuple[str, str, str], object] = {}
_clients_lock = threading.Lock()


def client(ctx, service: str):
    """A boto3 client back to the emulator, made once per endpoint (making one costs about half a second)."""
    key = (ctx.url, ctx.region, service)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = ctx.client(service)
        return _clients[key]


def warm_up(modules: tuple[str, ...]) -> None:
    """Import the heavy libraries jobs need in the background, so the first job does not wait for them."""
    import importlib

    threading.Thread(target=lambda: [importlib.import_module(m) for m in modules], name="mla-sagemaker-warm-up",
                     daemon=True).start()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class JobFailure(Exception):
    """The job fails; ``reason`` is its ``FailureReason`` (e.g. ``ClientError: ...`` or ``AlgorithmError: ...``)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Interrupted(Exception):
    """The job was stopped (``StopXxxJob``) or ran past ``MaxRuntimeInSeconds``."""

    def __init__(self, secondary_status: str):
        super().__init__(secondary_status)
        self.secondary_status = secondary_status


@dataclass
class Job:
    name: str
    region: str
    description: dict
    max_runtime: float | None = None
    started: float = field(default_factory=time.monotonic)
    stop_requested: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    log: object = None  # the running job's JobLog: tuning reads intermediate metrics from it

    def snapshot(self) -> dict:
        with self.lock:
            return copy.deepcopy(self.description)

    def update(self, **fields) -> None:
        with self.lock:
            self.description.update(fields)
            self.description["LastModifiedTime"] = now()

    def interruption(self) -> str | None:
        """Why the job must stop now (``Stopped`` or ``MaxRuntimeExceeded``), or None to carry on."""
        if self.stop_requested.is_set():
            return "Stopped"
        if self.max_runtime is not None and time.monotonic() - self.started > self.max_runtime:
            return "MaxRuntimeExceeded"
        return None

    def check(self) -> None:
        """Called by running work between steps; raises :class:`Interrupted` when it must stop."""
        reason = self.interruption()
        if reason:
            raise Interrupted(reason)

    def wait(self, timeout: float | None = None) -> bool:
        return self.finished.wait(timeout)


class JobTable:
    """The jobs of one kind, per account and region."""

    def __init__(self, arn_kind: str, title: str):
        self.arn_kind, self.title = arn_kind, title
        self._jobs: dict[tuple[str, str], Job] = {}
        self._lock = threading.Lock()

    def arn(self, ctx, name: str) -> str:
        return f"arn:aws:sagemaker:{ctx.region}:{ctx.account_id}:{self.arn_kind}/{name.lower()}"

    def add(self, ctx, job: Job) -> Job:
        with self._lock:
            if (ctx.region, job.name) in self._jobs:
                raise ServiceError(
                    "ResourceInUse",
                    f"{self.title} names must be unique within an AWS account and region, and a "
                    f"{self.title.lower()} with this name already exists ({self.arn(ctx, job.name)})")
            self._jobs[(ctx.region, job.name)] = job
        return job

    def get(self, ctx, name: str) -> Job:
        job = self._jobs.get((ctx.region, name))
        if job is None:
            raise ServiceError("ValidationException", "Requested resource not found.")
        return job

    def stop(self, ctx, name: str, status_key: str) -> Job:
        """``StopXxxJob``: an ``InProgress`` job moves to ``Stopping`` and its runner stops it."""
        job = self.get(ctx, name)
        with job.lock:
            status = job.description[status_key]
            if status != "InProgress":
                raise ServiceError("ValidationException", f"The request was rejected because the "
                                   f"{self.title.lower()} is in status {status}.")
            job.description.update({status_key: "Stopping", "LastModifiedTime": now()})
        job.stop_requested.set()
        return job

    def in_region(self, region: str) -> list[Job]:
        with self._lock:
            return [job for (where, _), job in self._jobs.items() if where == region]


def list_page(jobs: list[Job], params: dict, name_key: str, status_key: str, summary_keys: tuple[str, ...],
              list_key: str) -> dict:
    """``ListXxxJobs`` filtering, sorting and paging over job snapshots."""
    items = [job.snapshot() for job in jobs]
    if params.get("NameContains"):
        items = [d for d in items if params["NameContains"] in d[name_key]]
    if params.get("StatusEquals"):
        items = [d for d in items if d[status_key] == params["StatusEquals"]]
    for key, keep in (("CreationTimeAfter", lambda t, v: t > v), ("CreationTimeBefore", lambda t, v: t < v),
                      ("LastModifiedTimeAfter", lambda t, v: t > v),
                      ("LastModifiedTimeBefore", lambda t, v: t < v)):
        if params.get(key) is not None:
            bound = _as_datetime(params[key])
            field_name = "CreationTime" if key.startswith("Creation") else "LastModifiedTime"
            items = [d for d in items if keep(d[field_name], bound)]
    sort_by = {"Name": name_key, "Status": status_key}.get(params.get("SortBy"), "CreationTime")
    items.sort(key=lambda d: d[sort_by], reverse=params.get("SortOrder", "Descending") == "Descending")
    start = int(params.get("NextToken") or 0)
    size = params.get("MaxResults") or 10
    page = items[start:start + size]
    result = {list_key: [{k: d[k] for k in summary_keys if d.get(k) is not None} for d in page]}
    if start + size < len(items):
        result["NextToken"] = str(start + size)
    return result


def _as_datetime(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromtimestamp(float(value), dt.UTC)
