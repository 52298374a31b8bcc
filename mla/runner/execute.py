"""Runs ONE notebook with papermill in a child process and writes a JSON verdict next to the output.

Kept in its own process so the parent can enforce a wall limit by killing the whole process group,
kernel included.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

KERNEL_START = "kernel-start"


def classify(output_path: Path, error: BaseException | None) -> dict:
    """Decide pass/fail from papermill's per-cell status, which also catches a notebook that stopped early.

    Cells are numbered as in the source notebook (papermill's injected-parameters cell is not counted).
    """
    import nbformat

    failing = None
    pending = []
    if output_path.exists():
        nb = nbformat.read(output_path, as_version=4)
        code_cells = [c for c in nb.cells if c.cell_type == "code"
                      and "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
        for position, cell in enumerate(code_cells, start=1):
            status = cell.get("metadata", {}).get("papermill", {}).get("status")
            if status == "failed" and failing is None:
                failing = position
            elif status == "pending":
                pending.append(position)
        # papermill marks every cell "completed" when the kernel never started; only a start time is telling
        started = any(c.get("metadata", {}).get("papermill", {}).get("start_time") for c in code_cells)
    else:
        started = False
    if error is not None:
        name = type(error).__name__
        if name == "CellTimeoutError":
            return {"status": "timeout", "cell": failing or (pending[0] if pending else None),
                    "reason": "cell exceeded the per-cell timeout"}
        if name == "DeadKernelError":
            return {"status": "kernel-died", "cell": failing or (pending[0] if pending else None),
                    "reason": "the kernel died"}
        if name == "PapermillExecutionError":
            return {"status": "error", "cell": failing, "reason": f"{error.ename}: {error.evalue}"[:300]}
        if not started:
            return {"status": KERNEL_START, "cell": None, "reason": f"{name}: {error}"[:300]}
        return {"status": "error", "cell": failing, "reason": f"{name}: {error}"[:300]}
    if pending:
        return {"status": "incomplete", "cell": pending[0],
                "reason": f"{len(pending)} code cell(s) never ran (the notebook stopped early, e.g. sys.exit)"}
    return {"status": "passed", "cell": None, "reason": ""}


def run(source: Path, output: Path, backend: str, cell_timeout: int) -> dict:
    import papermill

    output.parent.mkdir(parents=True, exist_ok=True)
    error = None
    start = time.monotonic()
    try:
        papermill.execute_notebook(
            str(source), str(output), parameters={"BACKEND": backend}, kernel_name="python3", language="python",
            execution_timeout=cell_timeout, progress_bar=False, log_output=False, cwd=str(source.parent),
        )
    except Exception as exc:  # every failure is reported, not raised: the run goes on to the next notebook
        error = exc
    verdict = classify(output, error)
    verdict["seconds"] = round(time.monotonic() - start, 2)
    return verdict


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("source", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--backend", default="local")
    parser.add_argument("--cell-timeout", type=int, default=120)
    args = parser.parse_args()
    verdict = run(args.source, args.output, args.backend, args.cell_timeout)
    args.output.with_suffix(".result.json").write_text(json.dumps(verdict))
    sys.exit(0)


if __name__ == "__main__":
    main()
