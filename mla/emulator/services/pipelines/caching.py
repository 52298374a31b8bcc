"""Step caching: a step with ``CacheConfig: {"Enabled": true, "ExpireAfter": ...}`` reuses the most recent
successful run of the same step of the same pipeline whose cache-key attributes were equal and which ended within
``ExpireAfter``, instead of running again
(https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-caching-enabling.html).
The attributes per step type are those of
https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-default-keys.html, compared after resolving parameters
and step properties. Where this is local: a step without ``ExpireAfter`` reuses runs of any age.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from dataclasses import dataclass

from .expressions import StepError

KEY_ATTRIBUTES = {
    "Processing": ("AppSpecification", "Environment", "ProcessingInputs"),
    "Training": ("AlgorithmSpecification", "CheckpointConfig", "DebugHookConfig", "DebugRuleConfigurations",
                 "Environment", "HyperParameters", "InputDataConfig"),
    "Tuning": ("HyperParameterTuningJobConfig", "TrainingJobDefinition", "TrainingJobDefinitions"),
    "Transform": ("DataProcessing", "Environment", "ModelName", "TransformInput"),
}
_DURATION = re.compile(r"^P?(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


@dataclass(frozen=True)
class CachedRun:
    pipeline_arn: str
    step_name: str
    key: str
    ended: dt.datetime
    execution_arn: str
    properties: dict
    metadata: dict


_RUNS: list[CachedRun] = []
_LOCK = threading.Lock()


def expire_after(text: str) -> dt.timedelta:
    """An ISO 8601 duration such as ``PT1H``, ``30d``, ``T16m`` or ``30dT5h`` (months 30 days, years 365)."""
    found = _DURATION.match(text.strip().upper())
    if not found or not any(found.groups()):
        raise StepError(f"CacheConfig ExpireAfter '{text}' is not an ISO 8601 duration.")
    years, months, weeks, days, hours, minutes, seconds = (int(g or 0) for g in found.groups())
    return dt.timedelta(days=365 * years + 30 * months + 7 * weeks + days, hours=hours, minutes=minutes,
                        seconds=seconds)


TUNING_DEFINITION_ATTRIBUTES = ("AlgorithmSpecification", "HyperParameterRanges", "InputDataConfig",
                                "StaticHyperParameters", "TuningObjective")


def cache_key(kind: str, arguments: dict) -> str | None:
    if kind not in KEY_ATTRIBUTES:
        return None
    key = {name: arguments.get(name) for name in KEY_ATTRIBUTES[kind]}
    if kind == "Tuning" and key["TrainingJobDefinition"]:  # only these children of it count
        key["TrainingJobDefinition"] = {name: key["TrainingJobDefinition"].get(name)
                                        for name in TUNING_DEFINITION_ATTRIBUTES}
    return json.dumps(key, sort_keys=True, default=str)


def lookup(pipeline_arn: str, step_name: str, key: str, config: dict, now: dt.datetime) -> CachedRun | None:
    oldest = now - expire_after(config["ExpireAfter"]) if config.get("ExpireAfter") else None
    with _LOCK:
        matches = [run for run in _RUNS if (run.pipeline_arn, run.step_name, run.key) == (pipeline_arn, step_name, key)
                   and (oldest is None or run.ended >= oldest)]
    return max(matches, key=lambda run: run.ended, default=None)


def remember(run: CachedRun) -> None:
    with _LOCK:
        _RUNS.append(run)
