"""The notebook that actually runs for a submission: the student's answer cells and free cells in their order, the
instructor's locked cells from ``source/`` (restored when deleted, de-duplicated when copied, reverted when
edited), and each graded test cell replaced by its probe (see ``probes``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .probes import ConventionError, TestCell, split

MAX_SUBMISSION_BYTES = 20 << 20


class Rejected(ValueError):
    """A submission that cannot be graded at all; the message is for the instructor and the student."""


@dataclass
class GradedTest:
    grade_id: str
    points: float
    cell: TestCell


@dataclass
class Composed:
    notebook: nbformat.NotebookNode
    tests: dict[str, GradedTest]
    manual: list[str]  # grade ids of cells graded by hand (written answers)
    flags: list[str] = field(default_factory=list)
    # test cells the out-of-process grader cannot split (docs/instructor.md): not run, scored 0, reported
    unsplittable: dict[str, tuple[float, str]] = field(default_factory=dict)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def read_submission(path: Path) -> nbformat.NotebookNode:
    if path.stat().st_size > MAX_SUBMISSION_BYTES:
        raise Rejected(f"{path.name} is {path.stat().st_size >> 20} MB; the limit is {MAX_SUBMISSION_BYTES >> 20} MB")
    try:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # JSON or schema errors: this submission alone is rejected
        raise Rejected(f"{path.name} is not a valid notebook: {type(error).__name__}: {str(error)[:200]}") from error
    return notebook


def compose(source: nbformat.NotebookNode, submission: nbformat.NotebookNode,
            release: nbformat.NotebookNode | None = None) -> Composed:
    locked = {_meta(c)["grade_id"]: c for c in source.cells if _meta(c).get("locked") or _meta(c).get("grade")
              and not _meta(c).get("solution")}
    released = {_meta(c).get("grade_id"): c.source for c in (release or source).cells}
    flags, used, cells = [], set(), []
    for cell in submission.cells:
        grade_id = _meta(cell).get("grade_id")
        if grade_id in locked:
            if grade_id in used:
                flags.append(f"duplicated locked cell {grade_id} ignored")
                continue
            used.add(grade_id)
            if cell.get("source") not in (released.get(grade_id), locked[grade_id].source) \
                    or cell.cell_type != locked[grade_id].cell_type:
                flags.append(f"edited locked cell {grade_id} restored")
            cells.append(nbformat.from_dict(dict(locked[grade_id])))
        else:
            if _meta(cell).get("grade") and not _meta(cell).get("solution"):
                flags.append(f"unknown test cell {grade_id} is not graded")
                cell.metadata.pop("nbgrader", None)
            cells.append(cell)
    _restore_missing(source, locked, used, cells, flags)
    if submission.metadata.get("kernelspec", {}).get("name", "python3") != "python3":
        flags.append(f"kernelspec {submission.metadata['kernelspec'].get('name')} replaced by python3")
    tests, manual, unsplittable = {}, [], {}
    for cell in cells:
        meta = _meta(cell)
        if meta.get("grade") and meta.get("solution"):
            manual.append(meta["grade_id"])
        elif meta.get("grade") and cell.cell_type == "code":
            try:
                test = split(cell.source, meta["grade_id"])
            except ConventionError as error:
                unsplittable[meta["grade_id"]] = (float(meta.get("points", 0)), str(error))
                continue
            tests[meta["grade_id"]] = GradedTest(meta["grade_id"], float(meta.get("points", 0)), test)
    if unsplittable:
        flags.append(f"{len(unsplittable)} test cell(s) break the out-of-process convention; fix them in source/")
    kept = [c for c in cells if _meta(c).get("grade_id") not in unsplittable]
    notebook = nbformat.v4.new_notebook(cells=kept, metadata=source.metadata)
    return Composed(notebook, tests, manual, flags, unsplittable)


def _restore_missing(source, locked, used, cells, flags) -> None:
    """A deleted locked cell goes back right after the cell that preceded it in the source notebook."""
    position = {_meta(c).get("grade_id"): i for i, c in enumerate(cells) if _meta(c).get("grade_id")}
    previous = None
    for cell in source.cells:
        grade_id = _meta(cell).get("grade_id")
        if grade_id in locked and grade_id not in used:
            flags.append(f"deleted locked cell {grade_id} restored")
            at = position.get(previous, len(cells) - 1) + 1
            cells.insert(at, nbformat.from_dict(dict(cell)))
            position = {_meta(c).get("grade_id"): i for i, c in enumerate(cells) if _meta(c).get("grade_id")}
            used.add(grade_id)
        if grade_id:
            previous = grade_id
