"""Feature Store helpers for notebooks: offline store SQL (DuckDB locally, Amazon Athena on AWS, the same SQL)
and point-in-time correct training sets."""

from .offline import OfflineStore, QueryError, point_in_time_sql

__all__ = ["OfflineStore", "QueryError", "point_in_time_sql"]
