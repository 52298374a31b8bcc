"""Helpers for the sandbox tests (the local backend stands in for the sandbox account)."""

import boto3

ACCOUNT = "123456789012"  # moto's fixed account id
REGION = "us-east-1"


def tagged_with(key: str, value: str) -> list[str]:
    client = boto3.session.Session(region_name=REGION).client("resourcegroupstaggingapi")
    pages = client.get_paginator("get_resources").paginate(TagFilters=[{"Key": key, "Values": [value]}])
    return [r["ResourceARN"] for page in pages for r in page["ResourceTagMappingList"]]


def deploy_endpoint(sagemaker, name: str, instance_type: str = "ml.t2.medium", role: str | None = None) -> None:
    role = role or f"arn:aws:iam::{ACCOUNT}:role/mla-course-sagemaker-execution"
    sagemaker.create_model(ModelName=name, ExecutionRoleArn=role, PrimaryContainer={"Image": "example:1"})
    sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "main", "ModelName": name, "InstanceType": instance_type, "InitialInstanceCount": 1}])
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
