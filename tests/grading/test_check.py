"""`mla check` grades a learner's notebook with nbgrader's autograde and the hidden tests."""

import shutil

import nbformat
import pytest

from graders.check import CheckError, check
from graders.course import build
from mla.cli import main
from mla.notebooks import weeks
from mla.progress.store import open_store

WEEK = weeks()[0]
NOTEBOOK = WEEK.notebooks[0]


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    build(root, only=[WEEK.assignment])
    return root / "release" / WEEK.assignment / NOTEBOOK.name


def as_learner_copy(source, tmp_path):
    target = tmp_path / WEEK.phase / WEEK.assignment / NOTEBOOK.name
    target.parent.mkdir(parents=True)
    shutil.copy2(source, target)
    return target


@pytest.mark.notebooks
def test_unsolved_release_scores_zero_and_solution_scores_full(released, tmp_path, data_dirs, capsys):
    unsolved = check(as_learner_copy(released, tmp_path / "a"))
    assert unsolved and all(s.score == 0 for s in unsolved)
    assert main(["check", str(as_learner_copy(NOTEBOOK, tmp_path / "b"))]) == 0
    printed = capsys.readouterr().out
    scores = open_store().exercise_scores()
    assert [s["score"] for s in scores] == [s["max_score"] for s in scores] and len(scores) == len(unsolved)
    assert f"total {sum(s['score'] for s in scores):g} / {sum(s['max_score'] for s in scores):g}" in printed


@pytest.mark.notebooks
def test_a_wrong_answer_loses_the_exercise_points(released, tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:  # the learner's answer to exercise 1 forgets to leave out the partition column
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "ex1_upload_partitioned":
            cell.source = cell.source.replace('part.drop(columns="day")', "part")
    wrong = tmp_path / "wrong.ipynb"
    nbformat.write(nb, wrong)
    scores = {s.exercise: s.score for s in check(as_learner_copy(wrong, tmp_path / "c"))}
    assert scores["ex1_upload_partitioned_tests"] == 0
    assert scores["ex2_read_partitioned_tests"] > 0


@pytest.mark.notebooks
def test_a_right_answer_that_warns_or_a_deleted_test_cell_is_graded_as_it_should(released, tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "ex1_upload_partitioned":  # right, but warns on stderr when the tests call it
            cell.source = "import warnings\n\n" + cell.source.replace(
                "    keys = []", "    warnings.warn('this argument is going away', FutureWarning)\n    keys = []", 1)
    nb.cells = [c for c in nb.cells  # the learner deleted a test cell: it is put back and run
                if c.metadata.get("nbgrader", {}).get("grade_id") != "ex2_read_partitioned_tests"]
    edited = tmp_path / "edited.ipynb"
    nbformat.write(nb, edited)
    scores = {s.exercise: (s.score, s.max_score) for s in check(as_learner_copy(edited, tmp_path / "d"))}
    assert scores["ex1_upload_partitioned_tests"][0] == scores["ex1_upload_partitioned_tests"][1]
    assert scores["ex2_read_partitioned_tests"][0] == scores["ex2_read_partitioned_tests"][1]


def test_a_notebook_outside_the_course_is_rejected_clearly(tmp_path, capsys):
    stray = tmp_path / "mine.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), stray)
    with pytest.raises(CheckError, match="not a course notebook"):
        check(stray)
    assert main(["check", str(tmp_path / "missing.ipynb")]) == 2
    assert "does not exist" in capsys.readouterr().out
