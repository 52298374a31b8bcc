"""Exam simulator benchmarks: `python bench/exam_bench.py`.

Prints the `mla` CLI start time (`mla --help` and `mla exam --help`, median of 7 runs in fresh processes) and the time
to build a 65-question C02 practice exam: loading and validating a 488-question synthetic bank, then drawing the
paper by blueprint (median of 7 draws). Targets on a 2-core machine: CLI start <= 0.5 s, exam build <= 1 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def median_seconds(action, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 3)


def cli_start(args: list[str]) -> float:
    mla = Path(sys.executable).with_name("mla")
    return median_seconds(lambda: subprocess.run([str(mla), *args], check=True, capture_output=True))


def exam_build() -> dict:
    sys.path.insert(0, str(ROOT))
    from mla.exam.blueprint import get
    from mla.exam.questions import load_bank
    from mla.exam.sampling import build_paper
    from mla.exam.synthetic import write_synthetic_bank

    with tempfile.TemporaryDirectory() as folder:
        write_synthetic_bank(Path(folder), 30)
        start = time.perf_counter()
        bank = load_bank(Path(folder))
        load = time.perf_counter() - start
    plan = get("C02")
    seeds = iter(range(100))
    draw = median_seconds(lambda: build_paper(bank, plan, seed=next(seeds)))
    paper = build_paper(bank, plan, seed=0)
    assert len(paper.items) == 65, paper.notes
    return {"bank_questions": len(bank), "load_and_validate_s": round(load, 3), "draw_65_s": draw,
            "build_65_total_s": round(load + draw, 3)}


def main() -> None:
    print({"mla_help_s": cli_start(["--help"]), "mla_exam_help_s": cli_start(["exam", "--help"]), **exam_build()})


if __name__ == "__main__":
    main()
