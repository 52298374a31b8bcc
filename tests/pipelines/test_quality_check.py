"""QualityCheck steps (the JSON SDK v3's QualityCheckStep with DataQualityCheckConfig writes) on the local Model
Monitor analyzer: a new baseline is calculated, a drifted dataset fails the check against a supplied baseline or the
DriftCheckBaselines of the latest approved model package, a dataset like the baseline passes."""

import io
import json
import uuid

import numpy as np
import pytest
from pipeline_helpers import steps_by_name, wait_execution

ROLE = "arn:aws:iam::123456789012:role/mla-course-sagemaker-execution"
ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"


def table(seed, shift=0.0, rows=400):
    rng = np.random.RandomState(seed)
    frame = io.StringIO()
    np.savetxt(frame, np.column_stack([rng.normal(shift, 1, rows), rng.uniform(0, 1, rows)]), delimiter=",",
               fmt="%.5f", header="income,score", comments="")
    return frame.getvalue()


def quality_check_step(dataset, output, skip_check, register_new_baseline, group, supplied=None):
    step = {"Name": "DataQuality", "Type": "QualityCheck", "Arguments": {
        "ProcessingInputs": [{"InputName": "baseline_dataset_input", "S3Input": {
            "S3Uri": dataset, "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
            "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        "ProcessingOutputConfig": {"Outputs": [{"OutputName": "quality_check_output", "S3Output": {
            "S3Uri": output, "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"}}]},
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge",
                                                  "VolumeSizeInGB": 30}},
        "AppSpecification": {"ImageUri": ANALYZER}, "RoleArn": ROLE,
        "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        "Environment": {"output_path": "/opt/ml/processing/output", "publish_cloudwatch_metrics": "Disabled",
                        "dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
                        "dataset_source": "/opt/ml/processing/input/baseline_dataset_input"}},
        "CheckType": "DATA_QUALITY", "ModelPackageGroupName": group, "SkipCheck": skip_check,
        "FailOnViolation": True, "RegisterNewBaseline": register_new_baseline}
    if supplied:
        step.update(SuppliedBaselineStatistics=supplied["CalculatedBaselineStatistics"],
                    SuppliedBaselineConstraints=supplied["CalculatedBaselineConstraints"])
    return step


@pytest.fixture
def data(aws, bucket):
    prefix = f"t-{uuid.uuid4().hex[:10]}"
    for name, text in (("baseline", table(0)), ("similar", table(1)), ("drifted", table(2, shift=4.0))):
        aws.s3.put_object(Bucket=bucket, Key=f"{prefix}/{name}/data.csv", Body=text)
    group = f"{prefix}-models"
    aws.sagemaker.create_model_package_group(ModelPackageGroupName=group)
    return lambda name: f"s3://{bucket}/{prefix}/{name}", group


def execute(aws, step, dataset_default):
    name = f"t-{uuid.uuid4().hex[:10]}"
    definition = {"Version": "2020-12-01", "Parameters": [
        {"Name": "Dataset", "Type": "String", "DefaultValue": dataset_default}], "Steps": [step]}
    aws.sagemaker.create_pipeline(PipelineName=name, RoleArn=ROLE, PipelineDefinition=json.dumps(definition))

    def start(dataset=None):
        overrides = [{"Name": "Dataset", "Value": dataset}] if dataset else []
        arn = aws.sagemaker.start_pipeline_execution(PipelineName=name, PipelineParameters=overrides)[
            "PipelineExecutionArn"]
        return wait_execution(aws.sagemaker, arn), steps_by_name(aws.sagemaker, arn)["DataQuality"]

    return start


def test_a_new_baseline_then_drift_checks_against_the_supplied_one(aws, data):
    uri, group = data
    first, step = execute(aws, quality_check_step(uri("baseline"), uri("calculated"), True, True, group),
                          uri("baseline"))()
    assert first["PipelineExecutionStatus"] == "Succeeded", step.get("FailureReason")
    calculated = step["Metadata"]["QualityCheck"]
    assert calculated["CalculatedBaselineConstraints"] == f"{uri('calculated')}/constraints.json"
    assert calculated["BaselineUsedForDriftCheckConstraints"] == calculated["CalculatedBaselineConstraints"]
    bucket, key = calculated["CalculatedBaselineConstraints"][5:].split("/", 1)
    constraints = json.loads(aws.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert {f["name"] for f in constraints["features"]} == {"income", "score"}

    check = execute(aws, quality_check_step({"Get": "Parameters.Dataset"}, uri("checked"), False, False, group,
                                            supplied=calculated), uri("similar"))
    similar, similar_step = check()
    drifted, drifted_step = check(uri("drifted"))

    assert similar["PipelineExecutionStatus"] == "Succeeded", similar_step.get("FailureReason")
    assert "ViolationReport" not in similar_step["Metadata"]["QualityCheck"]
    assert similar_step["Metadata"]["QualityCheck"]["BaselineUsedForDriftCheckConstraints"] == \
        calculated["CalculatedBaselineConstraints"]
    assert drifted["PipelineExecutionStatus"] == "Failed"
    assert drifted_step["StepStatus"] == "Failed"
    assert "income: baseline_drift_check" in drifted_step["FailureReason"]
    report_uri = drifted_step["Metadata"]["QualityCheck"]["ViolationReport"]
    bucket, key = report_uri[5:].split("/", 1)
    violations = json.loads(aws.s3.get_object(Bucket=bucket, Key=key)["Body"].read())["violations"]
    assert {(v["feature_name"], v["constraint_check_type"]) for v in violations} >= {("income", "baseline_drift_check")}
    assert "score" not in {v["feature_name"] for v in violations}


def test_the_check_uses_the_latest_approved_model_packages_drift_check_baselines(aws, data):
    uri, group = data
    execute(aws, quality_check_step(uri("baseline"), uri("calculated"), True, True, group), uri("baseline"))()
    check = execute(aws, quality_check_step({"Get": "Parameters.Dataset"}, uri("checked"), False, False, group),
                    uri("drifted"))

    without, step = check()
    assert without["PipelineExecutionStatus"] == "Failed"
    assert step["FailureReason"].startswith("No previous DATA_QUALITY baseline")

    baseline = {"Statistics": {"ContentType": "application/json", "S3Uri": f"{uri('calculated')}/statistics.json"},
                "Constraints": {"ContentType": "application/json", "S3Uri": f"{uri('calculated')}/constraints.json"}}
    aws.sagemaker.create_model_package(
        ModelPackageGroupName=group, ModelApprovalStatus="Approved", DriftCheckBaselines={"ModelDataQuality": baseline},
        InferenceSpecification={"Containers": [{"Image": ANALYZER}], "SupportedContentTypes": ["text/csv"],
                                "SupportedResponseMIMETypes": ["text/csv"]})
    with_registry, step = check()

    assert with_registry["PipelineExecutionStatus"] == "Failed"
    assert step["Metadata"]["QualityCheck"]["BaselineUsedForDriftCheckConstraints"] == baseline["Constraints"]["S3Uri"]
    assert "income: baseline_drift_check" in step["FailureReason"]
