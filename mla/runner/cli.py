"""``mla run [PATHS...] [-j N] [--backend local|aws] [--cell-timeout S]``"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..notebooks import course_notebooks, repo_root
from .report import print_table, write_junit
from .run import run_notebooks, stop_all


def add_arguments(parser) -> None:
    parser.add_argument("paths", nargs="*", type=Path,
                        help="notebooks or folders (default: every phase folder of the course)")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="notebooks run at once (default 2)")
    parser.add_argument("--backend", choices=("local", "aws"), default="local")
    parser.add_argument("--cell-timeout", type=int, default=120, metavar="S", help="seconds per cell (120)")
    parser.add_argument("--wall-limit", type=int, default=600, metavar="S", help="seconds per notebook (600)")
    parser.add_argument("--out", type=Path, help="run folder (default runs/<timestamp>)")
    parser.add_argument("--dry-run", action="store_true",
                        help="aws backend: print each notebook's worst-case cost and run nothing")
    parser.add_argument("--cost-ceiling", type=float, metavar="USD",
                        help="aws backend: refuse to run if a notebook may cost more (default: sandbox config)")


def main(args) -> int:
    root = repo_root()
    try:
        sources = course_notebooks(args.paths or None)
    except FileNotFoundError as error:
        print(f"mla run: {error}")
        return 2
    if not sources:
        print("mla run: no notebooks found")
        return 2
    run_dir = args.out or root / "runs" / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    pairs = [(s, _relative(s, root)) for s in sources]
    sandbox = None
    if args.backend == "aws":  # sandbox mode: priced first, each notebook torn down after (mla.sandbox.runs)
        from ..sandbox.runs import prepare

        sandbox, code = prepare(pairs, args)
        if sandbox is None:
            return code
    elif args.dry_run:
        print("mla run: --dry-run prices a sandbox run; use it with --backend aws")
        return 2
    columns = (TextColumn("[bold]mla run"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))
    with Progress(*columns) as progress, (sandbox.signals(stop_all) if sandbox else nullcontext()):
        task = progress.add_task("", total=len(pairs))

        def done(outcome):
            progress.update(task, advance=1, description=f"{outcome.status}: {outcome.notebook}")

        outcomes = run_notebooks(pairs, run_dir=run_dir, backend=args.backend, workers=args.jobs,
                                 cell_timeout=args.cell_timeout, wall_limit=args.wall_limit, on_done=done,
                                 sandbox=sandbox)
    print_table(outcomes)
    write_junit(outcomes, run_dir / "junit.xml")
    print(f"outputs and junit.xml in {run_dir}")
    return 0 if all(o.passed for o in outcomes) else 1


def _relative(path: Path, root: Path) -> Path:
    try:
        return path.resolve().relative_to(root)
    except ValueError:
        return Path(path.name)
