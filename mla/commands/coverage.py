"""``mla coverage [--domain N ...] [--need notebooks exercises questions]``: per-skill coverage table; exits 1
and lists the gaps when a skill lacks what ``--need`` asks for."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

COLUMNS = ("notebooks", "exercises", "questions")


def add_arguments(parser) -> None:
    parser.add_argument("--domain", type=int, nargs="*", choices=(1, 2, 3, 4), help="only these C02 domains")
    parser.add_argument("--need", nargs="*", choices=COLUMNS, default=["notebooks", "exercises"],
                        help="what every skill must have (default: notebooks exercises)")


def _questions():
    from ..exam.questions import load_bank

    # C01-only items (ordering, matching) never appear on a C02 exam, so they do not count towards a C02 skill
    return [(q.id, [f"C02:{skill}" for skill in q.skills]) for q in load_bank().values() if "C02" in q.exams]


def main(args) -> int:
    from ..coverage import add_questions, gaps, notebook_coverage
    from ..syllabus import c02_skills

    table = notebook_coverage()
    add_questions(table, _questions())
    domains = set(args.domain) if args.domain else None
    texts = c02_skills()
    view = Table(title="C02 skill coverage")
    view.add_column("skill", no_wrap=True, min_width=6)
    view.add_column("what it asks", max_width=48, overflow="ellipsis", no_wrap=True)
    for column in COLUMNS:
        view.add_column(column, justify="right")
    for cov in table.values():
        if domains and int(cov.skill.split(".")[0]) not in domains:
            continue
        view.add_row(cov.skill, texts[cov.skill], *(str(len(getattr(cov, c))) for c in COLUMNS))
    console = Console()
    console.print(view)
    missing = gaps(table, tuple(args.need), domains)
    if missing:
        console.print(f"[red]{len(missing)} skill(s) lack {' or '.join(args.need)}:[/] {', '.join(missing)}")
        return 1
    console.print("every skill is covered")
    return 0
