"""Pipeline executions: the record ``DescribePipelineExecution`` and ``ListPipelineExecutionSteps`` answer from, and
the background run that moves it ``Executing`` → ``Succeeded`` / ``Failed`` / ``Stopped``.

Steps start as soon as every step they wait for has succeeded (at most ``MaxParallelExecutionSteps`` at a time).
When a step fails, no new step starts, the running ones finish and the execution fails with the reason the service
gives, ``Step failure: One or multiple steps failed.``, while the step's own reason (a Fail step's ``ErrorMessage``
too) is in its ``FailureReason`` in ``ListPipelineExecutionSteps`` (as reported in
https://repost.aws/questions/QULfE6M9RTRqeRpKXxnlAGkg/sagemaker-pipeline-failstep-error-message-not-shown). Steps
that never started are not listed. ``StopPipelineExecution`` stops the running jobs and the execution ends
``Stopped`` (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StopPipelineExecution.html).
"""

from __future__ import annotations

import copy
import json
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from ...protocol import ServiceError
from ..sagemaker.jobs import client, now
from . import caching, expressions, quality_check, steps
from .definition import Definition
from .expressions import StepError

EXECUTION_FAILURE = "Step failure: One or multiple steps failed."
ORCHESTRATORS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="mla-pipeline-execution")
STEP_WORKERS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="mla-pipeline-step")
DEFAULT_PARALLEL_STEPS = 50


@dataclass
class Execution:
    arn: str
    execution_id: str
    pipeline_arn: str
    pipeline_name: str
    definition: Definition
    parameters: dict
    description: dict
    region: str
    step_records: dict[str, dict] = field(default_factory=dict)  # step name -> PipelineExecutionStep
    properties: dict[str, dict] = field(default_factory=dict)
    stop_requested: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def variables(self) -> dict:
        return {"PipelineExecutionId": self.execution_id, "PipelineExecutionArn": self.arn,
                "PipelineName": self.pipeline_name, "PipelineArn": self.pipeline_arn,
                "StartDateTime": self.description["CreationTime"].isoformat(),
                "CurrentDateTime": now().isoformat()}

    def snapshot(self) -> dict:
        with self.lock:
            return copy.deepcopy(self.description)

    def steps_snapshot(self) -> list[dict]:
        with self.lock:
            return copy.deepcopy(list(self.step_records.values()))

    def update(self, **fields) -> None:
        with self.lock:
            self.description.update(fields, LastModifiedTime=now())

    def record_step(self, name: str, **fields) -> None:
        with self.lock:
            self.step_records.setdefault(name, {"StepName": name}).update(fields)


class Scope:
    """What an execution's expressions read: parameters, execution variables, step properties, property files."""

    def __init__(self, execution: Execution, s3):
        self.execution, self.s3 = execution, s3
        self.parameters = execution.parameters
        self.properties = execution.properties

    @property
    def variables(self) -> dict:
        return self.execution.variables

    def read_json(self, step: str, property_file: str):
        spec = self.execution.definition.steps.get(step)
        files = {f["PropertyFileName"]: f for f in (spec.raw.get("PropertyFiles") or [])} if spec else {}
        if property_file not in files:
            raise StepError(f"Step {step} declares no property file {property_file}.")
        output = files[property_file]["OutputName"]
        uri = expressions.lookup(f"Steps.{step}.ProcessingOutputConfig.Outputs['{output}'].S3Output.S3Uri", self)
        return self.read_json_uri(f"{uri.rstrip('/')}/{files[property_file]['FilePath']}")

    def read_json_uri(self, s3_uri: str):
        if not isinstance(s3_uri, str) or not s3_uri.startswith("s3://"):
            raise StepError(f"Std:JsonGet needs an s3:// URI, not {s3_uri!r}.")
        bucket, _, key = s3_uri[5:].partition("/")
        try:
            body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            return json.loads(body)
        except self.s3.exceptions.NoSuchKey:
            raise StepError(f"Std:JsonGet: the property file {s3_uri} does not exist.") from None
        except ValueError as error:
            raise StepError(f"Std:JsonGet: {s3_uri} is not JSON: {error}") from None


class ExecutionTable:
    def __init__(self):
        self._executions: dict[str, Execution] = {}
        self._lock = threading.Lock()

    def add(self, execution: Execution) -> None:
        with self._lock:
            self._executions[execution.arn] = execution

    def get(self, arn: str) -> Execution:
        execution = self._executions.get(arn)
        if execution is None:
            raise ServiceError("ResourceNotFound", f"Pipeline execution {arn} does not exist.")
        return execution

    def of_pipeline(self, pipeline_arn: str) -> list[Execution]:
        with self._lock:
            return [e for e in self._executions.values() if e.pipeline_arn == pipeline_arn]


EXECUTIONS = ExecutionTable()


def start(execution: Execution, ctx) -> None:
    ORCHESTRATORS.submit(_run_guarded, execution, ctx)


def _run_guarded(execution: Execution, ctx) -> None:
    try:
        _run(execution, ctx)
    except Exception as error:  # a defect of the local backend: fail the execution, keep the emulator up
        execution.update(PipelineExecutionStatus="Failed", FailureReason=f"InternalServerError: {error!r}"[:3072])
    finally:
        execution.finished.set()


def _run(execution: Execution, ctx) -> None:
    scope = Scope(execution, client(ctx, "s3"))
    sagemaker = client(ctx, "sagemaker")
    specs = execution.definition.steps
    limit = (execution.description.get("ParallelismConfiguration") or {}).get(
        "MaxParallelExecutionSteps", DEFAULT_PARALLEL_STEPS)
    succeeded = {name for name, record in execution.step_records.items() if record["StepStatus"] == "Succeeded"}
    chosen = {name: execution.properties[name]["Outcome"] for name in succeeded if specs[name].type == "Condition"}
    pending = set(specs) - succeeded
    running: dict = {}
    failed = False
    while True:
        pending -= {name for name in pending if _branch_not_taken(specs[name], chosen)}
        stopping = execution.stop_requested.is_set()
        # a step whose prerequisites failed never becomes ready; the loop ends when nothing runs any more
        ready = [] if failed or stopping else sorted(
            n for n in pending if specs[n].waits_for <= succeeded)[:max(0, limit - len(running))]
        for name in ready:
            pending.discard(name)
            running[STEP_WORKERS.submit(_run_step, execution, specs[name], scope, sagemaker)] = name
        if not running:
            break
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            name = running.pop(future)
            status = future.result()
            if status == "Succeeded":
                succeeded.add(name)
                if specs[name].type == "Condition":
                    chosen[name] = execution.properties[name]["Outcome"]
            elif status == "Failed":
                failed = True
    if execution.stop_requested.is_set():
        execution.update(PipelineExecutionStatus="Stopped")
    elif failed:
        execution.update(PipelineExecutionStatus="Failed", FailureReason=EXECUTION_FAILURE)
    else:
        execution.update(PipelineExecutionStatus="Succeeded")


def _branch_not_taken(spec, chosen: dict) -> bool:
    if not spec.branch or spec.branch[0] not in chosen:
        return False
    return ("IfSteps" if chosen[spec.branch[0]] == "True" else "ElseSteps") != spec.branch[1]


def _run_step(execution: Execution, spec, scope: Scope, sagemaker) -> str:
    """Runs one step to its end and records it; returns its final ``StepStatus``."""
    record = {"StartTime": now(), "StepStatus": "Executing",
              "AttemptCount": execution.step_records.get(spec.name, {}).get("AttemptCount", 0) + 1}
    for key, field_name in (("DisplayName", "StepDisplayName"), ("Description", "StepDescription")):
        if spec.raw.get(key):
            record[field_name] = spec.raw[key]
    with execution.lock:
        execution.step_records.pop(spec.name, None)  # a retried step is listed once, with its latest attempt
        execution.step_records[spec.name] = {"StepName": spec.name, **record}
    try:
        arguments = {} if spec.type == "Condition" else expressions.resolve(spec.arguments, scope)
        cache = spec.raw.get("CacheConfig") or {}
        key = caching.cache_key(spec.type, arguments) if cache.get("Enabled") else None
        hit = key and caching.lookup(execution.pipeline_arn, spec.name, key, cache, now())
        if hit:
            execution.properties[spec.name] = hit.properties
            execution.record_step(spec.name, StepStatus="Succeeded", EndTime=now(), Metadata=hit.metadata,
                                  CacheHitResult={"SourcePipelineExecutionArn": hit.execution_arn})
            return "Succeeded"
        runner = quality_check.run if spec.type == "QualityCheck" else steps.run
        outcome = runner(steps.StepRun(
            spec.name, spec.type, arguments, spec.raw, execution.execution_id, sagemaker,
            execution.stop_requested.is_set, lambda metadata: execution.record_step(spec.name, Metadata=metadata),
            scope))
    except steps.StepStopped:
        execution.record_step(spec.name, StepStatus="Stopped", EndTime=now())
        return "Stopped"
    except StepError as error:
        fields = {"Metadata": error.metadata} if error.metadata else {}
        execution.record_step(spec.name, StepStatus="Failed", EndTime=now(), FailureReason=error.reason[:1024],
                              **fields)
        return "Failed"
    except Exception as error:  # a defect of the local backend: fail the step, keep the execution consistent
        execution.record_step(spec.name, StepStatus="Failed", EndTime=now(),
                              FailureReason=f"InternalServerError: {error!r}"[:1024])
        return "Failed"
    execution.properties[spec.name] = outcome.properties
    ended = now()
    execution.record_step(spec.name, StepStatus="Succeeded", EndTime=ended, Metadata=outcome.metadata)
    if key:
        caching.remember(caching.CachedRun(execution.pipeline_arn, spec.name, key, ended, execution.arn,
                                           outcome.properties, outcome.metadata))
    return "Succeeded"
