"""One monitoring execution: a real processing job with the Model Monitor analyzer image, over the data captured
for the schedule's endpoint in the execution's window, as the service launches it.

The job's environment follows the container contract
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-contract-inputs.html): the endpoint's capture
prefix is downloaded under the ``EndpointInput.LocalPath`` (``dataset_source``), baseline files under
``/opt/ml/processing/baseline``; reports go to ``<S3Uri>/<endpoint>/<schedule>/yyyy/mm/dd/hh`` (the layout
Model Monitor writes, one folder per scheduled hour: on the compressed clock, later executions of the same wall-clock
hour replace the earlier reports). Statuses and the "Job inputs had no data" failure as in
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-results.html.
Bias and explainability jobs also get the definition's ``ConfigUri`` (Clarify's analysis configuration) under
``/opt/ml/processing/input/config`` and ground truth under ``/opt/ml/processing/groundtruth`` when it has one.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from dataclasses import dataclass, field

from ..sagemaker import s3io
from ..sagemaker.jobs import client, now
from . import timing
from .job_definitions import get as get_definition

BASELINE_DIR = "/opt/ml/processing/baseline"
GROUND_TRUTH_DIR = "/opt/ml/processing/groundtruth"
CAPTURE_FORMAT = {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
CONFIG_DIR = "/opt/ml/processing/input/config"
ANALYZER = "mla.emulator.services.monitoring.analyzer"
ANALYSIS_TYPES = {"ModelQuality": "MODEL_QUALITY", "ModelBias": "MODEL_BIAS",
                  "ModelExplainability": "MODEL_EXPLAINABILITY"}
ATTRIBUTES = (("features_attribute", "FeaturesAttribute"), ("inference_attribute", "InferenceAttribute"),
              ("probability_attribute", "ProbabilityAttribute"),
              ("probability_threshold_attribute", "ProbabilityThresholdAttribute"))


@dataclass
class Spec:
    """A monitoring job, whether defined inline in the schedule or by a named job definition."""

    monitoring_type: str
    definition_name: str | None
    app: dict
    baseline: dict
    endpoint_input: dict
    ground_truth: dict | None
    output_config: dict
    resources: dict
    role: str
    stopping: dict | None
    network: dict | None
    environment: dict = field(default_factory=dict)


def spec_of(ctx, config: dict) -> Spec:
    inline = config.get("MonitoringJobDefinition")
    if inline:
        inputs = inline.get("MonitoringInputs") or [{}]
        return Spec("DataQuality", None, inline["MonitoringAppSpecification"], inline.get("BaselineConfig") or {},
                    inputs[0].get("EndpointInput") or {}, None, inline["MonitoringOutputConfig"],
                    inline["MonitoringResources"], inline["RoleArn"], inline.get("StoppingCondition"),
                    inline.get("NetworkConfig"), inline.get("Environment") or {})
    name = config.get("MonitoringJobDefinitionName")
    if not name:
        raise timing.invalid("MonitoringScheduleConfig needs MonitoringJobDefinition or MonitoringJobDefinitionName.")
    definition = get_definition(ctx, name, config.get("MonitoringType"))
    kind = definition["MonitoringType"]
    app = definition[f"{kind}AppSpecification"]
    job_input = definition[f"{kind}JobInput"]
    return Spec(kind, name, app, definition.get(f"{kind}BaselineConfig") or {}, job_input.get("EndpointInput") or {},
                job_input.get("GroundTruthS3Input"), definition[f"{kind}JobOutputConfig"], definition["JobResources"],
                definition["RoleArn"], definition.get("StoppingCondition"), definition.get("NetworkConfig"),
                app.get("Environment") or {})


@dataclass
class Execution:
    schedule: str
    endpoint: str
    spec: Spec
    scheduled: dt.datetime
    summary: dict
    job_name: str = ""
    output_uri: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def update(self, **fields) -> None:
        with self.lock:
            self.summary.update(fields, LastModifiedTime=now())

    def snapshot(self) -> dict:
        with self.lock:
            return dict(self.summary)


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _capture_hours(s3, prefix_uri: str) -> list[dt.datetime]:
    bucket, prefix = s3io.split_uri(prefix_uri.rstrip("/") + "/")
    hours = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            parts = item["Key"][len(prefix):].split("/")
            if len(parts) == 6 and all(p.isdigit() for p in parts[1:5]):
                hours.add(dt.datetime(*(int(p) for p in parts[1:5]), tzinfo=dt.UTC))
    return sorted(hours)


def _baseline_files(ctx, baseline: dict, monitoring_type: str) -> dict[str, str]:
    """``{"constraints": s3 uri, "statistics": s3 uri}`` from the resources, or the named baselining job's output
    (a Clarify job's ``analysis.json`` for bias and explainability)."""
    files = {"constraints": (baseline.get("ConstraintsResource") or {}).get("S3Uri"),
             "statistics": (baseline.get("StatisticsResource") or {}).get("S3Uri")}
    if baseline.get("BaseliningJobName") and not files["constraints"]:
        from ..sagemaker.processing import PROCESSING_JOBS

        job = PROCESSING_JOBS.get(ctx, baseline["BaseliningJobName"]).snapshot()
        output = job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
        files = {"constraints": s3io.join_uri(output, "constraints.json"),
                 "statistics": s3io.join_uri(output, "statistics.json")}
        if monitoring_type in ("ModelBias", "ModelExplainability"):
            files = {"constraints": s3io.join_uri(output, "analysis.json")}
    return {k: v for k, v in files.items() if v}


def job_request(ctx, execution: Execution, start: dt.datetime, end: dt.datetime, capture_uri: str) -> dict:
    spec, endpoint = execution.spec, execution.endpoint
    local = spec.endpoint_input.get("LocalPath") or "/opt/ml/processing/input/endpoint"
    output = spec.output_config["MonitoringOutputs"][0]["S3Output"]
    execution.output_uri = s3io.join_uri(output["S3Uri"], endpoint, execution.schedule,
                                         f"{execution.scheduled:%Y/%m/%d/%H}")
    inputs = [_input("endpoint_input_1", s3io.join_uri(capture_uri, endpoint), f"{local.rstrip('/')}/{endpoint}")]
    env = {"dataset_format": json.dumps(CAPTURE_FORMAT), "dataset_source": local, "output_path": output["LocalPath"],
           "publish_cloudwatch_metrics": "Enabled", "sagemaker_endpoint_name": endpoint,
           "sagemaker_monitoring_schedule_name": execution.schedule, "start_time": _iso(start), "end_time": _iso(end)}
    for kind, uri in _baseline_files(ctx, spec.baseline, spec.monitoring_type).items():
        path = f"{BASELINE_DIR}/{kind}"
        inputs.append(_input(f"{kind}_input", uri, path))
        env[f"baseline_{kind}"] = f"{path}/{uri.rsplit('/', 1)[-1]}"
    app = {k: spec.app[k] for k in ("ImageUri", "ContainerEntrypoint", "ContainerArguments") if spec.app.get(k)}
    if spec.monitoring_type in ANALYSIS_TYPES:
        env["analysis_type"] = ANALYSIS_TYPES[spec.monitoring_type]
        env.update({key: str(spec.endpoint_input[attribute]) for key, attribute in ATTRIBUTES
                    if spec.endpoint_input.get(attribute) is not None})
    if spec.ground_truth:
        inputs.append(_input("groundtruth_input", spec.ground_truth["S3Uri"], GROUND_TRUTH_DIR))
        env["ground_truth_source"] = GROUND_TRUTH_DIR
    if spec.monitoring_type == "ModelQuality":
        env["problem_type"] = spec.app.get("ProblemType", "")
    if spec.app.get("ConfigUri"):  # bias and explainability: Clarify's analysis configuration
        inputs.append(_input("analysis_config", spec.app["ConfigUri"], CONFIG_DIR))
        env["analysis_config"] = f"{CONFIG_DIR}/{spec.app['ConfigUri'].rsplit('/', 1)[-1]}"
        # the job shows the definition's (Clarify) image; the local Model Monitor analyzer does the monitoring
        app["ContainerEntrypoint"] = ["python3", "-m", ANALYZER]
    request = {"ProcessingJobName": execution.job_name, "ProcessingInputs": inputs,
               "ProcessingOutputConfig": {"Outputs": [{"OutputName": "result", "S3Output": {
                   "S3Uri": execution.output_uri, "LocalPath": output["LocalPath"],
                   "S3UploadMode": output.get("S3UploadMode", "EndOfJob")}}]},
               "ProcessingResources": spec.resources, "AppSpecification": app, "RoleArn": spec.role,
               "Environment": {**env, **spec.environment},
               "StoppingCondition": spec.stopping or {"MaxRuntimeInSeconds": 3600}}
    if spec.network:
        request["NetworkConfig"] = spec.network
    if spec.output_config.get("KmsKeyId"):
        request["ProcessingOutputConfig"]["KmsKeyId"] = spec.output_config["KmsKeyId"]
    return request


def _input(name: str, uri: str, local: str) -> dict:
    return {"InputName": name, "S3Input": {"S3Uri": uri, "LocalPath": local, "S3DataType": "S3Prefix",
                                           "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}}


def start(ctx, execution: Execution, config: dict, hours: int | None, capture_uri: str) -> None:
    """Launch the execution's processing job, or fail the execution when its window holds no captured data."""
    from ..sagemaker.processing import create_processing_job

    spec = execution.spec
    offsets = (spec.endpoint_input.get("StartTimeOffset"), spec.endpoint_input.get("EndTimeOffset"))
    begin, end = timing.window(config, execution.scheduled, hours, offsets)
    hours_with_data = _capture_hours(client(ctx, "s3"), s3io.join_uri(capture_uri, execution.endpoint))
    if not any(begin - dt.timedelta(hours=1) < hour < end for hour in hours_with_data):
        execution.update(MonitoringExecutionStatus="Failed", FailureReason="Job inputs had no data")
        return
    execution.job_name = f"model-monitoring-{execution.scheduled:%Y%m%d%H%M}-{uuid.uuid4().hex[:24]}"
    request = job_request(ctx, execution, begin, end, capture_uri)
    response = create_processing_job(request, ctx)
    execution.update(MonitoringExecutionStatus="InProgress", ProcessingJobArn=response["ProcessingJobArn"])


def settle(ctx, execution: Execution) -> None:
    """Once its processing job has ended, the execution takes the job's outcome."""
    from ..sagemaker.processing import PROCESSING_JOBS

    job = PROCESSING_JOBS.get(ctx, execution.job_name)
    if not job.finished.is_set():
        return
    description = job.snapshot()
    status = description["ProcessingJobStatus"]
    if status == "Completed":
        execution.update(MonitoringExecutionStatus=_outcome(ctx, execution.output_uri))
    elif status == "Stopped":
        execution.update(MonitoringExecutionStatus="Stopped")
    else:
        execution.update(MonitoringExecutionStatus="Failed", FailureReason=description.get("FailureReason", status))


def _outcome(ctx, output_uri: str) -> str:
    bucket, key = s3io.split_uri(s3io.join_uri(output_uri, "constraint_violations.json"))
    body = client(ctx, "s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return "CompletedWithViolations" if json.loads(body).get("violations") else "Completed"
