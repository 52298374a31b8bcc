"""``sagemaker-featurestore-runtime`` on the local backend: PutRecord, GetRecord, BatchGetRecord, DeleteRecord.

As the API reference documents (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Operations_Amazon_SageMaker_Feature_Store_Runtime.html):
a record goes to the online store only if its event time is later than the stored record's (an older one is
history, written to the offline store only); ``GetRecord`` of an unknown or soft-deleted record is an empty
result; ``DeleteRecord`` ``SoftDelete`` (the default) nulls the features of the online record and ``HardDelete``
removes it, both appending a deletion marker (``is_deleted`` true, the delete's ``EventTime``, null features) to
the offline store; a delete no later than the online record's event time leaves a soft-deleted record in place
(the marker is still written) and fails a hard delete with a ``ValidationError`` (no marker). Records are checked
against the group's feature definitions: known names, the record identifier and event time present, values of
the feature's type, event times as Unix seconds (``Fractional``) or ``yyyy-MM-dd'T'HH:mm:ss[.SSS]Z`` (``String``).
Not available locally: TTL (``TtlDuration``, ``ExpiresAt``) and collection types.
"""

from __future__ import annotations

import datetime as dt
import re

from ..protocol import ServiceError
from ..registry import Context, handles
from . import feature_store_offline as offline
from .feature_store import find_group

SERVICE = "sagemaker-featurestore-runtime"
STORES = ("OnlineStore", "OfflineStore")
_ISO_EVENT_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")
_INT64 = (-(2**63), 2**63 - 1)


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, 400)


def _group(ctx: Context, name: str, not_found: str = "ValidationError"):
    group = find_group(ctx, name)
    if group is None:
        raise ServiceError(not_found, f"Resource Not Found: FeatureGroup {name} does not exist.", 400)
    return group


def _event_seconds(group, text: str) -> float:
    kind = group.types[group.event_time_feature_name]
    try:
        if kind == "Fractional":
            return float(text)
        if _ISO_EVENT_TIME.match(text):
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        pass
    expected = "a Unix timestamp in seconds" if kind == "Fractional" else \
        "an ISO-8601 string yyyy-MM-dd'T'HH:mm:ssZ or yyyy-MM-dd'T'HH:mm:ss.SSSZ"
    raise _invalid(f"Invalid EventTime {text!r} for feature {group.event_time_feature_name}: expected {expected}.")


def _typed(group, name: str, text: str):
    kind = group.types[name]
    try:
        if kind == "Integral":
            value = int(text)
            if not _INT64[0] <= value <= _INT64[1]:
                raise ValueError
            return value
        return float(text) if kind == "Fractional" else text
    except ValueError:
        raise _invalid(f"Value {text!r} of feature {name} is not a valid {kind} value.") from None


def _stores(group, requested: list[str] | None) -> set[str]:
    available = {"OnlineStore"} if group.online_enabled else set()
    if group.offline_store_config:
        available.add("OfflineStore")
    wanted = set(requested or available)
    for store in wanted - set(STORES):
        raise _invalid(f"Invalid TargetStores value {store}: must be OnlineStore or OfflineStore.")
    for store in wanted - available:
        raise _invalid(f"The {store} is not enabled for FeatureGroup {group.feature_group_name}.")
    return wanted


def _check_record(group, record: list[dict]) -> tuple[dict, float]:
    """The record's values by feature name, typed, and its event time in Unix seconds; raises ``ValidationError``
    for what AWS rejects."""
    values: dict = {}
    for feature in record:
        name = feature["FeatureName"]
        if name not in group.types:
            raise _invalid(f"Feature {name} is not defined in FeatureGroup {group.feature_group_name}.")
        if name in values:
            raise _invalid(f"Feature {name} appears more than once in the record.")
        if "ValueAsString" not in feature:
            raise _invalid(f"Feature {name} has no ValueAsString (collection values are not available locally).")
        values[name] = _typed(group, name, feature["ValueAsString"])
    for required, role in ((group.record_identifier_feature_name, "record identifier"),
                           (group.event_time_feature_name, "event time")):
        if required not in values:
            raise _invalid(f"The record must contain the feature {required} (the group's {role}).")
    return values, _event_seconds(group, str(values[group.event_time_feature_name]))


def _key(group, identifier: str) -> str:
    """The online store's key for a record identifier value (``007`` and ``7`` are one Integral identifier)."""
    return str(_typed(group, group.record_identifier_feature_name, identifier))


@handles(SERVICE, "PutRecord")
def put_record(params: dict, ctx: Context) -> dict:
    invoked = dt.datetime.now(dt.UTC)
    group = _group(ctx, params["FeatureGroupName"])
    if params.get("TtlDuration"):
        raise _invalid("TtlDuration is not available on the local backend.")
    values, seconds = _check_record(group, params["Record"])
    stores = _stores(group, params.get("TargetStores"))
    identifier = str(values[group.record_identifier_feature_name])
    if "OnlineStore" in stores:
        with group.lock:
            stored = group.online.get(identifier)
            if stored is None or seconds > stored["seconds"]:
                group.online[identifier] = {"seconds": seconds, "record": params["Record"], "deleted": False}
    if "OfflineStore" in stores:
        offline.write(ctx, group, [(seconds, values)], invoked)
    return {}


def _online_record(group, identifier: str, feature_names: list[str] | None) -> list[dict] | None:
    if not group.online_enabled:
        raise _invalid(f"The OnlineStore is not enabled for FeatureGroup {group.feature_group_name}.")
    for name in feature_names or []:
        if name not in group.types:
            raise _invalid(f"Feature {name} is not defined in FeatureGroup {group.feature_group_name}.")
    stored = group.online.get(_key(group, identifier))
    if stored is None or stored["deleted"]:
        return None
    return [f for f in stored["record"] if not feature_names or f["FeatureName"] in feature_names]


@handles(SERVICE, "GetRecord")
def get_record(params: dict, ctx: Context) -> dict:
    group = _group(ctx, params["FeatureGroupName"], not_found="ResourceNotFound")
    record = _online_record(group, params["RecordIdentifierValueAsString"], params.get("FeatureNames"))
    return {} if record is None else {"Record": record}


@handles(SERVICE, "BatchGetRecord")
def batch_get_record(params: dict, ctx: Context) -> dict:
    records, errors = [], []
    for wanted in params["Identifiers"]:
        name = wanted["FeatureGroupName"]
        group = find_group(ctx, name)
        for identifier in wanted["RecordIdentifiersValueAsString"]:
            if group is None:
                errors.append({"FeatureGroupName": name, "RecordIdentifierValueAsString": identifier,
                               "ErrorCode": "ResourceNotFound",
                               "ErrorMessage": f"Resource Not Found: FeatureGroup {name} does not exist."})
                continue
            record = _online_record(group, identifier, wanted.get("FeatureNames"))
            if record is not None:
                records.append({"FeatureGroupName": name, "RecordIdentifierValueAsString": identifier,
                                "Record": record})
    return {"Records": records, "Errors": errors, "UnprocessedIdentifiers": []}


@handles(SERVICE, "DeleteRecord")
def delete_record(params: dict, ctx: Context) -> dict:
    invoked = dt.datetime.now(dt.UTC)
    group = _group(ctx, params["FeatureGroupName"])
    mode = params.get("DeletionMode", "SoftDelete")
    if mode not in ("SoftDelete", "HardDelete"):
        raise _invalid(f"Invalid DeletionMode {mode}: must be SoftDelete or HardDelete.")
    stores = _stores(group, params.get("TargetStores"))
    identifier, event_time = _key(group, params["RecordIdentifierValueAsString"]), params["EventTime"]
    seconds = _event_seconds(group, event_time)
    if "OnlineStore" in stores:
        with group.lock:
            stored = group.online.get(identifier)
            later = stored is None or seconds > stored["seconds"]
            if mode == "HardDelete" and not later:
                raise _invalid(f"EventTime {event_time} is not later than the EventTime of the stored record "
                               f"{identifier}; the record was not deleted.")
            if mode == "HardDelete":
                group.online.pop(identifier, None)
            elif later:
                group.online[identifier] = {"seconds": seconds, "deleted": True, "record": [
                    {"FeatureName": group.record_identifier_feature_name, "ValueAsString": identifier},
                    {"FeatureName": group.event_time_feature_name, "ValueAsString": event_time}]}
    if "OfflineStore" in stores:
        marker = {group.record_identifier_feature_name: _typed(group, group.record_identifier_feature_name, identifier),
                  group.event_time_feature_name: _typed(group, group.event_time_feature_name, event_time),
                  "is_deleted": True}  # every other feature null
        offline.write(ctx, group, [(seconds, marker)], invoked)
    return {}
