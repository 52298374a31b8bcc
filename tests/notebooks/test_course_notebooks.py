"""Every course notebook: follows the conventions, runs headless on the local backend (so its solution passes
every graded test), and the hardened grader gives its solution full marks and the student version nbgrader
generates from it zero on every graded test (the honesty gate)."""

import pytest

from graders.hardened import grade_solution_and_student
from mla.conventions import problems
from mla.notebooks import course_notebooks, repo_root, week_of
from mla.runner.run import run_notebooks

ROOT = repo_root()
NOTEBOOKS = course_notebooks()
IDS = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_follows_the_conventions(notebook):
    assert problems(notebook) == []


@pytest.mark.notebooks
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_runs_on_the_local_backend_and_its_solution_passes(notebook, tmp_path):
    [outcome] = run_notebooks([(notebook, notebook.name)], run_dir=tmp_path, workers=1,
                              cell_timeout=120, wall_limit=300)
    assert outcome.passed, f"{outcome.status} in code cell {outcome.cell}: {outcome.reason}"


@pytest.mark.notebooks
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=IDS)
def test_hardened_grading_gives_the_solution_full_marks_and_the_student_version_zero(notebook, built_course):
    week = week_of(notebook)
    course = built_course(week.assignment)
    assert (course / "release" / week.assignment / notebook.name).exists(), "nbgrader did not release this notebook"
    solution, student = grade_solution_and_student(course, week.assignment, notebook.name)
    assert solution.tests and not solution.rejected
    assert [(t.grade_id, t.status, t.message) for t in solution.tests if t.score < t.max_score] == []
    assert [t.grade_id for t in student.tests if t.score > 0] == []
