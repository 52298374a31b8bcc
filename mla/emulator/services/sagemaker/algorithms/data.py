"""Reading a channel as the built-in algorithms do: CSV (label first, no header), LibSVM, Parquet and
RecordIO-protobuf, every file of the channel folder in name order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..jobs import JobFailure
from . import recordio

CSV, LIBSVM, PARQUET, RECORDIO = "text/csv", "text/libsvm", "application/x-parquet", "application/x-recordio-protobuf"
ALIASES = {"csv": CSV, "text/csv": CSV, "libsvm": LIBSVM, "text/libsvm": LIBSVM, "text/x-libsvm": LIBSVM,
           "parquet": PARQUET, "application/x-parquet": PARQUET, RECORDIO: RECORDIO}


def parse_content_type(value: str | None, default: str) -> tuple[str, dict[str, str]]:
    """``text/csv;label_size=1`` → (``text/csv``, {``label_size``: ``1``})."""
    mime, *rest = [part.strip() for part in (value or default).split(";")]
    params = dict(p.split("=", 1) for p in rest if "=" in p)
    return ALIASES.get(mime.lower(), mime.lower()), params


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def read_channel(folder: Path, content_type: str, supported: tuple[str, ...], label_size: int = 1,
                 sparse_ok: bool = False):
    """Features and labels (None when ``label_size`` is 0) of every file in ``folder``."""
    if content_type not in supported:
        raise JobFailure(f"ClientError: Content type {content_type} is not supported by this algorithm. "
                         f"Supported content types: {', '.join(supported)}.")
    files = files_in(folder)
    if not files:
        raise JobFailure(f"ClientError: No data in channel path {folder.name}")
    if content_type == LIBSVM:
        return _libsvm(files, sparse_ok)
    if content_type == RECORDIO:
        parts = [recordio.read_records(f.read_bytes()) for f in files]
        features = np.vstack([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts]) if label_size and all(p[1] is not None for p in parts) else None
        return features, labels
    frames = [_csv(f) if content_type == CSV else pd.read_parquet(f) for f in files]
    table = pd.concat(frames, ignore_index=True).to_numpy(dtype=np.float64)
    if label_size:
        return table[:, label_size:], table[:, 0]
    return table, None


def _csv(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, header=None)
    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        value = frame[bad[0]].dropna().astype(str).iloc[0]
        raise JobFailure(f"ClientError: Non-numeric value '{value}' found in file '{path.name}'. CSV format "
                         "requires numeric values, the label in the first column and no header line.")
    return frame


def _libsvm(files: list[Path], sparse_ok: bool):
    from scipy import sparse
    from sklearn.datasets import load_svmlight_files

    try:
        loaded = load_svmlight_files([str(f) for f in files], zero_based=True)
    except ValueError as error:
        raise JobFailure(f"ClientError: Could not parse LibSVM data: {error}") from error
    features = sparse.vstack(loaded[0::2]).tocsr()
    labels = np.concatenate(loaded[1::2])
    return (features if sparse_ok else features.toarray()), labels
