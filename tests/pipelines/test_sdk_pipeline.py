"""An SDK v3 pipeline (ProcessingStep, TrainingStep, PropertyFile + JsonGet, ConditionStep, ModelStep register,
FailStep) upserted and started with the SDK as on AWS: it really prepares data, trains XGBoost, evaluates it and
registers it only when the evaluation's r2 clears the Threshold parameter."""

import json
import uuid

import pytest
from pipeline_helpers import describe_job, sdk_pipeline, steps_by_name, wait_execution

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def pipeline(lab, scripts):
    name = f"t-{uuid.uuid4().hex[:10]}"
    group = f"{name}-models"
    lab.client("sagemaker").create_model_package_group(ModelPackageGroupName=group)
    built = sdk_pipeline(lab, name, group, scripts, cache=True)
    built.upsert(role_arn=lab.role_arn)
    built.sent_definition = built.definition()  # each call re-runs the SDK's job builders: a few seconds
    return built


@pytest.fixture(scope="module")
def first_run(pipeline, lab):
    execution = pipeline.start()
    return wait_execution(lab.client("sagemaker"), execution.arn)


def test_steps_run_in_dependency_order_and_the_model_is_registered(pipeline, first_run, lab):
    sagemaker = lab.client("sagemaker")
    arn = first_run["PipelineExecutionArn"]

    assert first_run["PipelineExecutionStatus"] == "Succeeded", steps_by_name(sagemaker, arn)
    steps = steps_by_name(sagemaker, arn)
    assert set(steps) == {"Prepare", "Train", "Evaluate", "CheckR2", "Register"}
    assert all(s["StepStatus"] == "Succeeded" for s in steps.values())
    for before, after in (("Prepare", "Train"), ("Train", "Evaluate"), ("Evaluate", "CheckR2"),
                          ("CheckR2", "Register")):
        assert steps[before]["EndTime"] <= steps[after]["StartTime"]
    assert steps["CheckR2"]["Metadata"] == {"Condition": {"Outcome": "True"}}

    training = describe_job(sagemaker, steps["Train"]["Metadata"]["TrainingJob"]["Arn"])
    prepare = describe_job(sagemaker, steps["Prepare"]["Metadata"]["ProcessingJob"]["Arn"])
    train_output = prepare["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    assert training["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == train_output
    assert train_output.endswith(f"/{arn.split('/')[-1]}/train")  # Join with ExecutionVariables.PIPELINE_EXECUTION_ID
    package = sagemaker.describe_model_package(ModelPackageName=steps["Register"]["Metadata"]["RegisterModel"]["Arn"])
    assert package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == \
        training["ModelArtifacts"]["S3ModelArtifacts"]
    assert package["ModelApprovalStatus"] == "PendingManualApproval"

    assert sagemaker.describe_pipeline(PipelineName=pipeline.name)["PipelineDefinition"] == pipeline.sent_definition
    assert sagemaker.describe_pipeline_definition_for_execution(PipelineExecutionArn=arn)["PipelineDefinition"] == \
        pipeline.sent_definition
    assert sagemaker.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)["PipelineParameters"] == [
        {"Name": "Rows", "Value": "200"}, {"Name": "Threshold", "Value": "0.5"}]


def test_below_threshold_the_condition_takes_the_fail_branch_and_cached_steps_are_reused(pipeline, first_run, lab):
    sagemaker = lab.client("sagemaker")
    first = steps_by_name(sagemaker, first_run["PipelineExecutionArn"])

    execution = pipeline.start(parameters={"Threshold": 2.0})  # r2 can never reach 2
    described = wait_execution(sagemaker, execution.arn)

    assert described["PipelineExecutionStatus"] == "Failed"
    assert described["FailureReason"] == "Step failure: One or multiple steps failed."
    steps = steps_by_name(sagemaker, execution.arn)
    assert set(steps) == {"Prepare", "Train", "Evaluate", "CheckR2", "TooWeak"}  # Register never ran
    assert steps["CheckR2"]["Metadata"] == {"Condition": {"Outcome": "False"}}
    assert steps["TooWeak"]["StepStatus"] == "Failed"
    assert steps["TooWeak"]["FailureReason"] == "r2 is below 2.0"
    assert steps["TooWeak"]["Metadata"] == {"Fail": {"ErrorMessage": "r2 is below 2.0"}}
    for cached in ("Prepare", "Train"):
        assert steps[cached]["CacheHitResult"] == {"SourcePipelineExecutionArn": first_run["PipelineExecutionArn"]}
        assert steps[cached]["Metadata"] == first[cached]["Metadata"]
    assert "CacheHitResult" not in steps["Evaluate"]  # no CacheConfig on this step: it ran again
    assert steps["Evaluate"]["Metadata"] != first["Evaluate"]["Metadata"]
    listed = sagemaker.list_pipeline_executions(PipelineName=pipeline.name)["PipelineExecutionSummaries"]
    assert [e["PipelineExecutionArn"] for e in listed] == [execution.arn, first_run["PipelineExecutionArn"]]
    assert listed[0]["PipelineExecutionFailureReason"] == described["FailureReason"]


def test_the_property_file_is_the_evaluation_jsonget_read(first_run, lab):
    sagemaker = lab.client("sagemaker")
    steps = steps_by_name(sagemaker, first_run["PipelineExecutionArn"])
    evaluation = describe_job(sagemaker, steps["Evaluate"]["Metadata"]["ProcessingJob"]["Arn"])
    uri = evaluation["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    bucket, key = uri[5:].split("/", 1)
    report = json.loads(lab.client("s3").get_object(Bucket=bucket, Key=f"{key}/evaluation.json")["Body"].read())
    assert 0.5 <= report["regression_metrics"]["r2"]["value"] <= 1
