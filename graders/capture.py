"""Runs in the student's kernel: exports the values a check reads as plain data on a display output.

Only exact built-in, numpy and pandas types are encoded; anything else (an object with a custom ``__eq__``,
a subclass of ``int``, a function) is exported as an error, so the check fails. The kernel is untrusted: what
this module sends is only ever *data* to the checker, which decodes it without running anything of the kernel's."""

from __future__ import annotations

import base64
import datetime
import json

MIME = "application/vnd.mla.capture+json"
CALL_KEY = "call:"  # as in graders.probes (not imported: this module runs in the kernel and stays standalone)
MAX_BYTES = 8 << 20


DICT_VIEWS = (type({}.keys()), type({}.values()), type({}.items()))


class NotPlainData(TypeError):
    pass


def _pandas_dtype(series) -> str:
    return str(series.dtype)


def encode(value, depth: int = 0):
    if depth > 20:
        raise NotPlainData("nested too deeply")
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return {"$": "float", "v": repr(value)}
    if kind in DICT_VIEWS:  # results.values(), board.items(): checked as the list they iterate
        return {"$": "list", "v": [encode(v, depth + 1) for v in value]}
    if kind in (list, tuple, set, frozenset):
        items = sorted(value, key=repr) if kind in (set, frozenset) else value
        return {"$": kind.__name__, "v": [encode(v, depth + 1) for v in items]}
    if kind is dict:
        return {"$": "dict", "v": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if kind is bytes:
        return {"$": "bytes", "v": base64.b64encode(value).decode()}
    if kind in (datetime.datetime, datetime.date):
        return {"$": kind.__name__, "v": value.isoformat()}
    module = kind.__module__.split(".")[0]
    if module == "numpy":
        return _numpy(value, depth)
    if module == "pandas":
        return _pandas(value, depth)
    raise NotPlainData(f"{kind.__module__}.{kind.__qualname__} is not plain data")


def _numpy(value, depth):
    import numpy as np

    if type(value) is np.ndarray:
        if value.dtype.kind not in "biufUS":
            return {"$": "list", "v": [encode(v, depth + 1) for v in value.tolist()]}
        return {"$": "ndarray", "dtype": value.dtype.str, "shape": list(value.shape), "v": value.tolist()}
    if isinstance(value, np.generic) and type(value).__module__ == "numpy":
        return {"$": "npscalar", "dtype": value.dtype.str, "v": encode(value.item(), depth + 1)}
    raise NotPlainData(f"numpy {type(value).__name__} is not plain data")


def _column(values, depth):
    return [encode(v, depth + 1) for v in values.tolist()]


def _pandas(value, depth):
    import pandas as pd

    kind = type(value)
    if kind is pd.Timestamp:
        return {"$": "timestamp", "v": value.isoformat()}
    if kind is pd.RangeIndex:
        return {"$": "range", "v": [value.start, value.stop, value.step], "name": encode(value.name, depth + 1)}
    if kind is pd.Index:
        return {"$": "index", "dtype": str(value.dtype), "v": _column(value, depth), "name": encode(value.name, depth + 1)}
    if kind is pd.Series:
        return {"$": "series", "dtype": _pandas_dtype(value), "v": _column(value, depth),
                "index": encode(value.index, depth + 1), "name": encode(value.name, depth + 1)}
    if kind is pd.DataFrame:
        return {"$": "frame", "columns": encode(value.columns, depth + 1), "index": encode(value.index, depth + 1),
                "dtypes": [_pandas_dtype(value.iloc[:, i]) for i in range(value.shape[1])],
                "v": [_column(value.iloc[:, i], depth) for i in range(value.shape[1])]}
    raise NotPlainData(f"pandas {kind.__name__} is not plain data")


def capture(cell: str, index: int, getters: dict) -> None:
    values = {}
    for name, getter in getters.items():
        whole = values.get(name.split(".")[0], {}) if "." in name and not name.startswith(CALL_KEY) else {}
        if "ok" in whole:  # the whole object was exported; its attributes come with it
            continue
        try:
            values[name] = {"ok": encode(getter())}
        except Exception as error:  # the check fails with this message; the student's code keeps running
            values[name] = {"error": f"{type(error).__name__}: {error}"[:300]}
    text = json.dumps(values)
    if len(text) > MAX_BYTES:
        values = {name: {"error": "value too large to check"} for name in values}
    from IPython.display import publish_display_data

    publish_display_data({MIME: {"cell": cell, "index": index, "values": values}})
