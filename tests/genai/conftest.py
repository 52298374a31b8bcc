import pytest
from local_aws import dummy_session


@pytest.fixture(scope="module")
def aws(emulator):
    """Client factory; moto's state is per process, so the buckets these tests make are removed afterwards."""
    session = dummy_session()
    s3 = session.client("s3", endpoint_url=emulator.url)
    before = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    yield lambda service: session.client(service, endpoint_url=emulator.url)
    for bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]} - before:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=item["Key"])
        s3.delete_bucket(Bucket=bucket)
