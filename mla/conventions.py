"""The notebook conventions (docs/notebook-conventions.md), as checks that name the notebook and the rule."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from .notebooks import week_number
from .sandbox.config import SandboxConfig
from .sandbox.estimate import EstimateError, declared_resources, estimate
from .syllabus import unknown_tags

BOOTSTRAP = re.compile(r"from mla\.lab import start\s+lab = start\(BACKEND\)")
ACCOUNT_ID = re.compile(r"(?<![\d.])\d{12}(?![\d.])")
DRY_RUN_WALL_LIMIT_S = 600  # `mla run`'s default --wall-limit


def problems(path: Path) -> list[str]:
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # a malformed notebook is a finding, not a crash
        return [f"cannot be read as a notebook: {error}"]
    found = []
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code or "parameters" not in code[0].metadata.get("tags", []):
        found.append("the first code cell must be tagged `parameters` (it sets BACKEND)")
    elif "BACKEND" not in code[0].source:
        found.append("the parameters cell must set BACKEND")
    if len(code) < 2 or not BOOTSTRAP.search(code[1].source):
        found.append("the second code cell must be the lab bootstrap: `from mla.lab import start` / `lab = start(BACKEND)`")
    if not code or "lab.cleanup()" not in code[-1].source:
        found.append("the last code cell must clean up with `lab.cleanup()`")
    meta = nb.metadata.get("mla", {})
    week = week_number(path)
    if week is None or meta.get("week") != week:
        found.append("metadata.mla.week must be the number of the week folder the notebook is in")
    if not meta.get("skills"):
        found.append("metadata.mla.skills must list the C02 skills the notebook serves")
    found += [f"unknown exam tag {t!r} in metadata.mla" for t in unknown_tags(meta.get("skills", []) + meta.get("c01_tasks", []))]
    found += _pricing_problems(nb.metadata)
    graded = 0
    for number, cell in enumerate(code, start=1):
        if cell.get("outputs") or cell.get("execution_count"):
            found.append(f"code cell {number} has outputs committed")
        if re.search(r"\binput\s*\(", cell.source):
            found.append(f"code cell {number} calls input(), which blocks headless runs")
        if ACCOUNT_ID.search(cell.source) or "arn:aws:" in cell.source:
            found.append(f"code cell {number} hard-codes an account id or ARN; use lab.account_id / lab.role_arn")
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("solution") or grading.get("grade"):
            tags = cell.metadata.get("mla", {}).get("skills", [])
            if not tags:
                found.append(f"exercise cell {grading.get('grade_id')} has no metadata.mla.skills")
            found += [f"unknown exam tag {t!r} on {grading.get('grade_id')}" for t in unknown_tags(tags)]
        if grading.get("grade") and not grading.get("solution"):
            graded += 1
            if not grading.get("points"):
                found.append(f"graded test cell {grading.get('grade_id')} gives no points")
            found += _out_of_process_problems(cell.source, grading.get("grade_id"))
    if graded == 0:
        found.append("the notebook has no graded test cell")
    found += _written_answer_problems(nb)
    return found


def _written_answer_problems(nb) -> list[str]:
    """A manually graded written answer (a design write-up) keeps its model answer and marking guide for the
    instructor inside a solution region, which nbgrader blanks in the student version."""
    found = []
    for cell in nb.cells:
        grading = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "markdown" or not (grading.get("grade") and grading.get("solution")):
            continue
        name = grading.get("grade_id")
        if not grading.get("points"):
            found.append(f"written answer {name} gives no points")
        if not cell.metadata.get("mla", {}).get("skills"):
            found.append(f"written answer {name} has no metadata.mla.skills")
        found += [f"unknown exam tag {t!r} on {name}" for t in unknown_tags(cell.metadata.get("mla", {}).get("skills", []))]
        if "### BEGIN SOLUTION" not in cell.source or "### END SOLUTION" not in cell.source:
            found.append(f"written answer {name} must keep its model answer and marking guide between "
                         "### BEGIN SOLUTION and ### END SOLUTION")
    return found


def _pricing_problems(metadata) -> list[str]:
    """`mla run --backend aws` refuses a notebook whose declared resources it cannot price."""
    caps = SandboxConfig(account_id="", regions=("us-east-1",))
    try:
        estimate("", declared_resources(metadata), region=caps.regions[0], instance_types=caps.instance_types,
                 max_runtime_seconds=caps.max_runtime_seconds, wall_limit_s=DRY_RUN_WALL_LIMIT_S)
    except EstimateError as error:
        return [f"metadata.mla.resources cannot be priced for the AWS sandbox ({error}); see docs/sandbox.md"]
    return []


def _out_of_process_problems(source: str, grade_id: str) -> list[str]:
    """The hardened grader checks test cells out of process (docs/instructor.md); a cell it cannot split would
    score 0 for every student."""
    from graders.probes import ConventionError, split

    try:
        split(source, grade_id)
    except ConventionError as error:
        return [f"{error} (see the test-cell convention in docs/instructor.md)"]
    return []
