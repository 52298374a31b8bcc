"""``mla check NOTEBOOK``: grade your own workspace notebook and print the score per exercise."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table


def add_arguments(parser) -> None:
    parser.add_argument("notebook", type=Path, help="a notebook in your workspace")


def main(args) -> int:
    from graders.check import CheckError, check

    from ..progress.store import record_exercise

    console = Console()
    try:
        scores = check(args.notebook)
    except CheckError as error:
        console.print(f"[red]mla check: {error}[/]")
        return 2
    table = Table(title=f"{args.notebook.name}")
    table.add_column("exercise")
    table.add_column("score", justify="right")
    for s in scores:
        table.add_row(s.exercise, f"{s.score:g} / {s.max_score:g}")
    console.print(table)
    total, possible = sum(s.score for s in scores), sum(s.max_score for s in scores)
    console.print(f"total {total:g} / {possible:g}")
    for s in scores:
        record_exercise(args.notebook.name, s.exercise, s.score, s.max_score)
    console.print("saved to your progress (`mla progress`)")
    return 0
