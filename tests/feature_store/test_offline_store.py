"""The offline store: Parquet files in Feature Store's S3 layout, queried with SQL through DuckDB (locally) or
Athena (on AWS) with the same statement, and point-in-time training sets that never see future records."""

import io
import re

import pandas as pd
import pyarrow.parquet as pq
import pytest
from feature_store_helpers import record

from mla.feature_store import OfflineStore, QueryError


@pytest.fixture
def filled(lab, make_group):
    """A group with C1's history (Jan, Mar, May), C2 written once then soft-deleted, and C3 offline-only."""
    group = make_group()
    runtime = lab.client("sagemaker-featurestore-runtime")
    for customer, when, orders, spend in [("C1", "2026-01-01T08:00:00Z", 1, 10.0), ("C1", "2026-03-01T08:00:00Z", 2, 20.0),
                                          ("C1", "2026-05-01T08:00:00Z", 3, 30.0), ("C2", "2026-02-01T08:00:00Z", 7, 70.0)]:
        runtime.put_record(FeatureGroupName=group, Record=record(customer, when, orders, spend))
    runtime.put_record(FeatureGroupName=group, Record=record("C3", "2026-02-15T08:00:00Z", 5, 50.0),
                       TargetStores=["OfflineStore"])
    runtime.delete_record(FeatureGroupName=group, RecordIdentifierValueAsString="C2", EventTime="2026-04-01T08:00:00Z")
    return group


def _offline_objects(lab, group):
    uri = lab.client("sagemaker").describe_feature_group(FeatureGroupName=group)[
        "OfflineStoreConfig"]["S3StorageConfig"]["ResolvedOutputS3Uri"]
    bucket, prefix = uri[5:].split("/", 1)
    s3 = lab.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/")["Contents"]]
    return prefix, {k: pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=k)["Body"].read())) for k in keys}


def test_records_land_as_parquet_in_the_feature_store_layout(lab, filled):
    prefix, files = _offline_objects(lab, filled)
    assert re.fullmatch(rf"runs/{lab.run_id}/feature-store/{lab.account_id}/sagemaker/{lab.region}/offline-store/"
                        rf"{filled}-\d{{10}}/data", prefix)
    layout = re.compile(r"/year=(\d{4})/month=(\d\d)/day=(\d\d)/hour=(\d\d)/(\d{8}T\d{6}Z)_[a-zA-Z0-9]{16}\.parquet")
    rows = []
    for key, table in files.items():
        year, month, day, hour, latest = layout.fullmatch(key[len(prefix):]).groups()
        for row in table.to_pylist():
            assert row["event_time"].startswith(f"{year}-{month}-{day}T{hour}"), "partitioned by event time"
            assert latest == row["event_time"].replace("-", "").replace(":", "")
            rows.append(row)
    assert len(rows) == 6, "five puts and one deletion marker"
    table = next(iter(files.values()))
    assert [(f.name, str(f.type)) for f in table.schema] == [
        ("customer_id", "string"), ("event_time", "string"), ("orders_30d", "int64"), ("spend_30d", "double"),
        ("write_time", "timestamp[ms, tz=UTC]"), ("api_invocation_time", "timestamp[ms, tz=UTC]"),
        ("is_deleted", "bool")]
    [marker] = [r for r in rows if r["is_deleted"]]
    assert (marker["customer_id"], marker["event_time"], marker["orders_30d"], marker["spend_30d"]) == \
        ("C2", "2026-04-01T08:00:00Z", None, None)


def test_the_documented_latest_snapshot_query_runs_locally(lab, filled):
    store = OfflineStore(lab)
    latest = store.query(f"""
        SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY customer_id
                                                   ORDER BY event_time DESC, api_invocation_time DESC, write_time DESC)
                                  AS row_num
                       FROM {store.table(filled)})
        WHERE row_num = 1 AND NOT is_deleted ORDER BY customer_id""")
    assert latest[["customer_id", "orders_30d"]].values.tolist() == [["C1", 3], ["C3", 5]]
    assert {"write_time", "api_invocation_time", "year", "month", "day", "hour"} <= set(latest.columns)
    assert "UTC" in str(latest["write_time"].dtype)


def test_a_group_without_records_is_an_empty_table_with_the_glue_columns(lab, make_group):
    store = OfflineStore(lab)
    empty = store.query(f"SELECT * FROM {store.table(make_group())}")
    assert empty.empty and list(empty.columns) == ["customer_id", "event_time", "orders_30d", "spend_30d", "write_time",
                                                   "api_invocation_time", "is_deleted", "year", "month", "day", "hour"]


def test_a_point_in_time_training_set_excludes_future_records(lab, filled):
    labels = pd.DataFrame({"customer_id": ["C1", "C1", "C1", "C2", "C2", "C4"],
                           "label_time": ["2026-02-15T00:00:00Z", "2026-03-01T08:00:00Z", "2026-12-31T00:00:00Z",
                                          "2026-03-01T00:00:00Z", "2026-06-01T00:00:00Z", "2026-06-01T00:00:00Z"],
                           "churned": [0, 1, 0, 1, 1, 0]}, index=[15, 14, 13, 12, 11, 10])
    training = OfflineStore(lab).point_in_time(labels, filled, "customer_id", "label_time")
    assert list(training.index) == [15, 14, 13, 12, 11, 10] and list(training["churned"]) == [0, 1, 0, 1, 1, 0]
    assert training["orders_30d"].fillna(-1).tolist() == [1, 2, 3, 7, -1, -1], \
        "latest record at or before each label: never a later one; deleted or unknown customers have none"
    assert training.loc[14, "event_time"] == "2026-03-01T08:00:00Z", "a record at the label time is visible"
    assert "event_time_feature" not in training and "customer_id_feature" not in training


def test_the_same_sql_goes_to_athena_on_aws(lab, filled):
    local, athena = OfflineStore(lab), OfflineStore(lab, engine="athena")
    sql = f"SELECT customer_id, orders_30d FROM {local.table(filled)} WHERE NOT is_deleted ORDER BY event_time"
    assert local.query(sql)["orders_30d"].tolist() == [1, 7, 5, 2, 3]
    athena.query(sql)  # moto's Athena runs nothing, but records what was sent
    executions = lab.client("athena").list_query_executions()["QueryExecutionIds"]
    sent = [lab.client("athena").get_query_execution(QueryExecutionId=i)["QueryExecution"]["Query"]
            for i in executions]
    assert sql in sent


def test_bad_sql_is_a_query_error(lab, filled):
    store = OfflineStore(lab)
    with pytest.raises(QueryError, match="no_such_column"):
        store.query(f"SELECT no_such_column FROM {store.table(filled)}")


def test_point_in_time_with_unix_second_event_times(lab):
    group = lab.name("sensors")
    lab.client("sagemaker").create_feature_group(
        FeatureGroupName=group, RecordIdentifierFeatureName="sensor", EventTimeFeatureName="ts",
        FeatureDefinitions=[{"FeatureName": "sensor", "FeatureType": "Integral"},
                            {"FeatureName": "ts", "FeatureType": "Fractional"},
                            {"FeatureName": "reading", "FeatureType": "Fractional"}],
        OfflineStoreConfig={"S3StorageConfig": {"S3Uri": lab.s3_uri("fs-sensors")}}, RoleArn=lab.role_arn)
    runtime = lab.client("sagemaker-featurestore-runtime")
    for ts, reading in [(1_700_000_000.0, 1.5), (1_700_003_600.5, 2.5)]:
        runtime.put_record(FeatureGroupName=group, Record=[
            {"FeatureName": "sensor", "ValueAsString": "7"}, {"FeatureName": "ts", "ValueAsString": str(ts)},
            {"FeatureName": "reading", "ValueAsString": str(reading)}])
    asked = pd.DataFrame({"sensor": [7, 7, 7], "at": pd.to_datetime([1_699_999_999, 1_700_003_600, 1_700_003_601],
                                                                     unit="s", utc=True)})
    got = OfflineStore(lab).point_in_time(asked, group, "sensor", "at", features=["reading"])
    assert got["reading"].fillna(-1).tolist() == [-1, 1.5, 2.5]
