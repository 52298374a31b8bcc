"""Shared pieces of the pipeline tests (and of bench/pipeline_bench.py): tiny seeded scripts, the SDK v3 pipeline
that prepares data, trains XGBoost, evaluates it and registers it only if it is good enough, and waiting."""

import textwrap
import time
from pathlib import Path

PREPARE = """
    import argparse, os
    import numpy as np
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--fail", default="no")
    args = parser.parse_args()
    if args.fail == "yes":
        raise ValueError("no rows to prepare")
    rng = np.random.RandomState(0)
    x = rng.rand(args.rows, 3)
    y = 3 * x[:, 0] - 2 * x[:, 1] + 0.05 * rng.rand(args.rows)
    table = np.column_stack([y, x])  # built-in XGBoost reads CSV with the label first and no header
    cut = int(0.8 * args.rows)
    for split, rows in (("train", table[:cut]), ("test", table[cut:])):
        os.makedirs(f"/opt/ml/processing/{split}", exist_ok=True)
        np.savetxt(f"/opt/ml/processing/{split}/{split}.csv", rows, delimiter=",", fmt="%.6f")
    print(f"prepared {args.rows} rows")
"""

EVALUATE = """
    import json, os, tarfile
    import numpy as np
    import xgboost as xgb
    with tarfile.open("/opt/ml/processing/model/model.tar.gz") as tar:
        tar.extractall("/opt/ml/processing/model", filter="data")
    booster = xgb.Booster()
    booster.load_model(bytearray(open("/opt/ml/processing/model/xgboost-model", "rb").read()))
    test = np.loadtxt("/opt/ml/processing/test/test.csv", delimiter=",")
    predicted = booster.predict(xgb.DMatrix(test[:, 1:]))
    residual = ((test[:, 0] - predicted) ** 2).sum()
    r2 = 1 - residual / ((test[:, 0] - test[:, 0].mean()) ** 2).sum()
    os.makedirs("/opt/ml/processing/evaluation", exist_ok=True)
    with open("/opt/ml/processing/evaluation/evaluation.json", "w") as out:
        json.dump({"regression_metrics": {"r2": {"value": float(r2)}}}, out)
    print(f"r2={r2:.4f}")
"""


def write_scripts(folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, text in (("prepare.py", PREPARE), ("evaluate.py", EVALUATE)):
        (folder / name).write_text(textwrap.dedent(text))
        paths[name] = str(folder / name)
    return paths


def sdk_pipeline(lab, name: str, group: str, scripts: dict[str, str], cache: bool = False):
    """Prepare → Train (built-in XGBoost) → Evaluate → CheckR2: Register if r2 >= Threshold, else Fail."""
    from sagemaker.core import image_uris
    from sagemaker.core.processing import ScriptProcessor
    from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
    from sagemaker.core.training.configs import Compute, InputData
    from sagemaker.core.workflow.conditions import ConditionGreaterThanOrEqualTo
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join, JsonGet
    from sagemaker.core.workflow.parameters import ParameterFloat, ParameterInteger
    from sagemaker.core.workflow.pipeline_context import PipelineSession
    from sagemaker.core.workflow.properties import PropertyFile
    from sagemaker.mlops.workflow.condition_step import ConditionStep
    from sagemaker.mlops.workflow.fail_step import FailStep
    from sagemaker.mlops.workflow.model_step import ModelStep
    from sagemaker.mlops.workflow.pipeline import Pipeline
    from sagemaker.mlops.workflow.steps import CacheConfig, ProcessingStep, TrainingStep
    from sagemaker.serve.model_builder import ModelBuilder
    from sagemaker.train import ModelTrainer

    session = PipelineSession(boto_session=lab.boto_session, default_bucket=lab.bucket,
                              default_bucket_prefix=lab.prefix)
    rows = ParameterInteger(name="Rows", default_value=200)
    threshold = ParameterFloat(name="Threshold", default_value=0.5)
    cache_config = CacheConfig(enable_caching=True, expire_after="PT1H") if cache else None
    sklearn = image_uris.retrieve("sklearn", lab.region, "1.2-1")
    xgboost = image_uris.retrieve("xgboost", lab.region, "1.7-1")
    processor = ScriptProcessor(image_uri=sklearn, command=["python3"], role=lab.role_arn,
                                instance_type="ml.m5.large", instance_count=1, sagemaker_session=session)

    def output(output_name, local_path):
        uri = Join(on="/", values=[lab.s3_uri(name), ExecutionVariables.PIPELINE_EXECUTION_ID, output_name])
        return ProcessingOutput(output_name=output_name, s3_output=ProcessingS3Output(
            s3_uri=uri, local_path=local_path, s3_upload_mode="EndOfJob"))

    def input_(input_name, uri, local_path):
        return ProcessingInput(input_name=input_name, s3_input=ProcessingS3Input(
            s3_uri=uri, local_path=local_path, s3_data_type="S3Prefix", s3_input_mode="File"))

    prepare = ProcessingStep(name="Prepare", cache_config=cache_config, step_args=processor.run(
        code=scripts["prepare.py"], arguments=["--rows", rows.to_string()],
        outputs=[output("train", "/opt/ml/processing/train"), output("test", "/opt/ml/processing/test")]))
    trainer = ModelTrainer(training_image=xgboost, role=lab.role_arn, sagemaker_session=session,
                           base_job_name=f"{name}-train", compute=Compute(instance_type="ml.m5.large", instance_count=1),
                           hyperparameters={"num_round": "30", "max_depth": "3", "eta": "0.3",
                                            "objective": "reg:squarederror"})
    train = TrainingStep(name="Train", cache_config=cache_config, step_args=trainer.train(input_data_config=[
        InputData(channel_name="train", content_type="text/csv",
                  data_source=prepare.properties.ProcessingOutputConfig.Outputs["train"].S3Output.S3Uri)]))
    report = PropertyFile(name="EvaluationReport", output_name="evaluation", path="evaluation.json")
    evaluate = ProcessingStep(name="Evaluate", property_files=[report], step_args=processor.run(
        code=scripts["evaluate.py"],
        inputs=[input_("model", train.properties.ModelArtifacts.S3ModelArtifacts, "/opt/ml/processing/model"),
                input_("test", prepare.properties.ProcessingOutputConfig.Outputs["test"].S3Output.S3Uri,
                       "/opt/ml/processing/test")],
        outputs=[output("evaluation", "/opt/ml/processing/evaluation")]))
    builder = ModelBuilder(s3_model_data_url=train.properties.ModelArtifacts.S3ModelArtifacts, image_uri=xgboost,
                           role_arn=lab.role_arn, sagemaker_session=session)
    register = ModelStep(name="Register", step_args=builder.register(
        model_package_group_name=group, content_types=["text/csv"], response_types=["text/csv"],
        inference_instances=["ml.m5.large"], transform_instances=["ml.m5.large"],
        approval_status="PendingManualApproval"))
    r2 = JsonGet(step_name=evaluate.name, property_file=report, json_path="regression_metrics.r2.value")
    too_weak = FailStep(name="TooWeak", error_message=Join(on=" ", values=["r2 is below", threshold]))
    check = ConditionStep(name="CheckR2", conditions=[ConditionGreaterThanOrEqualTo(left=r2, right=threshold)],
                          if_steps=[register], else_steps=[too_weak])
    return Pipeline(name=name, parameters=[rows, threshold], steps=[prepare, train, evaluate, check],
                    sagemaker_session=session)


def wait_execution(sagemaker, arn: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        described = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
        if described["PipelineExecutionStatus"] not in ("Executing", "Stopping"):
            return described
        assert time.monotonic() < deadline, f"still {described['PipelineExecutionStatus']} after {timeout} s"
        time.sleep(0.1)


def steps_by_name(sagemaker, arn: str) -> dict[str, dict]:
    listed = sagemaker.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    return {step["StepName"]: step for step in listed}


def describe_job(sagemaker, arn: str) -> dict:
    """The Describe*Job response of a job a step's Metadata names (ARNs hold the job name in lower case)."""
    kind = arn.split(":")[5].split("/")[0]
    noun = {"training-job": "training_job", "processing-job": "processing_job", "transform-job": "transform_job"}[kind]
    title = "".join(word.title() for word in noun.split("_"))
    summaries = getattr(sagemaker, f"list_{noun}s")(NameContains=arn.split("/")[-1].split("-")[1],
                                                    MaxResults=100)[f"{title}Summaries"]
    name = next(s[f"{title}Name"] for s in summaries if s[f"{title}Arn"] == arn)
    return getattr(sagemaker, f"describe_{noun}")(**{f"{title}Name": name})
