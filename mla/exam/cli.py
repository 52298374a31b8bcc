"""``mla exam``: a timed practice exam, a domain quiz or N questions in the terminal; ``--answers`` runs it
non-interactively (for scripts and CI) and ``--json`` prints the result as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("--exam", default="C02", choices=["C02", "C01"], help="blueprint to follow (default C02)")
    parser.add_argument("--domain", type=int, choices=[1, 2, 3, 4], help="quiz on one domain (all question types)")
    parser.add_argument("-n", "--questions", type=int, help="quiz of N questions instead of a full exam")
    parser.add_argument("--minutes", type=float, help="time limit (default: the blueprint's for a full exam, "
                                                      "none for a quiz)")
    parser.add_argument("--seed", type=int, help="seed for drawing the questions (default: the clock)")
    parser.add_argument("--resume", action="store_true", help="continue the unfinished exam")
    parser.add_argument("--new", action="store_true", help="abandon an unfinished exam and start a new one")
    parser.add_argument("--explain", default="all", choices=["all", "missed", "none"],
                        help="which explanations to show after submitting")
    parser.add_argument("--answers", type=Path, help="non-interactive: a JSON file {question id: answer} "
                                                     "('-' reads stdin); questions not in it stay unanswered")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--bank", type=Path, help="question folder (default curriculum/questions)")


def main(args) -> int:
    from rich.console import Console

    from . import practice
    from .terminal import run_loop

    console = Console(stderr=args.json)
    opened = practice.open_bank_and_store("exam", args.bank)
    if opened is None:
        return 2
    bank, store = opened
    try:
        run = practice.resume(store, bank)
        if run is not None and args.new:
            run.abandon()
            run = None
        if run is None and args.resume:
            print("mla exam: there is no unfinished exam to resume", file=sys.stderr)
            return 2
        if run is not None:
            answered = len(run.session.responses)
            console.print(f"Resuming {run.session.id}: {answered} of {run.count} answered "
                          "(start another with --new).")
        else:
            mode = "quiz" if (args.questions or args.domain) else "exam"
            run = practice.start(store, bank, exam=args.exam, mode=mode, count=args.questions, domain=args.domain,
                                 seed=args.seed, minutes=args.minutes)
            for note in run.session.notes:
                console.print(f"[yellow]note: {note}[/]")
        if args.answers is not None:
            result = answer_from_file(run, args.answers)
        else:
            result = run_loop(console, run, explain=args.explain)
    except ValueError as error:
        print(f"mla exam: {error}", file=sys.stderr)
        return 2
    finally:
        store.close()
    if result is not None and args.json:
        print(json.dumps({"session": run.session.id, **result.to_dict()}, indent=1))
    return 0


def answer_from_file(run, source: Path):
    text = sys.stdin.read() if str(source) == "-" else source.read_text()
    answers = json.loads(text)
    if not isinstance(answers, dict):
        raise ValueError(f"{source}: expected a JSON object mapping question ids to answers")
    for index, (qid, _) in enumerate(run.session.items):
        if qid in answers:
            run.go(index)
            try:
                run.answer(answers[qid])
            except ValueError as error:
                raise ValueError(f"{source}: answer for {qid}: {error}") from None
    return run.submit()
