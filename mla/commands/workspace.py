"""``mla workspace init|update [--path DIR]``"""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("action", choices=("init", "update"))
    parser.add_argument("--path", type=Path, help="workspace folder (default $MLA_WORKSPACE or ~/mla-workspace)")


def prepare(path: Path | None) -> Path:
    """Build the course releases and bring the workspace up to date; print what changed."""
    from graders.course import build, default_root

    from ..workspace import default_workspace, sync

    workspace = path or default_workspace()
    root = default_root()
    build(root)
    report = sync(workspace, root)
    print(f"workspace {workspace}: {len(report.added)} added, {len(report.updated)} updated, "
          f"{len(report.kept)} kept because you edited them")
    for name in report.kept:
        print(f"  kept your {name}; the new release is beside it as *.updated.ipynb")
    return workspace


def main(args) -> int:
    prepare(args.path)
    return 0
