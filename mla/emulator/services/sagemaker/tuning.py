"""Hyperparameter tuning jobs: ``CreateHyperParameterTuningJob``, ``DescribeHyperParameterTuningJob``,
``ListHyperParameterTuningJobs``, ``StopHyperParameterTuningJob`` and
``ListTrainingJobsForHyperParameterTuningJob``.

The tuning job launches real training jobs (named ``<tuning-job>-<NNN>-<8 hex>`` as on AWS), at most
``MaxParallelTrainingJobs`` at a time and ``MaxNumberOfTrainingJobs`` in all, reads each one's objective metric
from its ``FinalMetricDataList``, and fills ``BestTrainingJob`` from those real results. Early stopping
(``TrainingJobEarlyStoppingType=Auto``, and always for Hyperband) applies the median stopping rule to the
intermediate objective values a job logs; warm start feeds the parents' results to the Bayesian model.
See https://docs.aws.amazon.com/sagemaker/latest/dg/automatic-model-tuning-how-it-works.html and
https://docs.aws.amazon.com/sagemaker/latest/dg/automatic-model-tuning-early-stopping.html.

Where this differs from AWS: Bayesian search is a Gaussian process with expected improvement (AWS's model
is its own), and Hyperband here is random sampling with early stopping of jobs below the median, not AWS's
bracketed resource allocation.
"""

from __future__ import annotations

import hashlib
import statistics
import time

import numpy as np

from ...protocol import ServiceError
from ...registry import handles
from . import algorithms, search, training
from .jobs import ORCHESTRATORS, Job, JobTable, list_page, now
from .validation import invalid, validate

TUNING_JOBS = JobTable("hyper-parameter-tuning-job", "Hyperparameter tuning job")
POLL_SECONDS = 0.1
MIN_POINTS_FOR_EARLY_STOP = 3


@handles("sagemaker", "CreateHyperParameterTuningJob")
def create_tuning_job(params, ctx):
    validate("CreateHyperParameterTuningJob", params)
    config = params["HyperParameterTuningJobConfig"]
    definition = params.get("TrainingJobDefinition")
    if definition is None:
        raise invalid("TrainingJobDefinition is required (TrainingJobDefinitions is not supported locally).")
    space = search.ranges(config.get("ParameterRanges") or {})
    limits = config.get("ResourceLimits") or {}
    if config["Strategy"] == "Grid":
        if any(r.kind != "Categorical" for r in space):
            raise invalid("Grid search strategy supports only categorical parameter ranges.")
    elif not limits.get("MaxNumberOfTrainingJobs"):
        raise invalid("MaxNumberOfTrainingJobs is required for the "
                      f"{config['Strategy']} strategy.")
    if config.get("HyperParameterTuningJobObjective") is None and config["Strategy"] != "Grid":
        raise invalid("HyperParameterTuningJobObjective is required.")
    for parent in (params.get("WarmStartConfig") or {}).get("ParentHyperParameterTuningJobs") or []:
        TUNING_JOBS.get(ctx, parent["HyperParameterTuningJobName"])
    name = params["HyperParameterTuningJobName"]
    created = now()
    description = {k: v for k, v in params.items() if k != "Tags"}
    description.update(
        HyperParameterTuningJobArn=TUNING_JOBS.arn(ctx, name), HyperParameterTuningJobStatus="InProgress",
        CreationTime=created, LastModifiedTime=created,
        TrainingJobStatusCounters={"Completed": 0, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0,
                                   "Stopped": 0},
        ObjectiveStatusCounters={"Succeeded": 0, "Pending": 0, "Failed": 0})
    job = TUNING_JOBS.add(ctx, Job(name, ctx.region, description, max_runtime=limits.get("MaxRuntimeInSeconds")))
    job.children = []
    ORCHESTRATORS.submit(_orchestrate, job, ctx, space)
    return {"HyperParameterTuningJobArn": description["HyperParameterTuningJobArn"]}


@handles("sagemaker", "DescribeHyperParameterTuningJob")
def describe_tuning_job(params, ctx):
    job = TUNING_JOBS.get(ctx, params["HyperParameterTuningJobName"])
    return job.snapshot()


@handles("sagemaker", "ListHyperParameterTuningJobs")
def list_tuning_jobs(params, ctx):
    return list_page(TUNING_JOBS.in_region(ctx.region), params, "HyperParameterTuningJobName",
                     "HyperParameterTuningJobStatus",
                     ("HyperParameterTuningJobName", "HyperParameterTuningJobArn", "HyperParameterTuningJobStatus",
                      "CreationTime", "HyperParameterTuningEndTime", "LastModifiedTime", "TrainingJobStatusCounters",
                      "ObjectiveStatusCounters"), "HyperParameterTuningJobSummaries")


@handles("sagemaker", "StopHyperParameterTuningJob")
def stop_tuning_job(params, ctx):
    TUNING_JOBS.stop(ctx, params["HyperParameterTuningJobName"], "HyperParameterTuningJobStatus")
    return {}


@handles("sagemaker", "ListTrainingJobsForHyperParameterTuningJob")
def list_children(params, ctx):
    job = TUNING_JOBS.get(ctx, params["HyperParameterTuningJobName"])
    summaries = [_summary(job, child) for child in list(job.children)]
    if params.get("StatusEquals"):
        summaries = [s for s in summaries if s["TrainingJobStatus"] == params["StatusEquals"]]
    sort_by = params.get("SortBy", "CreationTime")
    if sort_by == "FinalObjectiveMetricValue":
        scored = [s for s in summaries if "FinalHyperParameterTuningJobObjectiveMetric" in s]
        summaries = sorted(scored, key=lambda s: s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
    else:
        key = {"Name": "TrainingJobName", "Status": "TrainingJobStatus"}.get(sort_by, "CreationTime")
        summaries.sort(key=lambda s: s[key])
    if params.get("SortOrder", "Descending") == "Descending":
        summaries.reverse()
    start, size = int(params.get("NextToken") or 0), params.get("MaxResults") or 10
    result = {"TrainingJobSummaries": summaries[start:start + size]}
    if start + size < len(summaries):
        result["NextToken"] = str(start + size)
    return result


def _objective(job: Job) -> dict | None:
    return (job.snapshot()["HyperParameterTuningJobConfig"].get("HyperParameterTuningJobObjective"))


def _objective_value(tuning: Job, child: Job) -> float | None:
    objective = _objective(tuning)
    if objective is None:
        return None
    for metric in child.snapshot().get("FinalMetricDataList") or []:
        if metric["MetricName"] == objective["MetricName"]:
            return metric["Value"]
    return None


def _summary(tuning: Job, child: Job) -> dict:
    desc = child.snapshot()
    summary = {"TrainingJobName": desc["TrainingJobName"], "TrainingJobArn": desc["TrainingJobArn"],
               "TuningJobName": tuning.name, "CreationTime": desc["CreationTime"],
               "TrainingJobStatus": desc["TrainingJobStatus"], "TunedHyperParameters": child.tuned}
    for key in ("TrainingStartTime", "TrainingEndTime", "FailureReason"):
        if desc.get(key):
            summary[key] = desc[key]
    value = _objective_value(tuning, child)
    if value is not None and desc["TrainingJobStatus"] in ("Completed", "Stopped"):
        objective = _objective(tuning)
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": objective["Type"], "MetricName": objective["MetricName"], "Value": value}
        summary["ObjectiveStatus"] = "Succeeded"
    else:
        summary["ObjectiveStatus"] = "Failed" if desc["TrainingJobStatus"] in ("Failed", "Stopped") else "Pending"
    return summary


def _child_request(tuning: Job, index: int, tuned: dict) -> dict:
    desc = tuning.snapshot()
    definition = desc["TrainingJobDefinition"]
    seed = desc["HyperParameterTuningJobConfig"].get("RandomSeed", 0)
    suffix = hashlib.sha256(f"{tuning.name}/{index}/{seed}".encode()).hexdigest()[:8]
    hyperparameters = {**(definition.get("StaticHyperParameters") or {}), **tuned}
    objective = _objective(tuning)
    image = definition["AlgorithmSpecification"].get("TrainingImage", "")
    if objective and algorithms.for_image(image) is not None:
        hyperparameters["_tuning_objective_metric"] = objective["MetricName"]
    request = {k: v for k, v in definition.items() if k not in ("StaticHyperParameters", "DefinitionName",
                                                              "TuningObjective", "HyperParameterRanges")}
    request.update(TrainingJobName=f"{tuning.name}-{index:03d}-{suffix}", HyperParameters=hyperparameters)
    return request


class _Search:
    """Proposes the next set of hyperparameters for the job's strategy, learning from finished children."""

    def __init__(self, tuning: Job, space: list[search.Range], warm_start: list[tuple[np.ndarray, float]]):
        config = tuning.snapshot()["HyperParameterTuningJobConfig"]
        self.strategy, self.space = config["Strategy"], space
        objective = config.get("HyperParameterTuningJobObjective") or {}
        self.maximize = objective.get("Type") == "Maximize"
        self.rng = np.random.RandomState(config.get("RandomSeed", 0))
        self.grid = search.grid(space) if self.strategy == "Grid" else None
        self.seen = list(warm_start)
        self.initial = max(3, (config.get("ResourceLimits") or {}).get("MaxParallelTrainingJobs", 1))

    def total(self, limit: int | None) -> int:
        if self.grid is not None:
            return min(len(self.grid), limit) if limit else len(self.grid)
        return limit

    def propose(self, index: int) -> np.ndarray:
        if self.grid is not None:
            return self.grid[index]
        if self.strategy == "Bayesian" and len(self.seen) >= self.initial and self.space:
            return search.expected_improvement_pick(self.space, self.seen, self.maximize, self.rng)
        return self.rng.rand(len(self.space))


def _orchestrate(tuning: Job, ctx, space: list[search.Range]) -> None:
    desc = tuning.snapshot()
    config = desc["HyperParameterTuningJobConfig"]
    limits = config.get("ResourceLimits") or {}
    parallel = limits.get("MaxParallelTrainingJobs", 1)
    early_stopping = config.get("TrainingJobEarlyStoppingType") == "Auto" or config["Strategy"] == "Hyperband"
    searcher = _Search(tuning, space, _warm_start(ctx, desc, space))
    total = searcher.total(limits.get("MaxNumberOfTrainingJobs"))
    running: dict[str, tuple[Job, np.ndarray]] = {}
    launched = 0
    try:
        while launched < total or running:
            if tuning.interruption():
                for child, _ in running.values():
                    _stop_quietly(child)
                break
            while launched < total and len(running) < parallel:
                point = searcher.propose(launched)
                tuned = {r.name: r.value(u) for r, u in zip(space, point, strict=True)}
                child = training.submit(_child_request(tuning, launched + 1, tuned), ctx,
                                        TuningJobArn=desc["HyperParameterTuningJobArn"])
                child.tuned = tuned
                tuning.children.append(child)
                running[child.name] = (child, point)
                launched += 1
            time.sleep(POLL_SECONDS)
            for name, (child, point) in list(running.items()):
                if child.finished.is_set():
                    del running[name]
                    value = _objective_value(tuning, child)
                    if value is not None:
                        searcher.seen.append((point, value))
                elif early_stopping:
                    _maybe_stop_early(tuning, child, searcher.maximize)
            _refresh(tuning)
        for child, _ in running.values():
            child.wait()
        stopped = tuning.stop_requested.is_set() or tuning.interruption() is not None
        _refresh(tuning, final="Stopped" if stopped else "Completed")
    except Exception as error:  # a defect of the local backend itself: fail the tuning job, keep the emulator up
        for child, _ in running.values():
            _stop_quietly(child)
        _refresh(tuning, final="Failed", FailureReason=f"InternalServerError: {error!r}"[:1024])
    finally:
        tuning.finished.set()


def _stop_quietly(child: Job) -> None:
    try:
        training.request_stop(child)
    except ServiceError:
        pass  # it finished in the meantime


def _intermediate(tuning: Job, child: Job) -> list[float]:
    objective = _objective(tuning)
    if objective is None or child.log is None:
        return []
    return [value for _, value in child.log.values.get(objective["MetricName"], [])]


def _maybe_stop_early(tuning: Job, child: Job, maximize: bool) -> None:
    """Median stopping rule: stop a job whose objective at step n is worse than the median of the other
    jobs' running averages up to step n."""
    mine = _intermediate(tuning, child)
    step = len(mine)
    if step < MIN_POINTS_FOR_EARLY_STOP:
        return
    others = [values for other in tuning.children if other is not child
              for values in [_intermediate(tuning, other)] if len(values) >= step]
    if len(others) < 2:
        return
    median = statistics.median(statistics.fmean(v[:step]) for v in others)
    if (mine[-1] < median) if maximize else (mine[-1] > median):
        _stop_quietly(child)


def _warm_start(ctx, desc: dict, space: list[search.Range]) -> list[tuple[np.ndarray, float]]:
    seen = []
    names = {r.name for r in space}
    for parent in (desc.get("WarmStartConfig") or {}).get("ParentHyperParameterTuningJobs") or []:
        tuning = TUNING_JOBS.get(ctx, parent["HyperParameterTuningJobName"])
        for child in tuning.children:
            value = _objective_value(tuning, child)
            if value is not None and set(child.tuned) == names:
                seen.append((np.array([_unit(r, child.tuned[r.name]) for r in space]), value))
    return seen


def _unit(r: search.Range, text: str) -> float:
    """Inverse of Range.value, close enough to seed the Bayesian model."""
    if r.kind == "Categorical":
        return (r.values.index(text) + 0.5) / len(r.values)
    candidates = np.linspace(0, 1, 201)
    return float(candidates[np.argmin([abs(float(r.value(u)) - float(text)) for u in candidates])])


def _refresh(tuning: Job, final: str | None = None, **fields) -> None:
    children = [c.snapshot() for c in tuning.children]
    statuses = [c["TrainingJobStatus"] for c in children]
    counters = {"Completed": statuses.count("Completed"),
                "InProgress": statuses.count("InProgress") + statuses.count("Stopping"),
                "RetryableError": 0, "NonRetryableError": statuses.count("Failed"), "Stopped": statuses.count("Stopped")}
    summaries = [_summary(tuning, c) for c in tuning.children]
    objective_counts = {"Succeeded": 0, "Pending": 0, "Failed": 0}
    for summary in summaries:
        objective_counts[summary["ObjectiveStatus"]] += 1
    update = dict(TrainingJobStatusCounters=counters, ObjectiveStatusCounters=objective_counts, **fields)
    scored = [s for s in summaries if "FinalHyperParameterTuningJobObjectiveMetric" in s]
    if scored:
        maximize = _objective(tuning)["Type"] == "Maximize"
        pick = max if maximize else min
        update["BestTrainingJob"] = pick(scored, key=lambda s: s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
    if final:
        update.update(HyperParameterTuningJobStatus=final, HyperParameterTuningEndTime=now())
    tuning.update(**update)
