"""The learner workspace: the student versions of every notebook, outside the repo's tracked files.

An update brings in new and changed releases but never overwrites a notebook the learner has edited; the new
release of such a notebook lands beside it as ``<name>.updated.ipynb``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .notebooks import weeks

MANIFEST = ".mla-workspace.json"


def default_workspace() -> Path:
    return Path(os.environ.get("MLA_WORKSPACE") or Path.home() / "mla-workspace")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class UpdateReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # edited by the learner; new release written beside it


def sync(workspace: Path, course_root: Path) -> UpdateReport:
    """Copy released notebooks from ``course_root/release`` into ``workspace`` (phase/week layout)."""
    workspace.mkdir(parents=True, exist_ok=True)
    manifest_path = workspace / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    except json.JSONDecodeError as error:
        raise RuntimeError(f"{manifest_path} is corrupt ({error}); move it aside to rebuild it") from error
    report = UpdateReport()
    for week in weeks():
        release = course_root / "release" / week.assignment
        if not release.is_dir():
            continue
        for released in sorted(release.iterdir()):
            if not released.is_file():
                continue
            relative = f"{week.phase}/{week.relative}/{released.name}"
            target = workspace / relative
            new_digest = _digest(released)
            if not target.exists():
                _copy(released, target)
                report.added.append(relative)
            elif manifest.get(relative) == new_digest:
                continue
            elif _digest(target) == manifest.get(relative):
                _copy(released, target)
                report.updated.append(relative)
            else:
                _copy(released, target.with_name(f"{target.stem}.updated{target.suffix}"))
                report.kept.append(relative)
                continue  # the manifest keeps the digest the learner started from
            manifest[relative] = new_digest
    tmp = manifest_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    tmp.replace(manifest_path)
    return report


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".mla-tmp")
    shutil.copy2(source, tmp)
    tmp.replace(target)
