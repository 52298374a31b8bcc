"""Batch transform with a script-mode model: the learner's ``inference.py`` in model.tar.gz ``code/`` predicts."""

import io
import pickle
import tarfile
import textwrap

import numpy as np
from sagemaker_helpers import ROLE, put_csv, regression_data, wait_for
from sklearn.linear_model import Ridge

SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
INFERENCE = textwrap.dedent("""
    import os
    import pickle

    def model_fn(model_dir):
        with open(os.path.join(model_dir, "model.pkl"), "rb") as f:
            return pickle.load(f)

    def predict_fn(data, model):
        return model.predict(data) * 10.0  # a scaling only this handler applies: proves inference.py ran
""")


def _model_tarball(model) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, data in (("model.pkl", pickle.dumps(model)), ("code/inference.py", INFERENCE.encode())):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_transform_with_inference_py_writes_the_handler_predictions(aws, bucket, name):
    features, labels = regression_data(80, seed=3)
    model = Ridge(alpha=1.0).fit(features, labels)
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/model/model.tar.gz", Body=_model_tarball(model))
    aws.sagemaker.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": SKLEARN_IMAGE, "ModelDataUrl": f"s3://{bucket}/{name}/model/model.tar.gz"})
    put_csv(aws.s3, bucket, f"{name}/batch/rows.csv", features)
    aws.sagemaker.create_transform_job(
        TransformJobName=name, ModelName=name, BatchStrategy="MultiRecord", MaxPayloadInMB=1,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                        "S3Uri": f"s3://{bucket}/{name}/batch"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{bucket}/{name}/scored", "Accept": "text/csv",
                         "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})

    job = wait_for(aws.sagemaker.describe_transform_job, "TransformJobStatus", TransformJobName=name)

    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    body = aws.s3.get_object(Bucket=bucket, Key=f"{name}/scored/rows.csv.out")["Body"].read().decode()
    np.testing.assert_allclose(np.loadtxt(io.StringIO(body)), model.predict(features) * 10.0, rtol=1e-6)


def test_transform_fails_clearly_when_the_model_has_no_inference_py(aws, bucket, name):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = pickle.dumps(Ridge())
        info = tarfile.TarInfo("model.pkl")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/model/model.tar.gz", Body=buffer.getvalue())
    aws.sagemaker.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": SKLEARN_IMAGE, "ModelDataUrl": f"s3://{bucket}/{name}/model/model.tar.gz"})
    put_csv(aws.s3, bucket, f"{name}/batch/rows.csv", np.ones((2, 3)))
    aws.sagemaker.create_transform_job(
        TransformJobName=name, ModelName=name,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                        "S3Uri": f"s3://{bucket}/{name}/batch"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{bucket}/{name}/scored"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})

    job = wait_for(aws.sagemaker.describe_transform_job, "TransformJobStatus", TransformJobName=name)

    assert job["TransformJobStatus"] == "Failed"
    assert job["FailureReason"].startswith("ClientError:") and "inference.py" in job["FailureReason"]
