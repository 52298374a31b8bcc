"""`mla conventions` names the notebook rule a change breaks, including test cells the hardened grader cannot
check out of process."""

import nbformat

from mla.conventions import problems
from mla.notebooks import course_notebooks


def _first_test_cell(nb):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
                and not c.metadata["nbgrader"].get("solution"))


def test_a_course_notebook_is_clean_and_a_broken_test_cell_is_named(tmp_path):
    nb = nbformat.read(course_notebooks()[0], as_version=4)
    target = tmp_path / "phase1_foundations" / "week01_aws_ml_landscape" / "01_copy.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(nb, target)
    assert problems(target) == []

    cell = _first_test_cell(nb)
    cell.source = "for x in [1, 2]:\n    assert x, 'x must be truthy'"
    nbformat.write(nb, target)
    [found] = problems(target)
    assert cell.metadata["nbgrader"]["grade_id"] in found and "top level" in found

    cell.source = "assert all(answer(b) == 1 for b in [1, 2]), 'wrong'"
    nbformat.write(nb, target)
    [found] = problems(target)
    assert "comprehension variable" in found


def test_a_resource_declaration_the_sandbox_cannot_price_is_a_convention_problem(tmp_path):
    nb = nbformat.read(course_notebooks()[0], as_version=4)
    target = tmp_path / "phase1_foundations" / "week01_aws_ml_landscape" / "01_copy.ipynb"
    target.parent.mkdir(parents=True)
    nb.metadata["mla"]["resources"] = ["s3", "sagemaker"]  # a service name, not a kind the estimate knows
    nbformat.write(nb, target)
    [found] = problems(target)
    assert "cannot be priced" in found and "'sagemaker'" in found

    nb.metadata["mla"]["resources"] = ["s3", {"kind": "training", "instance_type": "ml.m5.large", "jobs": 2}]
    nbformat.write(nb, target)
    assert problems(target) == []


def test_a_written_answer_needs_points_skills_and_its_marking_guide_in_a_solution_region(tmp_path):
    nb = nbformat.read(course_notebooks()[0], as_version=4)
    target = tmp_path / "phase1_foundations" / "week01_aws_ml_landscape" / "01_copy.ipynb"
    target.parent.mkdir(parents=True)
    answer = nbformat.v4.new_markdown_cell("A model answer and the marking guide.")
    answer.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False, "points": 0,
                                   "grade_id": "design_writeup", "schema_version": 3, "task": False}
    nb.cells.insert(-1, answer)
    nbformat.write(nb, target)
    assert problems(target) == ["written answer design_writeup gives no points",
                                "written answer design_writeup has no metadata.mla.skills",
                                "written answer design_writeup must keep its model answer and marking guide between "
                                "### BEGIN SOLUTION and ### END SOLUTION"]

    answer.metadata["nbgrader"]["points"] = 5
    answer.metadata["mla"] = {"skills": ["C02:3.1.1"]}
    answer.source = "### BEGIN SOLUTION\nA model answer and the marking guide.\n### END SOLUTION"
    nbformat.write(nb, target)
    assert problems(target) == []
