"""Builds the nbgrader course root from the phase folders: one assignment per week folder (per project folder in a
week of projects)."""

from __future__ import annotations

import shutil
from pathlib import Path

from mla.notebooks import Week, repo_root, weeks

from .config import course_config, write_config_file


class CourseError(RuntimeError):
    pass


def default_root() -> Path:
    import os

    return Path(os.environ.get("MLA_COURSE_DIR") or repo_root() / ".course")


def api_for(root: Path, exchange: Path | None = None):
    _tools_on_path()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = course_config(root, exchange)
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def _tools_on_path() -> None:
    """nbgrader runs the ``alembic`` command by name: find it beside this interpreter even in an unactivated venv."""
    import os
    import sys

    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def copy_sources(week: Week, root: Path) -> Path:
    target = root / "source" / week.assignment
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for notebook in week.notebooks:
        shutil.copy2(notebook, target / notebook.name)
    for extra in week.folder.iterdir():  # data files and helper modules a week ships beside its notebooks
        if extra.is_file() and extra.suffix != ".ipynb" and not extra.name.startswith("."):
            shutil.copy2(extra, target / extra.name)
    return target


def build(root: Path | None = None, only: list[str] | None = None) -> list[str]:
    """Assemble ``root`` (source/ from the repo, release/ from nbgrader's generate_assignment)."""
    root = root or default_root()
    root.mkdir(parents=True, exist_ok=True)
    write_config_file(root, course_config(root))
    (root / "exchange").mkdir(exist_ok=True)
    api = api_for(root)
    built = []
    for week in weeks():
        if only and week.assignment not in only:
            continue
        copy_sources(week, root)
        result = api.generate_assignment(week.assignment, force=True, create=True)
        if not result["success"]:
            raise CourseError(f"nbgrader could not generate {week.assignment}:\n{result.get('error') or result.get('log')}")
        built.append(week.assignment)
    return built


def release_dir(root: Path, assignment: str) -> Path:
    return root / "release" / assignment
