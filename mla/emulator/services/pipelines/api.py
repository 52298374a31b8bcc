"""The SageMaker Pipelines API of the local backend.

Pipelines are kept in moto's backend (so tags and moto's own views still see them) but created, read, updated,
listed and deleted here: moto parsed an S3-held definition into a dict instead of keeping the JSON as sent, did not
take a pipeline ARN where the API takes a name or an ARN, answered a missing pipeline with the wrong error and
filtered ``ListPipelines`` after paging. Executions are entirely local (moto marks them ``Succeeded`` without running
a step): see ``executions``. API reference: https://docs.aws.amazon.com/sagemaker/latest/APIReference/
(``CreatePipeline`` ... ``RetryPipelineExecution``).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import string

from moto.sagemaker.models import FakePipeline

from ...protocol import ServiceError
from ...registry import Context, handles
from ..sagemaker.jobs import client, now
from . import definition, executions, expressions
from .definition import invalid
from .executions import EXECUTIONS, Execution
from .expressions import StepError

USER = {"UserProfileName": "local", "DomainId": "local"}


def _backend(ctx: Context):
    return ctx.moto_backend("sagemaker")


def _pipeline(ctx: Context, name_or_arn: str) -> FakePipeline:
    name = name_or_arn.split(":pipeline/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn
    pipeline = _backend(ctx).pipelines.get(name)
    if pipeline is None:
        raise ServiceError("ResourceNotFound", f"Pipeline '{name_or_arn}' does not exist.")
    return pipeline


def _definition_text(params: dict, ctx: Context) -> str | None:
    """The definition as sent, or read from ``PipelineDefinitionS3Location``; validated either way."""
    text, location = params.get("PipelineDefinition"), params.get("PipelineDefinitionS3Location")
    if text and location:
        raise invalid("Give either PipelineDefinition or PipelineDefinitionS3Location, not both.")
    if location:
        s3 = client(ctx, "s3")
        extra = {"VersionId": location["VersionId"]} if location.get("VersionId") else {}
        try:
            text = s3.get_object(Bucket=location["Bucket"], Key=location["ObjectKey"], **extra)["Body"].read().decode()
        except s3.exceptions.ClientError as error:
            raise invalid(f"Cannot read the pipeline definition from s3://{location['Bucket']}/"
                          f"{location['ObjectKey']}: {error}") from None
    if text is not None:
        definition.parse(text)
    return text


@handles("sagemaker", "CreatePipeline")
def create_pipeline(params: dict, ctx: Context) -> dict:
    text = _definition_text(params, ctx)
    if text is None:
        raise invalid("Either PipelineDefinition or PipelineDefinitionS3Location must be given.")
    name = params["PipelineName"]
    if name in _backend(ctx).pipelines:
        raise invalid(f"Pipeline names must be unique within an AWS account and region. Pipeline with name "
                      f"({name}) already exists.")
    pipeline = _backend(ctx).create_pipeline(
        pipeline_name=name, pipeline_display_name=params.get("PipelineDisplayName"), pipeline_definition=text,
        pipeline_definition_s3_location=None, pipeline_description=params.get("PipelineDescription"),
        role_arn=params.get("RoleArn"), tags=params.get("Tags"),
        parallelism_configuration=params.get("ParallelismConfiguration"))
    return {"PipelineArn": pipeline.arn}


@handles("sagemaker", "UpdatePipeline")
def update_pipeline(params: dict, ctx: Context) -> dict:
    pipeline = _pipeline(ctx, params["PipelineName"])
    text = _definition_text(params, ctx)
    if text is not None:
        pipeline.pipeline_definition = text
    for key, attribute in (("PipelineDisplayName", "pipeline_display_name"),
                           ("PipelineDescription", "pipeline_description"), ("RoleArn", "role_arn"),
                           ("ParallelismConfiguration", "parallelism_configuration")):
        if params.get(key) is not None:
            setattr(pipeline, attribute, params[key])
    pipeline.last_modified_time = now()
    return {"PipelineArn": pipeline.arn}


@handles("sagemaker", "DescribePipeline")
def describe_pipeline(params: dict, ctx: Context) -> dict:
    pipeline = _pipeline(ctx, params["PipelineName"])
    described = _backend(ctx).describe_pipeline(pipeline.pipeline_name)
    return {key: value for key, value in described.items() if value is not None}


@handles("sagemaker", "DeletePipeline")
def delete_pipeline(params: dict, ctx: Context) -> dict:
    pipeline = _pipeline(ctx, params["PipelineName"])
    del _backend(ctx).pipelines[pipeline.pipeline_name]
    return {"PipelineArn": pipeline.arn}


@handles("sagemaker", "ListPipelines")
def list_pipelines(params: dict, ctx: Context) -> dict:
    items = [p for p in _backend(ctx).pipelines.values()
             if p.pipeline_name.startswith(params.get("PipelineNamePrefix") or "")
             and _created_between(p.creation_time, params.get("CreatedAfter"), params.get("CreatedBefore"))]
    sort_key = "pipeline_name" if params.get("SortBy") == "Name" else "creation_time"
    items.sort(key=lambda p: getattr(p, sort_key), reverse=params.get("SortOrder", "Descending") == "Descending")
    summaries = [{"PipelineArn": p.arn, "PipelineName": p.pipeline_name, "PipelineDisplayName": p.pipeline_display_name,
                  "PipelineDescription": p.pipeline_description, "RoleArn": p.role_arn,
                  "CreationTime": p.creation_time, "LastModifiedTime": p.last_modified_time,
                  "LastExecutionTime": p.last_execution_time} for p in items]
    return _page(summaries, params, "PipelineSummaries")


@handles("sagemaker", "StartPipelineExecution")
def start_pipeline_execution(params: dict, ctx: Context) -> dict:
    pipeline = _pipeline(ctx, params["PipelineName"])
    if params.get("SelectiveExecutionConfig"):
        raise invalid("The local backend runs whole pipelines; SelectiveExecutionConfig is not supported.")
    parsed = definition.parse(pipeline.pipeline_definition)
    values = definition.parameter_values(parsed, params.get("PipelineParameters"))
    execution_id = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(12))
    arn = f"{pipeline.arn}/execution/{execution_id}"
    started = now()
    description = {
        "PipelineArn": pipeline.arn, "PipelineExecutionArn": arn,
        "PipelineExecutionStatus": "Executing", "CreationTime": started, "LastModifiedTime": started,
        "CreatedBy": USER, "LastModifiedBy": USER}
    for key in ("PipelineExecutionDisplayName", "PipelineExecutionDescription"):
        if params.get(key):
            description[key] = params[key]
    parallelism = params.get("ParallelismConfiguration") or pipeline.parallelism_configuration
    if parallelism:
        description["ParallelismConfiguration"] = parallelism
    execution = Execution(arn, execution_id, pipeline.arn, pipeline.pipeline_name, parsed, values, description,
                          ctx.region)
    experiment = json.loads(parsed.text).get("PipelineExperimentConfig")
    if experiment:
        try:
            description["PipelineExperimentConfig"] = expressions.resolve(experiment, executions.Scope(execution, None))
        except StepError as error:
            raise invalid(f"PipelineExperimentConfig: {error.reason}") from None
    EXECUTIONS.add(execution)
    pipeline.last_execution_time = started
    executions.start(execution, ctx)
    return {"PipelineExecutionArn": arn}


@handles("sagemaker", "DescribePipelineExecution")
def describe_pipeline_execution(params: dict, ctx: Context) -> dict:
    return EXECUTIONS.get(params["PipelineExecutionArn"]).snapshot()


@handles("sagemaker", "ListPipelineExecutions")
def list_pipeline_executions(params: dict, ctx: Context) -> dict:
    pipeline = _pipeline(ctx, params["PipelineName"])
    items = [e.snapshot() for e in EXECUTIONS.of_pipeline(pipeline.arn)]
    items = [d for d in items if _created_between(d["CreationTime"], params.get("CreatedAfter"),
                                                  params.get("CreatedBefore"))]
    sort_key = "PipelineExecutionArn" if params.get("SortBy") == "PipelineExecutionArn" else "CreationTime"
    items.sort(key=lambda d: d[sort_key], reverse=params.get("SortOrder", "Descending") == "Descending")
    summaries = []
    for d in items:
        summary = {"PipelineExecutionArn": d["PipelineExecutionArn"], "StartTime": d["CreationTime"],
                   "PipelineExecutionStatus": d["PipelineExecutionStatus"]}
        for key, target in (("PipelineExecutionDisplayName", "PipelineExecutionDisplayName"),
                            ("PipelineExecutionDescription", "PipelineExecutionDescription"),
                            ("FailureReason", "PipelineExecutionFailureReason")):
            if d.get(key):
                summary[target] = d[key]
        summaries.append(summary)
    return _page(summaries, params, "PipelineExecutionSummaries")


@handles("sagemaker", "ListPipelineExecutionSteps")
def list_pipeline_execution_steps(params: dict, ctx: Context) -> dict:
    records = EXECUTIONS.get(params["PipelineExecutionArn"]).steps_snapshot()
    records.sort(key=lambda r: r["StartTime"], reverse=params.get("SortOrder", "Descending") == "Descending")
    return _page(records, params, "PipelineExecutionSteps")


@handles("sagemaker", "DescribePipelineDefinitionForExecution")
def describe_pipeline_definition_for_execution(params: dict, ctx: Context) -> dict:
    execution = EXECUTIONS.get(params["PipelineExecutionArn"])
    return {"PipelineDefinition": execution.definition.text, "CreationTime": execution.description["CreationTime"]}


@handles("sagemaker", "ListPipelineParametersForExecution")
def list_pipeline_parameters_for_execution(params: dict, ctx: Context) -> dict:
    execution = EXECUTIONS.get(params["PipelineExecutionArn"])
    listed = [{"Name": name, "Value": expressions.as_text(value)} for name, value in execution.parameters.items()]
    return _page(listed, params, "PipelineParameters")


@handles("sagemaker", "StopPipelineExecution")
def stop_pipeline_execution(params: dict, ctx: Context) -> dict:
    execution = EXECUTIONS.get(params["PipelineExecutionArn"])
    with execution.lock:
        status = execution.description["PipelineExecutionStatus"]
        if status != "Executing":
            raise ServiceError("ConflictException", f"Pipeline execution {execution.arn} is {status}; only an "
                                                    "Executing pipeline execution can be stopped.")
        execution.description.update(PipelineExecutionStatus="Stopping", LastModifiedTime=now())
    execution.stop_requested.set()
    return {"PipelineExecutionArn": execution.arn}


@handles("sagemaker", "RetryPipelineExecution")
def retry_pipeline_execution(params: dict, ctx: Context) -> dict:
    """Runs again the steps that failed or did not run; the steps that succeeded keep their results."""
    execution = EXECUTIONS.get(params["PipelineExecutionArn"])
    with execution.lock:
        status = execution.description["PipelineExecutionStatus"]
        if status != "Failed" or not execution.finished.is_set():
            raise ServiceError("ConflictException", f"Pipeline execution {execution.arn} is {status}; only a "
                                                    "Failed pipeline execution can be retried.")
        execution.description.pop("FailureReason", None)
        execution.description.update(PipelineExecutionStatus="Executing", LastModifiedTime=now())
        if params.get("ParallelismConfiguration"):
            execution.description["ParallelismConfiguration"] = params["ParallelismConfiguration"]
        execution.finished.clear()
    executions.start(execution, ctx)
    return {"PipelineExecutionArn": execution.arn}


def _created_between(created: dt.datetime, after, before) -> bool:
    created = _as_datetime(created)
    return (after is None or created > _as_datetime(after)) and (before is None or created < _as_datetime(before))


def _as_datetime(value) -> dt.datetime:
    """Timestamps from the request or from moto (which keeps naive UTC times) as aware UTC datetimes."""
    if not isinstance(value, dt.datetime):
        return dt.datetime.fromtimestamp(float(value), dt.UTC)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _page(items: list, params: dict, key: str) -> dict:
    start = int(params.get("NextToken") or 0)
    size = params.get("MaxResults") or 50
    result = {key: items[start:start + size]}
    if start + size < len(items):
        result["NextToken"] = str(start + size)
    return result
