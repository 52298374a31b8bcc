"""Model Registry operations moto lacks: DeleteModelPackage and DeleteModelPackageGroup (so labs can clean up
what they register)."""

from ..protocol import ServiceError
from ..registry import Context, handles


@handles("sagemaker", "DeleteModelPackage")
def delete_model_package(params: dict, ctx: Context) -> dict:
    backend = ctx.moto_backend("sagemaker")
    arn = backend.model_package_name_mapping.get(params["ModelPackageName"])
    if arn is None or arn not in backend.model_packages:
        raise ServiceError("ValidationException", f"Model Package {params['ModelPackageName']} does not exist.", 400)
    del backend.model_packages[arn]
    for key in [k for k, v in backend.model_package_name_mapping.items() if v == arn]:
        del backend.model_package_name_mapping[key]
    return {}


@handles("sagemaker", "DeleteModelPackageGroup")
def delete_model_package_group(params: dict, ctx: Context) -> dict:
    groups = ctx.moto_backend("sagemaker").model_package_groups
    name = params["ModelPackageGroupName"]
    key = next((k for k, group in groups.items() if name in (k, group.arn)), None)
    if key is None:
        raise ServiceError("ValidationException", f"Model Package Group {name} does not exist.", 400)
    del groups[key]
    return {}
