"""``mla review``: answer the practice questions whose review cards are due; each answer reschedules its card."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("--limit", type=int, default=20, help="at most this many cards (default 20)")
    parser.add_argument("--bank", type=Path, help="question folder (default curriculum/questions)")


def main(args) -> int:
    from rich.console import Console

    from ..exam.practice import open_bank_and_store
    from ..exam.scoring import is_correct, normalize
    from ..exam.terminal import parse_answer, show_explanation, show_stem
    from . import review

    console = Console()
    opened = open_bank_and_store("review", args.bank)
    if opened is None:
        return 2
    bank, store = opened
    try:
        now = dt.datetime.now(dt.UTC)
        due = [(qid, card) for qid, card in review.due(store, now) if qid in bank][: args.limit]
        if not due:
            console.print("No reviews due. Take a practice exam with `mla exam` to create cards from your misses.")
            return 0
        console.print(f"{len(due)} card(s) due. Answer as in `mla exam`; add ? if unsure. q stops.")
        for number, (qid, _) in enumerate(due, start=1):
            question = bank[qid]
            console.rule(f"Review {number} of {len(due)}")
            show_stem(console, question)
            while True:
                try:
                    line = input("> ").strip()
                except (EOFError, KeyboardInterrupt):
                    line = "q"
                if line == "q":
                    console.print("Stopped; the remaining cards stay due.")
                    return 0
                try:
                    response, confident = parse_answer(question, line)
                    response = normalize(question, response)
                    break
                except ValueError as error:
                    console.print(f"[red]{error}[/]")
            correct = is_correct(question, response)
            card = review.record(store, qid, correct, confident, dt.datetime.now(dt.UTC), "review")
            show_explanation(console, question, list(response) if isinstance(response, tuple) else response, correct)
            console.print(f"[dim]next review: {card.due:%Y-%m-%d %H:%M} UTC[/]")
    except ValueError as error:
        print(f"mla review: {error}", file=sys.stderr)
        return 2
    finally:
        store.close()
    return 0
