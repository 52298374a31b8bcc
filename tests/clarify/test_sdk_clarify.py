"""SDK v3 ``SageMakerClarifyProcessor`` runs on the local backend with the same code as on AWS."""

import json

import pytest
from clarify_helpers import FEATURES, HEADERS, loans, put_dataset, put_model, scores, train, wait_job

from mla.clarify import bias
from mla.lab import start

pytestmark = pytest.mark.usefixtures("clean_environ")


class LabClients:
    def __init__(self, lab):
        self.s3, self.sagemaker = lab.client("s3"), lab.client("sagemaker")


def test_clarify_processor_runs_bias_and_explainability():
    from sagemaker.core.clarify import (
        BiasConfig,
        DataConfig,
        ModelConfig,
        ModelPredictedLabelConfig,
        SageMakerClarifyProcessor,
        SHAPConfig,
    )

    lab = start("local")
    aws = LabClients(lab)
    frame = loans(seed=2)
    booster = train(frame)
    model_name = put_model(aws, lab.bucket, lab.name("clarify-model"), booster)
    data_uri = put_dataset(aws, lab.bucket, f"{lab.prefix}/clarify/loans.csv", frame)
    output_uri = lab.s3_uri("clarify/output")

    processor = SageMakerClarifyProcessor(role=lab.role_arn, instance_count=1, instance_type="ml.m5.large",
                                          sagemaker_session=lab.session)
    processor.run_bias_and_explainability(
        data_config=DataConfig(s3_data_input_path=data_uri, s3_output_path=output_uri, label="approved",
                               headers=HEADERS, dataset_type="text/csv"),
        model_config=ModelConfig(model_name=model_name, instance_type="ml.m5.large", instance_count=1,
                                 accept_type="text/csv", content_type="text/csv"),
        explainability_config=SHAPConfig(num_clusters=3, num_samples=50, seed=0),  # baseline computed by the job
        bias_config=BiasConfig(label_values_or_threshold=[1], facet_name="sex", facet_values_or_threshold=[0]),
        model_predicted_label_config=ModelPredictedLabelConfig(probability_threshold=0.6),
        wait=False, logs=False)  # wait=True works too; it polls every 10 s, too slow for a unit test
    job = wait_job(aws.sagemaker, processor.latest_job.processing_job_name)
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")

    bucket, prefix = output_uri[5:].split("/", 1)
    analysis = json.loads(aws.s3.get_object(Bucket=bucket, Key=f"{prefix}/analysis.json")["Body"].read())
    [post] = analysis["post_training_bias_metrics"]["facets"]["sex"]
    predicted = (scores(booster, frame[FEATURES]) > 0.6).astype(int)
    expected = bias.posttraining(frame.assign(p=predicted), "approved", "p", "sex", [1], [0])
    # analysis.json writes an infinite metric as "Infinity" / "-Infinity", as Clarify does
    got = {m["name"]: float(m["value"]) for m in post["metrics"] if "value" in m}
    assert got == pytest.approx(expected)
    shap = analysis["explanations"]["kernel_shap"]["label0"]
    assert set(shap["global_shap_values"]) == set(FEATURES)
    baseline = aws.s3.get_object(Bucket=bucket, Key=f"{prefix}/explanations_shap/baseline.csv")["Body"].read()
    rows = [[float(v) for v in line.split(",")] for line in baseline.decode().split()]
    assert len(rows) == 3 and shap["expected_value"] == pytest.approx(scores(booster, rows).mean(), abs=1e-6)
    assert "pre_training_bias_metrics" in analysis
