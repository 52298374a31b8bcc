"""Where the course's notebooks are and what their metadata says."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

PHASES = ("phase1_foundations", "phase2_training", "phase3_mlops", "phase4_advanced", "phase5_certification")


def repo_root() -> Path:
    """The course checkout (the package is installed editable from it); ``MLA_COURSE_ROOT`` overrides."""
    return Path(os.environ.get("MLA_COURSE_ROOT") or Path(__file__).resolve().parents[1])


def course_notebooks(paths: list[Path] | None = None) -> list[Path]:
    """Notebooks under the given files/folders (default: every phase folder), in course order."""
    root = repo_root()
    targets = paths or [root / phase for phase in PHASES if (root / phase).is_dir()]
    found: list[Path] = []
    for target in targets:
        target = Path(target)
        if not target.exists():
            raise FileNotFoundError(f"{target} does not exist")
        if target.is_file():
            found.append(target.resolve())
        else:
            found += sorted(p.resolve() for p in target.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Week:
    """One nbgrader assignment: a week folder such as ``phase1_foundations/week01_aws_ml_landscape``, or, in a week
    of projects, each project folder inside it (``phase5_certification/week10_capstones/capstone1_tabular_mlops``)."""

    phase: str
    folder: Path

    @property
    def assignment(self) -> str:
        return self.folder.name

    @property
    def number(self) -> int | None:
        return _number_of(self.folder)

    @property
    def relative(self) -> str:
        """Where the assignment lives in the course (and in a learner's workspace)."""
        return self.folder.relative_to(repo_root() / self.phase).as_posix()

    @property
    def notebooks(self) -> list[Path]:
        return sorted(self.folder.glob("*.ipynb"))


def weeks() -> list[Week]:
    root = repo_root()
    found = []
    for phase in PHASES:
        for folder in sorted((root / phase).glob("week*")):
            if not folder.is_dir():
                continue
            projects = sorted(sub for sub in folder.iterdir()
                              if sub.is_dir() and not sub.name.startswith(".") and any(sub.glob("*.ipynb")))
            found += [Week(phase, sub) for sub in projects] if projects else [Week(phase, folder)]
    return found


def week_of(notebook: Path) -> Week:
    for week in weeks():
        if notebook.resolve().parent == week.folder.resolve():
            return week
    raise LookupError(f"{notebook} is not inside a course week folder")


def week_number(notebook: Path) -> int | None:
    """The number of the week folder a notebook sits in (directly, or inside one of the week's project folders)."""
    return _number_of(notebook.parent)


def _number_of(folder: Path) -> int | None:
    for candidate in (folder, folder.parent):
        match = re.match(r"week(\d+)_", candidate.name)
        if match:
            return int(match.group(1))
    return None
