import datetime as dt
import shutil

import pytest

from mla.exam import practice
from mla.exam.widgets import Quiz
from mla.notebooks import repo_root
from mla.progress import dashboard, review
from mla.progress.cli import main as progress_main


def take_exam(store, bank, keys, seed, right=True):
    run = practice.start(store, bank, mode="exam", seed=seed)
    for index, (qid, _) in enumerate(run.session.items):
        run.go(index)
        if right:
            run.answer(keys[qid])
    return run.submit()


@pytest.fixture
def history(store, bank, keys):
    take_exam(store, bank, keys, seed=1, right=False)
    for seed in (2, 3, 4):
        take_exam(store, bank, keys, seed=seed)
    return store


def test_readiness_rule_needs_three_recent_exams_at_80_percent_in_every_domain(history):
    exams = dashboard.practice_exams(history)
    assert len(exams) == 4
    assert dashboard.readiness(exams) == (True, [])
    ready, reasons = dashboard.readiness(exams[:2])
    assert not ready and any("2 of the 3" in r for r in reasons) and any("below 80%" in r for r in reasons)
    late = [dict(e, result=dict(e["result"], within_time=False)) for e in exams]
    assert any("over the time limit" in r for r in dashboard.readiness(late)[1])


def test_the_report_renders_from_a_fixture_history(history, tmp_path, monkeypatch, capsys):
    now = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    page = dashboard.report_html(history, now)
    assert "Ready:" in page and page.count("data:image/png;base64,") == 2
    assert "Weakest skills" in page and "C02:" in page and "(estimate)" in page
    assert f"{len(review.due(history, now))} card(s) due now" in page
    weakest = dashboard.weakest_skills(history)
    assert weakest[0]["percent"] <= weakest[-1]["percent"]

    out = tmp_path / "report.html"
    args = type("Args", (), {"out": out, "export": tmp_path / "backup.json", "import_file": None})()
    assert progress_main(args) == 0
    assert out.read_text().startswith("<!doctype html>") and (tmp_path / "backup.json").exists()


def test_weakest_skills_point_to_the_notebooks_that_teach_them(tmp_path, monkeypatch):
    import json

    week = tmp_path / "phase1_foundations" / "week02_data"
    week.mkdir(parents=True)
    (week / "02_features.ipynb").write_text(json.dumps({"cells": [], "metadata": {"mla": {"skills": ["C02:1.2.2"]}},
                                                        "nbformat": 4, "nbformat_minor": 5}))
    (tmp_path / "curriculum").mkdir()  # a course root has its syllabus (read once per process, whichever test is first)
    shutil.copy2(repo_root() / "curriculum" / "syllabus.yaml", tmp_path / "curriculum")
    monkeypatch.setenv("MLA_COURSE_ROOT", str(tmp_path))
    assert dashboard.notebooks_by_skill() == {"1.2.2": ["phase1_foundations/week02_data/02_features.ipynb"]}


def test_the_notebook_quiz_scores_in_the_kernel_and_saves_the_result(store, bank):
    quiz = Quiz(count=4, seed=1, bank=bank, store=store)
    for _ in range(quiz.run.count):
        q = quiz.run.question
        if q.type == "single":
            quiz._inputs[0].value = q.answer
        elif q.type == "multiple":
            for option, box in zip(q.options, quiz._inputs, strict=True):
                box.value = option.id in q.answer
        elif q.type == "ordering":
            for box, value in zip(quiz._inputs, q.answer, strict=True):
                box.value = value
        else:
            for prompt, box in zip(q.prompts, quiz._inputs, strict=True):
                box.value = q.answer[prompt.id]
        quiz.next.click()
    quiz.flag.click()
    quiz.submit_button.click()
    assert quiz.result.correct == quiz.result.scored == 4
    assert quiz.next.disabled and "4 / 4 right" in quiz.results.value
    assert store.finished()[0]["result"]["correct"] == 4


def test_the_notebook_quiz_shows_an_error_for_an_incomplete_ordering(store, big_bank):
    # The synthetic bank always has ordering items; the real bank's mix changes as it grows.
    quiz = Quiz(mode="quiz", count=20, seed=3, bank=big_bank, store=store)
    while quiz.run.question.type != "ordering":
        quiz.next.click()
    stuck_at = quiz.run.session.current
    quiz._inputs[0].value = quiz._inputs[0].options[1][1]
    quiz.next.click()
    assert "put an item in every position" in quiz.message.value
    assert quiz.run.session.current == stuck_at and quiz.run.question.id not in quiz.run.session.responses


def test_the_notebook_quiz_reopens_an_unfinished_session_and_an_abandoned_one_is_not_reopened(store, bank, keys):
    first = Quiz(count=4, seed=1, bank=bank, store=store)
    first.run.answer(keys[first.run.question.id])
    again = Quiz(count=4, seed=2, bank=bank, store=store, resume=True)
    assert again.run.session.id == first.run.session.id and len(again.run.session.responses) == 1

    again.run.abandon()
    fresh = Quiz(count=4, seed=2, bank=bank, store=store, resume=True)
    assert fresh.run.session.id != first.run.session.id and fresh.run.session.responses == {}
    assert practice.resume(store, bank).session.id == fresh.run.session.id


def test_the_report_in_a_notebook_is_framed(history, monkeypatch):
    monkeypatch.setattr("mla.progress.store.open_store", lambda: history)
    monkeypatch.setattr(history, "close", lambda: None)
    shown = dashboard.show().data
    assert shown.startswith("<iframe srcdoc=") and "&lt;!doctype html&gt;" in shown and "<style" not in shown
