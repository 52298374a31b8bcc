"""Which folders are nbgrader assignments: a week folder of notebooks, or each project folder in a week of projects."""

import nbformat

from mla.notebooks import week_number, weeks


def _notebook(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(), path)
    return path


def test_a_week_of_projects_gives_one_assignment_per_project_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MLA_COURSE_ROOT", str(tmp_path))
    phase = tmp_path / "phase5_certification"
    _notebook(phase / "week09_exam_readiness" / "01_strategy.ipynb")
    capstone = _notebook(phase / "week10_capstones" / "capstone2_rag" / "capstone.ipynb")
    _notebook(phase / "week10_capstones" / "capstone1_mlops" / "capstone.ipynb")
    _notebook(phase / "week10_capstones" / ".ipynb_checkpoints" / "capstone-checkpoint.ipynb")
    (phase / "week10_capstones" / "notes").mkdir()

    found = [(w.assignment, w.relative) for w in weeks()]
    assert found == [("week09_exam_readiness", "week09_exam_readiness"),
                     ("capstone1_mlops", "week10_capstones/capstone1_mlops"),
                     ("capstone2_rag", "week10_capstones/capstone2_rag")]
    assert week_number(capstone) == 10 and [w.number for w in weeks()] == [9, 10, 10]
    assert week_number(tmp_path / "elsewhere" / "x.ipynb") is None
