"""Feature Store control plane on the local backend: CreateFeatureGroup, DescribeFeatureGroup, DeleteFeatureGroup.

moto keeps no online store setting, resolves the offline store to a URI without the ``sagemaker`` segment, fails
on a group without an offline store and answers an unknown group with a server error. Here a group records what
the runtime (``feature_store_runtime``) needs, and the offline store resolves as Feature Store documents
(https://docs.aws.amazon.com/sagemaker/latest/dg/feature-store-offline.html):
``<S3Uri>/<account>/sagemaker/<region>/offline-store/<name>-<creation epoch seconds>/data``, with a Glue Data
Catalog table ``sagemaker_featurestore.<name>-<creation epoch seconds>`` over it unless
``DisableGlueTableCreation`` is set (the table name as in the documented event example,
https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html#eventbridge-feature-group).
Deleting a group drops its online records but, as on AWS, keeps the offline data and the Glue table
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteFeatureGroup.html).
"""

from __future__ import annotations

import datetime as dt
import threading

from moto.sagemaker.models import FeatureGroup
from moto.sagemaker.utils import arn_formatter

from ..protocol import ServiceError
from ..registry import Context, handles
from .sagemaker.jobs import client

RESERVED_NAMES = ("is_deleted", "write_time", "api_invocation_time")  # the offline store adds these columns
GLUE_DATABASE = "sagemaker_featurestore"
GLUE_TYPES = {"Integral": "bigint", "Fractional": "double", "String": "string"}
PARTITIONS = ("year", "month", "day", "hour")


class LocalFeatureGroup(FeatureGroup):
    """A feature group as the local Feature Store keeps it: its definition, configs and online records."""

    def __init__(self, params: dict, ctx: Context):  # noqa: PLW0231 (moto's constructor is what this replaces)
        self.feature_group_name = params["FeatureGroupName"]
        self.record_identifier_feature_name = params["RecordIdentifierFeatureName"]
        self.event_time_feature_name = params["EventTimeFeatureName"]
        self.feature_definitions = params["FeatureDefinitions"]
        self.types = {f["FeatureName"]: f["FeatureType"] for f in self.feature_definitions}
        self.online_store_config = params.get("OnlineStoreConfig")
        self.role_arn = params.get("RoleArn")
        self.description = params.get("Description")
        self.tags = params.get("Tags")
        self.creation_time = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.arn = arn_formatter("feature-group", self.feature_group_name.lower(), ctx.account_id, ctx.region)
        self.offline_store_config = _resolve_offline(params.get("OfflineStoreConfig"), self, ctx)
        self.online: dict[str, dict] = {}  # record identifier -> {"time": epoch seconds, "record": [...], "deleted"}
        self.lock = threading.Lock()

    @property
    def online_enabled(self) -> bool:
        return bool((self.online_store_config or {}).get("EnableOnlineStore"))

    def describe(self) -> dict:
        described = {
            "FeatureGroupArn": self.arn, "FeatureGroupName": self.feature_group_name,
            "RecordIdentifierFeatureName": self.record_identifier_feature_name,
            "EventTimeFeatureName": self.event_time_feature_name, "FeatureDefinitions": self.feature_definitions,
            "CreationTime": self.creation_time, "OnlineStoreConfig": self.online_store_config,
            "OfflineStoreConfig": self.offline_store_config, "ThroughputConfig": {"ThroughputMode": "OnDemand"},
            "RoleArn": self.role_arn, "FeatureGroupStatus": "Created", "Description": self.description}
        if self.offline_store_config:
            described["OfflineStoreStatus"] = {"Status": "Active"}
        return {k: v for k, v in described.items() if v is not None}

    def gen_response_object(self) -> dict:  # what moto's Search returns for a feature group
        return self.describe()


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def _check_definition(params: dict) -> None:
    types = {}
    for feature in params["FeatureDefinitions"]:
        name = feature["FeatureName"]
        if name in types:
            raise _validation(f"Feature {name} is defined more than once.")
        if name in RESERVED_NAMES:
            raise _validation(f"FeatureName {name} is reserved: FeatureNames cannot be any of {', '.join(RESERVED_NAMES)}.")
        if feature.get("CollectionType"):
            raise ServiceError("NotImplemented", "Collection feature types (List, Set, Vector) are not available on "
                               "the local backend.", 501)
        types[name] = feature["FeatureType"]
    for role in ("RecordIdentifierFeatureName", "EventTimeFeatureName"):
        if params[role] not in types:
            raise _validation(f"{role} {params[role]} must be one of the FeatureDefinitions' names.")
    if types[params["EventTimeFeatureName"]] not in ("String", "Fractional"):
        raise _validation(f"The EventTime feature {params['EventTimeFeatureName']} must be of type String or "
                          "Fractional.")
    offline = params.get("OfflineStoreConfig")
    if not offline and not (params.get("OnlineStoreConfig") or {}).get("EnableOnlineStore"):
        raise _validation("A feature group needs an OnlineStoreConfig with EnableOnlineStore or an "
                          "OfflineStoreConfig.")
    if offline and offline.get("TableFormat") == "Iceberg":
        raise ServiceError("NotImplemented", "The Iceberg offline store table format is not available on the local "
                           "backend; use the default (Glue) format.", 501)


def _resolve_offline(config: dict | None, group: LocalFeatureGroup, ctx: Context) -> dict | None:
    if not config:
        return None
    config = {**config, "S3StorageConfig": dict(config["S3StorageConfig"])}
    folder = f"{group.feature_group_name}-{int(group.creation_time.timestamp())}"
    s3 = config["S3StorageConfig"]
    s3["ResolvedOutputS3Uri"] = "/".join([s3["S3Uri"].rstrip("/"), ctx.account_id, "sagemaker", ctx.region,
                                          "offline-store", folder, "data"])
    config.setdefault("DisableGlueTableCreation", False)
    if not config["DisableGlueTableCreation"]:
        config.setdefault("DataCatalogConfig", {"TableName": folder.lower(), "Catalog": "AwsDataCatalog",
                                                "Database": GLUE_DATABASE})
        _create_glue_table(ctx, config["DataCatalogConfig"], s3["ResolvedOutputS3Uri"], group.feature_definitions)
    return config


def _create_glue_table(ctx: Context, catalog: dict, location: str, definitions: list[dict]) -> None:
    glue = client(ctx, "glue")
    try:
        glue.create_database(DatabaseInput={"Name": catalog["Database"]})
    except glue.exceptions.AlreadyExistsException:
        pass
    columns = [{"Name": f["FeatureName"], "Type": GLUE_TYPES[f["FeatureType"]]} for f in definitions]
    columns += [{"Name": "write_time", "Type": "timestamp"}, {"Name": "api_invocation_time", "Type": "timestamp"},
                {"Name": "is_deleted", "Type": "boolean"}]
    table = {"Name": catalog["TableName"], "TableType": "EXTERNAL_TABLE",
             "PartitionKeys": [{"Name": p, "Type": "string"} for p in PARTITIONS],
             "StorageDescriptor": {
                 "Columns": columns, "Location": location,
                 "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                 "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                 "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}}
    try:
        glue.create_table(DatabaseName=catalog["Database"], TableInput=table)
    except glue.exceptions.AlreadyExistsException:  # a group deleted and created again within the same second
        glue.update_table(DatabaseName=catalog["Database"], TableInput=table)


def find_group(ctx: Context, name_or_arn: str) -> LocalFeatureGroup | None:
    groups = ctx.moto_backend("sagemaker").feature_groups
    return next((g for arn, g in groups.items() if name_or_arn in (arn, g.feature_group_name)), None)


def _not_found(name: str) -> ServiceError:
    return ServiceError("ResourceNotFound", f"Resource Not Found: FeatureGroup {name} does not exist.", 400)


@handles("sagemaker", "CreateFeatureGroup")
def create_feature_group(params: dict, ctx: Context) -> dict:
    name = params["FeatureGroupName"]
    if find_group(ctx, name) is not None:
        raise ServiceError("ResourceInUse", f"Resource Already Exists: FeatureGroup with name {name} already exists. "
                           "Choose a different name.", 400)
    _check_definition(params)
    group = LocalFeatureGroup(params, ctx)
    ctx.moto_backend("sagemaker").feature_groups[group.arn] = group
    return {"FeatureGroupArn": group.arn}


@handles("sagemaker", "DescribeFeatureGroup")
def describe_feature_group(params: dict, ctx: Context) -> dict:
    group = find_group(ctx, params["FeatureGroupName"])
    if group is None:
        raise _not_found(params["FeatureGroupName"])
    return group.describe()


@handles("sagemaker", "DeleteFeatureGroup")
def delete_feature_group(params: dict, ctx: Context) -> dict:
    group = find_group(ctx, params["FeatureGroupName"])
    if group is None:
        raise _not_found(params["FeatureGroupName"])
    del ctx.moto_backend("sagemaker").feature_groups[group.arn]
    return {}
