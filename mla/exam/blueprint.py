"""Exam blueprints (curriculum/blueprints.yaml): counts, duration, types, domain weights, score scale."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import yaml

from ..notebooks import repo_root


@dataclass(frozen=True)
class Blueprint:
    exam: str
    title: str
    questions: int
    scored: int
    unscored: int
    duration_minutes: int
    duration_note: str
    question_types: tuple[str, ...]
    domain_weights: dict[int, int]
    scaled_min: int
    scaled_max: int
    scaled_pass: int
    estimate_raw_cut: float


@cache
def blueprints() -> dict[str, Blueprint]:
    data = yaml.safe_load((repo_root() / "curriculum" / "blueprints.yaml").read_text())
    cut = float(data.pop("estimate_raw_cut"))
    return {exam: Blueprint(exam=exam, title=b["title"], questions=b["questions"], scored=b["scored"],
                            unscored=b["unscored"], duration_minutes=b["duration_minutes"],
                            duration_note=b["duration_note"], question_types=tuple(b["question_types"]),
                            domain_weights={int(k): int(v) for k, v in b["domain_weights"].items()},
                            scaled_min=b["scaled_min"], scaled_max=b["scaled_max"], scaled_pass=b["scaled_pass"],
                            estimate_raw_cut=cut)
            for exam, b in data.items()}


def get(exam: str) -> Blueprint:
    try:
        return blueprints()[exam]
    except KeyError:
        raise ValueError(f"no blueprint for exam {exam!r}; known: {', '.join(blueprints())}") from None


def allocate(total: int, weights: dict[int, int]) -> dict[int, int]:
    """Split ``total`` items across domains in proportion to ``weights`` (largest remainder, ties to lower id)."""
    whole = sum(weights.values())
    exact = {d: total * w / whole for d, w in weights.items()}
    counts = {d: int(x) for d, x in exact.items()}
    for d in sorted(exact, key=lambda d: (counts[d] - exact[d], d))[: total - sum(counts.values())]:
        counts[d] += 1
    return counts
