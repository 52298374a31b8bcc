"""Grades submissions in sandboxed kernels, in parallel: compose → run the probes in the sandbox → check the
captured data out of process → per-test scores, flags and a feedback notebook with nothing secret in it."""

from __future__ import annotations

import queue
import re
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from . import checker
from .capture import MIME
from .compose import Composed, Rejected, compose, read_submission
from .redact import redact
from .sandbox import Limits, kernel_manager, protections

# what the kernel's errors and outputs tell about a submission, for the instructor's status table
SYMPTOMS = {
    "memory limit": re.compile(r"MemoryError|Cannot allocate memory"),
    "process limit": re.compile(r"Resource temporarily unavailable|BlockingIOError"),
    "disk limit": re.compile(r"File too large|No space left on device|Disk quota"),
    "network blocked": re.compile(r"Network is unreachable|Temporary failure in name resolution|Name or service not known"),
    "file access denied": re.compile(r"PermissionError|No such file or directory: '/(?:tmp|work|root)"),
}


@dataclass
class TestResult:
    grade_id: str
    score: float
    max_score: float
    status: str  # passed | failed | error | not executed
    message: str = ""


@dataclass
class Job:
    student: str
    assignment: str
    submission: Path
    source: Path  # the instructor's notebook (never reaches the kernel)
    release: Path  # the student version, for feedback; its folder's data files are staged for the kernel
    course_root: Path
    slot: int
    graded: Path | None = None  # where the executed, redacted notebook goes (nbgrader's autograded/ folder)
    limits: Limits = field(default_factory=Limits)


@dataclass
class Result:
    student: str
    assignment: str
    notebook: str
    tests: list[TestResult] = field(default_factory=list)
    manual: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    rejected: str | None = None
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Result:
        return cls(**{**data, "tests": [TestResult(**t) for t in data["tests"]]})


@dataclass
class CellRun:
    outputs: list = field(default_factory=list)
    captures: dict = field(default_factory=dict)
    error: str | None = None  # "ename: evalue" when the cell raised
    chars: int = 0


class _Kernel:
    """Runs cells one at a time in the sandboxed kernel, with per-cell and per-notebook deadlines."""

    def __init__(self, job: Job, scratch: Path, flags: list[str]):
        self.job, self.flags, self.alive = job, flags, True
        stage = scratch / "stage"
        stage.mkdir()
        for extra in job.release.parent.iterdir():
            if extra.is_file() and extra.suffix != ".ipynb":
                shutil.copy2(extra, stage / extra.name)
        self.manager = kernel_manager(scratch / "conn", stage, job.course_root, scratch, job.slot, job.limits)
        self.manager.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)
        self.deadline = time.monotonic() + job.limits.notebook_timeout

    def run(self, source: str, capture_key: str | None) -> CellRun:
        run = CellRun()
        msg_id = self.client.execute(source, allow_stdin=False, stop_on_error=False)
        cell_deadline = min(time.monotonic() + self.job.limits.cell_timeout, self.deadline)
        while True:
            left = cell_deadline - time.monotonic()
            if left <= 0:
                self._timed_out(run, msg_id)
                return run
            try:
                msg = self.client.get_iopub_msg(timeout=min(left, 1.0))
            except queue.Empty:
                if not self.manager.is_alive():
                    self._died(run)
                    return run
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content["execution_state"] == "idle":
                return run
            if kind == "display_data" and MIME in content.get("data", {}):
                captured = content["data"][MIME]
                if isinstance(captured, dict) and captured.get("cell") == capture_key:
                    run.captures[captured.get("index")] = captured.get("values")
                continue
            if kind == "error":
                run.error = f"{content.get('ename')}: {content.get('evalue')}"
            if kind in ("stream", "display_data", "execute_result", "error"):
                self._keep(run, kind, content)

    def _keep(self, run: CellRun, kind: str, content: dict) -> None:
        text = content.get("text") or "\n".join(content.get("traceback", [])) or \
            str(content.get("data", {}).get("text/plain", ""))
        text = redact(text)
        room = self.job.limits.output_chars - run.chars
        if room <= 0:
            if "output flood truncated" not in self.flags:
                self.flags.append("output flood truncated")
            return
        run.chars += len(text[:room])
        if kind == "error":
            run.outputs.append(nbformat.v4.new_output("error", ename=content.get("ename", ""),
                                                      evalue=redact(str(content.get("evalue", "")))[:room],
                                                      traceback=[]))
        else:
            run.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=text[:room]))

    def _timed_out(self, run: CellRun, msg_id: str) -> None:
        whole = time.monotonic() >= self.deadline
        run.error = "Timeout: the notebook ran out of time" if whole else "Timeout: the cell ran out of time"
        self.flags.append("notebook timeout" if whole else "cell timeout")
        if not whole:
            self.manager.interrupt_kernel()
            grace = time.monotonic() + 2
            while time.monotonic() < grace:
                try:
                    msg = self.client.get_iopub_msg(timeout=0.5)
                except queue.Empty:
                    continue
                if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status" \
                        and msg["content"]["execution_state"] == "idle":
                    return
            self.flags.append("interrupt ignored, kernel killed")
        self.stop()

    def _died(self, run: CellRun) -> None:
        run.error = "DeadKernel: the kernel died"
        self.flags.append("kernel died")
        self.alive = False

    def stop(self) -> None:
        self.alive = False
        try:
            self.client.stop_channels()
        finally:
            self.manager.shutdown_kernel(now=True)


def grade(job: Job) -> Result:
    """Grade one submission. Never raises for a bad submission: rejects it with a reason instead."""
    started = time.monotonic()
    result = Result(job.student, job.assignment, job.submission.name)
    source = nbformat.read(job.source, as_version=4)
    try:
        composed = compose(source, read_submission(job.submission), nbformat.read(job.release, as_version=4))
    except Rejected as error:
        result.rejected = str(error)
        result.tests = _unrun_tests(source)
        return result
    result.flags, result.manual = composed.flags, composed.manual
    with tempfile.TemporaryDirectory(prefix="mla-grade-") as tmp:
        runs = _execute(job, composed, Path(tmp), result.flags)
    result.tests = _verdicts(composed, runs) + [
        TestResult(grade_id, 0.0, points, "convention error", message)
        for grade_id, (points, message) in composed.unsplittable.items()]
    for symptom, pattern in SYMPTOMS.items():
        if any(pattern.search(o.get("text", "") + o.get("ename", "") + o.get("evalue", ""))
               for run in runs.values() for o in run.outputs) or any(
                   pattern.search(run.error or "") for run in runs.values()):
            result.flags.append(symptom)
    if job.graded:
        _write_feedback_notebook(job, composed, runs)
    result.seconds = round(time.monotonic() - started, 2)
    return result


def _unrun_tests(source) -> list[TestResult]:
    return [TestResult(c.metadata["nbgrader"]["grade_id"], 0.0, float(c.metadata["nbgrader"].get("points", 0)),
                       "not executed", "the submission was rejected")
            for c in source.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
            and not c.metadata["nbgrader"].get("solution")]


def _execute(job: Job, composed: Composed, scratch: Path, flags: list[str]) -> dict[int, CellRun]:
    kernel = _Kernel(job, scratch, flags)
    runs: dict[int, CellRun] = {}
    try:
        for index, cell in enumerate(composed.notebook.cells):
            if cell.cell_type != "code" or not kernel.alive:
                continue
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            test = composed.tests.get(grade_id)
            runs[index] = kernel.run(test.cell.probe if test else cell.source, grade_id if test else None)
    finally:
        if kernel.alive:
            kernel.stop()
    return runs


def _verdicts(composed: Composed, runs: dict[int, CellRun]) -> list[TestResult]:
    job, where = {"cells": []}, {}
    for index, cell in enumerate(composed.notebook.cells):
        test = composed.tests.get(cell.metadata.get("nbgrader", {}).get("grade_id"))
        if test is None:
            continue
        captures = runs[index].captures if index in runs else {}
        where[test.grade_id] = runs.get(index)
        job["cells"].append({"key": test.grade_id, "checks": [
            {"index": c.index, "source": c.source, "captured": captures.get(c.index)} for c in test.cell.checks]})
    verdicts = checker.run(job) if job["cells"] else {}
    results = []
    for grade_id, test in composed.tests.items():
        run, verdict = where.get(grade_id), verdicts.get(grade_id, {"passed": False, "reason": "not executed"})
        if run is None:
            results.append(TestResult(grade_id, 0.0, test.points, "not executed", "the test never ran"))
        elif run.error:
            hidden = any(c.hidden for c in test.cell.checks)
            detail = run.error.split(":")[0] if hidden else run.error
            results.append(TestResult(grade_id, 0.0, test.points, "error", redact(f"the test raised {detail}")[:300]))
        elif verdict["passed"]:
            results.append(TestResult(grade_id, test.points, test.points, "passed"))
        else:
            check = test.cell.checks[verdict["index"]] if "index" in verdict else None
            status = "not executed" if verdict.get("reason") == "not executed" else "failed"
            prefix = "hidden test: " if check is not None and check.hidden else ""
            results.append(TestResult(grade_id, 0.0, test.points, status, redact(prefix + verdict.get("message", ""))[:300]))
    return results


def _write_feedback_notebook(job: Job, composed: Composed, runs: dict[int, CellRun]) -> None:
    """The executed notebook as the student may see it: release test cells (no hidden tests), redacted outputs."""
    release = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nbformat.read(job.release, as_version=4).cells}
    for index, cell in enumerate(composed.notebook.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in composed.tests and grade_id in release:
            cell.source = release[grade_id].source
        if cell.cell_type == "code":
            cell.outputs = runs[index].outputs if index in runs else []
            cell.execution_count = None
    job.graded.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(composed.notebook, job.graded)


def grade_all(jobs: list[Job], workers: int, progress=None) -> list[Result]:
    """Grade in parallel worker processes (each drives its own sandboxed kernel); one bad submission never
    stops the batch. ``progress(result, total)`` is called as each one finishes."""
    results = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(grade, job): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as error:  # a grader crash on one submission is reported, never fatal to the batch
                result = Result(job.student, job.assignment, job.submission.name,
                                rejected=f"grader error: {type(error).__name__}: {error}"[:500])
            results.append(result)
            if progress:
                progress(result, len(jobs))
    return sorted(results, key=lambda r: (r.assignment, r.student, r.notebook))


def grade_solution_and_student(course_root: Path, assignment: str, notebook: str,
                               workers: int = 2) -> tuple[Result, Result]:
    """The honesty gate's two gradings of a built notebook: the instructor's solution (``source/``) and the student
    version nbgrader released (``release/``), at once as `mla course autograde` does (their kernels often wait)."""
    source, released = (course_root / folder / assignment / notebook for folder in ("source", "release"))
    jobs = [Job(who, assignment, submission, source, released, course_root, slot)
            for slot, (who, submission) in enumerate([("solution", source), ("student", released)])]
    solution, student = grade_all(jobs, workers=workers)
    return solution, student


def active_protections() -> list[str]:
    return protections().lines()
