"""The lab bootstrap: local mode is offline and safe whatever the ambient AWS configuration says."""

import os

import boto3
import pytest

from mla import lab as bootstrap
from mla.lab import BackendError, LocalModeNetworkError

pytestmark = pytest.mark.usefixtures("clean_environ")

REAL_LOOKING = {"AWS_ACCESS_KEY_ID": "AKIA" + "Z7QWERTYUIOPASDF", "AWS_SECRET_ACCESS_KEY": "x" * 40,
                "AWS_SESSION_TOKEN": "token", "AWS_PROFILE": "production", "AWS_DEFAULT_REGION": "eu-west-1"}


@pytest.fixture
def lab():
    os.environ.update(REAL_LOOKING)
    return bootstrap.start("local")


def test_dummy_credentials_replace_real_looking_ones(lab):
    credentials = boto3.session.Session().get_credentials()
    assert credentials.access_key == "testing" and credentials.token is None
    assert "AWS_PROFILE" not in os.environ
    assert lab.client("sts").get_caller_identity()["Account"] == "123456789012"


def test_every_client_goes_to_loopback(lab):
    assert lab.endpoint_url.startswith("http://127.0.0.1:")
    assert boto3.client("s3")._endpoint.host == lab.endpoint_url


@pytest.mark.parametrize("service,url", [("s3", "https://s3.amazonaws.com"),
                                         ("sagemaker", "https://api.sagemaker.us-east-1.amazonaws.com")])
def test_a_request_that_would_leave_the_machine_is_refused(lab, service, url):
    client = boto3.session.Session(region_name="us-east-1").client(service, endpoint_url=url)
    with pytest.raises(LocalModeNetworkError, match="never reaches real AWS"):
        client.list_buckets() if service == "s3" else client.list_endpoints()


def test_unknown_backend_fails_with_a_clear_message():
    with pytest.raises(BackendError, match=r"Unknown backend 'azure'.*'local'.*'aws'"):
        bootstrap.start("azure")


def test_backend_comes_from_the_environment_when_no_parameter():
    os.environ["MLA_BACKEND"] = "bogus"
    with pytest.raises(BackendError, match="bogus"):
        bootstrap.start(None)


def test_aws_mode_refuses_until_configured():
    with pytest.raises(BackendError, match="not configured"):
        bootstrap.start("aws")


def test_shared_emulator_url_must_be_loopback():
    os.environ["MLA_EMULATOR_URL"] = "http://10.1.2.3:5000"
    with pytest.raises(ValueError, match="not a loopback address"):
        bootstrap.start("local")


def test_names_are_unique_and_valid(lab):
    names = {lab.name("Endpoint Config") for _ in range(50)}
    assert len(names) == 50
    assert all(len(n) <= 63 and n.replace("-", "").isalnum() for n in names)


def test_cleanup_deletes_what_the_lab_created_and_keeps_the_course_bucket(lab):
    s3 = lab.client("s3")
    s3.put_object(Bucket=lab.bucket, Key=f"{lab.prefix}/a.csv", Body=b"1")
    scratch = lab.name("scratch")
    s3.create_bucket(Bucket=scratch)
    deleted = lab.cleanup()
    assert len(deleted) == 2
    assert s3.list_objects_v2(Bucket=lab.bucket, Prefix=lab.prefix).get("KeyCount") == 0
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]  # moto's state is shared within a process
    assert lab.bucket in buckets and scratch not in buckets


def test_sdk_session_uses_the_lab_bucket_without_calling_real_sts(lab):
    session = lab.session
    assert session.default_bucket() == lab.bucket
    assert session.account_id() == "123456789012"


def test_cleanup_covers_streams_queues_tables_and_catalog_entries(lab):
    stream, table, database = lab.name("stream"), lab.name("table"), lab.name("db")
    lab.client("kinesis").create_stream(StreamName=stream, ShardCount=1)
    queue = lab.client("sqs").create_queue(QueueName=lab.name("queue"))["QueueUrl"]
    lab.client("dynamodb").create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                                        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                                        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}])
    glue = lab.client("glue")
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(DatabaseName=database, TableInput={"Name": "events"})
    assert len(lab.cleanup()) == 5
    assert stream not in lab.client("kinesis").list_streams()["StreamNames"]
    assert queue not in lab.client("sqs").list_queues().get("QueueUrls", [])
    assert table not in lab.client("dynamodb").list_tables()["TableNames"]
    assert database not in [d["Name"] for d in glue.get_databases()["DatabaseList"]]


def test_cleanup_empties_the_run_prefix_of_what_jobs_wrote(lab):
    job_output = boto3.client("s3")  # not the lab's client: stands in for a training job writing its artifact
    job_output.put_object(Bucket=lab.bucket, Key=f"{lab.prefix}/jobs/model.tar.gz", Body=b"artifact")
    job_output.put_object(Bucket=lab.bucket, Key="runs/another-run/keep.csv", Body=b"1")
    assert lab.cleanup()[-1].startswith("DeleteObjects 1 left under")
    keys = [o["Key"] for o in job_output.list_objects_v2(Bucket=lab.bucket)["Contents"]]
    assert "runs/another-run/keep.csv" in keys and not [k for k in keys if k.startswith(lab.prefix)]
    job_output.delete_object(Bucket=lab.bucket, Key="runs/another-run/keep.csv")


def test_an_operation_moto_lacks_is_a_clean_aws_error(lab):
    iam = lab.client("iam")
    with pytest.raises(iam.exceptions.ClientError) as raised:
        iam.generate_service_last_accessed_details(Arn=lab.role_arn)
    assert raised.value.response["Error"]["Code"] == "NotImplemented"
    assert "not available on the local backend" in raised.value.response["Error"]["Message"]
