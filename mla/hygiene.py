"""Repository hygiene shared by the tests and the pre-commit hooks: no notebook outputs, no AWS keys."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat

# AWS access key ids; the documented example key is allowed
KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
SECRET = re.compile(r"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}\b", re.IGNORECASE)
ALLOWED = {"AKIAIOSFODNN7EXAMPLE"}


def tracked_files(root: Path) -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    return [root / name for name in out.decode().split("\0") if name]


def secrets_in(path: Path) -> list[str]:
    try:
        text = path.read_text(errors="ignore")
    except (IsADirectoryError, FileNotFoundError):
        return []
    hits = [m for m in KEY_ID.findall(text) if m not in ALLOWED]
    hits += [m.split("=")[0] + "=…" for m in SECRET.findall(text) if "EXAMPLEKEY" not in m]
    return hits


def outputs_in(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    return any(c.get("outputs") or c.get("execution_count") for c in nb.cells if c.cell_type == "code")


def main(paths: list[str]) -> int:
    bad = 0
    for name in paths:
        path = Path(name)
        for hit in secrets_in(path):
            print(f"{path}: looks like an AWS secret: {hit}")
            bad += 1
        if path.suffix == ".ipynb" and outputs_in(path):
            print(f"{path}: notebook has outputs; clear them before committing")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
