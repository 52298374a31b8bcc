"""Teardown by tag: find what a run (or anything older than a cut-off) left, remove it in dependency order,
then look again until nothing selected is alive.

Resources are found with the Resource Groups Tagging API (``GetResources`` with a tag filter), which covers
every taggable service in one call per region; for a run or session, SageMaker resources and buckets whose names
``lab.name`` made (``mla-<run id>-...``) are found as well, in case a tag never arrived. Each resource type then
has its own removal step.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from botocore.exceptions import ClientError

from . import tags
from .listing import NO_RETRIES, SAGEMAKER

GONE_CODES = {"ResourceNotFound", "ResourceNotFoundException", "NoSuchBucket", "NoSuchEntity", "NotFound", "404"}
_ARN = re.compile(r"arn:aws[\w-]*:[^'\"\s,()]+")


@dataclass(frozen=True)
class Found:
    arn: str
    service: str
    type: str
    name: str
    region: str
    tags: dict[str, str]

    @property
    def label(self) -> str:
        return f"{self.service} {self.type} {self.name} ({self.region})"


@dataclass
class TeardownReport:
    removed: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)  # name lookups the account would not answer

    @property
    def clean(self) -> bool:
        return not self.leftovers


def parse_arn(text: str, resource_tags: dict[str, str]) -> Found:
    arn = _ARN.search(text).group(0)  # moto 5.2 reports endpoint-config ARNs as a tuple's repr
    _, _, service, region, _, resource = arn.split(":", 5)
    if service == "logs":
        kind, name = "log-group", resource.removeprefix("log-group:").removesuffix(":*")
    elif service == "s3":
        kind, name = "bucket", resource
    else:
        kind, _, name = resource.partition("/")
    return Found(arn, service, kind, name, region, resource_tags)


def discover(session, region: str, tag_filters: list[dict]) -> list[Found]:
    client = session.client("resourcegroupstaggingapi", region_name=region)
    found = []
    for page in client.get_paginator("get_resources").paginate(TagFilters=tag_filters):
        for item in page["ResourceTagMappingList"]:
            found.append(parse_arn(item["ResourceARN"], {t["Key"]: t["Value"] for t in item.get("Tags", [])}))
    return found


def discover_by_name(session, region: str, prefix: str, unchecked: list[str]) -> list[Found]:
    """SageMaker resources and S3 buckets whose names start with ``prefix``."""
    found = []
    sagemaker = session.client("sagemaker", region_name=region, config=NO_RETRIES)
    for listing in SAGEMAKER:
        try:
            found += [replace(parse_arn(item[listing.arn_key], {}), name=item[listing.name_key])  # ARNs lowercase it
                      for item in listing.items(sagemaker, name_contains=prefix)
                      if item[listing.name_key].startswith(prefix)]
        except ClientError as error:
            unchecked.append(f"{listing.operation} in {region}: {error.response.get('Error', {}).get('Code')}")
    buckets = session.client("s3", region_name=region).list_buckets().get("Buckets", [])
    found += [parse_arn(f"arn:aws:s3:::{b['Name']}", {}) for b in buckets if b["Name"].startswith(prefix)]
    return found


# --- one step per resource type: (order, remove, alive) -------------------------------------------------------
# remove() asks AWS to get rid of it (stop a job, delete an endpoint); alive() is True while it can still bill
# or still exists. Lower order goes first: jobs and schedules stop before endpoints, which go before their
# configs and models, and so on.

def _status(client, describe: str, key: str, status: str, name: str) -> str | None:
    try:
        return getattr(client, describe)(**{key: name})[status]
    except ClientError as error:
        if _gone(error):
            return None
        raise


def _job(describe: str, stop: str, key: str, status: str, running=("InProgress", "Stopping")):
    def remove(client, name):
        if _status(client, describe, key, status, name) == "InProgress":
            getattr(client, stop)(**{key: name})

    def alive(client, name):
        return _status(client, describe, key, status, name) in running

    return remove, alive


def _deletion(describe: str, delete: str, key: str, before: Callable | None = None):
    def remove(client, name):
        if before:
            before(client, name)
        getattr(client, delete)(**{key: name})

    def alive(client, name):
        try:
            getattr(client, describe)(**{key: name})
            return True
        except ClientError as error:
            if _gone(error):
                return False
            raise

    return remove, alive


def _stop_pipeline_executions(client, name):
    for page in client.get_paginator("list_pipeline_executions").paginate(PipelineName=name):
        for execution in page["PipelineExecutionSummaries"]:
            if execution.get("PipelineExecutionStatus") == "Executing":
                client.stop_pipeline_execution(PipelineExecutionArn=execution["PipelineExecutionArn"])


def _delete_model_packages(client, group):
    for page in client.get_paginator("list_model_packages").paginate(ModelPackageGroupName=group):
        for package in page["ModelPackageSummaryList"]:
            client.delete_model_package(ModelPackageName=package["ModelPackageArn"])


def _stop_notebook_instance(client, name):
    if _status(client, "describe_notebook_instance", "NotebookInstanceName", "NotebookInstanceStatus",
               name) == "InService":
        client.stop_notebook_instance(NotebookInstanceName=name)


def _log_group(client, name):
    groups = client.describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
    return any(g["logGroupName"] == name for g in groups)


def _empty_and_delete_bucket(client, name):
    empty_prefix(client, name, "")
    client.delete_bucket(Bucket=name)


def _bucket_exists(client, name):
    try:
        client.head_bucket(Bucket=name)
        return True
    except ClientError as error:
        if _gone(error):
            return False
        raise


STEPS = {
    ("sagemaker", "training-job"): (0, *_job("describe_training_job", "stop_training_job", "TrainingJobName",
                                             "TrainingJobStatus")),
    ("sagemaker", "processing-job"): (0, *_job("describe_processing_job", "stop_processing_job",
                                               "ProcessingJobName", "ProcessingJobStatus")),
    ("sagemaker", "transform-job"): (0, *_job("describe_transform_job", "stop_transform_job", "TransformJobName",
                                              "TransformJobStatus")),
    ("sagemaker", "hyper-parameter-tuning-job"): (0, *_job(
        "describe_hyper_parameter_tuning_job", "stop_hyper_parameter_tuning_job", "HyperParameterTuningJobName",
        "HyperParameterTuningJobStatus")),
    ("sagemaker", "monitoring-schedule"): (1, *_deletion("describe_monitoring_schedule",
                                                         "delete_monitoring_schedule", "MonitoringScheduleName")),
    ("sagemaker", "pipeline"): (1, *_deletion("describe_pipeline", "delete_pipeline", "PipelineName",
                                              before=_stop_pipeline_executions)),
    ("sagemaker", "notebook-instance"): (2, *_deletion("describe_notebook_instance", "delete_notebook_instance",
                                                       "NotebookInstanceName", before=_stop_notebook_instance)),
    ("sagemaker", "endpoint"): (2, *_deletion("describe_endpoint", "delete_endpoint", "EndpointName")),
    ("sagemaker", "endpoint-config"): (3, *_deletion("describe_endpoint_config", "delete_endpoint_config",
                                                     "EndpointConfigName")),
    ("sagemaker", "model"): (4, *_deletion("describe_model", "delete_model", "ModelName")),
    ("sagemaker", "feature-group"): (4, *_deletion("describe_feature_group", "delete_feature_group",
                                                   "FeatureGroupName")),
    ("sagemaker", "model-package-group"): (4, *_deletion(
        "describe_model_package_group", "delete_model_package_group", "ModelPackageGroupName",
        before=_delete_model_packages)),
    ("logs", "log-group"): (5, lambda client, name: client.delete_log_group(logGroupName=name), _log_group),
    ("s3", "bucket"): (6, _empty_and_delete_bucket, _bucket_exists),
}


def covered_types() -> list[str]:
    """What teardown removes, in the order it removes it (for the docs and the closing note)."""
    return [f"{service}:{kind}" for (service, kind), step in sorted(STEPS.items(), key=lambda item: item[1][0])]


def _gone(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "")
    # SageMaker answers a missing endpoint, config or model with ValidationException "Could not find ..."
    return code in GONE_CODES or (code == "ValidationException" and "not find" in message.lower())


def empty_prefix(s3, bucket: str, prefix: str, older_than: dt.datetime | None = None) -> int:
    """Delete every object version under ``prefix`` (only those last modified before ``older_than`` if given)."""
    removed = 0
    try:
        pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix))
    except ClientError as error:
        if _gone(error):
            return 0
        raise
    for page in pages:
        for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
            if older_than is None or version["LastModified"] < older_than:
                s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
                removed += 1
    return removed


def course_bucket(account_id: str, region: str) -> str:
    """The shared course bucket ``Lab.bucket`` creates; each run writes under ``runs/<run id>/`` in it."""
    return f"mla-course-{account_id}-{region}"


def teardown(session, account_id: str, regions, *, run_id: str | None = None, session_id: str | None = None,
             older_than: dt.timedelta | None = None, wait_s: float = 600, poll_s: float = 5) -> TeardownReport:
    """Remove everything tagged with ``run_id`` (one kernel), or ``session_id`` (every kernel of an ``mla lab``
    session), or every course resource created before now - ``older_than``; and the matching objects of the
    course bucket. Then verify, waiting up to ``wait_s`` for slow deletions."""
    if sum(x is not None for x in (run_id, session_id, older_than)) != 1:
        raise ValueError("teardown needs exactly one of run_id, session_id or older_than")
    cutoff, name_prefix = None, None
    if run_id is not None:
        tag_filter, prefix, name_prefix = {"Key": tags.RUN_ID, "Values": [run_id]}, f"runs/{run_id}/", f"mla-{run_id}-"
    elif session_id is not None:  # its kernels' run ids are <session>-<suffix>, so their prefixes share this one
        tag_filter, prefix = {"Key": tags.SESSION, "Values": [session_id]}, f"runs/{session_id}"
        name_prefix = f"mla-{session_id}-"
    else:
        tag_filter, prefix = {"Key": tags.COURSE, "Values": [tags.COURSE_NAME]}, "runs/"
        cutoff = dt.datetime.now(dt.UTC) - older_than
    report = TeardownReport()

    def selected(region: str, unchecked: list[str]) -> list[Found]:
        found = [f for f in discover(session, region, [tag_filter]) if _selected(f, cutoff)]
        if name_prefix:
            known = {(f.service, f.type, f.name) for f in found}
            found += [f for f in discover_by_name(session, region, name_prefix, unchecked)
                      if (f.service, f.type, f.name) not in known]
        return found

    for region in regions:
        s3 = session.client("s3", region_name=region)
        bucket = course_bucket(account_id, region)
        emptied = empty_prefix(s3, bucket, prefix, cutoff)
        if emptied:
            report.removed.append(f"s3 objects: {emptied} under s3://{bucket}/{prefix}")
        errors = _remove_until_gone(session, region, selected(region, report.unchecked), report,
                                    time.monotonic() + wait_s, poll_s)
        for found in verify(session, region, selected(region, [])):
            why = errors.get(found.arn) or ("no teardown step for this resource type; remove it by hand"
                                            if (found.service, found.type) not in STEPS else "still there")
            report.leftovers.append(f"{found.label}: {why}")
        if empty_prefix(s3, bucket, prefix, cutoff):
            report.leftovers.append(f"s3 objects under s3://{bucket}/{prefix} reappeared during teardown")
    return report


def _selected(found: Found, cutoff: dt.datetime | None) -> bool:
    if cutoff is None:
        return True
    created = found.tags.get(tags.CREATED_AT)
    return created is None or tags.parse_time(created) < cutoff


def _remove_until_gone(session, region, selected, report, deadline, poll_s) -> dict[str, str]:
    """Act on each resource in order, again and again until all are gone or time is up; return last errors."""
    pending = sorted((f for f in selected if (f.service, f.type) in STEPS), key=lambda f: STEPS[(f.service, f.type)][0])
    acted: set[str] = set()
    errors: dict[str, str] = {}
    while pending:
        still = []
        for found in pending:
            _, remove, alive = STEPS[(found.service, found.type)]
            client = session.client(found.service, region_name=region)
            try:
                if alive(client, found.name):
                    remove(client, found.name)
                    acted.add(found.arn)
                    if alive(client, found.name):
                        still.append(found)
                        continue
                if found.arn in acted:
                    report.removed.append(found.label)
            except ClientError as error:  # e.g. an endpoint still Creating, a pipeline still executing: retry
                errors[found.arn] = str(error)
                still.append(found)
        pending = still
        if pending and time.monotonic() < deadline:
            time.sleep(poll_s)
        elif pending:
            break
    return errors


def verify(session, region: str, found: list[Found]) -> list[Found]:
    """Look again: each resource that still exists or runs, and any of a type teardown cannot handle."""
    left = []
    for item in found:
        step = STEPS.get((item.service, item.type))
        if step is None or step[2](session.client(item.service, region_name=region), item.name):
            left.append(item)
    return left
