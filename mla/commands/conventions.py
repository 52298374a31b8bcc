"""``mla conventions [PATHS...]``: check course notebooks against the conventions."""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks or folders (default: the whole course)")


def main(args) -> int:
    from ..conventions import problems
    from ..notebooks import course_notebooks

    bad = 0
    for notebook in course_notebooks(args.paths or None):
        for problem in problems(notebook):
            print(f"{notebook}: {problem}")
            bad += 1
    print("all notebooks follow the conventions" if not bad else f"{bad} problem(s)")
    return 1 if bad else 0
