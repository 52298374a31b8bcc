"""Query a feature group's offline store with SQL: Amazon Athena on AWS, DuckDB over the emulated S3 locally.

The SQL is the same on both: tables are named as the Glue Data Catalog names them (``OfflineStore.table`` gives
``"sagemaker_featurestore"."<table>"`` from ``DescribeFeatureGroup``), and locally DuckDB reads the Parquet files
under each table's Glue location, with Athena's ``from_iso8601_timestamp`` and ``from_unixtime`` defined. The
point-in-time training set follows Feature Store's documented "time travel" query (latest record per identifier
at or before a time, ties broken by ``api_invocation_time`` then ``write_time``;
https://docs.aws.amazon.com/sagemaker/latest/dg/feature-store-athena-glue-integration.html), per entity row.
"""

from __future__ import annotations

import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

_IDENT = r'(?:"([^"]+)"|([A-Za-z_]\w*))'
_QUALIFIED = re.compile(_IDENT + r"\s*\.\s*" + _IDENT)
_DUCKDB_TYPES = {"bigint": "BIGINT", "int": "INTEGER", "double": "DOUBLE", "float": "FLOAT", "string": "VARCHAR",
                 "boolean": "BOOLEAN", "timestamp": "TIMESTAMPTZ"}
# Athena (Trino) functions the feature store queries use, defined for DuckDB
_ATHENA_FUNCTIONS = ("CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)",
                     "CREATE MACRO from_unixtime(x) AS to_timestamp(x)")
_ATHENA_TYPES = {"tinyint": "Int64", "smallint": "Int64", "integer": "Int64", "bigint": "Int64", "double": "float64",
                 "float": "float64", "real": "float64", "decimal": "float64", "boolean": "boolean"}


class QueryError(RuntimeError):
    """The query failed (bad SQL, unknown table...), with the engine's reason."""


class OfflineStore:
    """``store = OfflineStore(lab)``; ``store.query(f"SELECT * FROM {store.table(name)} LIMIT 10")``.

    On the local backend the queries run in DuckDB; on AWS through Athena (``start_query_execution``), writing
    results under ``athena_output`` (default ``lab.s3_uri("athena-results")``).
    """

    def __init__(self, lab, engine: str | None = None, athena_output: str | None = None, workgroup: str = "primary"):
        self._sagemaker = lab.client("sagemaker")
        engine = engine or ("duckdb" if lab.backend == "local" else "athena")
        if engine == "duckdb":
            self._engine = _DuckDB(lab.client("glue"), lab.client("s3"))
        elif engine == "athena":
            self._engine = _Athena(lab.client("athena"), athena_output or lab.s3_uri("athena-results"), workgroup)
        else:
            raise ValueError(f"engine must be 'duckdb' or 'athena', not {engine!r}")

    def table(self, feature_group_name: str) -> str:
        """The feature group's offline table as SQL names it, e.g. ``"sagemaker_featurestore"."orders-1700000000"``."""
        config = self._sagemaker.describe_feature_group(FeatureGroupName=feature_group_name).get("OfflineStoreConfig")
        if not config or "DataCatalogConfig" not in config:
            raise ValueError(f"Feature group {feature_group_name} has no offline store table in the Data Catalog.")
        catalog = config["DataCatalogConfig"]
        return f'"{catalog["Database"]}"."{catalog["TableName"]}"'

    def query(self, sql: str) -> pd.DataFrame:
        return self._engine.query(sql)

    def point_in_time(self, entities: pd.DataFrame, feature_group_name: str, id_column: str, time_column: str,
                      features: list[str] | None = None) -> pd.DataFrame:
        """``entities`` (e.g. labelled events) with, for each row, the features of the group's latest record for
        ``id_column`` at or before ``time_column`` (null when there is none or it was deleted); records after that
        time never leak in. Feature columns named like an entity column get the suffix ``_feature``."""
        described = self._sagemaker.describe_feature_group(FeatureGroupName=feature_group_name)
        types = {f["FeatureName"]: f["FeatureType"] for f in described["FeatureDefinitions"]}
        record_id, event_time = described["RecordIdentifierFeatureName"], described["EventTimeFeatureName"]
        features = features or [name for name in types if name != record_id]
        times = pd.to_datetime(entities[time_column], utc=True)
        if times.isna().any():
            raise ValueError(f"every entity row needs a {time_column}")
        rows = list(zip(range(len(entities)), entities[id_column].astype(str), times.map(_iso), strict=True))
        sql = point_in_time_sql(self.table(feature_group_name), record_id, event_time, types[event_time], features,
                                rows)
        found = self.query(sql) if rows else pd.DataFrame(columns=["mla_row", *features])
        joined = entities.reset_index(drop=True).assign(mla_row=range(len(entities))).merge(
            found, on="mla_row", how="left", suffixes=("", "_feature"))
        joined.index = entities.index
        return joined.drop(columns="mla_row")


def point_in_time_sql(table: str, record_id: str, event_time: str, event_time_type: str, features: list[str],
                      entities: list[tuple[int, str, str]]) -> str:
    """SQL (Athena and DuckDB alike) selecting, per ``(row, record id, ISO-8601 time)`` entity, ``features`` of
    the latest record of ``table`` for that id at or before that time."""
    values = ",\n    ".join(f"({row}, {_literal(ident)}, {_literal(when)})" for row, ident, when in entities)
    record_time = (f'from_iso8601_timestamp(f."{event_time}")' if event_time_type == "String"
                   else f'from_unixtime(f."{event_time}")')
    selected = ", ".join(f'f."{name}"' for name in features)
    return f"""WITH entities (mla_row, mla_id, mla_time) AS (VALUES
    {values}),
ranked AS (
  SELECT e.mla_row, {selected},
         row_number() OVER (PARTITION BY e.mla_row
                            ORDER BY {record_time} DESC, f.api_invocation_time DESC, f.write_time DESC) AS row_num
  FROM entities e JOIN {table} f
    ON CAST(f."{record_id}" AS VARCHAR) = e.mla_id AND {record_time} <= from_iso8601_timestamp(e.mla_time)
)
SELECT mla_row, {", ".join(f'"{name}"' for name in features)} FROM ranked WHERE row_num = 1"""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _iso(when: pd.Timestamp) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class _DuckDB:
    """Each query gets a fresh DuckDB with the Glue tables it names as views over their Parquet files."""

    def __init__(self, glue, s3):
        self._glue, self._s3 = glue, s3

    def query(self, sql: str) -> pd.DataFrame:
        import duckdb

        connection = duckdb.connect()
        connection.execute("SET TimeZone = 'UTC'")
        for macro in _ATHENA_FUNCTIONS:
            connection.execute(macro)
        with tempfile.TemporaryDirectory(prefix="mla-offline-") as folder:
            for database, table in self._tables_named_in(sql):
                self._attach(connection, database, table, Path(folder) / database / table)
            try:
                return connection.sql(sql).df()
            except duckdb.Error as error:
                raise QueryError(str(error)) from None

    def _tables_named_in(self, sql: str) -> set[tuple[str, str]]:
        databases = {d["Name"] for page in self._glue.get_paginator("get_databases").paginate()
                     for d in page["DatabaseList"]}
        named = set()
        for match in _QUALIFIED.finditer(sql):
            database, table = (match.group(1) or match.group(2)).lower(), match.group(3) or match.group(4)
            if database in databases:
                named.add((database, table))
        return named

    def _attach(self, connection, database: str, table: str, folder: Path) -> None:
        try:
            found = self._glue.get_table(DatabaseName=database, Name=table)["Table"]
        except self._glue.exceptions.EntityNotFoundException:
            return  # DuckDB then reports the unknown table, as Athena would
        descriptor = found["StorageDescriptor"]
        count = self._download(descriptor["Location"], folder)
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{database}"')
        name = f'"{database}"."{table}"'
        if count:
            pattern = str(folder / "**" / "*.parquet").replace("'", "''")
            connection.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{pattern}', hive_partitioning = "
                               "true, hive_types_autocast = false, union_by_name = true)")
        else:
            columns = descriptor["Columns"] + found.get("PartitionKeys", [])
            ddl = ", ".join(f'"{c["Name"]}" {_DUCKDB_TYPES.get(c["Type"], "VARCHAR")}' for c in columns)
            connection.execute(f"CREATE TABLE {name} ({ddl})")

    def _download(self, location: str, folder: Path) -> int:
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        prefix = prefix.rstrip("/") + "/"
        keys = [item["Key"] for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
                for item in page.get("Contents", []) if item["Key"].endswith(".parquet")]

        def fetch(key: str) -> None:
            target = folder / key[len(prefix):]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self._s3.get_object(Bucket=bucket, Key=key)["Body"].read())

        with ThreadPoolExecutor(max_workers=8) as pool:  # one small file per write: fetch them side by side
            list(pool.map(fetch, keys))
        return len(keys)


class _Athena:
    def __init__(self, athena, output: str, workgroup: str, poll_seconds: float = 1.0):
        self._athena, self._output, self._workgroup, self._poll = athena, output, workgroup, poll_seconds

    def query(self, sql: str) -> pd.DataFrame:
        query_id = self._athena.start_query_execution(
            QueryString=sql, WorkGroup=self._workgroup,
            ResultConfiguration={"OutputLocation": self._output})["QueryExecutionId"]
        while True:
            status = self._athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
            if status["State"] == "SUCCEEDED":
                break
            if status["State"] in ("FAILED", "CANCELLED"):
                raise QueryError(status.get("StateChangeReason", status["State"]))
            time.sleep(self._poll)
        columns, rows = None, []
        for page in self._athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
            result = page["ResultSet"]
            page_rows = [[cell.get("VarCharValue") for cell in row["Data"]] for row in result["Rows"]]
            if columns is None:
                columns = result["ResultSetMetadata"]["ColumnInfo"]
                page_rows = page_rows[1:]  # a SELECT's first row repeats the column names
            rows += page_rows
        frame = pd.DataFrame(rows, columns=[c["Name"] for c in columns or []])
        for column in columns or []:
            frame[column["Name"]] = _typed_column(frame[column["Name"]], column["Type"])
        return frame


def _typed_column(values: pd.Series, athena_type: str) -> pd.Series:
    kind = athena_type.split("(")[0]
    if kind.startswith("timestamp"):
        return pd.to_datetime(values, utc=True)
    if kind == "boolean":
        return values.map({"true": True, "false": False}).astype("boolean")
    if kind in _ATHENA_TYPES:
        return pd.to_numeric(values).astype(_ATHENA_TYPES[kind])
    return values
