"""The shipped question bank meets the bank's own bar: every C02 skill has at least six questions, a fifth or
more of the C02 pool is multiple response, and full C02 and C01 practice exams are drawn without repeats until
the bank runs out."""

from collections import Counter

import pytest

from mla.coverage import add_questions, gaps, notebook_coverage
from mla.exam.blueprint import allocate, get
from mla.exam.questions import load_bank
from mla.exam.sampling import build_paper

FLOOR = 6


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def test_every_c02_skill_has_the_floor_of_questions(bank):
    table = notebook_coverage([])
    add_questions(table, [(q.id, [f"C02:{s}" for s in q.skills]) for q in bank.values() if "C02" in q.exams])
    thin = {skill: len(row.questions) for skill, row in table.items() if len(row.questions) < FLOOR}
    assert thin == {}
    assert gaps(table, ("questions",), {1, 2, 3, 4}) == []


def test_the_c02_pool_is_single_and_multiple_with_a_fifth_multiple(bank):
    pool = Counter(q.type for q in bank.values() if "C02" in q.exams and q.type in ("single", "multiple"))
    assert pool["multiple"] / sum(pool.values()) >= 0.2


@pytest.mark.parametrize("exam", ["C02", "C01"])
def test_successive_practice_exams_do_not_repeat_until_the_bank_is_exhausted(bank, exam):
    blueprint = get(exam)
    eligible = {q.id for q in bank.values() if exam in q.exams and q.type in blueprint.question_types and not q.case}
    seen: set[str] = set()
    for attempt in range(len(eligible) // blueprint.questions):
        paper = build_paper({k: v for k, v in bank.items() if exam in v.exams}, blueprint, recent=frozenset(seen),
                            seed=attempt)
        drawn = [q for q, _ in paper.items]
        assert len(drawn) == blueprint.questions == len(set(drawn)) and paper.notes == []
        repeats = seen.intersection(drawn)
        assert len(repeats) <= _unavoidable(bank, exam, blueprint, seen), f"attempt {attempt + 1} repeats questions"
        seen.update(drawn)


def _unavoidable(bank, exam, blueprint, seen) -> int:
    """Repeats a paper cannot avoid: per domain, questions its share needs beyond the unseen ones left."""
    need = allocate(blueprint.questions, blueprint.domain_weights)
    left = Counter(q.domain for q in bank.values() if exam in q.exams and q.type in blueprint.question_types
                   and not q.case and q.id not in seen)
    return sum(max(0, n - left[d]) for d, n in need.items())
