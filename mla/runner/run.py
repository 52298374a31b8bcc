"""Runs many notebooks in parallel child processes, with a wall limit each, and reports the outcome."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .execute import KERNEL_START


@dataclass
class Outcome:
    notebook: str
    status: str
    seconds: float
    cell: int | None = None
    reason: str = ""
    output: str = ""
    attempts: int = 1
    extra: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


_children: set[int] = set()  # executors running now, so a signal handler can end them
_children_lock = threading.Lock()
_stopping = threading.Event()
INTERRUPTED = {"status": "interrupted", "cell": None, "seconds": 0.0, "reason": "mla run was stopped by a signal"}


def stop_all(*_) -> None:
    """End every running notebook, kernels included, and start no more (for SIGINT/SIGTERM handlers)."""
    with _children_lock:
        _stopping.set()
        for pid in _children:
            _kill_group(pid)


def run_one(source: Path, output: Path, backend: str, cell_timeout: int, wall_limit: int, env: dict) -> dict:
    command = [sys.executable, "-m", "mla.runner.execute", str(source), str(output),
               "--backend", backend, "--cell-timeout", str(cell_timeout)]
    result_file = output.with_suffix(".result.json")
    result_file.unlink(missing_ok=True)
    start = time.monotonic()
    with _children_lock:
        if _stopping.is_set():
            return dict(INTERRUPTED)
        child = subprocess.Popen(command, env=env, start_new_session=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        _children.add(child.pid)
    try:
        log, _ = child.communicate(timeout=wall_limit)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)  # the kernel is in the same session: it goes too
        child.communicate()
        return {"status": "wall-limit", "cell": None, "seconds": round(time.monotonic() - start, 2),
                "reason": f"notebook exceeded its {wall_limit} s wall limit"}
    finally:
        _kill_group(child.pid)
        with _children_lock:
            _children.discard(child.pid)
    if _stopping.is_set() and not result_file.exists():
        return {**INTERRUPTED, "seconds": round(time.monotonic() - start, 2)}
    if result_file.exists():
        return json.loads(result_file.read_text())
    tail = " | ".join(log.strip().splitlines()[-3:])
    return {"status": "runner-crash", "cell": None, "seconds": round(time.monotonic() - start, 2),
            "reason": f"the executor exited with {child.returncode}: {tail}"[:300]}


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)  # stray kernels left by a crashed executor
    except ProcessLookupError:
        pass


def run_notebooks(notebooks: list[tuple[Path, Path]], *, run_dir: Path, backend: str = "local", workers: int = 2,
                  cell_timeout: int = 120, wall_limit: int = 600, on_done=None, sandbox=None) -> list[Outcome]:
    """Execute ``(source, relative name)`` pairs into ``run_dir``; retry only a kernel that failed to start.

    ``sandbox`` (aws mode, see mla.sandbox.runs) gives each notebook its environment and tears it down after.
    """
    env = {**os.environ, "MLA_BACKEND": backend}
    env.pop("MLA_RUN_ID", None)
    _stopping.clear()

    def job(source: Path, name: Path) -> Outcome:
        output = run_dir / name
        attempts = 1
        notebook_env = {**env, **sandbox.env_for(str(name))} if sandbox else env
        verdict = run_one(source, output, backend, cell_timeout, wall_limit, notebook_env)
        if verdict["status"] == KERNEL_START:
            attempts = 2
            verdict = run_one(source, output, backend, cell_timeout, wall_limit, notebook_env)
        if sandbox:
            verdict = sandbox.finish(str(name), verdict)
        return Outcome(str(name), verdict["status"], verdict["seconds"], verdict.get("cell"),
                       verdict.get("reason", ""), str(output), attempts)

    outcomes = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(job, source, name) for source, name in notebooks]
        for future in as_completed(futures):
            outcome = future.result()
            outcomes.append(outcome)
            if on_done:
                on_done(outcome)
    order = {str(name): i for i, (_, name) in enumerate(notebooks)}
    return sorted(outcomes, key=lambda o: order[o.notebook])
