"""Processing jobs through boto3: inputs in /opt/ml/processing, the script in a subprocess, outputs to S3."""

import textwrap

from sagemaker.core import image_uris
from sagemaker_helpers import REGION, ROLE, wait_for

PREPROCESS = """
    import sys
    import pandas as pd
    frame = pd.read_csv("/opt/ml/processing/input/data/raw.csv")
    frame = frame.dropna()
    frame["total"] = frame["price"] * frame["quantity"]
    frame.to_csv("/opt/ml/processing/output/clean/clean.csv", index=False)
    print(f"kept {len(frame)} rows; split={sys.argv[1:]}")
"""


def processing_request(name, bucket, script_key, arguments=()):
    return {
        "ProcessingJobName": name, "RoleArn": ROLE,
        "AppSpecification": {"ImageUri": image_uris.retrieve("sklearn", REGION, "1.2-1"),
                             "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/preprocess.py"],
                             **({"ContainerArguments": list(arguments)} if arguments else {})},
        "ProcessingInputs": [
            {"InputName": "code", "S3Input": {"S3Uri": f"s3://{bucket}/{script_key}",
                                              "LocalPath": "/opt/ml/processing/input/code",
                                              "S3DataType": "S3Prefix", "S3InputMode": "File"}},
            {"InputName": "data", "S3Input": {"S3Uri": f"s3://{bucket}/{name}/raw.csv",
                                              "LocalPath": "/opt/ml/processing/input/data",
                                              "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        "ProcessingOutputConfig": {"Outputs": [
            {"OutputName": "clean", "S3Output": {"S3Uri": f"s3://{bucket}/{name}/clean",
                                                 "LocalPath": "/opt/ml/processing/output/clean",
                                                 "S3UploadMode": "EndOfJob"}}]},
        "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                  "VolumeSizeInGB": 10}},
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }


def test_processing_job_runs_the_script_and_uploads_its_outputs(aws, bucket, name):
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/code/preprocess.py", Body=textwrap.dedent(PREPROCESS))
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/raw.csv", Body="price,quantity\n2.5,4\n,1\n1.0,3\n")
    aws.sagemaker.create_processing_job(**processing_request(name, bucket, f"{name}/code/preprocess.py",
                                                             ["--split", "0.2"]))

    job = wait_for(aws.sagemaker.describe_processing_job, "ProcessingJobStatus", ProcessingJobName=name)

    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    body = aws.s3.get_object(Bucket=bucket, Key=f"{name}/clean/clean.csv")["Body"].read().decode()
    assert body.splitlines() == ["price,quantity,total", "2.5,4,10.0", "1.0,3,3.0"]
    events = aws.logs.filter_log_events(logGroupName="/aws/sagemaker/ProcessingJobs",
                                        logStreamNamePrefix=f"{name}/")["events"]
    assert "kept 2 rows; split=['--split', '0.2']" in [e["message"] for e in events]


def test_failing_processing_script_fails_the_job(aws, bucket, name):
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/code/preprocess.py", Body="raise KeyError('price')\n")
    aws.s3.put_object(Bucket=bucket, Key=f"{name}/raw.csv", Body="a\n1\n")
    aws.sagemaker.create_processing_job(**processing_request(name, bucket, f"{name}/code/preprocess.py"))

    job = wait_for(aws.sagemaker.describe_processing_job, "ProcessingJobStatus", ProcessingJobName=name)

    assert job["ProcessingJobStatus"] == "Failed"
    assert "KeyError: 'price'" in job["FailureReason"] and "KeyError: 'price'" in job["ExitMessage"]
