"""Grading benchmark: `python bench/grading_bench.py [--submissions 60] [--workers N]`.

Grades the same N submissions of week 1's model notebook (half solved, half unsolved) twice, in the same run:
the hardened path (`mla course autograde`: sandboxed kernels in parallel, out-of-process checks) and plain
serial `nbgrader autograde`. Prints both wall times, the ratio, whether the totals agree, and which sandbox
protections were active on this machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from graders.course import api_for, build
from graders.hardened import active_protections
from graders.instructor import autograde
from mla.notebooks import weeks

WEEK = weeks()[0]
NOTEBOOK = WEEK.notebooks[0].name


def _submit(root: Path, count: int) -> None:
    for n in range(count):
        origin = "source" if n % 2 == 0 else "release"
        target = root / "submitted" / f"student{n:03d}" / WEEK.assignment / NOTEBOOK
        target.parent.mkdir(parents=True)
        shutil.copy2(root / origin / WEEK.assignment / NOTEBOOK, target)


def _nbgrader_total(root: Path) -> float:
    with api_for(root).gradebook as gradebook:
        return sum(s.score for s in gradebook.assignment_submissions(WEEK.assignment))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=60)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mla-grading-bench-") as tmp:
        hardened, plain = Path(tmp) / "hardened", Path(tmp) / "plain"
        build(hardened, only=[WEEK.assignment])
        build(plain, only=[WEEK.assignment])  # its own nbgrader_config.py: a copied one would point at `hardened`
        _submit(hardened, args.submissions)
        _submit(plain, args.submissions)

        start = time.monotonic()
        results = autograde(hardened, WEEK.assignment, workers=args.workers)
        hardened_seconds = time.monotonic() - start

        start = time.monotonic()
        env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
        subprocess.run([os.path.join(os.path.dirname(sys.executable), "nbgrader"), "autograde", WEEK.assignment,
                        "--force"], cwd=plain, env=env, check=True, capture_output=True)
        plain_seconds = time.monotonic() - start

        print(f"{args.submissions} submissions of {WEEK.assignment}/{NOTEBOOK}")
        print(f"hardened, {args.workers} workers: {hardened_seconds:.1f} s  (total score {sum(r.score for r in results):g})")
        print(f"plain serial nbgrader autograde: {plain_seconds:.1f} s  (total score {_nbgrader_total(plain):g})")
        print(f"ratio hardened/plain: {hardened_seconds / plain_seconds:.2f}")
        print("sandbox protections:\n  " + "\n  ".join(active_protections()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
