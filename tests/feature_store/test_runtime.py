"""sagemaker-featurestore-runtime on the local backend: the online store's round trip, validation against the
group's definitions, historic records, and soft versus hard deletes."""

import pytest
from botocore.exceptions import ClientError
from feature_store_helpers import FEATURES, record


@pytest.fixture
def runtime(lab):
    return lab.client("sagemaker-featurestore-runtime")


def _error(call, **kwargs):
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def _get(runtime, group, customer, **kwargs):
    got = runtime.get_record(FeatureGroupName=group, RecordIdentifierValueAsString=customer, **kwargs)
    return {f["FeatureName"]: f["ValueAsString"] for f in got.get("Record", [])}


def test_put_get_and_batch_get_round_trip(runtime, make_group):
    group = make_group()
    runtime.put_record(FeatureGroupName=group, Record=record("C1", "2026-01-01T00:00:00Z", 3, 10.5))
    runtime.put_record(FeatureGroupName=group, Record=record("C2", "2026-01-01T00:00:00.250Z", 1))
    assert _get(runtime, group, "C1") == {"customer_id": "C1", "event_time": "2026-01-01T00:00:00Z",
                                          "orders_30d": "3", "spend_30d": "10.5"}
    assert _get(runtime, group, "C1", FeatureNames=["spend_30d"]) == {"spend_30d": "10.5"}
    assert _get(runtime, group, "C9") == {}, "an unknown record is an empty result"
    batch = runtime.batch_get_record(Identifiers=[{"FeatureGroupName": group, "FeatureNames": ["orders_30d"],
                                                   "RecordIdentifiersValueAsString": ["C1", "C2", "C9"]}])
    assert {r["RecordIdentifierValueAsString"]: r["Record"] for r in batch["Records"]} == {
        "C1": [{"FeatureName": "orders_30d", "ValueAsString": "3"}],
        "C2": [{"FeatureName": "orders_30d", "ValueAsString": "1"}]}
    assert batch["Errors"] == [] and batch["UnprocessedIdentifiers"] == []


def test_an_older_record_is_history_and_does_not_replace_the_online_one(runtime, make_group):
    group = make_group()
    runtime.put_record(FeatureGroupName=group, Record=record("C1", "2026-02-01T00:00:00Z", 5))
    runtime.put_record(FeatureGroupName=group, Record=record("C1", "2026-01-01T00:00:00Z", 1))
    assert _get(runtime, group, "C1")["orders_30d"] == "5"
    runtime.put_record(FeatureGroupName=group, Record=record("C1", "2026-03-01T00:00:00Z", 7))
    assert _get(runtime, group, "C1")["orders_30d"] == "7"


@pytest.mark.parametrize("bad_record, message", [
    (record("C1", "2026-01-01T00:00:00Z") + [{"FeatureName": "colour", "ValueAsString": "red"}], "not defined"),
    (record("C1", None, 3), "event_time"),
    (record(None, "2026-01-01T00:00:00Z", 3), "customer_id"),
    (record("C1", "2026-01-01T00:00:00Z", "3.5"), "not a valid Integral"),
    (record("C1", "2026-01-01T00:00:00Z", None, "lots"), "not a valid Fractional"),
    (record("C1", "2026-01-01 00:00:00", 3), "Invalid EventTime"),
    (record("C1", "2026-01-01T00:00:00Z", 3) + record("C1", "2026-01-01T00:00:00Z")[:1], "more than once"),
])
def test_put_record_validates_against_the_definitions(runtime, make_group, bad_record, message):
    group = make_group()
    code, text = _error(runtime.put_record, FeatureGroupName=group, Record=bad_record)
    assert code == "ValidationError" and message in text
    assert _get(runtime, group, "C1") == {}, "a rejected record must not be stored"


def test_unknown_groups_and_disabled_stores_are_errors(runtime, make_group, lab):
    assert _error(runtime.get_record, FeatureGroupName=lab.name("missing"),
                  RecordIdentifierValueAsString="C1")[0] == "ResourceNotFound"
    offline_only = make_group(online=False)
    code, text = _error(runtime.put_record, FeatureGroupName=offline_only,
                        Record=record("C1", "2026-01-01T00:00:00Z"), TargetStores=["OnlineStore"])
    assert code == "ValidationError" and "OnlineStore is not enabled" in text
    assert _error(runtime.get_record, FeatureGroupName=offline_only, RecordIdentifierValueAsString="C1")[0] == \
        "ValidationError"


def test_soft_delete_hides_the_record_until_a_later_put(runtime, make_group):
    group = make_group()
    runtime.put_record(FeatureGroupName=group, Record=record("C1", "2026-01-10T00:00:00Z", 3))
    runtime.delete_record(FeatureGroupName=group, RecordIdentifierValueAsString="C1", EventTime="2026-01-05T00:00:00Z")
    assert _get(runtime, group, "C1")["orders_30d"] == "3", "a delete older than the record does not delete it"
    runtime.delete_record(FeatureGroupName=group, RecordIdentifierValueAsString="C1", EventTime="2026-01-20T00:00:00Z")
    assert _get(runtime, group, "C1") == {}
    runtime.put_record(FeatureGroupName=group, Record=record("C1", "2026-01-15T00:00:00Z", 4))
    assert _get(runtime, group, "C1") == {}, "a record older than the soft delete stays deleted"
    runtime.put_record(FeatureGroupName=group, Record=record("C1", "2026-01-25T00:00:00Z", 6))
    assert _get(runtime, group, "C1")["orders_30d"] == "6"


def test_hard_delete_removes_the_record_and_refuses_an_older_event_time(runtime, make_group):
    group = make_group()
    runtime.put_record(FeatureGroupName=group, Record=record("C1", "2026-01-10T00:00:00Z", 3))
    code, text = _error(runtime.delete_record, FeatureGroupName=group, RecordIdentifierValueAsString="C1",
                        EventTime="2026-01-05T00:00:00Z", DeletionMode="HardDelete")
    assert code == "ValidationError" and "EventTime" in text
    assert _get(runtime, group, "C1")["orders_30d"] == "3"
    runtime.delete_record(FeatureGroupName=group, RecordIdentifierValueAsString="C1",
                          EventTime="2026-01-20T00:00:00Z", DeletionMode="HardDelete")
    assert _get(runtime, group, "C1") == {}
    runtime.put_record(FeatureGroupName=group, Record=record("C1", "2026-01-15T00:00:00Z", 4))
    assert _get(runtime, group, "C1")["orders_30d"] == "4", "after a hard delete nothing is left to be newer than"


def test_describe_reports_the_stores_and_the_glue_table(lab, make_group):
    sm, glue = lab.client("sagemaker"), lab.client("glue")
    group = make_group()
    described = sm.describe_feature_group(FeatureGroupName=group)
    assert described["OnlineStoreConfig"] == {"EnableOnlineStore": True}
    created = int(described["CreationTime"].timestamp())
    assert described["OfflineStoreConfig"]["S3StorageConfig"]["ResolvedOutputS3Uri"] == lab.s3_uri(
        "feature-store", lab.account_id, "sagemaker", lab.region, "offline-store", f"{group}-{created}", "data")
    catalog = described["OfflineStoreConfig"]["DataCatalogConfig"]
    assert catalog == {"TableName": f"{group}-{created}", "Catalog": "AwsDataCatalog",
                       "Database": "sagemaker_featurestore"}
    table = glue.get_table(DatabaseName=catalog["Database"], Name=catalog["TableName"])["Table"]
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [
        ("customer_id", "string"), ("event_time", "string"), ("orders_30d", "bigint"), ("spend_30d", "double"),
        ("write_time", "timestamp"), ("api_invocation_time", "timestamp"), ("is_deleted", "boolean")]
    no_table = make_group(OfflineStoreConfig={"S3StorageConfig": {"S3Uri": lab.s3_uri("fs")},
                                              "DisableGlueTableCreation": True})
    assert "DataCatalogConfig" not in sm.describe_feature_group(FeatureGroupName=no_table)["OfflineStoreConfig"]


@pytest.mark.parametrize("change, message", [
    ({"EventTimeFeatureName": "orders_30d"}, "String or Fractional"),
    ({"RecordIdentifierFeatureName": "nope"}, "must be one of"),
    ({"FeatureDefinitions": FEATURES + [{"FeatureName": "is_deleted", "FeatureType": "String"}]}, "reserved"),
])
def test_create_feature_group_rejects_invalid_definitions(lab, change, message):
    args = {"FeatureGroupName": lab.name("bad"), "RecordIdentifierFeatureName": "customer_id",
            "EventTimeFeatureName": "event_time", "FeatureDefinitions": FEATURES,
            "OnlineStoreConfig": {"EnableOnlineStore": True}, **change}
    code, text = _error(lab.client("sagemaker").create_feature_group, **args)
    assert code == "ValidationException" and message in text
