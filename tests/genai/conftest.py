import boto3
import pytest

from mla.emulator import Emulator


@pytest.fixture(scope="module")
def emulator():
    with Emulator() as running:
        yield running


@pytest.fixture(scope="module")
def aws(emulator):
    """Client factory; moto's state is per process, so the buckets these tests make are removed afterwards."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name="us-east-1")
    s3 = session.client("s3", endpoint_url=emulator.url)
    before = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    yield lambda service: session.client(service, endpoint_url=emulator.url)
    for bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]} - before:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=item["Key"])
        s3.delete_bucket(Bucket=bucket)
