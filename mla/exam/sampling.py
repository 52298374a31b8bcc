"""Draw a paper from the bank: by blueprint weight and types, preferring questions not seen recently."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .blueprint import Blueprint, allocate
from .questions import CASE_STUDY, TYPES, Question

EXAM, QUIZ = "exam", "quiz"


@dataclass
class Paper:
    items: list[tuple[str, bool]]  # (question id, scored) in the order they are asked
    notes: list[str] = field(default_factory=list)


def eligible(question: Question, blueprint: Blueprint, types: tuple[str, ...]) -> bool:
    if blueprint.exam not in question.exams or question.type not in types:
        return False
    return question.case is None or CASE_STUDY in types


def build_paper(bank: dict[str, Question], blueprint: Blueprint, *, mode: str = EXAM, count: int | None = None,
                domain: int | None = None, recent: frozenset[str] = frozenset(), seed: int = 0) -> Paper:
    """A full practice exam (``mode="exam"``: the blueprint's count, types and unscored items) or a quiz
    (``mode="quiz"``: ``count`` scored questions of every type, case studies included, optionally one domain)."""
    rng = random.Random(seed)
    if mode == EXAM:
        types, scored, unscored = blueprint.question_types, blueprint.scored, blueprint.unscored
        weights = blueprint.domain_weights
    elif mode == QUIZ:
        types, scored, unscored = TYPES + (CASE_STUDY,), count or 10, 0
        weights = {domain: 1} if domain else blueprint.domain_weights
    else:
        raise ValueError(f"unknown mode {mode!r}")
    if domain and domain not in blueprint.domain_weights:
        raise ValueError(f"domain {domain} is not in {blueprint.exam}")
    units = _units([q for q in bank.values() if eligible(q, blueprint, types)])
    scored_need, unscored_need = allocate(scored, weights), allocate(unscored, weights)
    chosen_units, items, notes = [], [], []
    for d in sorted(weights):
        need = scored_need[d] + unscored_need[d]
        picked = _pick([u for u in units if u[0].domain == d], need, recent, rng)
        got = sum(len(u) for u in picked)
        if got < need:
            notes.append(f"domain {d}: the bank has {got} eligible questions, the blueprint asks for {need}")
        # a short bank fills the scored items first
        unscored_ids = set(rng.sample([q.id for u in picked for q in u], min(unscored_need[d], max(0, got - scored_need[d]))))
        chosen_units += [[(q.id, q.id not in unscored_ids) for q in u] for u in picked]
    rng.shuffle(chosen_units)
    for unit in chosen_units:
        items += unit
    return Paper(items, notes)


def _units(questions: list[Question]) -> list[list[Question]]:
    """Questions that must be asked together: a case study's questions, or one question alone."""
    cases: dict[str, list[Question]] = {}
    units = []
    for q in sorted(questions, key=lambda q: q.id):
        if q.case is None:
            units.append([q])
        else:
            if q.case.id not in cases:
                cases[q.case.id] = []
                units.append(cases[q.case.id])
            cases[q.case.id].append(q)
    return units


def _pick(units: list[list[Question]], need: int, recent: frozenset[str], rng: random.Random) -> list[list[Question]]:
    rng.shuffle(units)
    units.sort(key=lambda u: any(q.id in recent for q in u))  # stable: unseen first, random within each group
    picked, remaining = [], need
    for unit in units:
        if 0 < len(unit) <= remaining:
            picked.append(unit)
            remaining -= len(unit)
    return picked
