"""The terminal front end: show a question, read a command or an answer, repeat until submit, time-up or quit."""

from __future__ import annotations

import re

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .engine import ExamRun
from .questions import MATCHING, MULTIPLE, ORDERING, Question
from .scoring import Result

HELP = """answer: B | A C (multiple response) | C A B D (ordering, first to last) | 1=B 2=A 3=C (matching)
        add ? to mark an answer you are unsure of (it becomes a review card): B?
commands: n next · p previous · g N go to question N · f flag/unflag · c clear answer
          r review screen · s submit · q save and quit (resume with `mla exam --resume`) · h help"""

HOW_TO_ANSWER = {MULTIPLE: "choose all that apply, e.g. A C", ORDERING: "order all items, e.g. C A B",
                 MATCHING: "match every prompt, e.g. 1=B 2=A 3=C"}


def parse_answer(question: Question, text: str) -> tuple[object, bool]:
    """(response, confident) from what the learner typed; the engine validates the response."""
    text = text.strip()
    confident = not text.endswith("?")
    text = text.rstrip("?").strip()
    if question.type == MATCHING:
        pairs = [p for p in re.split(r"[\s,;]+", text) if p]
        if not all("=" in p for p in pairs):
            raise ValueError("match as PROMPT=OPTION pairs, e.g. 1=B 2=A 3=C")
        return dict(p.split("=", 1) for p in pairs), confident
    tokens = [t for t in re.split(r"[\s,;]+", text) if t]
    option_ids = {o.id.upper() for o in question.options}
    if len(tokens) == 1 and len(tokens[0]) > 1 and tokens[0].upper() not in option_ids:
        tokens = list(tokens[0])  # "AC" means A and C
    return [t.upper() for t in tokens], confident


def clock_text(seconds: float | None) -> str:
    if seconds is None:
        return "untimed"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d} left"


def show_question(console: Console, run: ExamRun) -> None:
    q, s = run.question, run.session
    console.rule(f"Question {s.current + 1} of {run.count} · {clock_text(run.remaining_seconds())}")
    show_stem(console, q, flagged=q.id in s.flags)
    if q.id in s.responses:
        console.print(f"[cyan]your answer: {escape(format_response(s.responses[q.id]))}[/]")


def show_stem(console: Console, q: Question, flagged: bool = False) -> None:
    if q.case is not None:
        console.print(f"[bold]Case study: {escape(q.case.title)}[/]\n{escape(q.case.scenario.strip())}\n")
    console.print(escape(q.stem) + (" [yellow]⚑ flagged[/]" if flagged else ""))
    if q.type == MATCHING:
        for p in q.prompts:
            console.print(f"  {escape(p.id)}. {escape(p.text)}")
        console.print("  options:")
    for o in q.options:
        console.print(f"  {escape(o.id)}) {escape(o.text)}")
    if q.type in HOW_TO_ANSWER:
        console.print(f"[dim]{HOW_TO_ANSWER[q.type]}[/]")


def format_response(response) -> str:
    if response is None:
        return "—"
    if isinstance(response, dict):
        return " ".join(f"{k}={v}" for k, v in response.items())
    return response if isinstance(response, str) else " ".join(response)


def show_review_screen(console: Console, run: ExamRun) -> None:
    table = Table(title="Review before you submit")
    for column in ("#", "status", "flag"):
        table.add_column(column)
    for n, (qid, _) in enumerate(run.session.items, start=1):
        answered = "answered" if qid in run.session.responses else "[red]unanswered[/]"
        table.add_row(str(n), answered, "⚑" if qid in run.session.flags else "")
    console.print(table)
    console.print(f"{len(run.unanswered())} unanswered, {len(run.session.flags)} flagged · "
                  f"{clock_text(run.remaining_seconds())}. Unanswered questions count as wrong.")


def show_result(console: Console, run: ExamRun, result: Result, explain: str = "all") -> None:
    console.rule("Result")
    console.print(f"{result.correct} / {result.scored} scored questions right ({result.percent}%)")
    verdict = "PASS" if result.passed_estimate else "FAIL"
    console.print(f"[bold]{result.scaled_estimate}[/] on 100–1000, {verdict} against 720 — {result.label}")
    console.print(f"time {clock_text(result.elapsed_seconds).replace(' left', '')} used"
                  + ("" if result.within_time else " [red](over the time limit)[/]"))
    for title, rows in (("domain", result.by_domain), ("task", result.by_task)):
        table = Table(title=f"By {title}")
        for column in (title, "right", "of", "%"):
            table.add_column(column)
        for key, share in rows.items():
            table.add_row(key, str(share["correct"]), str(share["total"]), f"{share['percent']:g}")
        console.print(table)
    for n, row in enumerate(result.questions, start=1):
        if explain == "none" or (explain == "missed" and row["correct"]):
            continue
        extra = ("" if row["scored"] else " (unscored item)") + f" · {row['seconds']:.0f}s"
        show_explanation(console, run.bank[row["id"]], row["response"], row["correct"], f"{n}. ", extra)


def show_explanation(console: Console, q: Question, response, correct: bool, prefix: str = "", extra: str = "") -> None:
    mark = "[green]right[/]" if correct else "[red]wrong[/]"
    console.print(f"\n[bold]{prefix}{escape(q.id)}[/] {mark}{extra} · you: {escape(format_response(response))}"
                  f" · key: {escape(format_response(key_of(q)))}")
    console.print(escape(q.stem))
    for p in q.prompts:
        console.print(f"  {escape(p.id)}. {escape(p.text)}")
    for o in q.options:
        console.print(f"  {escape(o.id)}) {escape(o.text)}\n     [dim]{escape(o.explanation)}[/]")
    for ref in q.references:
        console.print(f"  see: {escape(ref['title'])} {escape(ref['url'])}")


def key_of(q: Question):
    return list(q.answer) if isinstance(q.answer, tuple) else q.answer


def run_loop(console: Console, run: ExamRun, read=input, explain: str = "all") -> Result | None:
    """Returns the result once submitted, or None when the learner quits or input ends (state is saved)."""
    console.print(f"[dim]{HELP}[/]")
    while True:
        if run.time_up():
            console.print("[red]Time is up: the exam is submitted as it stands.[/]")
            break
        show_question(console, run)
        try:
            line = read("> ").strip()
        except (EOFError, KeyboardInterrupt):
            line = "q"
        if run.time_up():
            continue
        command, _, rest = line.partition(" ")
        if command in ("", "n"):
            if run.session.current + 1 < run.count:
                run.go(run.session.current + 1)
            else:
                show_review_screen(console, run)
        elif command == "p":
            run.go(max(0, run.session.current - 1))
        elif command == "g" and rest.strip().isdigit():
            try:
                run.go(int(rest) - 1)
            except IndexError as error:
                console.print(f"[red]{error}[/]")
        elif command == "f":
            console.print("flagged" if run.toggle_flag() else "flag removed")
        elif command == "c":
            run.clear()
        elif command == "r":
            show_review_screen(console, run)
        elif command == "h":
            console.print(HELP)
        elif command == "s":
            show_review_screen(console, run)
            try:
                confirmed = read("submit now? [y/N] ").strip().lower() == "y"
            except (EOFError, KeyboardInterrupt):
                confirmed = False
            if confirmed:
                break
        elif command == "q":
            run.save()
            console.print(f"Saved after {clock_text(run.session.elapsed).replace(' left', '')}. "
                          "Resume with `mla exam --resume`.")
            return None
        else:
            try:
                response, confident = parse_answer(run.question, line)
                run.answer(response, confident)
            except ValueError as error:
                console.print(f"[red]{escape(str(error))}[/] (h for help)")
                continue
            if run.session.current + 1 < run.count:
                run.go(run.session.current + 1)
    result = run.submit()
    show_result(console, run, result, explain)
    return result
