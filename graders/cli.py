"""``mla course``: the instructor cycle on an nbgrader course root — build, release, collect, autograde
(sandboxed, parallel), feedback, export, status."""

from __future__ import annotations

import os
from pathlib import Path

from .config import CELL_TIMEOUT, NOTEBOOK_TIMEOUT


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help_text: str, assignment: bool = True):
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--root", type=Path, help="course root (default $MLA_COURSE_DIR or .course/)")
        if assignment:
            command.add_argument("assignment", help="a week folder name, e.g. week01_aws_ml_landscape")
        return command

    build = action("build", "course root: source/ from the repo, release/ (student versions)", assignment=False)
    build.add_argument("--only", nargs="*", metavar="ASSIGNMENT",
                       help="assignment names: week folders (week01_aws_ml_landscape) or capstone folders")
    action("release", "publish the student version to the exchange")
    collect = action("collect", "copy submissions in from a folder or an LMS zip; scan them for secrets")
    collect.add_argument("source", type=Path, help="folder of submissions or an LMS download (.zip)")
    collect.add_argument("--roster", type=Path, help="CSV with columns name,student_id (LMS name -> student id)")
    grade = action("autograde", "grade every collected submission in sandboxed kernels, in parallel")
    grade.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    grade.add_argument("--student", nargs="*", help="only these students")
    grade.add_argument("--cell-timeout", type=int, default=CELL_TIMEOUT, help=f"seconds per cell (default {CELL_TIMEOUT})")
    grade.add_argument("--notebook-timeout", type=int, default=NOTEBOOK_TIMEOUT,
                       help=f"seconds per notebook (default {NOTEBOOK_TIMEOUT})")
    action("feedback", "HTML feedback per student (hidden tests stripped, secrets redacted)")
    export = action("export", "grades as CSV, or in Canvas's gradebook import layout", assignment=False)
    export.add_argument("target", type=Path, help="file to write")
    export.add_argument("--format", choices=["csv", "canvas"], default="csv")
    action("status", "who is graded, who needs manual grading, who failed and why")


def main(args) -> int:
    from .course import CourseError, default_root

    root = args.root or default_root()
    try:
        return ACTIONS[args.action](root, args)
    except (CourseError, FileNotFoundError) as error:
        print(f"mla course {args.action}: {error}")
        return 1


def _build(root, args) -> int:
    from .course import build

    built = build(root, args.only)
    print(f"course root {root}: {len(built)} assignment(s) generated: {', '.join(built)}")
    return 0


def _release(root, args) -> int:
    from .instructor import release

    print(f"released {args.assignment} to {release(root, args.assignment)}")
    return 0


def _collect(root, args) -> int:
    from rich.console import Console
    from rich.table import Table

    from .instructor import collect

    report = collect(root, args.assignment, args.source, args.roster)
    table = Table("student", "file", "notebook", "notes", title=f"collected {args.assignment}")
    for row in report:
        table.add_row(row.student, row.file, row.notebook or "REJECTED", "; ".join(row.flags))
    Console().print(table)
    return 0


def _autograde(root, args) -> int:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from .hardened import active_protections
    from .instructor import autograde
    from .sandbox import Limits

    console = Console()
    console.print("sandbox protections on this machine:\n  " + "\n  ".join(active_protections()))
    limits = Limits(cell_timeout=args.cell_timeout, notebook_timeout=args.notebook_timeout)
    with Progress(console=console) as progress:
        task = progress.add_task("grading", total=None)
        results = autograde(root, args.assignment, args.workers, limits, args.student,
                            progress=lambda result, total: progress.update(task, advance=1, total=total))
    table = Table("student", "notebook", "score", "seconds", "flags", title=f"autograded {args.assignment}")
    for r in results:
        table.add_row(r.student, r.notebook, f"{r.score:g}/{r.max_score:g}", f"{r.seconds:.1f}",
                      r.rejected or "; ".join(r.flags))
    console.print(table)
    return 0


def _feedback(root, args) -> int:
    from .instructor import feedback

    made = feedback(root, args.assignment)
    print(f"{len(made)} feedback file(s) under {root / 'feedback'}")
    return 0


def _export(root, args) -> int:
    from .instructor import export

    print(f"wrote {export(root, args.target, args.format)}")
    return 0


def _status(root, args) -> int:
    from rich.console import Console
    from rich.table import Table

    from .instructor import status

    table = Table("student", "notebook", "score", "state", "why", title=f"status of {args.assignment}")
    for row in status(root, args.assignment):
        table.add_row(row["student"], row["notebook"], f"{row['score']:g}/{row['max_score']:g}", row["state"], row["why"])
    Console().print(table)
    return 0


ACTIONS = {"build": _build, "release": _release, "collect": _collect, "autograde": _autograde,
           "feedback": _feedback, "export": _export, "status": _status}
