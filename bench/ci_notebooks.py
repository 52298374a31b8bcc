"""CI notebook cost: `python bench/ci_notebooks.py [PATHS...] [--json FILE] [--costs FILE]`.

Times, one notebook at a time, the three executions tests/notebooks/test_course_notebooks.py makes of every course
notebook: the papermill run on the local backend (`run_notebooks`, as `mla run` does), then the hardened grading of
the solution and of the student version nbgrader releases (`grade_all`, one batch of two, as the test does). Each
week's nbgrader assignment is built once (its time is reported per week). Prints a table and the totals; `--json`
also writes them, e.g. to compare two checkouts; `--costs tests/notebooks/costs.json` updates the costs the CI
orders its notebook tests by. Every execution must also pass, as in the test: a failure is reported.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from graders.course import build
from graders.hardened import grade_solution_and_student
from mla.notebooks import course_notebooks, repo_root, week_of
from mla.runner.run import run_notebooks


def measure(notebooks: list[Path], scratch: Path) -> dict:
    root = repo_root()
    builds, rows = {}, []
    for notebook in notebooks:
        week = week_of(notebook)
        course = scratch / "course" / week.assignment
        if week.assignment not in builds:
            start = time.monotonic()
            build(course, only=[week.assignment])
            builds[week.assignment] = round(time.monotonic() - start, 1)
        start = time.monotonic()
        [outcome] = run_notebooks([(notebook, notebook.name)], run_dir=scratch / "runs", workers=1,
                                  cell_timeout=120, wall_limit=300)
        papermill = round(time.monotonic() - start, 1)
        start = time.monotonic()
        solution, student = grade_solution_and_student(course, week.assignment, notebook.name)
        grading = round(time.monotonic() - start, 1)
        lost = [f"{t.grade_id} {t.status}: {t.message}" for t in solution.tests if t.score < t.max_score]
        problems = ([] if outcome.passed else [f"papermill {outcome.status} in cell {outcome.cell}: {outcome.reason}"]) + \
            ([f"solution rejected: {solution.rejected}"] if solution.rejected or not solution.tests else []) + \
            [f"solution lost {line}" for line in lost] + \
            [f"student version scores on {t.grade_id}" for t in student.tests if t.score > 0]
        rows.append({"notebook": notebook.relative_to(root).as_posix(), "papermill": papermill,
                     "solution": solution.seconds, "student": student.seconds, "grading": grading,
                     "problems": problems})
        print(f"{rows[-1]['notebook']:<85} papermill {papermill:6.1f}  solution {solution.seconds:6.1f}  "
              f"student {student.seconds:6.1f}  grading batch {grading:6.1f}", *problems, sep="\n  ", flush=True)
    totals = {key: round(sum(r[key] for r in rows), 1) for key in ("papermill", "solution", "student", "grading")}
    totals["builds"] = round(sum(builds.values()), 1)
    return {"notebooks": rows, "builds": builds, "totals": totals}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks or folders (default: the whole course)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--costs", type=Path, help="also write each notebook's seconds (papermill + grading) here: "
                        "tests/notebooks/costs.json orders the CI's notebook tests by them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mla-ci-bench-") as tmp:
        report = measure(course_notebooks(args.paths or None), Path(tmp))
    for assignment, seconds in report["builds"].items():
        print(f"nbgrader build {assignment:<40} {seconds:6.1f}")
    print("totals (s):", "  ".join(f"{k} {v}" for k, v in report["totals"].items()))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    if args.costs:
        known = json.loads(args.costs.read_text()) if args.costs.exists() else {}
        known.update({r["notebook"]: round(r["papermill"] + r["grading"]) for r in report["notebooks"]})
        args.costs.write_text(json.dumps(dict(sorted(known.items())), indent=1) + "\n")
    return 1 if any(r["problems"] for r in report["notebooks"]) else 0


if __name__ == "__main__":
    sys.exit(main())
