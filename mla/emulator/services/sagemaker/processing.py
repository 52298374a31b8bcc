"""Processing jobs: ``CreateProcessingJob``, ``DescribeProcessingJob``, ``ListProcessingJobs``,
``StopProcessingJob``.

Inputs are downloaded to their ``LocalPath`` (``/opt/ml/processing/...``) inside a per-job folder, the
container's entrypoint and arguments run in a subprocess with ``/opt/ml`` paths mapped to that folder (also
the literal ``/opt/ml`` paths in the script it runs), and each output's ``LocalPath`` is uploaded to its
``S3Uri`` when the job ends. As documented in
https://docs.aws.amazon.com/sagemaker/latest/dg/build-your-own-processing-container.html.
"""

from __future__ import annotations

import json
import sys
import traceback

from ...registry import handles
from . import s3io, script_mode
from .container import HOST, OptMl
from .images import module_for
from .jobs import WORKERS, Interrupted, Job, JobFailure, JobTable, client, list_page, now
from .logs import JobLog
from .validation import validate

PROCESSING_JOBS = JobTable("processing-job", "Processing job")
LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
PYTHONS = ("python", "python3", "/usr/bin/python3", "/opt/conda/bin/python", "/usr/local/bin/python3")


@handles("sagemaker", "CreateProcessingJob")
def create_processing_job(params, ctx):
    validate("CreateProcessingJob", params)
    name = params["ProcessingJobName"]
    created = now()
    description = {k: v for k, v in params.items() if k != "Tags"}
    description.update(ProcessingJobArn=PROCESSING_JOBS.arn(ctx, name), ProcessingJobStatus="InProgress",
                       CreationTime=created, LastModifiedTime=created)
    runtime = (params.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds", 86400)
    job = PROCESSING_JOBS.add(ctx, Job(name, ctx.region, description, max_runtime=runtime))
    WORKERS.submit(_run, job, ctx)
    return {"ProcessingJobArn": description["ProcessingJobArn"]}


@handles("sagemaker", "DescribeProcessingJob")
def describe_processing_job(params, ctx):
    return PROCESSING_JOBS.get(ctx, params["ProcessingJobName"]).snapshot()


@handles("sagemaker", "ListProcessingJobs")
def list_processing_jobs(params, ctx):
    return list_page(PROCESSING_JOBS.in_region(ctx.region), params, "ProcessingJobName", "ProcessingJobStatus",
                     ("ProcessingJobName", "ProcessingJobArn", "CreationTime", "ProcessingEndTime",
                      "LastModifiedTime", "ProcessingJobStatus", "FailureReason", "ExitMessage"),
                     "ProcessingJobSummaries")


@handles("sagemaker", "StopProcessingJob")
def stop_processing_job(params, ctx):
    PROCESSING_JOBS.stop(ctx, params["ProcessingJobName"], "ProcessingJobStatus")
    return {}


def localize(opt: OptMl, argument: str) -> str:
    """An argument naming a path under ``/opt/ml`` names the same path in the job's folder."""
    return str(opt.inside(argument)) if argument.startswith("/opt/ml") else argument


def _map_script_paths(opt: OptMl, argument: str) -> None:
    path = opt.inside(argument) if argument.startswith("/opt/ml") else None
    if path is not None and path.is_file() and path.suffix in (".py", ".sh"):
        path.write_text(path.read_text().replace("/opt/ml", str(opt.root)))


def _command(opt: OptMl, app: dict) -> list[str]:
    words = list(app.get("ContainerEntrypoint") or []) + list(app.get("ContainerArguments") or [])
    image_module = module_for(app["ImageUri"])
    if image_module and not app.get("ContainerEntrypoint"):
        return [sys.executable, "-m", image_module] + [localize(opt, w) for w in app.get("ContainerArguments") or []]
    if not words:
        raise JobFailure(f"ClientError: The local backend cannot run the container image {app['ImageUri']} "
                         "without a ContainerEntrypoint: it runs scripts, not images.")
    for word in words:
        _map_script_paths(opt, word)
    return [sys.executable if w in PYTHONS else localize(opt, w) for w in words]


def _run(job: Job, ctx) -> None:
    desc = job.snapshot()
    opt = OptMl("processing", job.name)
    log = JobLog(client(ctx, "logs"), LOG_GROUP, f"{job.name}/{HOST}-{int(now().timestamp())}")
    s3 = client(ctx, "s3")
    job.update(ProcessingStartTime=now())
    outputs = (desc.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    fields: dict = {}
    try:
        for item in desc.get("ProcessingInputs") or []:
            source = item.get("S3Input")
            if source is None:
                raise JobFailure(f"ClientError: Input {item['InputName']}: the local backend reads S3 inputs only.")
            target = opt.inside(source["LocalPath"])
            s3io.download(s3, source["S3Uri"], target, source.get("S3DataType", "S3Prefix"), ctx.region)
            if source.get("S3CompressionType") == "Gzip":
                raise JobFailure("ClientError: S3CompressionType Gzip is only for Pipe mode.")
        for item in outputs:
            opt.inside(item["S3Output"]["LocalPath"]).mkdir(parents=True, exist_ok=True)
        (opt.config_dir / "processingjobconfig.json").write_text(json.dumps(desc, default=str))
        command = _command(opt, desc["AppSpecification"])
        env = {**script_mode.aws_environment(ctx), **(desc.get("Environment") or {}), "MLA_OPT_ML": str(opt.root)}
        log.write(f"Executing command: {' '.join(command)}")
        code = script_mode.run_command(command, opt.root, env, job, log)
        if code != 0:
            reason = opt.failure_message() or log.last_error_line()
            fields = {"ProcessingJobStatus": "Failed", "ExitMessage": reason[:1024],
                      "FailureReason": f"AlgorithmError: See job logs for more information: {reason}"[:1024]}
        else:
            _upload(s3, opt, outputs)
            fields = {"ProcessingJobStatus": "Completed"}
    except Interrupted as stop:
        fields = {"ProcessingJobStatus": "Stopped"}
        if stop.secondary_status == "MaxRuntimeExceeded":
            fields["FailureReason"] = "Processing job exceeded MaxRuntimeInSeconds provided"
    except JobFailure as failure:
        log.write(failure.reason)
        fields = {"ProcessingJobStatus": "Failed", "FailureReason": failure.reason[:1024]}
    except Exception as error:  # a defect of the local backend itself: fail the job, keep the emulator up
        log.write(traceback.format_exc())
        fields = {"ProcessingJobStatus": "Failed", "FailureReason": f"InternalServerError: {error!r}"[:1024]}
    finally:
        log.flush()
        job.update(ProcessingEndTime=now(), **fields)
        opt.remove()
        job.finished.set()


def _upload(s3, opt: OptMl, outputs: list[dict]) -> None:
    for item in outputs:
        output = item.get("S3Output")
        if output:
            s3io.upload_tree(s3, opt.inside(output["LocalPath"]), output["S3Uri"])
