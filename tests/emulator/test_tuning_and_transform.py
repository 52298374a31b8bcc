"""Hyperparameter tuning (best job really is best), batch transform (matches direct predictions) and the
first-party algorithm stand-ins, through boto3."""

import io
import json
import struct

import numpy as np
import pytest
import xgboost as xgb
from sagemaker.core import image_uris
from sagemaker_helpers import (
    REGION,
    ROLE,
    channel,
    model_files,
    put_csv,
    regression_data,
    training_request,
    wait_for,
    wait_training,
    xgboost_image,
)

RANGES = {
    "Random": {"IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "1", "MaxValue": "6"}],
               "ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.01", "MaxValue": "0.5",
                                              "ScalingType": "Logarithmic"}]},
    "Bayesian": {"IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "1", "MaxValue": "6"}],
                 "ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.01", "MaxValue": "0.5"}]},
    "Grid": {"CategoricalParameterRanges": [{"Name": "max_depth", "Values": ["1", "4"]},
                                            {"Name": "eta", "Values": ["0.05", "0.3"]}]},
    "Hyperband": {"ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.01", "MaxValue": "0.5"}]},
}


def recordio_protobuf(features, labels) -> bytes:
    """Dense float32 records in RecordIO framing, as the SDK v2's write_numpy_to_dense_tensor wrote them
    (SDK v3 leaves that writer unimplemented)."""

    def varint(n):
        out = b""
        while True:
            out += bytes([(n & 0x7F) | (0x80 if n > 0x7F else 0)])
            n >>= 7
            if not n:
                return out

    def field(number, payload):
        return varint(number << 3 | 2) + varint(len(payload)) + payload

    def entry(number, values):
        tensor = field(1, np.asarray(values, dtype="<f4").tobytes())  # Float32Tensor.values, packed
        return field(number, field(1, b"values") + field(2, field(2, tensor)))

    blob = b""
    for row, label in zip(features, labels, strict=True):
        record = entry(1, row) + entry(2, [label])
        blob += struct.pack("<II", 0xCED7230A, len(record)) + record + b"\0" * (-len(record) % 4)
    return blob


@pytest.mark.parametrize("strategy", list(RANGES))
def test_tuning_job_best_training_job_is_the_best_by_the_objective(aws, bucket, name, strategy):
    features, labels = regression_data(200)
    uri = put_csv(aws.s3, bucket, f"{name}/train.csv", np.column_stack([labels, features]))
    definition = training_request("unused", bucket, xgboost_image(), {"num_round": "8"},
                                  [channel("train", uri, "text/csv"), channel("validation", uri, "text/csv")])
    del definition["TrainingJobName"]
    definition["StaticHyperParameters"] = definition.pop("HyperParameters")
    limits = {"MaxParallelTrainingJobs": 2} | ({} if strategy == "Grid" else {"MaxNumberOfTrainingJobs": 4})
    tuning_name = name[:20]
    config = {"Strategy": strategy, "ResourceLimits": limits, "ParameterRanges": RANGES[strategy], "RandomSeed": 7,
              "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:rmse"}}
    if strategy == "Hyperband":
        config["StrategyConfig"] = {"HyperbandStrategyConfig": {"MinResource": 1, "MaxResource": 8}}
    aws.sagemaker.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuning_name,
                                                    HyperParameterTuningJobConfig=config,
                                                    TrainingJobDefinition=definition)

    tuning = wait_for(aws.sagemaker.describe_hyper_parameter_tuning_job, "HyperParameterTuningJobStatus", 120,
                      HyperParameterTuningJobName=tuning_name)

    assert tuning["HyperParameterTuningJobStatus"] == "Completed"
    children = aws.sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=tuning_name, MaxResults=100)["TrainingJobSummaries"]
    assert len(children) == 4
    scores = {}
    for child in children:
        job = aws.sagemaker.describe_training_job(TrainingJobName=child["TrainingJobName"])
        assert job["TuningJobArn"] == tuning["HyperParameterTuningJobArn"]
        assert job["HyperParameters"]["max_depth" if strategy != "Hyperband" else "eta"] == \
            child["TunedHyperParameters"]["max_depth" if strategy != "Hyperband" else "eta"]
        scores[child["TrainingJobName"]] = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}[
            "validation:rmse"]
    best = tuning["BestTrainingJob"]
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == min(scores.values())
    assert scores[best["TrainingJobName"]] == min(scores.values())
    if strategy == "Grid":
        assert {tuple(sorted(c["TunedHyperParameters"].items())) for c in children} == {
            (("eta", e), ("max_depth", d)) for e in ("0.05", "0.3") for d in ("1", "4")}
    assert tuning["TrainingJobStatusCounters"]["Completed"] + tuning["TrainingJobStatusCounters"]["Stopped"] == 4


@pytest.mark.filterwarnings("ignore:.*Unknown file format")
def test_transform_output_matches_direct_predictions_with_join_and_filters(aws, bucket, name, tmp_path):
    features, labels = regression_data(120)
    uri = put_csv(aws.s3, bucket, f"{name}/train/train.csv", np.column_stack([labels, features]))
    aws.sagemaker.create_training_job(**training_request(name, bucket, xgboost_image(), {"num_round": "10"},
                                                         [channel("train", uri, "text/csv")]))
    trained = wait_training(aws.sagemaker, name)
    artifact = trained["ModelArtifacts"]["S3ModelArtifacts"]
    aws.sagemaker.create_model(ModelName=name, ExecutionRoleArn=ROLE,
                               PrimaryContainer={"Image": xgboost_image(), "ModelDataUrl": artifact})
    ids = np.arange(len(features))
    put_csv(aws.s3, bucket, f"{name}/batch/rows.csv", np.column_stack([ids, features]))
    aws.sagemaker.create_transform_job(
        TransformJobName=name, ModelName=name, BatchStrategy="MultiRecord", MaxPayloadInMB=1,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                        "S3Uri": f"s3://{bucket}/{name}/batch"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{bucket}/{name}/scored", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"})

    job = wait_for(aws.sagemaker.describe_transform_job, "TransformJobStatus", TransformJobName=name)

    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    body = aws.s3.get_object(Bucket=bucket, Key=f"{name}/scored/rows.csv.out")["Body"].read().decode()
    rows = np.loadtxt(io.StringIO(body), delimiter=",")
    booster = xgb.Booster()
    booster.load_model(str(model_files(aws.s3, artifact, tmp_path) / "xgboost-model"))
    np.testing.assert_array_equal(rows[:, 0], ids)
    np.testing.assert_allclose(rows[:, 1], booster.predict(xgb.DMatrix(features)), rtol=1e-5)


def test_linear_learner_needs_predictor_type_and_learns_from_recordio(aws, bucket, name):
    rng = np.random.RandomState(1)
    features = rng.rand(200, 3).astype("float32")
    labels = (features[:, 0] + features[:, 1] > 1).astype("float32")
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/train.rec", Body=recordio_protobuf(features, labels))
    image = image_uris.retrieve("linear-learner", REGION)
    source = [channel("train", f"s3://{bucket}/{name}/train.rec", "application/x-recordio-protobuf"),
              channel("test", f"s3://{bucket}/{name}/train.rec", "application/x-recordio-protobuf")]
    aws.sagemaker.create_training_job(**training_request(f"{name}-missing", bucket, image, {"feature_dim": "3"},
                                                         source))
    aws.sagemaker.create_training_job(**training_request(
        name, bucket, image, {"feature_dim": "3", "predictor_type": "binary_classifier"}, source))

    missing, job = wait_training(aws.sagemaker, f"{name}-missing"), wait_training(aws.sagemaker, name)

    assert missing["TrainingJobStatus"] == "Failed" and "predictor_type" in missing["FailureReason"]
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert metrics["test:binary_classification_accuracy"] > 0.9


@pytest.mark.parametrize("algorithm,hyperparameters", [
    ("kmeans", {"k": "2", "feature_dim": "2"}),
    ("randomcutforest", {"feature_dim": "2", "num_trees": "50", "num_samples_per_tree": "64"}),
])
def test_unsupervised_stand_ins_score_the_outlier_apart(aws, bucket, name, algorithm, hyperparameters):
    rng = np.random.RandomState(2)
    points = np.vstack([rng.normal(0, 0.1, (60, 2)), rng.normal(5, 0.1, (60, 2))])
    uri = put_csv(aws.s3, bucket, f"{name}/train.csv", points)
    image = image_uris.retrieve(algorithm, REGION)
    aws.sagemaker.create_training_job(**training_request(
        name, bucket, image, hyperparameters, [channel("train", uri, "text/csv;label_size=0")]))
    job = wait_training(aws.sagemaker, name)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    aws.sagemaker.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": image, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]})
    put_csv(aws.s3, bucket, f"{name}/batch/points.csv", np.array([[0.0, 0.0], [5.0, 5.0], [2.5, -9.0]]))
    aws.sagemaker.create_transform_job(
        TransformJobName=name, ModelName=name,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                        "S3Uri": f"s3://{bucket}/{name}/batch"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{bucket}/{name}/out", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    assert wait_for(aws.sagemaker.describe_transform_job, "TransformJobStatus",
                    TransformJobName=name)["TransformJobStatus"] == "Completed"
    lines = aws.s3.get_object(Bucket=bucket, Key=f"{name}/out/points.csv.out")["Body"].read().decode().splitlines()
    results = [json.loads(line) for line in lines]
    if algorithm == "kmeans":
        assert results[0]["closest_cluster"] != results[1]["closest_cluster"]
        assert results[2]["distance_to_cluster"] > 5 * max(results[0]["distance_to_cluster"],
                                                           results[1]["distance_to_cluster"])
    else:
        assert results[2]["score"] > max(results[0]["score"], results[1]["score"])
