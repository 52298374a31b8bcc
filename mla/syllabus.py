"""The exam's map (curriculum/syllabus.yaml): valid tags are "C02:<skill id>" and "C01:<task id>"."""

from __future__ import annotations

from functools import cache

import yaml

from .notebooks import repo_root


@cache
def load() -> dict:
    return yaml.safe_load((repo_root() / "curriculum" / "syllabus.yaml").read_text())


def c02_skills() -> dict[str, str]:
    return {s["id"]: s["text"] for d in load()["C02"]["domains"] for t in d["tasks"] for s in t["skills"]}


def c01_tasks() -> dict[str, str]:
    return {t["id"]: t["title"] for d in load()["C01"]["domains"] for t in d["tasks"]}


def unknown_tags(tags) -> list[str]:
    """Tags that name no C02 skill or C01 task."""
    skills, tasks = c02_skills(), c01_tasks()
    bad = []
    for tag in tags:
        exam, _, ident = str(tag).partition(":")
        if not ((exam == "C02" and ident in skills) or (exam == "C01" and ident in tasks)):
            bad.append(str(tag))
    return bad
