"""The honesty gate: a source notebook's solution passes every graded test, and the student version that
nbgrader generates from it fails every one."""

from __future__ import annotations

from pathlib import Path

from .config import course_config


def _validator(invert: bool):
    from nbgrader.validator import Validator

    config = course_config(Path.cwd())
    config.Validator.invert = invert
    return Validator(config=config)


def solution_failures(notebook: Path) -> list[str]:
    """Graded tests that fail on the solution (should be none)."""
    results = _validator(invert=False).validate(str(notebook))
    return [c.get("raw_error") or c["source"] for c in results.get("failed", [])] + _changed(results)


def student_passes(notebook: Path) -> list[str]:
    """Graded tests that pass on the unsolved student version (should be none)."""
    results = _validator(invert=True).validate(str(notebook))
    return [c["source"] for c in results.get("passed", [])] + _changed(results)


def _changed(results: dict) -> list[str]:
    return [f"changed or retyped cell: {c['source'][:80]}" for c in results.get("changed", []) + results.get("type_changed", [])]
