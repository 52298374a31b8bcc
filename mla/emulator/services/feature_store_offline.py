"""The offline store writer: records written to S3 as Parquet in Feature Store's Glue-format layout.

``<ResolvedOutputS3Uri>/year=YYYY/month=MM/day=DD/hour=HH/<latest event time yyyyMMddTHHmmssZ>_<16 alphanumerics>.parquet``,
partitioned by event time, each row the record's features plus ``write_time``, ``api_invocation_time`` and
``is_deleted`` (https://docs.aws.amazon.com/sagemaker/latest/dg/feature-store-offline.html). AWS buffers writes
for up to 15 minutes; the local backend writes each request's rows at once.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections import defaultdict

import pyarrow as pa
import pyarrow.parquet as pq

from .sagemaker import s3io
from .sagemaker.jobs import client

ARROW_TYPES = {"Integral": pa.int64(), "Fractional": pa.float64(), "String": pa.string()}
_TIMESTAMP = pa.timestamp("ms", tz="UTC")


def schema(group) -> pa.Schema:
    return pa.schema([(f["FeatureName"], ARROW_TYPES[f["FeatureType"]]) for f in group.feature_definitions]
                     + [("write_time", _TIMESTAMP), ("api_invocation_time", _TIMESTAMP), ("is_deleted", pa.bool_())])


def write(ctx, group, rows: list[tuple[float, dict]], invoked: dt.datetime) -> list[str]:
    """Append ``rows`` (event time in epoch seconds, typed feature values) to ``group``'s offline store, with
    ``is_deleted`` as each row's values say (default False); returns the S3 URIs written."""
    partitions: dict[str, list[tuple[float, dict]]] = defaultdict(list)
    for seconds, values in rows:
        partitions[f"{dt.datetime.fromtimestamp(seconds, dt.UTC):year=%Y/month=%m/day=%d/hour=%H}"].append(
            (seconds, values))
    base = group.offline_store_config["S3StorageConfig"]["ResolvedOutputS3Uri"]
    written = []
    for partition, members in partitions.items():
        latest = dt.datetime.fromtimestamp(max(seconds for seconds, _ in members), dt.UTC)
        uri = s3io.join_uri(base, partition, f"{latest:%Y%m%dT%H%M%SZ}_{uuid.uuid4().hex[:16]}.parquet")
        bucket, key = s3io.split_uri(uri)
        client(ctx, "s3").put_object(Bucket=bucket, Key=key, Body=_parquet(group, [v for _, v in members], invoked))
        written.append(uri)
    return written


def _parquet(group, rows: list[dict], invoked: dt.datetime) -> bytes:
    columns = schema(group)
    written = dt.datetime.now(dt.UTC)
    table = pa.Table.from_pylist([{"write_time": written, "api_invocation_time": invoked, "is_deleted": False, **row}
                                  for row in rows], schema=columns)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()
