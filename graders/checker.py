"""The authoritative verdict: evaluates test-cell checks on captured plain data, in a process of its own that
never imports or runs anything from the student's kernel (``python -I -m graders.checker`` reads a JSON job
on stdin and writes JSON verdicts to stdout)."""

from __future__ import annotations

import ast
import base64
import datetime
import importlib
import json
import resource
import subprocess
import sys

from .probes import CALL_KEY, TRUSTED_MODULES, dotted

CHECK_TIMEOUT = 60
MEMORY_BYTES = 4 << 30  # address space: pandas/pyarrow reserve thread stacks and arenas well beyond what they use


def decode(value):
    if not isinstance(value, dict):
        return value
    kind, v = value["$"], value.get("v")
    if kind == "float":
        return float(v)
    if kind in ("list", "tuple", "set", "frozenset"):
        return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[kind](decode(x) for x in v)
    if kind == "dict":
        return {decode(k): decode(x) for k, x in v}
    if kind == "bytes":
        return base64.b64decode(v)
    if kind in ("datetime", "date"):
        return getattr(datetime, kind).fromisoformat(v)
    import numpy as np
    import pandas as pd

    if kind == "ndarray":
        return np.array(v, dtype=np.dtype(value["dtype"])).reshape(value["shape"])
    if kind == "npscalar":
        return np.dtype(value["dtype"]).type(decode(v))
    if kind == "timestamp":
        return pd.Timestamp(v)
    if kind == "range":
        return pd.RangeIndex(*v, name=decode(value["name"]))
    if kind == "index":
        return pd.Index([decode(x) for x in v], dtype=value["dtype"], name=decode(value["name"]))
    if kind == "series":
        return pd.Series([decode(x) for x in v], dtype=value["dtype"], index=decode(value["index"]),
                         name=decode(value["name"]))
    if kind == "frame":
        columns = decode(value["columns"])
        data = {i: pd.Series([decode(x) for x in col], dtype=dtype, index=decode(value["index"]))
                for i, (col, dtype) in enumerate(zip(v, value["dtypes"], strict=True))}
        frame = pd.DataFrame(data, index=decode(value["index"]))
        frame.columns = columns
        return frame
    raise ValueError(f"unknown captured type {kind!r}")


class _Chains(ast.NodeTransformer):
    """Replaces ``lab.prefix`` by the captured value of that chain when only the chain could be exported, and a
    kernel call by its captured result (the checker never makes those calls itself)."""

    def __init__(self, placeholders: dict[str, str]):
        self.placeholders = placeholders

    def visit(self, node):
        if isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
            for key in (CALL_KEY + ast.unparse(node), dotted(node) if isinstance(node, ast.Attribute) else None):
                if key in self.placeholders:
                    return ast.copy_location(ast.Name(self.placeholders[key], ast.Load()), node)
        return super().visit(node)


def _message(statement: ast.stmt, namespace: dict) -> str | None:
    if isinstance(statement, ast.Assert) and statement.msg is not None:
        return str(eval(compile(ast.Expression(statement.msg), "<check>", "eval"), namespace))
    return None


def evaluate(cell: dict) -> dict:
    """All checks of one test cell in order; the first failure ends the cell (as a failing assert would)."""
    namespace = {alias: importlib.import_module(module) for alias, module in TRUSTED_MODULES.items()}
    for check in cell["checks"]:
        captured = check.get("captured")
        if captured is None:
            return {"passed": False, "index": check["index"], "reason": "not executed",
                    "message": "the test did not run to this check"}
        placeholders, errors = {}, {}
        for number, (name, entry) in enumerate(captured.items()):
            plain_name = "." not in name and not name.startswith(CALL_KEY)
            target = name if plain_name else f"__captured{number}__"
            placeholders.update({} if plain_name else {name: target})
            namespace.pop(target, None)
            if "ok" in entry:
                namespace[target] = decode(entry["ok"])
            else:
                errors[name.removeprefix(CALL_KEY)] = entry["error"]
        tree = _Chains(placeholders).visit(ast.parse(check["source"]))
        statement = ast.fix_missing_locations(tree).body[0]
        try:
            exec(compile(tree, "<check>", "exec"), namespace)
        except AssertionError:
            return {"passed": False, "index": check["index"], "reason": "assertion",
                    "message": _message(statement, namespace) or "a check failed"}
        except Exception as error:
            unexported = "; ".join(f"{k}: {v}" for k, v in errors.items())
            message = f"{type(error).__name__}: {error}" + (f" (not exported: {unexported})" if unexported else "")
            if isinstance(error, NameError) and unexported:
                message = f"could not get {unexported}"
            return {"passed": False, "index": check["index"], "reason": "error", "message": message}
    return {"passed": True}


def run(job: dict) -> dict:
    """Runs ``evaluate`` for every cell of ``job`` in a fresh checker process."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))

    done = subprocess.run([sys.executable, "-I", "-m", "graders.checker"], input=json.dumps(job), text=True,
                          capture_output=True, timeout=CHECK_TIMEOUT, preexec_fn=limit)
    if done.returncode != 0:
        raise RuntimeError(f"the checker failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def main() -> int:
    job = json.load(sys.stdin)
    json.dump({cell["key"]: evaluate(cell) for cell in job["cells"]}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
