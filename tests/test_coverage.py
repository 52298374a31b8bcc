"""`mla coverage` counts notebooks, exercises and questions per C02 skill and names the gaps."""

from mla.cli import main
from mla.coverage import add_questions, gaps, notebook_coverage
from mla.notebooks import course_notebooks
from mla.syllabus import c02_skills


def test_syllabus_has_every_c02_skill():
    skills = c02_skills()
    assert len(skills) == 107
    assert [sum(s.startswith(f"{d}.") for s in skills) for d in (1, 2, 3, 4)] == [25, 27, 30, 25]


def test_notebook_and_exercise_tags_are_counted():
    first = [p for p in course_notebooks() if p.name == "01_start_here.ipynb"]
    table = notebook_coverage(first)
    assert table["1.1.1"].notebooks == ["phase1_foundations/week01_aws_ml_landscape/01_start_here.ipynb"]
    assert table["1.1.1"].exercises == [
        "phase1_foundations/week01_aws_ml_landscape/01_start_here.ipynb#ex2_read_partitioned_tests"]
    assert table["4.3.9"].notebooks == []


def test_questions_count_and_gaps_are_listed():
    table = notebook_coverage([])
    add_questions(table, [("q1", ["C02:4.3.9", "C01:4.3"]), ("q2", ["C02:4.3.9"])])
    assert table["4.3.9"].questions == ["q1", "q2"]
    assert "4.3.9" not in gaps(table, ("questions",), {4})
    assert "4.3.8" in gaps(table, ("questions",), {4})


def test_cli_fails_with_the_list_of_gaps(capsys, monkeypatch):
    monkeypatch.setattr("mla.commands.coverage._questions", lambda: [("q1", ["C02:4.3.9"])])
    assert main(["coverage", "--domain", "4", "--need", "questions"]) == 1
    out = capsys.readouterr().out
    assert "4.3.8" in out.split("lack")[1] and "4.3.9" not in out.split("lack")[1]
