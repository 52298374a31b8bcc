"""QualityCheck steps (``CheckType`` ``DATA_QUALITY`` or ``MODEL_QUALITY``, as SDK v3's ``QualityCheckStep`` writes
them): the step's processing job runs the Model Monitor analyzer image of the local backend on the dataset and
calculates a new baseline (``statistics.json``, ``constraints.json``); unless ``SkipCheck``, the same analyzer then
checks the dataset against the previous baseline and writes ``constraint_violations.json``, and violations fail the
step when ``FailOnViolation`` (the default).

The previous baseline is ``SuppliedBaselineStatistics``/``SuppliedBaselineConstraints`` if given, else the
``DriftCheckBaselines`` (``ModelDataQuality`` or ``ModelQuality``) of the latest approved model package of
``ModelPackageGroupName``; it must exist unless both ``SkipCheck`` and ``RegisterNewBaseline`` are true.
``BaselineUsedForDriftCheck*`` is the new baseline when ``RegisterNewBaseline``, else the previous one. As in
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_QualityCheckStepMetadata.html and
https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-steps.html.

Where this is local: a check runs as a second processing job (``CheckJobArn`` names it) beside the baselining job,
and the failure reason's wording is this backend's own.
"""

from __future__ import annotations

import copy
from pathlib import PurePosixPath

from . import expressions, steps
from .expressions import StepError

DRIFT_CHECK_MEMBERS = {"DATA_QUALITY": "ModelDataQuality", "MODEL_QUALITY": "ModelQuality"}
SETTINGS = ("CheckType", "ModelPackageGroupName", "SkipCheck", "FailOnViolation", "RegisterNewBaseline",
            "SuppliedBaselineStatistics", "SuppliedBaselineConstraints")
BASELINE_PATH = "/opt/ml/processing/baseline"


def run(step: steps.StepRun) -> steps.Outcome:
    settings = expressions.resolve({key: step.raw.get(key) for key in SETTINGS}, step.scope)
    check_type = settings["CheckType"]
    if check_type not in DRIFT_CHECK_MEMBERS:
        raise StepError(f"The local backend runs QualityCheck steps of CheckType {' or '.join(DRIFT_CHECK_MEMBERS)}, "
                        f"not {check_type}.")
    skip, register = _flag(settings["SkipCheck"]), _flag(settings["RegisterNewBaseline"])
    output = _output_uri(step.arguments)
    calculated = {"CalculatedBaselineStatistics": f"{output}/statistics.json",
                  "CalculatedBaselineConstraints": f"{output}/constraints.json"}
    previous = _previous_baseline(step, settings, DRIFT_CHECK_MEMBERS[check_type])
    if previous is None and not (skip and register):
        raise StepError(f"No previous {check_type} baseline: give SuppliedBaselineStatistics and "
                        "SuppliedBaselineConstraints or approve a model package with DriftCheckBaselines in "
                        f"{settings['ModelPackageGroupName']}, or run with SkipCheck and RegisterNewBaseline true.")
    metadata = {"CheckType": check_type, "SkipCheck": skip, "RegisterNewBaseline": register, **calculated}
    if settings["ModelPackageGroupName"]:
        metadata["ModelPackageGroupName"] = settings["ModelPackageGroupName"]
    used = calculated if register else previous
    metadata.update(BaselineUsedForDriftCheckStatistics=used["CalculatedBaselineStatistics"],
                    BaselineUsedForDriftCheckConstraints=used["CalculatedBaselineConstraints"])

    def metadata_for(arn: str) -> dict:
        metadata["CheckJobArn"] = arn
        return {"QualityCheck": dict(metadata)}

    steps.run_job(step, steps.JOB_KINDS["Processing"], step.arguments, metadata_for)
    if not skip:
        report_folder = f"{output}/drift-check"
        steps.run_job(step, steps.JOB_KINDS["Processing"], _check_request(step.arguments, previous, report_folder),
                      metadata_for)
        report = f"{report_folder}/constraint_violations.json"
        violations = step.scope.read_json_uri(report).get("violations") or []
        if violations:
            metadata["ViolationReport"] = report
            if settings["FailOnViolation"] is None or _flag(settings["FailOnViolation"]):
                checks = sorted({f"{v.get('feature_name', v.get('metric_name', '?'))}: {v.get('constraint_check_type')}"
                                 for v in violations})
                raise StepError(f"ClientError: {check_type} check found {len(violations)} violation(s) of the "
                                f"baseline constraints ({'; '.join(checks)}), see {report}", {"QualityCheck": metadata})
    return steps.Outcome(dict(metadata), {"QualityCheck": metadata})


def _flag(value) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _output_uri(arguments: dict) -> str:
    outputs = (arguments.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    if len(outputs) != 1 or "S3Output" not in outputs[0]:
        raise StepError("A QualityCheck step's processing request needs exactly one S3 output.")
    return outputs[0]["S3Output"]["S3Uri"].rstrip("/")


def _previous_baseline(step: steps.StepRun, settings: dict, member: str) -> dict | None:
    """The previous baseline's statistics and constraints URIs, keyed like the calculated ones."""
    if settings["SuppliedBaselineConstraints"]:
        return {"CalculatedBaselineStatistics": settings["SuppliedBaselineStatistics"],
                "CalculatedBaselineConstraints": settings["SuppliedBaselineConstraints"]}
    group = settings["ModelPackageGroupName"]
    if not group:
        return None
    packages = steps.call(step, "list_model_packages", ModelPackageGroupName=group, MaxResults=100)
    approved = sorted((p for p in packages["ModelPackageSummaryList"] if p.get("ModelApprovalStatus") == "Approved"),
                      key=lambda p: p["CreationTime"], reverse=True)
    for package in approved:
        described = steps.call(step, "describe_model_package", ModelPackageName=package["ModelPackageArn"])
        baseline = (described.get("DriftCheckBaselines") or {}).get(member) or {}
        if baseline.get("Constraints"):
            return {"CalculatedBaselineStatistics": (baseline.get("Statistics") or {}).get("S3Uri"),
                    "CalculatedBaselineConstraints": baseline["Constraints"]["S3Uri"]}
    return None


def _check_request(arguments: dict, baseline: dict, report_folder: str) -> dict:
    """The baselining request turned into a check against ``baseline``: its files as inputs, the analyzer told where
    they are (``baseline_statistics``, ``baseline_constraints``), the report written under ``report_folder``."""
    request = copy.deepcopy(arguments)
    environment = request.setdefault("Environment", {})
    for kind, key in (("statistics", "CalculatedBaselineStatistics"), ("constraints", "CalculatedBaselineConstraints")):
        uri = baseline[key]
        if not uri:
            continue
        folder = f"{BASELINE_PATH}/{kind}"
        request.setdefault("ProcessingInputs", []).append({"InputName": f"baseline_{kind}", "S3Input": {
            "S3Uri": uri, "LocalPath": folder, "S3DataType": "S3Prefix", "S3InputMode": "File"}})
        environment[f"baseline_{kind}"] = f"{folder}/{PurePosixPath(uri).name}"
    request["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] = report_folder
    return request
