"""`mla course` runs the whole instructor cycle on week 1: build, release, collect an LMS zip, hardened
autograde, feedback without hidden tests, CSV and Canvas exports, status."""

import csv
import re
import shutil
import zipfile

import pytest

from mla.cli import main
from mla.notebooks import weeks

pytestmark = pytest.mark.notebooks
WEEK = weeks()[0]
NOTEBOOK = WEEK.notebooks[0].name


def test_whole_cycle_on_a_week(tmp_path, capsys):
    root = tmp_path / "course"

    def mla(*args):
        return main(["course", args[0], "--root", str(root), *args[1:]])

    assert mla("build", "--only", WEEK.assignment) == 0
    assert mla("release", WEEK.assignment) == 0
    assert any((root / "exchange").rglob(NOTEBOOK))
    lms = tmp_path / "canvas.zip"
    with zipfile.ZipFile(lms, "w") as archive:  # Canvas names: <login>_[LATE_]<ids>_<file>
        archive.write(root / "source" / WEEK.assignment / NOTEBOOK, f"smithjo_1234_5678_{NOTEBOOK}")
        archive.write(root / "release" / WEEK.assignment / NOTEBOOK, f"doeja_LATE_2345_6789_{NOTEBOOK}")
    roster = tmp_path / "roster.csv"
    roster.write_text("name,student_id\nsmithjo,s1\ndoeja,s2\n")
    assert mla("collect", WEEK.assignment, str(lms), "--roster", str(roster)) == 0
    assert (root / "submitted" / "s1" / WEEK.assignment / NOTEBOOK).exists()

    assert mla("autograde", WEEK.assignment, "--workers", "2") == 0
    out = capsys.readouterr().out
    full, zero = re.search(r"s1 .*?(\d+)/(\d+)", out), re.search(r"s2 .*?(\d+)/(\d+)", out)
    assert full[1] == full[2] != "0" and zero[1] == "0"  # the solution earns every point, the student version none
    assert "network: new namespace" in out

    assert mla("feedback", WEEK.assignment) == 0
    for student in ("s1", "s2"):
        html = (root / "feedback" / student / WEEK.assignment / NOTEBOOK.replace(".ipynb", ".html")).read_text()
        assert "fresh_keys" not in html and "HIDDEN TESTS" not in html  # hidden tests stay hidden

    assert mla("export", str(tmp_path / "grades.csv")) == 0
    rows = {r["student_id"]: r for r in csv.DictReader(open(tmp_path / "grades.csv"))}
    assert float(rows["s1"]["score"]) == float(full[1]) and float(rows["s2"]["score"]) == 0
    assert mla("export", str(tmp_path / "canvas.csv"), "--format", "canvas") == 0
    assert open(tmp_path / "canvas.csv").read().splitlines()[1].startswith("Points Possible")

    capsys.readouterr()
    assert mla("status", WEEK.assignment) == 0
    status = capsys.readouterr().out
    assert "s1" in status and "s2" in status and "error" in status
    shutil.rmtree(root)


def test_unknown_assignment_is_a_clear_error(tmp_path, capsys):
    assert main(["course", "autograde", "--root", str(tmp_path), "week99_nothing"]) == 1
    assert "no assignment 'week99_nothing'" in capsys.readouterr().out
