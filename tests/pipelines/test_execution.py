"""Pipeline executions through boto3, with definitions written by hand in the exact JSON SDK v3 produces (see
test_sdk_pipeline.py for the SDK itself): dependency order, failures, parameters, caching, stop, retry, model and
transform steps, and the errors of bad requests."""

import json
import textwrap
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from pipeline_helpers import PREPARE, describe_job, steps_by_name, wait_execution
from sagemaker.core import image_uris

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/mla-course-sagemaker-execution"
SKLEARN = image_uris.retrieve("sklearn", REGION, "1.2-1")
XGBOOST = image_uris.retrieve("xgboost", REGION, "1.7-1")


@pytest.fixture
def run(aws, bucket):
    """Uploads the scripts, then ``run(steps, parameters=..., overrides=...)`` creates a pipeline and waits for
    one execution of it; returns (pipeline name, execution description, steps by name)."""
    prefix = f"t-{uuid.uuid4().hex[:10]}"
    aws.s3.put_object(Bucket=bucket, Key=f"{prefix}/code/prepare.py", Body=textwrap.dedent(PREPARE))
    aws.s3.put_object(Bucket=bucket, Key=f"{prefix}/code/sleep.py", Body="import time\ntime.sleep(60)\n")

    def start(steps, parameters=(), overrides=None, name=None):
        if name is None:
            name = f"{prefix}-{uuid.uuid4().hex[:6]}"
            aws.sagemaker.create_pipeline(PipelineName=name, RoleArn=ROLE, PipelineDefinition=json.dumps(
                {"Version": "2020-12-01", "Metadata": {}, "Parameters": list(parameters), "Steps": steps}))
        arn = aws.sagemaker.start_pipeline_execution(
            PipelineName=name, PipelineParameters=[{"Name": k, "Value": v} for k, v in (overrides or {}).items()]
        )["PipelineExecutionArn"]
        return name, wait_execution(aws.sagemaker, arn), steps_by_name(aws.sagemaker, arn)

    start.bucket, start.prefix = bucket, prefix
    return start


def processing_step(run, name, script, arguments=(), outputs=(), inputs=(), **extra):
    """A Processing step as ``ProcessingStep(step_args=ScriptProcessor(...).run(...))`` writes it."""
    return {"Name": name, "Type": "Processing", "Arguments": {
        "ProcessingResources": {"ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                                                  "VolumeSizeInGB": 30}},
        "AppSpecification": {"ImageUri": SKLEARN, **({"ContainerArguments": list(arguments)} if arguments else {}),
                             "ContainerEntrypoint": ["python3", f"/opt/ml/processing/input/code/{script}"]},
        "RoleArn": ROLE,
        "ProcessingInputs": [*inputs, {"InputName": "code", "S3Input": {
            "S3Uri": f"s3://{run.bucket}/{run.prefix}/code/{script}", "LocalPath": "/opt/ml/processing/input/code",
            "S3DataType": "S3Prefix", "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated",
            "S3CompressionType": "None"}}],
        "ProcessingOutputConfig": {"Outputs": [
            {"OutputName": output, "S3Output": {
                "S3Uri": {"Std:Join": {"On": "/", "Values": [f"s3://{run.bucket}/{run.prefix}",
                                                             {"Get": "Execution.PipelineExecutionId"}, output]}},
                "LocalPath": f"/opt/ml/processing/{output}", "S3UploadMode": "EndOfJob"}} for output in outputs]}},
        **extra}


def prepare_step(run, rows=None, fail="no", **extra):
    arguments = ["--rows", {"Std:Join": {"On": "", "Values": [{"Get": "Parameters.Rows"}]}}] if rows else []
    return processing_step(run, "Prepare", "prepare.py", [*arguments, "--fail", fail], ("train", "test"), **extra)


def training_step(run):
    return {"Name": "Train", "Type": "Training", "Arguments": {
        "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": XGBOOST},
        "HyperParameters": {"num_round": "20", "max_depth": "3", "objective": "reg:squarederror"},
        "InputDataConfig": [{"ChannelName": "train", "ContentType": "text/csv", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated",
            "S3Uri": {"Get": "Steps.Prepare.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"}}}}],
        "OutputDataConfig": {"S3OutputPath": f"s3://{run.bucket}/{run.prefix}/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "RoleArn": ROLE, "StoppingCondition": {"MaxRuntimeInSeconds": 600}}}


def register_step(group):
    return {"Name": "Register", "Type": "RegisterModel", "Arguments": {
        "ModelPackageGroupName": group, "ModelApprovalStatus": "PendingManualApproval",
        "InferenceSpecification": {"Containers": [{"Image": XGBOOST, "ModelDataUrl": {
            "Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}}}


ROWS = {"Name": "Rows", "Type": "Integer", "DefaultValue": 200}


def csv_rows(aws, uri):
    bucket, key = uri[5:].split("/", 1)
    return len(aws.s3.get_object(Bucket=bucket, Key=f"{key}/train.csv")["Body"].read().decode().splitlines())


def test_processing_training_register_run_in_order_on_each_others_outputs(aws, run):
    group = f"{run.prefix}-models"
    aws.sagemaker.create_model_package_group(ModelPackageGroupName=group)

    # listed in reverse: the order comes from the data dependencies, not from the list
    _, execution, steps = run([register_step(group), training_step(run), prepare_step(run)])

    assert execution["PipelineExecutionStatus"] == "Succeeded", steps
    assert steps["Prepare"]["EndTime"] <= steps["Train"]["StartTime"]
    assert steps["Train"]["EndTime"] <= steps["Register"]["StartTime"]
    prepared = describe_job(aws.sagemaker, steps["Prepare"]["Metadata"]["ProcessingJob"]["Arn"])
    trained = describe_job(aws.sagemaker, steps["Train"]["Metadata"]["TrainingJob"]["Arn"])
    assert trained["TrainingJobStatus"] == "Completed"
    assert trained["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == \
        prepared["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    package = aws.sagemaker.describe_model_package(
        ModelPackageName=steps["Register"]["Metadata"]["RegisterModel"]["Arn"])
    assert package["ModelPackageGroupName"] == group
    assert package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == \
        trained["ModelArtifacts"]["S3ModelArtifacts"]


def test_a_failing_step_fails_the_execution_and_what_depends_on_it_never_runs(aws, run):
    group = f"{run.prefix}-models"
    aws.sagemaker.create_model_package_group(ModelPackageGroupName=group)

    _, execution, steps = run([prepare_step(run, fail="yes"), training_step(run), register_step(group)])

    assert execution["PipelineExecutionStatus"] == "Failed"
    assert execution["FailureReason"] == "Step failure: One or multiple steps failed."
    assert list(steps) == ["Prepare"]
    assert steps["Prepare"]["StepStatus"] == "Failed"
    assert steps["Prepare"]["FailureReason"].startswith("AlgorithmError: ")
    assert "ValueError: no rows to prepare" in steps["Prepare"]["FailureReason"]
    assert describe_job(aws.sagemaker, steps["Prepare"]["Metadata"]["ProcessingJob"]["Arn"])[
        "ProcessingJobStatus"] == "Failed"
    execution_id = execution["PipelineExecutionArn"].split("/")[-1]
    assert aws.sagemaker.list_training_jobs(NameContains=execution_id)["TrainingJobSummaries"] == []
    assert aws.sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"] == []


def test_parameters_override_defaults_and_a_cached_step_is_reused_only_while_its_inputs_match(aws, run):
    step = prepare_step(run, rows=True, CacheConfig={"Enabled": True, "ExpireAfter": "PT1H"})
    name, first, first_steps = run([step], parameters=[ROWS])
    _, smaller, smaller_steps = run([], overrides={"Rows": "50"}, name=name)
    _, again, again_steps = run([], name=name)

    assert [e["PipelineExecutionStatus"] for e in (first, smaller, again)] == ["Succeeded"] * 3
    for execution, rows in ((first, 160), (smaller, 40)):  # 80 % of the rows go to train.csv
        job = describe_job(aws.sagemaker, steps_by_name(aws.sagemaker, execution["PipelineExecutionArn"])[
            "Prepare"]["Metadata"]["ProcessingJob"]["Arn"])
        assert csv_rows(aws, job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]) == rows
    assert aws.sagemaker.list_pipeline_parameters_for_execution(
        PipelineExecutionArn=smaller["PipelineExecutionArn"])["PipelineParameters"] == [{"Name": "Rows", "Value": "50"}]
    assert "CacheHitResult" not in first_steps["Prepare"] and "CacheHitResult" not in smaller_steps["Prepare"]
    assert again_steps["Prepare"]["CacheHitResult"] == {"SourcePipelineExecutionArn": first["PipelineExecutionArn"]}
    assert again_steps["Prepare"]["Metadata"] == first_steps["Prepare"]["Metadata"]


def test_a_model_step_and_a_transform_step_use_the_trained_model(aws, run):
    model = {"Name": "CreateModel", "Type": "Model", "Arguments": {
        "ExecutionRoleArn": ROLE, "PrimaryContainer": {
            "Image": XGBOOST, "ModelDataUrl": {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}}}}
    transform = {"Name": "Score", "Type": "Transform", "Arguments": {
        "ModelName": {"Get": "Steps.CreateModel.ModelName"},
        "TransformInput": {"ContentType": "text/csv", "SplitType": "Line", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": f"s3://{run.bucket}/{run.prefix}/score"}}},
        "TransformOutput": {"S3OutputPath": f"s3://{run.bucket}/{run.prefix}/scored", "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}}
    aws.s3.put_object(Bucket=run.bucket, Key=f"{run.prefix}/score/rows.csv", Body="0.9,0.1,0.5\n0.1,0.9,0.5\n")

    _, execution, steps = run([prepare_step(run), training_step(run), model, transform])

    assert execution["PipelineExecutionStatus"] == "Succeeded", steps
    model_name = steps["CreateModel"]["Metadata"]["Model"]["Arn"].split("/")[-1]
    assert aws.sagemaker.describe_model(ModelName=model_name)["PrimaryContainer"]["ModelDataUrl"].endswith(
        "/output/model.tar.gz")
    assert steps["Score"]["Metadata"]["TransformJob"]["Arn"]
    scored = aws.s3.get_object(Bucket=run.bucket, Key=f"{run.prefix}/scored/rows.csv.out")["Body"].read().decode()
    high, low = (float(line) for line in scored.split())
    assert high > 1.5 > low  # y = 3 x0 - 2 x1: the first row scores about 2.5, the second about -1.5


def test_stop_pipeline_execution_stops_the_running_job(aws, run):
    name = f"{run.prefix}-stop"
    aws.sagemaker.create_pipeline(PipelineName=name, RoleArn=ROLE, PipelineDefinition=json.dumps(
        {"Version": "2020-12-01", "Parameters": [], "Steps": [processing_step(run, "Sleep", "sleep.py")]}))
    arn = aws.sagemaker.start_pipeline_execution(PipelineName=name)["PipelineExecutionArn"]
    deadline = time.monotonic() + 30
    while "Metadata" not in steps_by_name(aws.sagemaker, arn).get("Sleep", {}):
        assert time.monotonic() < deadline
        time.sleep(0.05)

    aws.sagemaker.stop_pipeline_execution(PipelineExecutionArn=arn)

    assert aws.sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"] in (
        "Stopping", "Stopped")
    assert wait_execution(aws.sagemaker, arn, timeout=30)["PipelineExecutionStatus"] == "Stopped"
    step = steps_by_name(aws.sagemaker, arn)["Sleep"]
    assert step["StepStatus"] == "Stopped"
    assert describe_job(aws.sagemaker, step["Metadata"]["ProcessingJob"]["Arn"])["ProcessingJobStatus"] == "Stopped"
    with pytest.raises(ClientError) as error:
        aws.sagemaker.stop_pipeline_execution(PipelineExecutionArn=arn)
    assert error.value.response["Error"]["Code"] == "ConflictException"


def test_retry_runs_the_failed_step_again_once_its_input_exists(aws, run):
    raw = {"InputName": "raw", "S3Input": {"S3Uri": f"s3://{run.bucket}/{run.prefix}/raw", "S3DataType": "S3Prefix",
                                           "LocalPath": "/opt/ml/processing/raw", "S3InputMode": "File"}}
    _, failed, steps = run([prepare_step(run),
                            processing_step(run, "Copy", "prepare.py", inputs=[raw], DependsOn=["Prepare"])])
    assert failed["PipelineExecutionStatus"] == "Failed"
    assert "No S3 objects found" in steps["Copy"]["FailureReason"]

    aws.s3.put_object(Bucket=run.bucket, Key=f"{run.prefix}/raw/rows.csv", Body="1\n")
    arn = aws.sagemaker.retry_pipeline_execution(PipelineExecutionArn=failed["PipelineExecutionArn"])[
        "PipelineExecutionArn"]

    assert wait_execution(aws.sagemaker, arn)["PipelineExecutionStatus"] == "Succeeded"
    retried = steps_by_name(aws.sagemaker, arn)
    assert (retried["Copy"]["StepStatus"], retried["Copy"]["AttemptCount"]) == ("Succeeded", 2)
    assert retried["Prepare"] == steps["Prepare"]  # kept, not run again


@pytest.mark.parametrize("steps, message", [
    ([{"Name": "A", "Type": "Processing", "Arguments": {}, "DependsOn": ["Missing"]}], "not in the pipeline"),
    ([{"Name": "A", "Type": "Fail", "Arguments": {}, "DependsOn": ["B"]},
      {"Name": "B", "Type": "Fail", "Arguments": {}, "DependsOn": ["A"]}], "cycle"),
    ([{"Name": "A", "Type": "Lambda", "Arguments": {}}], "not Lambda"),
])
def test_a_definition_the_service_would_reject_is_a_validation_error(aws, name, steps, message):
    with pytest.raises(ClientError) as error:
        aws.sagemaker.create_pipeline(PipelineName=name, RoleArn=ROLE, PipelineDefinition=json.dumps(
            {"Version": "2020-12-01", "Steps": steps}))
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert message in error.value.response["Error"]["Message"]


def test_unknown_pipelines_parameters_and_executions_are_refused(aws, name):
    definition = {"Version": "2020-12-01", "Parameters": [ROWS], "Steps": [
        {"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "stop here"}}]}
    aws.sagemaker.create_pipeline(PipelineName=name, RoleArn=ROLE, PipelineDefinition=json.dumps(definition))
    for call, kwargs, code in (
            (aws.sagemaker.start_pipeline_execution, {"PipelineName": f"{name}-missing"}, "ResourceNotFound"),
            (aws.sagemaker.describe_pipeline, {"PipelineName": f"{name}-missing"}, "ResourceNotFound"),
            (aws.sagemaker.start_pipeline_execution,
             {"PipelineName": name, "PipelineParameters": [{"Name": "Nope", "Value": "1"}]}, "ValidationException"),
            (aws.sagemaker.start_pipeline_execution,
             {"PipelineName": name, "PipelineParameters": [{"Name": "Rows", "Value": "many"}]}, "ValidationException"),
            (aws.sagemaker.describe_pipeline_execution,
             {"PipelineExecutionArn": f"arn:aws:sagemaker:{REGION}:123456789012:pipeline/{name}/execution/x"},
             "ResourceNotFound")):
        with pytest.raises(ClientError) as error:
            call(**kwargs)
        assert error.value.response["Error"]["Code"] == code, kwargs
    with pytest.raises(ClientError) as error:
        aws.sagemaker.create_pipeline(PipelineName=name, RoleArn=ROLE, PipelineDefinition=json.dumps(definition))
    assert "already exists" in error.value.response["Error"]["Message"]


def test_a_tuning_steps_best_job_feeds_a_model_step(aws, run):
    tune = {"Name": "Tune", "Type": "Tuning", "Arguments": {
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random", "ResourceLimits": {"MaxNumberOfTrainingJobs": 3, "MaxParallelTrainingJobs": 3},
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "train:rmse"},
            "ParameterRanges": {"IntegerParameterRanges": [{"Name": "num_round", "MinValue": "2", "MaxValue": "30"}]}},
        "TrainingJobDefinition": {
            **{k: v for k, v in training_step(run)["Arguments"].items() if k != "HyperParameters"},
            "StaticHyperParameters": {"max_depth": "3", "objective": "reg:squarederror"}}}}
    best = {"Std:Join": {"On": "/", "Values": [f"s3://{run.bucket}/{run.prefix}/models",
                                               {"Get": "Steps.Tune.TrainingJobSummaries[0].TrainingJobName"},
                                               "output/model.tar.gz"]}}
    model = {"Name": "BestModel", "Type": "Model", "Arguments": {
        "ExecutionRoleArn": ROLE, "PrimaryContainer": {"Image": XGBOOST, "ModelDataUrl": best}}}

    _, execution, steps = run([prepare_step(run), tune, model])

    assert execution["PipelineExecutionStatus"] == "Succeeded", steps
    tuning_name = next(s["HyperParameterTuningJobName"] for s in aws.sagemaker.list_hyper_parameter_tuning_jobs(
        MaxResults=100)["HyperParameterTuningJobSummaries"]
        if s["HyperParameterTuningJobArn"] == steps["Tune"]["Metadata"]["TuningJob"]["Arn"])
    tuning = aws.sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuning_name)
    best_job = tuning["BestTrainingJob"]["TrainingJobName"]
    model_name = steps["BestModel"]["Metadata"]["Model"]["Arn"].split("/")[-1]
    assert aws.sagemaker.describe_model(ModelName=model_name)["PrimaryContainer"]["ModelDataUrl"] == \
        f"s3://{run.bucket}/{run.prefix}/models/{best_job}/output/model.tar.gz"


def test_only_the_chosen_branch_runs_and_its_steps_can_depend_on_each_other(aws, run):
    mode = {"Get": "Parameters.Mode"}
    copy = processing_step(run, "Copy", "prepare.py", inputs=[{"InputName": "train", "S3Input": {
        "S3Uri": {"Get": "Steps.Prepare.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"},
        "LocalPath": "/opt/ml/processing/input/train", "S3DataType": "S3Prefix", "S3InputMode": "File"}}])
    check = {"Name": "CheckMode", "Type": "Condition", "Arguments": {
        "Conditions": [{"Type": "Or", "Conditions": [
            {"Type": "In", "QueryValue": mode, "Values": ["train", "retrain"]},
            {"Type": "Not", "Condition": {"Type": "Equals", "LeftValue": 1, "RightValue": 1}}]}],
        "IfSteps": [prepare_step(run), copy],
        "ElseSteps": [{"Name": "Skipped", "Type": "Fail", "Arguments": {"ErrorMessage": {
            "Std:Join": {"On": " ", "Values": ["mode", mode, "trains nothing"]}}}}]}}

    name, trained, trained_steps = run([check], parameters=[{"Name": "Mode", "Type": "String",
                                                             "DefaultValue": "retrain"}])
    _, skipped, skipped_steps = run([], overrides={"Mode": "dry-run"}, name=name)

    assert trained["PipelineExecutionStatus"] == "Succeeded", trained_steps
    assert set(trained_steps) == {"CheckMode", "Prepare", "Copy"}
    assert trained_steps["Prepare"]["EndTime"] <= trained_steps["Copy"]["StartTime"]
    assert skipped["PipelineExecutionStatus"] == "Failed"
    assert set(skipped_steps) == {"CheckMode", "Skipped"}
    assert skipped_steps["CheckMode"]["Metadata"] == {"Condition": {"Outcome": "False"}}
    assert skipped_steps["Skipped"]["FailureReason"] == "mode dry-run trains nothing"
