"""Course benchmarks: `python bench/run.py [--skip-install]`.

Prints: install time and venv size (fresh venv, warm pip cache), `mla run` wall time over every notebook,
the lab bootstrap's time inside a Jupyter kernel, a Model Monitor baselining job and execution, and a 4-step pipeline
run. Targets on a 2-core machine: install <= 60 s, venv <= 1.2 GB, bootstrap <= 2 s, whole course <= 4 min,
monitoring execution <= 10 s, pipeline run <= 30 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def du_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def bench_install() -> dict:
    with tempfile.TemporaryDirectory(prefix="mla-bench-venv-") as tmp:
        venv = Path(tmp) / "venv"
        start = time.monotonic()
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-c", "constraints.txt", "-e", "."],
                       cwd=ROOT, check=True)
        seconds = time.monotonic() - start
        return {"install_seconds": round(seconds, 1), "venv_gb": round(du_bytes(venv) / 1e9, 2)}


def bench_bootstrap() -> dict:
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    try:
        code = ("import time as _t; _s=_t.perf_counter()\nfrom mla.lab import start\nlab = start('local')\n"
                "print(round(_t.perf_counter()-_s, 3))")
        reply_text = []
        client.execute_interactive(code, output_hook=lambda m: reply_text.append(m["content"].get("text", "")),
                                   timeout=60)
        return {"bootstrap_seconds": float("".join(reply_text).strip())}
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def bench_course_run() -> dict:
    with tempfile.TemporaryDirectory(prefix="mla-bench-run-") as tmp:
        start = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "mla.cli", "run", "--out", tmp], cwd=ROOT,
                                capture_output=True, text=True)
        seconds = time.monotonic() - start
        notebooks = len(list(Path(tmp).rglob("*.result.json")))
    return {"course_run_seconds": round(seconds, 1), "notebooks": notebooks, "all_passed": result.returncode == 0}


def bench_monitoring() -> dict:
    from monitoring_bench import measure  # bench/ is on sys.path when this file runs as a script

    return measure()


def bench_pipeline() -> dict:
    from pipeline_bench import bench_pipeline as measure

    return measure()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-install", action="store_true")
    args = parser.parse_args()
    figures = {}
    if not args.skip_install:
        figures.update(bench_install())
    figures.update(bench_bootstrap())
    figures.update(bench_course_run())
    figures.update(bench_monitoring())
    figures.update(bench_pipeline())
    for name, value in figures.items():
        print(f"{name:>22}: {value}")


if __name__ == "__main__":
    main()
