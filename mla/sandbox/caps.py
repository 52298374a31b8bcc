"""Hard caps on what a create call may ask for, checked before the call leaves the machine."""

from __future__ import annotations

from .config import SandboxConfig
from .estimate import Declared

# The SageMaker create calls that start something billed by the hour, and the kind a notebook declares for it.
BILLABLE = {
    "CreateEndpoint": "endpoint", "CreateTrainingJob": "training", "CreateHyperParameterTuningJob": "tuning",
    "CreateProcessingJob": "processing", "CreateTransformJob": "transform",
    "CreateMonitoringSchedule": "monitoring-schedule", "CreateNotebookInstance": "notebook-instance",
}
SDK_DEFAULT_RUNTIME = 86400  # the SageMaker SDK sends 24 h when the learner does not choose a limit
JOBS_WITH_RUNTIME = ("CreateTrainingJob", "CreateProcessingJob")


class CapExceeded(RuntimeError):
    """A create call asked for more than the sandbox caps allow; it was not sent."""


def enforce(operation: str, params: dict, config: SandboxConfig, declared: list[Declared] | None) -> list[str]:
    """Raise CapExceeded for a call outside the caps; lower an SDK-default runtime to the cap. Returns notes."""
    notes = []
    kind = BILLABLE.get(operation)
    if declared is not None and kind and kind not in {d.kind for d in declared}:
        raise CapExceeded(
            f"{operation} starts a billed '{kind}' that this notebook does not declare in metadata.mla.resources, "
            "so it was not priced before the run. Declare it (the dry run then prices it) to allow it.")
    for key, value in _walk(params):
        if key == "InstanceType":
            _check_instance_type(operation, value, config, declared)
        elif key in ("InstanceCount", "InitialInstanceCount", "MaxParallelTrainingJobs") and value > config.max_instance_count:
            raise CapExceeded(
                f"{operation}: {key}={value} is over the sandbox cap max_instance_count={config.max_instance_count}. "
                "Use 1, or raise max_instance_count in your sandbox config on purpose.")
    if operation in JOBS_WITH_RUNTIME:
        stopping = params.setdefault("StoppingCondition", {})
        asked = stopping.get("MaxRuntimeInSeconds")
        if asked is None or asked == SDK_DEFAULT_RUNTIME:
            stopping["MaxRuntimeInSeconds"] = min(asked or config.max_runtime_seconds, config.max_runtime_seconds)
            notes.append(f"{operation}: MaxRuntimeInSeconds set to the sandbox cap {config.max_runtime_seconds}")
        elif asked > config.max_runtime_seconds:
            raise CapExceeded(
                f"{operation}: MaxRuntimeInSeconds={asked} is over the sandbox cap max_runtime_seconds="
                f"{config.max_runtime_seconds}. Ask for less, or raise max_runtime_seconds in your sandbox config.")
    return notes


def _check_instance_type(operation: str, instance_type: str, config: SandboxConfig, declared) -> None:
    if instance_type not in config.instance_types:
        raise CapExceeded(
            f"{operation}: instance type {instance_type} is not in the sandbox allow-list "
            f"{list(config.instance_types)}. Use one of those, or add it to instance_types in your sandbox config.")
    if declared is not None:
        named = {d.instance_type for d in declared if d.kind in BILLABLE.values()}
        if None not in named and instance_type not in named:
            raise CapExceeded(
                f"{operation}: instance type {instance_type} is not one this notebook declares "
                f"({sorted(n for n in named if n)}), so the dry run did not price it. Declare it to allow it.")


def _walk(value, key=None):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key)
    elif key is not None:
        yield key, value
