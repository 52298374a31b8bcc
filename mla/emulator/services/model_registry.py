"""Model Registry on the local backend: moto's model packages, with what moto lacks or gets wrong.

- ``CreateModelPackage`` takes the group by name or ARN, numbers versions after the highest one (moto counts the
  group's packages, so a deleted version made the next one overwrite a live one).
- ``UpdateModelPackage`` changes only what the request names (moto erased the approval description and the
  customer metadata of every update) and merges ``CustomerMetadataProperties``.
- Every create and update emits the EventBridge event SageMaker emits, ``SageMaker Model Package State Change``
  from ``aws.sagemaker`` onto the account's default event bus, its ``detail`` the package's description
  (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html#eventbridge-model-package),
  so a rule matching ``"ModelApprovalStatus": ["Approved"]`` can start a deployment.
- ``DeleteModelPackage`` and ``DeleteModelPackageGroup``, so labs can clean up what they register.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

from moto.sagemaker.models import ModelPackage

from ..protocol import ServiceError, service_model
from ..registry import Context, handles

EVENT_SOURCE = "aws.sagemaker"
EVENT_DETAIL_TYPE = "SageMaker Model Package State Change"
_APPROVAL_STATUSES = service_model("sagemaker").shape_for("ModelApprovalStatus").enum
_NOT_IN_EVENT = ("CreatedBy", "LastModifiedBy")  # not in the documented event's detail

log = logging.getLogger(__name__)


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def _check_status(status: str | None) -> None:
    if status is not None and status not in _APPROVAL_STATUSES:
        raise _validation(f"Value '{status}' at 'modelApprovalStatus' failed to satisfy constraint: Member must "
                          f"satisfy enum value set: [{', '.join(_APPROVAL_STATUSES)}]")


def _package(backend, name_or_arn: str) -> ModelPackage:
    package = backend.model_packages.get(backend.model_package_name_mapping.get(name_or_arn, name_or_arn))
    if package is None:
        raise _validation(f"Model Package {name_or_arn} does not exist.")
    return package


def _group_name(backend, name_or_arn: str) -> str:
    name = name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn
    if name not in backend.model_package_groups:
        raise _validation(f"Model Package Group {name_or_arn} does not exist.")
    return name


@handles("sagemaker", "CreateModelPackage")
def create_model_package(params: dict, ctx: Context) -> dict:
    backend = ctx.moto_backend("sagemaker")
    name, group = params.get("ModelPackageName"), params.get("ModelPackageGroupName")
    if bool(name) == bool(group):
        raise _validation("Exactly one of ModelPackageName (an unversioned package) and ModelPackageGroupName "
                          "(a versioned package) must be given.")
    _check_status(params.get("ModelApprovalStatus"))
    version = None
    if group:
        group = _group_name(backend, group)
        version = 1 + max((p.model_package_version or 0 for p in backend.model_packages.values()
                           if p.model_package_group_name == group), default=0)
    package = ModelPackage(
        model_package_name=group or name, model_package_group_name=group, model_package_version=version,
        model_package_description=params.get("ModelPackageDescription"),
        inference_specification=params.get("InferenceSpecification"),
        source_algorithm_specification=params.get("SourceAlgorithmSpecification"),
        validation_specification=params.get("ValidationSpecification"),
        certify_for_marketplace=params.get("CertifyForMarketplace", False),
        model_approval_status=params.get("ModelApprovalStatus"),
        metadata_properties=params.get("MetadataProperties"), model_metrics=params.get("ModelMetrics"),
        approval_description=None, customer_metadata_properties=params.get("CustomerMetadataProperties"),
        drift_check_baselines=params.get("DriftCheckBaselines"), domain=params.get("Domain"),
        task=params.get("Task"), sample_payload_url=params.get("SamplePayloadUrl"),
        additional_inference_specifications=params.get("AdditionalInferenceSpecifications"),
        client_token=params.get("ClientToken"), region_name=ctx.region, account_id=ctx.account_id,
        model_package_type="Versioned" if group else "Unversioned", tags=params.get("Tags"))
    backend.model_packages[package.arn] = package
    backend.model_package_name_mapping[package.model_package_name] = package.arn
    backend.model_package_name_mapping[package.arn] = package.arn
    _emit_state_change(package, ctx)
    return {"ModelPackageArn": package.arn}


@handles("sagemaker", "UpdateModelPackage")
def update_model_package(params: dict, ctx: Context) -> dict:
    package = _package(ctx.moto_backend("sagemaker"), params["ModelPackageArn"])
    if "ModelApprovalStatus" in params:
        _check_status(params["ModelApprovalStatus"])
        package.model_approval_status = params["ModelApprovalStatus"]
    if "ApprovalDescription" in params:
        package.approval_description = params["ApprovalDescription"]
    if "CustomerMetadataProperties" in params:
        package.customer_metadata_properties = {**(package.customer_metadata_properties or {}),
                                                **params["CustomerMetadataProperties"]}
    for key in params.get("CustomerMetadataPropertiesToRemove", []):
        (package.customer_metadata_properties or {}).pop(key, None)
    if "InferenceSpecification" in params:
        package.inference_specification = params["InferenceSpecification"]
    package.add_additional_inference_specifications(params.get("AdditionalInferenceSpecificationsToAdd"))
    package.modifications_done()
    _emit_state_change(package, ctx)
    return {"ModelPackageArn": package.arn}


def state_change_event(package: ModelPackage) -> dict:
    """The ``PutEvents`` entry SageMaker sends for ``package``'s current state."""
    detail = {k: v for k, v in package.gen_response_object().items() if k not in _NOT_IN_EVENT}
    return {"Source": EVENT_SOURCE, "DetailType": EVENT_DETAIL_TYPE, "Resources": [package.arn],
            "Detail": json.dumps(detail, default=_iso_time), "Time": time.time()}


def _iso_time(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _emit_state_change(package: ModelPackage, ctx: Context) -> None:
    try:
        ctx.moto_backend("events").put_events([state_change_event(package)])
    except NotImplementedError as error:  # a target kind moto cannot deliver to; the API call itself succeeded
        log.warning("EventBridge could not deliver %s for %s: %s", EVENT_DETAIL_TYPE, package.arn, error)


@handles("sagemaker", "DeleteModelPackage")
def delete_model_package(params: dict, ctx: Context) -> dict:
    backend = ctx.moto_backend("sagemaker")
    arn = _package(backend, params["ModelPackageName"]).arn
    del backend.model_packages[arn]
    for key in [k for k, v in backend.model_package_name_mapping.items() if v == arn]:
        del backend.model_package_name_mapping[key]
    return {}


@handles("sagemaker", "DeleteModelPackageGroup")
def delete_model_package_group(params: dict, ctx: Context) -> dict:
    groups = ctx.moto_backend("sagemaker").model_package_groups
    name = params["ModelPackageGroupName"]
    key = next((k for k, group in groups.items() if name in (k, group.arn)), None)
    if key is None:
        raise ServiceError("ValidationException", f"Model Package Group {name} does not exist.", 400)
    del groups[key]
    return {}
