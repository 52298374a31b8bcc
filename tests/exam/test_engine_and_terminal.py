import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from rich.console import Console

from mla.cli import main as mla
from mla.exam import practice
from mla.exam.terminal import run_loop
from mla.progress.store import ProgressStore


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def feed(monkeypatch, text):
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_an_interrupted_exam_resumes_with_its_answers_and_clock(store, bank, keys):
    clock = FakeClock()
    run = practice.start(store, bank, mode="quiz", count=6, seed=11, minutes=30, clock=clock)
    first = run.question
    clock.now += 90
    run.answer(keys[first.id])
    run.go(1)
    clock.now += 30
    run.toggle_flag()
    session_id, flagged = run.session.id, run.question.id
    del run  # the process "dies" here; nothing else is saved

    later = FakeClock()
    resumed = practice.resume(store, bank, clock=later)
    assert resumed.session.id == session_id
    assert resumed.session.responses[first.id] == keys[first.id]
    assert resumed.session.flags == [flagged] and resumed.session.current == 1
    assert resumed.session.elapsed == pytest.approx(120)
    assert resumed.session.seconds[first.id] == pytest.approx(90)
    later.now += 60
    assert resumed.remaining_seconds() == pytest.approx(30 * 60 - 180)


def test_time_up_submits_the_exam_as_it_stands(store, bank, monkeypatch):
    clock = FakeClock()
    run = practice.start(store, bank, mode="quiz", count=3, seed=2, minutes=1, clock=clock)
    clock.now += 61
    out = io.StringIO()
    result = run_loop(Console(file=out, width=100), run, read=lambda _: "A", explain="none")
    assert result is not None and result.correct == 0 and not result.within_time
    assert "Time is up" in out.getvalue()
    assert store.unfinished_session() is None


def test_terminal_flow_with_stdin_quit_then_resume_and_submit(store, bank, keys, monkeypatch, capsys):
    feed(monkeypatch, "h\nZZZ\nf\nq\n")  # help, a bad answer, flag, quit
    assert mla(["exam", "-n", "3", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert "not an option" in out or "match as PROMPT=OPTION" in out
    saved = store.unfinished_session()
    first = saved["items"][0][0]
    assert saved["flags"] == [first] and saved["responses"] == {}

    lines = []
    for qid, _ in saved["items"]:
        key = keys[qid]
        lines.append(" ".join(f"{k}={v}" for k, v in key.items()) if isinstance(key, dict)
                     else (key if isinstance(key, str) else " ".join(key)))
    feed(monkeypatch, "\n".join(lines) + "\nr\ns\ny\n")
    assert mla(["exam", "--resume", "--explain", "missed"]) == 0
    out = capsys.readouterr().out
    assert "Resuming" in out and "3 / 3 scored questions right" in out and "estimate" in out
    assert store.unfinished_session() is None and len(store.finished()) == 1


def test_non_interactive_mode_prints_json(store, keys, tmp_path, capsys):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(keys))
    assert mla(["exam", "--exam", "C01", "-n", "5", "--seed", "3", "--answers", str(answers), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["correct"], result["scored"], result["scaled_estimate"]) == (5, 5, 1000)
    assert "estimate" in result["label"]


def test_bad_answers_file_is_a_clear_error_and_the_exam_stays_open(store, tmp_path, capsys):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(["not", "a", "mapping"]))
    assert mla(["exam", "-n", "2", "--seed", "1", "--answers", str(answers)]) == 2
    assert "expected a JSON object" in capsys.readouterr().err
    assert store.unfinished_session() is not None


def saved_state(db):
    if not db.exists():
        return None
    store = ProgressStore(db)
    try:
        return store.unfinished_session()
    finally:
        store.close()


def test_a_killed_exam_process_keeps_what_it_saved(tmp_path):
    db = tmp_path / "data" / "progress.sqlite3"
    env = {**os.environ, "MLA_DATA_DIR": str(db.parent)}
    process = subprocess.Popen([sys.executable, "-m", "mla.cli", "exam", "-n", "4", "--seed", "8"],
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, text=True)
    process.stdin.write("f\nn\n")  # flag question 1, go to question 2; stdin stays open, so the exam waits
    process.stdin.flush()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not ((state := saved_state(db)) and state["current"] == 1):
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait()
    state = saved_state(db)
    assert state["current"] == 1 and state["flags"] == [state["items"][0][0]]
    assert state["elapsed"] > 0


def test_mla_review_serves_due_cards_and_reschedules_them(store, bank, keys, monkeypatch, capsys):
    from mla.progress import review

    qid = next(q for q in sorted(bank) if bank[q].type == "single")
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    review.record(store, qid, False, True, an_hour_ago, "exam")
    feed(monkeypatch, f"Z\n{keys[qid]}\n")
    assert mla(["review"]) == 0
    out = capsys.readouterr().out
    assert "1 card(s) due" in out and "not an option" in out and "right" in out and "next review" in out
    assert review.cards(store)[qid].due > dt.datetime.now(dt.UTC)
    assert [r[0] for r in store.db.execute("SELECT rating FROM review_log ORDER BY id")] == [1, 3]


def test_commands_refuse_a_corrupt_store_and_keep_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLA_DATA_DIR", str(tmp_path))
    (tmp_path / "progress.sqlite3").write_bytes(b"garbage" * 500)
    for command in (["exam", "-n", "2"], ["review"], ["progress"]):
        assert mla(command) == 2
        assert "damaged" in capsys.readouterr().err
    assert (tmp_path / "progress.sqlite3").read_bytes() == b"garbage" * 500
