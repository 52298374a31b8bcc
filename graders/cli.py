"""``mla course build``: the instructor's nbgrader course root, assembled from the phase folders."""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = sub.add_parser("build", help="course root: source/ from the repo, release/ (student versions)")
    build.add_argument("--root", type=Path, help="course root (default $MLA_COURSE_DIR or .course/)")
    build.add_argument("--only", nargs="*", metavar="WEEK", help="week folder names, e.g. week01_aws_ml_landscape")


def main(args) -> int:
    from .course import CourseError, build, default_root

    root = args.root or default_root()
    try:
        built = build(root, args.only)
    except CourseError as error:
        print(f"mla course build: {error}")
        return 1
    print(f"course root {root}: {len(built)} assignment(s) generated: {', '.join(built)}")
    return 0
