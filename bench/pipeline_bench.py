"""Pipelines on the local backend: wall time of a 4-step SDK v3 pipeline run — Prepare (processing) → Train
(built-in XGBoost) → Evaluate (processing, writes a property file) → CheckR2 (JsonGet condition) → Register —
from StartPipelineExecution to Succeeded, twice (the first run also pays the cold start of the job subprocesses).

Run: ``.venv/bin/python bench/pipeline_bench.py`` (target: a run ≤ 30 s on a 2-core machine).
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "pipelines"))  # the pipeline the tests run, so both measure the same thing

from pipeline_helpers import sdk_pipeline, steps_by_name, wait_execution, write_scripts  # noqa: E402

RUNS = 2
TARGET_SECONDS = 30


def bench_pipeline() -> dict:
    from mla.lab import start

    warnings.filterwarnings("ignore")
    lab = start("local")
    sagemaker = lab.client("sagemaker")
    name = lab.name("bench-pipeline")
    sagemaker.create_model_package_group(ModelPackageGroupName=f"{name}-models")
    with tempfile.TemporaryDirectory(prefix="mla-pipeline-bench-") as tmp:
        pipeline = sdk_pipeline(lab, name, f"{name}-models", write_scripts(Path(tmp)))
        started = time.perf_counter()
        pipeline.upsert(role_arn=lab.role_arn)
        figures = {"pipeline_upsert_seconds": round(time.perf_counter() - started, 2)}
        for attempt in range(1, RUNS + 1):
            started = time.perf_counter()
            execution = pipeline.start()
            status = wait_execution(sagemaker, execution.arn, timeout=600)["PipelineExecutionStatus"]
            figures[f"pipeline_run_{attempt}_seconds"] = round(time.perf_counter() - started, 2)
            steps = steps_by_name(sagemaker, execution.arn)
            figures[f"pipeline_run_{attempt}_steps"] = ", ".join(
                f"{step} {(record['EndTime'] - record['StartTime']).total_seconds():.1f}s"
                for step, record in sorted(steps.items(), key=lambda item: item[1]["StartTime"]))
            if status != "Succeeded":
                figures[f"pipeline_run_{attempt}_status"] = status
    sagemaker.delete_pipeline(PipelineName=name)
    return figures


def main() -> int:
    figures = bench_pipeline()
    for name, value in figures.items():
        print(f"{name:>26}: {value}")
    runs = [figures[f"pipeline_run_{i}_seconds"] for i in range(1, RUNS + 1)]
    failed = any(key.endswith("_status") for key in figures)
    return 0 if not failed and max(runs) <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
