"""``DescribeModel`` as the service answers it: moto keeps the models (``CreateModel``), but describes them with
an empty ``VpcConfig`` and ``Containers`` even when none were given, which SDK v3's ``Model`` resource rejects
(a ``VpcConfig`` must have ``Subnets`` and ``SecurityGroupIds``). Fields as in
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeModel.html.
"""

from __future__ import annotations

from ...protocol import ServiceError
from ...registry import handles

NOT_DESCRIBED = ("Tags",)  # moto's record carries the tags; DescribeModel does not return them


@handles("sagemaker", "DescribeModel")
def describe_model(params, ctx):
    try:
        model = ctx.moto_backend("sagemaker").describe_model(params["ModelName"])
    except Exception:  # moto's own ValidationError, raised outside its request handling
        raise ServiceError("ValidationException", f"Could not find model \"arn:aws:sagemaker:{ctx.region}:"
                                                  f"{ctx.account_id}:model/{params['ModelName'].lower()}\".") from None
    return {k: v for k, v in model.response_object.items() if k not in NOT_DESCRIBED and v not in ({}, [], None)}


@handles("sagemaker", "CreateModel")
def create_model(params, ctx):
    """moto's ``CreateModel`` drops ``EnableNetworkIsolation``; keep it so ``DescribeModel`` reports it."""
    model = ctx.moto_backend("sagemaker").create_model(
        model_name=params["ModelName"], execution_role_arn=params.get("ExecutionRoleArn"),
        primary_container=params.get("PrimaryContainer"), vpc_config=params.get("VpcConfig"),
        containers=params.get("Containers"), tags=params.get("Tags"))
    model.enable_network_isolation = bool(params.get("EnableNetworkIsolation", False))
    return {"ModelArn": model.arn}
