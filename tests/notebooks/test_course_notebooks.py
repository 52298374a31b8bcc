"""Every course notebook: follows the conventions, runs headless on the local backend (so its solution passes
every graded test), and its generated student version fails every graded test (the honesty gate)."""

import pytest

from graders.course import build
from graders.honesty import student_passes
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
def test_student_version_fails_every_graded_test(notebook, tmp_path):
    week = week_of(notebook)
    build(tmp_path, only=[week.assignment])
    released = tmp_path / "release" / week.assignment / notebook.name
    assert released.exists(), "nbgrader did not release this notebook"
    assert student_passes(released) == []
