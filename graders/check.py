"""``mla check``: grade one learner notebook with nbgrader's autograde, in a throwaway course root."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mla.notebooks import weeks

from .course import api_for, copy_sources

LEARNER = "learner"


@dataclass
class ExerciseScore:
    exercise: str
    score: float
    max_score: float


class CheckError(RuntimeError):
    pass


def check(notebook: Path) -> list[ExerciseScore]:
    notebook = Path(notebook)
    if not notebook.is_file():
        raise CheckError(f"{notebook} does not exist")
    assignment = notebook.parent.name
    week = next((w for w in weeks() if w.assignment == assignment), None)
    if week is None or not (week.folder / notebook.name).exists():
        raise CheckError(f"{notebook} is not a course notebook (expected <workspace>/<phase>/<week>/<notebook>.ipynb)")
    with tempfile.TemporaryDirectory(prefix="mla-check-") as tmp:
        root = Path(tmp)
        api = api_for(root)
        copy_sources(week, root)
        generated = api.generate_assignment(assignment, force=True, create=True)
        if not generated["success"]:
            raise CheckError(f"could not prepare the grader: {generated.get('error')}")
        submitted = root / "submitted" / LEARNER / assignment
        submitted.mkdir(parents=True)
        shutil.copy2(notebook, submitted / notebook.name)
        graded = api.autograde(assignment, LEARNER, force=True, create=True)
        if not graded["success"]:
            raise CheckError(f"autograding failed:\n{graded.get('error') or graded.get('log')}")
        with api.gradebook as gradebook:
            result = gradebook.find_submission_notebook(notebook.stem, assignment, LEARNER)
            return [ExerciseScore(g.name, float(g.score or 0), float(g.max_score)) for g in result.grades]
