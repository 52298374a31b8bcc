import pytest

from mla.exam.blueprint import get
from mla.exam.engine import Session
from mla.exam.scoring import ESTIMATE_LABEL, is_correct, scaled_estimate, score

C02 = get("C02")


def first_of(bank, qtype):
    return next(q for q in bank.values() if q.type == qtype and q.case is None)


def test_single_answer(bank):
    q = first_of(bank, "single")
    wrong = next(o.id for o in q.options if o.id != q.answer)
    assert is_correct(q, q.answer) and is_correct(q, [q.answer]) and is_correct(q, q.answer.lower())
    assert not is_correct(q, wrong) and not is_correct(q, None)


def test_multiple_response_is_all_or_nothing(bank):
    q = first_of(bank, "multiple")
    extra = next(o.id for o in q.options if o.id not in q.answer)
    assert is_correct(q, list(reversed(q.answer)))
    assert not is_correct(q, [q.answer[0]])  # partial
    assert not is_correct(q, [*q.answer, extra])  # too many


def test_ordering_is_all_or_nothing(bank):
    q = first_of(bank, "ordering")
    swapped = list(q.answer)
    swapped[0], swapped[1] = swapped[1], swapped[0]
    assert is_correct(q, list(q.answer))
    assert not is_correct(q, swapped) and not is_correct(q, list(q.answer)[:-1])


def test_matching_is_all_or_nothing(bank):
    q = first_of(bank, "matching")
    partial = dict(q.answer)
    first, second = list(partial)[:2]
    partial[first], partial[second] = partial[second], partial[first]
    assert is_correct(q, dict(q.answer))
    assert not is_correct(q, partial)
    assert not is_correct(q, {k: v for k, v in list(q.answer.items())[:-1]})


def test_scaled_estimate_spans_100_to_1000_with_720_at_the_assumed_cut():
    assert scaled_estimate(0.0, C02) == 100
    assert scaled_estimate(C02.estimate_raw_cut, C02) == 720
    assert scaled_estimate(1.0, C02) == 1000
    assert scaled_estimate(0.5, C02) < 720 < scaled_estimate(0.8, C02)


def test_compensatory_total_per_domain_and_task_ignores_unscored_items(bank):
    ids = sorted(bank)[:6]
    session = Session(id="s", exam="C02", mode="exam", seed=0, items=[(q, i != 5) for i, q in enumerate(ids)],
                      duration_seconds=600, started_at="2026-11-26T00:00:00+00:00", elapsed=601.0)
    keys = {q: list(bank[q].answer) if isinstance(bank[q].answer, tuple) else bank[q].answer for q in ids}
    session.responses = {q: keys[q] for q in ids[:3]}
    session.responses[ids[5]] = keys[ids[5]]  # right, but unscored
    session.seconds = {ids[0]: 42.0}
    result = score(session, bank, C02)
    assert (result.correct, result.scored, result.percent) == (3, 5, 60.0)
    assert sum(d["total"] for d in result.by_domain.values()) == 5
    assert sum(t["correct"] for t in result.by_task.values()) == 3
    assert result.questions[0]["seconds"] == 42.0 and result.label == ESTIMATE_LABEL
    assert result.within_time is False
    assert result.passed_estimate is (result.scaled_estimate >= 720)


@pytest.mark.parametrize("bad", [["Q"], "A,B"])
def test_malformed_responses_score_zero(bank, bad):
    assert not is_correct(first_of(bank, "single"), bad)
