"""Clients for tests that talk to an emulator directly (without the lab bootstrap)."""

import boto3


def dummy_session(region: str = "us-east-1"):
    """A boto3 session with the emulator's dummy credentials."""
    return boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
