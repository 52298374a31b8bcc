"""A job's ``/opt/ml`` tree, rooted in a per-job folder instead of a container's filesystem.

Layout as documented for SageMaker containers: ``input/config/{hyperparameters,inputdataconfig,
resourceconfig}.json``, ``input/data/<channel>``, ``model``, ``output/data``, ``output/failure``, ``code``,
``checkpoints`` (training) and ``processing/...`` (processing jobs).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

HOST = "algo-1"


def jobs_root() -> Path:
    root = Path(os.environ.get("MLA_JOBS_DIR") or Path(tempfile.gettempdir()) / "mla-jobs")
    root.mkdir(parents=True, exist_ok=True)
    return root


class OptMl:
    def __init__(self, kind: str, name: str):
        self.base = Path(tempfile.mkdtemp(prefix=f"{kind}-{name}-", dir=jobs_root()))
        self.root = self.base / "opt" / "ml"
        for sub in ("input/config", "input/data", "model", "output/data", "code"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    @property
    def model_dir(self) -> Path:
        return self.root / "model"

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    @property
    def output_data_dir(self) -> Path:
        return self.root / "output" / "data"

    @property
    def config_dir(self) -> Path:
        return self.root / "input" / "config"

    @property
    def code_dir(self) -> Path:
        return self.root / "code"

    def channel_dir(self, name: str) -> Path:
        return self.root / "input" / "data" / name

    def inside(self, container_path: str) -> Path:
        """Where a path the job names as ``/opt/ml/...`` lives on this machine."""
        relative = Path(container_path).relative_to("/opt/ml") if container_path.startswith("/opt/ml") \
            else Path(container_path.lstrip("/"))
        return self.root / relative

    def failure_message(self) -> str:
        failure = self.output_dir / "failure"
        return failure.read_text().strip() if failure.exists() else ""

    def write_config(self, hyperparameters: dict, input_config: dict, instance_type: str) -> None:
        files = {
            "hyperparameters.json": hyperparameters,
            "inputdataconfig.json": input_config,
            "resourceconfig.json": {"current_host": HOST, "current_instance_type": instance_type,
                                    "current_group_name": "homogeneousCluster", "hosts": [HOST],
                                    "instance_groups": [{"instance_group_name": "homogeneousCluster",
                                                         "instance_type": instance_type, "hosts": [HOST]}],
                                    "network_interface_name": "eth0"},
        }
        for name, content in files.items():
            (self.config_dir / name).write_text(json.dumps(content, indent=1))

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)
