"""Training jobs: ``CreateTrainingJob``, ``DescribeTrainingJob``, ``ListTrainingJobs``, ``StopTrainingJob``.

A job really runs, in a worker thread of the emulator: ``InProgress`` with the secondary statuses
``Starting`` → ``Downloading`` → ``Training`` → ``Uploading``, then ``Completed``, ``Failed`` (with the
actual error in ``FailureReason``) or ``Stopped`` (``Stopped`` or ``MaxRuntimeExceeded``). Statuses as in
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_SecondaryStatusTransition.html. The model
lands at ``<S3OutputPath>/<job>/output/model.tar.gz``, logs in ``/aws/sagemaker/TrainingJobs``, metrics
in ``FinalMetricDataList`` and CloudWatch. What runs is picked from the training image: a built-in
algorithm stand-in (``algorithms/``) or the learner's script (``script_mode``).
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

from ...protocol import ServiceError
from ...registry import handles
from . import algorithms, s3io, script_mode
from .container import HOST, OptMl
from .jobs import WORKERS, Interrupted, Job, JobFailure, JobTable, client, list_page, now
from .logs import JobLog
from .validation import invalid, validate

TRAINING_JOBS = JobTable("training-job", "Training job")
LOG_GROUP = "/aws/sagemaker/TrainingJobs"
DEFAULT_MAX_RUNTIME = 86400
DEFAULT_CHECKPOINT_PATH = "/opt/ml/checkpoints"
FAILURE_REASON_LIMIT = 1024
STATUS_MESSAGES = {
    "Starting": "Preparing the instances for training",
    "Downloading": "Downloading input data",
    "Training": "Training image download completed. Training in progress.",
    "Uploading": "Uploading generated training model",
    "Completed": "Training job completed",
    "Failed": "Training job failed",
    "Stopping": "Stopping the training job",
    "Stopped": "Training job stopped",
    "MaxRuntimeExceeded": "Training job exceeded MaxRuntimeInSeconds provided",
}


@dataclass
class TrainingRun:
    """Everything the code running a job needs: the job, its ``/opt/ml`` tree, inputs, log and S3."""

    job: Job
    ctx: object
    opt: OptMl
    hyperparameters: dict
    channels: dict
    instance_type: str
    log: JobLog
    s3: object
    checkpoint_dir: Path | None = None

    def channel(self, name: str) -> Path | None:
        return self.opt.channel_dir(name) if name in self.channels else None


def check_create_request(params: dict) -> None:
    validate("CreateTrainingJob", params)
    spec = params.get("AlgorithmSpecification")
    if spec is None:
        raise invalid("1 validation error detected: Value null at 'algorithmSpecification' failed to satisfy "
                      "constraint: Member must not be null")
    if not spec.get("TrainingImage") and not spec.get("AlgorithmName"):
        raise invalid("Either TrainingImage or AlgorithmName must be provided in AlgorithmSpecification.")
    if params.get("ResourceConfig") is None:
        raise invalid("1 validation error detected: Value null at 'resourceConfig' failed to satisfy "
                      "constraint: Member must not be null")
    stopping = params.get("StoppingCondition") or {}
    if params.get("EnableManagedSpotTraining"):
        wait, runtime = stopping.get("MaxWaitTimeInSeconds"), stopping.get("MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME)
        if wait is None or wait < runtime:
            raise invalid("Invalid MaxWaitTimeInSeconds. It must be present and be greater than or equal to "
                          "MaxRuntimeInSeconds")
    elif stopping.get("MaxWaitTimeInSeconds") is not None:
        raise invalid("MaxWaitTimeInSeconds can only be set when EnableManagedSpotTraining is true.")
    names = [c["ChannelName"] for c in params.get("InputDataConfig") or []]
    if len(names) != len(set(names)):
        raise invalid("Channel names must be unique within InputDataConfig.")


@handles("sagemaker", "CreateTrainingJob")
def create_training_job(params, ctx):
    check_create_request(params)
    return {"TrainingJobArn": submit(params, ctx).description["TrainingJobArn"]}


def submit(params: dict, ctx, **extra) -> Job:
    """Record the job, then run it in the background; ``extra`` adds fields such as ``TuningJobArn``."""
    name = params["TrainingJobName"]
    stopping = {"MaxRuntimeInSeconds": DEFAULT_MAX_RUNTIME, **(params.get("StoppingCondition") or {})}
    created = now()
    description = {k: v for k, v in params.items() if k not in ("Tags",)}
    description.update(
        TrainingJobArn=TRAINING_JOBS.arn(ctx, name), TrainingJobStatus="InProgress", SecondaryStatus="Starting",
        StoppingCondition=stopping, CreationTime=created, LastModifiedTime=created,
        HyperParameters=params.get("HyperParameters") or {},
        EnableNetworkIsolation=params.get("EnableNetworkIsolation", False),
        EnableInterContainerTrafficEncryption=params.get("EnableInterContainerTrafficEncryption", False),
        EnableManagedSpotTraining=params.get("EnableManagedSpotTraining", False),
        SecondaryStatusTransitions=[{"Status": "Starting", "StartTime": created,
                                     "StatusMessage": STATUS_MESSAGES["Starting"]}],
        **extra)
    job = TRAINING_JOBS.add(ctx, Job(name, ctx.region, description, max_runtime=stopping["MaxRuntimeInSeconds"]))
    WORKERS.submit(_run, job, ctx)
    return job


@handles("sagemaker", "DescribeTrainingJob")
def describe_training_job(params, ctx):
    return TRAINING_JOBS.get(ctx, params["TrainingJobName"]).snapshot()


@handles("sagemaker", "ListTrainingJobs")
def list_training_jobs(params, ctx):
    validate("ListTrainingJobs", params)
    return list_page(TRAINING_JOBS.in_region(ctx.region), params, "TrainingJobName", "TrainingJobStatus",
                     ("TrainingJobName", "TrainingJobArn", "CreationTime", "TrainingEndTime", "LastModifiedTime",
                      "TrainingJobStatus", "SecondaryStatus"), "TrainingJobSummaries")


@handles("sagemaker", "StopTrainingJob")
def stop_training_job(params, ctx):
    job = TRAINING_JOBS.get(ctx, params["TrainingJobName"])
    request_stop(job)
    return {}


def request_stop(job: Job) -> None:
    status = job.snapshot()["TrainingJobStatus"]
    if status not in ("InProgress", "Stopping"):
        raise ServiceError("ValidationException",
                           f"The request was rejected because the training job is in status {status}.")
    if status == "InProgress":
        job.update(TrainingJobStatus="Stopping")
        _transition(job, "Stopping")
        job.stop_requested.set()


def _transition(job: Job, secondary: str, message: str | None = None) -> None:
    stamp = now()
    with job.lock:
        transitions = job.description["SecondaryStatusTransitions"]
        if transitions and "EndTime" not in transitions[-1]:
            transitions[-1]["EndTime"] = stamp
        transitions.append({"Status": secondary, "StartTime": stamp,
                            "StatusMessage": message or STATUS_MESSAGES.get(secondary, secondary)})
        job.description["SecondaryStatus"] = secondary
        job.description["LastModifiedTime"] = stamp


def _run(job: Job, ctx) -> None:
    desc = job.snapshot()
    opt = OptMl("training", job.name)
    spec = desc["AlgorithmSpecification"]
    started = now()
    stream = f"{job.name}/{HOST}-{int(started.timestamp())}"
    log = job.log = JobLog(client(ctx, "logs"), LOG_GROUP, stream, _metric_definitions(spec))
    run = TrainingRun(job, ctx, opt, desc["HyperParameters"], {}, desc["ResourceConfig"].get("InstanceType", ""),
                      log, client(ctx, "s3"))
    job.update(TrainingStartTime=started)
    output_uri = s3io.join_uri(desc["OutputDataConfig"]["S3OutputPath"], job.name, "output")
    try:
        _download_inputs(run, desc)
        job.check()
        _transition(job, "Training")
        _execute(run, spec)
        job.check()
        _transition(job, "Uploading")
        outcome = ("Completed", "Completed", {"ModelArtifacts": _upload_outputs(run, desc, output_uri)})
    except Interrupted as stop:
        artifacts = _upload_outputs(run, desc, output_uri, partial=True)
        extra = {"ModelArtifacts": artifacts} if artifacts else {}
        if stop.secondary_status == "MaxRuntimeExceeded":
            extra["FailureReason"] = STATUS_MESSAGES["MaxRuntimeExceeded"]
        outcome = ("Stopped", stop.secondary_status, extra)
    except JobFailure as failure:
        log.write(failure.reason)
        outcome = ("Failed", "Failed", {"FailureReason": failure.reason[:FAILURE_REASON_LIMIT]})
    except Exception as error:  # a defect of the local backend itself: fail the job, keep the emulator up
        log.write(traceback.format_exc())
        outcome = ("Failed", "Failed",
                   {"FailureReason": f"InternalServerError: local backend error: {error!r}"[:FAILURE_REASON_LIMIT]})
    try:  # logs and metrics are complete before the status says the job is over
        log.flush()
        log.publish_metrics(client(ctx, "cloudwatch"), LOG_GROUP, f"{job.name}/{HOST}")
    finally:
        status, secondary, fields = outcome
        _finish(job, status, secondary, FinalMetricDataList=log.final_metrics(), **fields)
        opt.remove()
        job.finished.set()


def _finish(job: Job, status: str, secondary: str, **fields) -> None:
    _transition(job, secondary)
    end = now()
    with job.lock:
        job.description["SecondaryStatusTransitions"][-1]["EndTime"] = end
        seconds = int((end - job.description["TrainingStartTime"]).total_seconds())
        job.description.update(TrainingJobStatus=status, TrainingEndTime=end, LastModifiedTime=end,
                               TrainingTimeInSeconds=seconds, BillableTimeInSeconds=seconds, **fields)


def _metric_definitions(spec: dict) -> list[dict]:
    definitions = list(spec.get("MetricDefinitions") or [])
    algorithm = algorithms.for_image(spec.get("TrainingImage", ""))
    if algorithm is not None:
        known = {d["Name"] for d in definitions}
        definitions += [d for d in algorithm.METRIC_DEFINITIONS if d["Name"] not in known]
    return definitions


def _download_inputs(run: TrainingRun, desc: dict) -> None:
    _transition(run.job, "Downloading")
    mode = desc["AlgorithmSpecification"]["TrainingInputMode"]
    for channel in desc.get("InputDataConfig") or []:
        name = channel["ChannelName"]
        source = channel["DataSource"].get("S3DataSource")
        if source is None:
            raise JobFailure(f"ClientError: Channel {name}: the local backend reads S3 data sources only.")
        run.channels[name] = {"ContentType": channel.get("ContentType", ""),
                              "TrainingInputMode": channel.get("InputMode", mode),
                              "S3DistributionType": source.get("S3DataDistributionType", "FullyReplicated"),
                              "RecordWrapperType": channel.get("RecordWrapperType", "None")}
        s3io.download(run.s3, source["S3Uri"], run.opt.channel_dir(name), source["S3DataType"], run.ctx.region)
        run.job.check()
    run.opt.write_config(run.hyperparameters, run.channels, run.instance_type)
    checkpoint = desc.get("CheckpointConfig")
    if checkpoint:
        run.checkpoint_dir = run.opt.inside(checkpoint.get("LocalPath") or DEFAULT_CHECKPOINT_PATH)
        run.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        try:  # restored on restart: whatever an earlier run left under the checkpoint URI
            s3io.download(run.s3, checkpoint["S3Uri"], run.checkpoint_dir, "S3Prefix", run.ctx.region)
        except JobFailure:
            pass


def _execute(run: TrainingRun, spec: dict) -> None:
    script = script_mode.find_script(run)
    if script is not None:
        command, workdir = script
        env = {**script_mode.training_environment(run), **script_mode.aws_environment(run.ctx),
               **(run.job.description.get("Environment") or {})}
        if run.checkpoint_dir is not None:
            env["SM_CHECKPOINT_DIR"] = str(run.checkpoint_dir)
        run.log.write(f"Executing command: {' '.join(command)}")
        code = script_mode.run_command(command, workdir, env, run.job, run.log)
        if code != 0:
            raise JobFailure(script_mode.failure_reason(command, code, run.log, run.opt.failure_message()))
        return
    image = spec.get("TrainingImage") or spec.get("AlgorithmName", "")
    if algorithms.is_framework_image(image):
        raise JobFailure(f"ClientError: {image} is a framework image and the job names no training script: "
                         "give ModelTrainer a source_code, or set the sagemaker_program hyperparameter.")
    algorithm = algorithms.for_image(image)
    if algorithm is None:
        raise JobFailure(
            f"ClientError: The local backend cannot run the container image {image}: it runs the built-in "
            "algorithms (XGBoost, Linear Learner, K-Means, PCA, k-NN, Random Cut Forest) and script mode "
            "(ModelTrainer source_code, or a framework image with sagemaker_program). Run this image on AWS.")
    algorithm.train(run)


def _upload_outputs(run: TrainingRun, desc: dict, output_uri: str, partial: bool = False) -> dict | None:
    if run.checkpoint_dir is not None and any(run.checkpoint_dir.iterdir()):
        s3io.upload_tree(run.s3, run.checkpoint_dir, desc["CheckpointConfig"]["S3Uri"])
    if partial and not any(run.opt.model_dir.iterdir()):
        return None
    model_uri = s3io.join_uri(output_uri, "model.tar.gz")
    archive = s3io.tar_folder(run.opt.model_dir, run.opt.base / "model.tar.gz")
    s3io.upload_file(run.s3, archive, model_uri)
    if any(run.opt.output_data_dir.iterdir()):
        data = s3io.tar_folder(run.opt.output_data_dir, run.opt.base / "output.tar.gz")
        s3io.upload_file(run.s3, data, s3io.join_uri(output_uri, "output.tar.gz"))
    return {"S3ModelArtifacts": model_uri}
