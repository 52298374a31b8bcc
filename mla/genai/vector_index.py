"""An in-process vector index with Bedrock knowledge-base metadata filters.

Exact (brute-force) cosine search: at course scale (thousands of chunks) a matrix product is faster than
building an approximate index, and its results are the ground truth an HNSW index approximates.
Filters use the ``RetrievalFilter`` syntax of the Retrieve API
(https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_RetrievalFilter.html):
``{"andAll": [{"equals": {"key": "year", "value": 2024}}, {"in": {"key": "team", "value": ["a", "b"]}}]}``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np


class FilterError(ValueError):
    """A metadata filter that is not valid RetrievalFilter syntax."""


@dataclass
class Entry:
    id: str
    text: str
    metadata: dict = field(default_factory=dict)


def _compare(op: str, actual, expected) -> bool:
    if op == "equals":
        return actual == expected
    if op == "notEquals":
        return actual != expected
    if op == "in":
        return actual in expected
    if op == "notIn":
        return actual not in expected
    if actual is None:
        return False
    if op in ("greaterThan", "greaterThanOrEquals", "lessThan", "lessThanOrEquals"):
        if isinstance(actual, bool) or not isinstance(actual, int | float) or not isinstance(expected, int | float):
            return False
        return {"greaterThan": actual > expected, "greaterThanOrEquals": actual >= expected,
                "lessThan": actual < expected, "lessThanOrEquals": actual <= expected}[op]
    if op == "startsWith":
        return isinstance(actual, str) and actual.startswith(expected)
    if op == "stringContains":
        return (isinstance(actual, str) and expected in actual) or (
            isinstance(actual, list) and any(isinstance(a, str) and expected in a for a in actual))
    if op == "listContains":
        return isinstance(actual, list) and expected in actual
    raise FilterError(f"Unknown filter operator {op!r}.")


def matches(metadata: dict, filter_: dict | None) -> bool:
    """Whether a chunk's metadata satisfies a RetrievalFilter."""
    if not filter_:
        return True
    if len(filter_) != 1:
        raise FilterError(f"A filter must have exactly one operator, got {sorted(filter_)}.")
    (op, arg), = filter_.items()
    if op in ("andAll", "orAll"):
        if not isinstance(arg, list) or len(arg) < 2:
            raise FilterError(f"{op} needs a list of at least 2 filters.")
        results = (matches(metadata, f) for f in arg)
        return all(results) if op == "andAll" else any(results)
    if not isinstance(arg, dict) or "key" not in arg or "value" not in arg:
        raise FilterError(f"{op} needs {{'key': ..., 'value': ...}}, got {arg!r}.")
    if op in ("in", "notIn") and not isinstance(arg["value"], list):
        raise FilterError(f"{op} needs a list value.")
    return _compare(op, metadata.get(arg["key"]), arg["value"])


class VectorIndex:
    """Add vectors with their text and metadata; search by cosine similarity with an optional filter."""

    def __init__(self, dimensions: int):
        self.dimensions = dimensions
        self.entries: list[Entry] = []
        self._vectors = np.zeros((0, dimensions), dtype=np.float32)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, entries: list[Entry], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(entries), self.dimensions):
            raise ValueError(f"Expected {len(entries)} vectors of {self.dimensions} dimensions, got {vectors.shape}.")
        norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        with self._lock:
            self.entries += entries
            self._vectors = np.vstack([self._vectors, vectors / norms])

    def remove(self, predicate) -> int:
        """Drop entries for which ``predicate(entry)`` is true (e.g. a re-ingested document)."""
        with self._lock:
            keep = [i for i, e in enumerate(self.entries) if not predicate(e)]
            removed = len(self.entries) - len(keep)
            self.entries = [self.entries[i] for i in keep]
            self._vectors = self._vectors[keep]
        return removed

    def search(self, vector: np.ndarray, k: int, filter_: dict | None = None) -> list[tuple[Entry, float]]:
        """The ``k`` most similar entries passing ``filter_``, best first, with cosine scores."""
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        query = query / max(float(np.linalg.norm(query)), 1e-12)
        with self._lock:
            entries, vectors = list(self.entries), self._vectors
        allowed = np.array([matches(e.metadata, filter_) for e in entries], dtype=bool)
        if not allowed.any():
            return []
        scores = vectors @ query
        scores[~allowed] = -np.inf
        top = np.argsort(-scores, kind="stable")[:min(k, int(allowed.sum()))]
        return [(entries[i], float(scores[i])) for i in top]
