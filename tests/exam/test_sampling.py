from collections import Counter

from mla.exam.blueprint import allocate, get
from mla.exam.questions import load_bank
from mla.exam.sampling import build_paper
from mla.exam.synthetic import write_synthetic_bank

C02, C01 = get("C02"), get("C01")


def test_blueprints_follow_the_exam_guides():
    assert (C02.questions, C02.scored, C02.unscored, C02.duration_minutes) == (65, 50, 15, 130)
    assert "ASSUMED" in C02.duration_note
    assert C02.question_types == ("single", "multiple")
    assert C02.domain_weights == {1: 28, 2: 24, 3: 24, 4: 24}
    assert C01.domain_weights == {1: 28, 2: 26, 3: 22, 4: 24}
    assert set(C01.question_types) == {"single", "multiple", "ordering", "matching"}
    assert allocate(50, C02.domain_weights) == {1: 14, 2: 12, 3: 12, 4: 12}


def test_a_c02_exam_has_the_blueprint_shape(big_bank):
    paper = build_paper(big_bank, C02, seed=7)
    assert len(paper.items) == 65 and sum(scored for _, scored in paper.items) == 50
    assert {big_bank[q].type for q, _ in paper.items} <= {"single", "multiple"}
    assert not any(big_bank[q].case for q, _ in paper.items)
    assert len({q for q, _ in paper.items}) == 65
    assert paper.notes == []


def test_domain_shares_match_the_weights_over_many_draws(big_bank):
    for plan in (C02, C01):
        scored, everything = Counter(), Counter()
        for seed in range(200):
            for qid, is_scored in build_paper(big_bank, plan, seed=seed).items:
                everything[big_bank[qid].domain] += 1
                scored[big_bank[qid].domain] += is_scored
        total = sum(plan.domain_weights.values())
        for domain, weight in plan.domain_weights.items():
            assert abs(scored[domain] / sum(scored.values()) - weight / total) < 0.02
            assert abs(everything[domain] / sum(everything.values()) - weight / total) < 0.02


def test_every_eligible_question_gets_drawn_and_draws_differ_by_seed(big_bank):
    seen = Counter(q for seed in range(100) for q, _ in build_paper(big_bank, C02, seed=seed).items)
    eligible = [q for q in big_bank.values() if q.type in ("single", "multiple") and q.case is None]
    assert {q.id for q in eligible} == set(seen)
    assert build_paper(big_bank, C02, seed=1).items != build_paper(big_bank, C02, seed=2).items
    assert build_paper(big_bank, C02, seed=3).items == build_paper(big_bank, C02, seed=3).items


def test_recent_questions_are_not_repeated_when_the_bank_allows(big_bank):
    first = build_paper(big_bank, C01, mode="quiz", count=40, seed=1)
    recent = frozenset(q for q, _ in first.items)
    second = build_paper(big_bank, C01, mode="quiz", count=40, seed=2, recent=recent)
    assert recent.isdisjoint(q for q, _ in second.items)


def test_c01_exams_draw_ordering_and_matching(big_bank):
    types = Counter(big_bank[q].type for q, _ in build_paper(big_bank, C01, seed=5).items)
    assert types["ordering"] and types["matching"]


def test_domain_drill_serves_every_type_and_keeps_case_studies_together(big_bank):
    paper = build_paper(big_bank, C02, mode="quiz", count=48, domain=2, seed=4)
    questions = [big_bank[q] for q, _ in paper.items]
    assert {q.domain for q in questions} == {2}
    assert {q.type for q in questions} == {"single", "multiple", "ordering", "matching"}
    positions = [i for i, q in enumerate(questions) if q.case]
    assert len(positions) == 2 and positions[1] == positions[0] + 1
    assert all(scored for _, scored in paper.items)


def test_a_short_bank_gives_a_shorter_exam_with_notes(tmp_path):
    # A synthetic bank that stays short while the real bank grows past the blueprint.
    short_bank = load_bank(write_synthetic_bank(tmp_path, 2))
    paper = build_paper(short_bank, C02, seed=0)
    assert 0 < len(paper.items) < 65
    assert any("domain 1" in note and "blueprint asks for 18" in note for note in paper.notes)
