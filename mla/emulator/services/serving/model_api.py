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
