"""What each step type does once its arguments are resolved: job steps call the emulator's own SageMaker API
(``CreateProcessingJob``, ``CreateTrainingJob``, ``CreateHyperParameterTuningJob``, ``CreateTransformJob``) through
boto3 and wait for the job, Model and RegisterModel steps call ``CreateModel`` and ``CreateModelPackage``, a
Condition step evaluates its conditions and a Fail step fails with its ``ErrorMessage``.

A step's properties (what later steps read with ``Get: Steps.<name>...``) are the ``Describe*`` response of what
it created; its metadata is the ``PipelineExecutionStepMetadata`` member for its type
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_PipelineExecutionStepMetadata.html).
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass

from botocore.exceptions import ClientError, ParamValidationError

from . import expressions
from .expressions import StepError

POLL_SECONDS = 0.05


class StepStopped(Exception):
    """The execution was stopped while the step ran."""


@dataclass(frozen=True)
class JobKind:
    name_key: str
    name_limit: int
    create: str
    describe: str
    stop: str
    status_key: str
    arn_key: str
    metadata_key: str


JOB_KINDS = {
    "Processing": JobKind("ProcessingJobName", 63, "create_processing_job", "describe_processing_job",
                          "stop_processing_job", "ProcessingJobStatus", "ProcessingJobArn", "ProcessingJob"),
    "Training": JobKind("TrainingJobName", 63, "create_training_job", "describe_training_job", "stop_training_job",
                        "TrainingJobStatus", "TrainingJobArn", "TrainingJob"),
    "Tuning": JobKind("HyperParameterTuningJobName", 32, "create_hyper_parameter_tuning_job",
                      "describe_hyper_parameter_tuning_job", "stop_hyper_parameter_tuning_job",
                      "HyperParameterTuningJobStatus", "HyperParameterTuningJobArn", "TuningJob"),
    "Transform": JobKind("TransformJobName", 63, "create_transform_job", "describe_transform_job",
                         "stop_transform_job", "TransformJobStatus", "TransformJobArn", "TransformJob"),
}


@dataclass
class StepRun:
    """One step of one execution: where it runs and how it reports progress."""

    name: str
    kind: str
    arguments: dict  # resolved
    raw: dict  # the step as the definition has it (PropertyFiles, Conditions, branches)
    execution_id: str
    sagemaker: object
    stopping: Callable[[], bool]
    report_metadata: Callable[[dict], None]
    scope: expressions.Scope


@dataclass
class Outcome:
    properties: dict
    metadata: dict
    branch: str | None = None  # a Condition step's chosen side: "IfSteps" or "ElseSteps"


def resource_name(execution_id: str, step: str, limit: int) -> str:
    """``pipelines-<execution id>-<step>-<random>`` cut to the name limit, keeping the random part."""
    suffix = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(10))
    clean = "".join(c if c.isalnum() else "-" for c in step).strip("-")
    return f"pipelines-{execution_id}-{clean}"[:limit - len(suffix) - 1].rstrip("-") + "-" + suffix


def run(step: StepRun) -> Outcome:
    if step.kind in JOB_KINDS:
        return _job(step, JOB_KINDS[step.kind])
    return {"Model": _model, "RegisterModel": _register_model, "Condition": _condition, "Fail": _fail}[step.kind](step)


def call(step: StepRun, operation: str, **params) -> dict:
    try:
        response = getattr(step.sagemaker, operation)(**params)
    except ClientError as error:
        raise StepError(f"{error.response['Error']['Code']}: {error.response['Error']['Message']}") from None
    except ParamValidationError as error:
        raise StepError(f"ValidationException: {error}") from None
    response.pop("ResponseMetadata", None)
    return response


def run_job(step: StepRun, kind: JobKind, arguments: dict, metadata_for: Callable[[str], dict]) -> tuple[dict, dict]:
    """Creates the job, reports its metadata, waits for it (stopping it if the execution stops) and returns its
    ``Describe*`` response and metadata; a failed job fails the step with the job's ``FailureReason``."""
    name = resource_name(step.execution_id, step.name, kind.name_limit)
    arn = call(step, kind.create, **{**arguments, kind.name_key: name})[kind.arn_key]
    metadata = metadata_for(arn)
    step.report_metadata(metadata)
    stop_sent = False
    while True:
        description = call(step, kind.describe, **{kind.name_key: name})
        status = description[kind.status_key]
        if status in ("Completed", "Failed", "Stopped"):
            break
        if step.stopping() and not stop_sent:
            call(step, kind.stop, **{kind.name_key: name})
            stop_sent = True
        time.sleep(POLL_SECONDS)
    if status == "Stopped":
        raise StepStopped()
    if status == "Failed":
        raise StepError(description.get("FailureReason") or f"{kind.metadata_key} {name} failed.", metadata)
    return description, metadata


def _job(step: StepRun, kind: JobKind) -> Outcome:
    description, metadata = run_job(step, kind, step.arguments, lambda arn: {kind.metadata_key: {"Arn": arn}})
    if step.kind == "Tuning":  # TrainingJobSummaries[0] is the best job (TuningStep.get_top_model_s3_uri)
        objective = description["HyperParameterTuningJobConfig"].get("HyperParameterTuningJobObjective") or {}
        description["TrainingJobSummaries"] = call(
            step, "list_training_jobs_for_hyper_parameter_tuning_job",
            HyperParameterTuningJobName=description["HyperParameterTuningJobName"],
            SortBy="FinalObjectiveMetricValue", MaxResults=100,
            SortOrder="Ascending" if objective.get("Type") == "Minimize" else "Descending")["TrainingJobSummaries"]
    return Outcome(description, metadata)


def _model(step: StepRun) -> Outcome:
    name = resource_name(step.execution_id, step.name, 63)
    arn = call(step, "create_model", **{**step.arguments, "ModelName": name})["ModelArn"]
    return Outcome(call(step, "describe_model", ModelName=name), {"Model": {"Arn": arn}})


def _register_model(step: StepRun) -> Outcome:
    arn = call(step, "create_model_package", **step.arguments)["ModelPackageArn"]
    return Outcome(call(step, "describe_model_package", ModelPackageName=arn), {"RegisterModel": {"Arn": arn}})


def _condition(step: StepRun) -> Outcome:
    outcome = all(expressions.holds(condition, step.scope) for condition in step.raw["Arguments"]["Conditions"])
    text = "True" if outcome else "False"
    return Outcome({"Outcome": text}, {"Condition": {"Outcome": text}}, "IfSteps" if outcome else "ElseSteps")


def _fail(step: StepRun) -> Outcome:
    message = str(step.arguments.get("ErrorMessage", ""))
    raise StepError(message, {"Fail": {"ErrorMessage": message}})
