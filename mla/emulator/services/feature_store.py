"""Feature Store control-plane operations moto lacks: DeleteFeatureGroup (so labs can clean up feature groups)."""

from ..protocol import ServiceError
from ..registry import Context, handles


@handles("sagemaker", "DeleteFeatureGroup")
def delete_feature_group(params: dict, ctx: Context) -> dict:
    groups = ctx.moto_backend("sagemaker").feature_groups
    name = params["FeatureGroupName"]
    arn = next((arn for arn, group in groups.items() if name in (arn, group.feature_group_name)), None)
    if arn is None:
        raise ServiceError("ResourceNotFound", f"Resource Not Found: FeatureGroup {name} does not exist.", 400)
    del groups[arn]
    return {}
