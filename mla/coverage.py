"""Which notebooks, exercises and practice questions cover each C02 skill."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .notebooks import course_notebooks, repo_root
from .syllabus import c02_skills


@dataclass
class SkillCoverage:
    skill: str
    notebooks: list[str] = field(default_factory=list)
    exercises: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)


def _c02(tags) -> list[str]:
    return [t.split(":", 1)[1] for t in tags if str(t).startswith("C02:")]


def notebook_coverage(notebooks: list[Path] | None = None) -> dict[str, SkillCoverage]:
    root = repo_root()
    table = {skill: SkillCoverage(skill) for skill in c02_skills()}
    for path in notebooks if notebooks is not None else course_notebooks():
        nb = json.loads(path.read_text())  # only metadata is read: no need for nbformat's slow schema validation
        name = str(path.relative_to(root)) if path.is_relative_to(root) else path.name
        for skill in _c02(nb["metadata"].get("mla", {}).get("skills", [])):
            if skill in table:
                table[skill].notebooks.append(name)
        for cell in nb["cells"]:
            grading = cell.get("metadata", {}).get("nbgrader", {})
            if grading.get("grade") and not grading.get("solution"):
                for skill in _c02(cell.get("metadata", {}).get("mla", {}).get("skills", [])):
                    if skill in table:
                        table[skill].exercises.append(f"{name}#{grading['grade_id']}")
    return table


def add_questions(table: dict[str, SkillCoverage], questions) -> None:
    """``questions``: (question id, tags) pairs from the question bank."""
    by_skill = defaultdict(list)
    for qid, tags in questions:
        for skill in _c02(tags):
            by_skill[skill].append(qid)
    for skill, ids in by_skill.items():
        if skill in table:
            table[skill].questions += ids


def gaps(table: dict[str, SkillCoverage], need: tuple[str, ...], domains: set[int] | None = None) -> list[str]:
    """Skills (optionally only of some domains) with nothing in one of the ``need`` columns."""
    return [s.skill for s in table.values()
            if (domains is None or int(s.skill.split(".")[0]) in domains)
            and any(not getattr(s, column) for column in need)]
