"""Scoring the way the exam does: one point per scored item, all-or-nothing for multiple response, ordering and
matching, a compensatory total, and a scaled-score ESTIMATE (AWS does not publish its scaling)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass

from .blueprint import Blueprint
from .questions import MATCHING, MULTIPLE, ORDERING, SINGLE, Question

ESTIMATE_LABEL = "estimated scaled score (AWS's raw-to-scaled conversion is not public; this is an estimate)"


def normalize(question: Question, response) -> object:
    """The learner's response in the answer key's shape; raises ValueError naming what is wrong."""
    options = {o.id for o in question.options}
    if question.type == MATCHING:
        if not isinstance(response, dict):
            raise ValueError("a matching answer maps each prompt to an option, e.g. 1=B 2=A 3=C")
        response = {str(k): str(v) for k, v in response.items()}
        prompts = {p.id for p in question.prompts}
        bad = [k for k in response if k not in prompts] + [v for v in response.values() if v not in options]
        if bad:
            raise ValueError(f"unknown prompt or option: {', '.join(bad)}")
        return response
    picks = [response] if isinstance(response, str) else list(response)
    picks = [str(p).upper() if str(p).upper() in options else str(p) for p in picks]
    unknown = [p for p in picks if p not in options]
    if unknown:
        raise ValueError(f"not an option: {', '.join(unknown)}")
    if len(set(picks)) != len(picks):
        raise ValueError("an option is given twice")
    if question.type == SINGLE:
        if len(picks) != 1:
            raise ValueError("choose exactly one option")
        return picks[0]
    if question.type == MULTIPLE:
        return tuple(sorted(picks))
    if question.type == ORDERING:
        return tuple(picks)
    raise ValueError(f"unknown question type {question.type}")


def is_correct(question: Question, response) -> bool:
    """All or nothing: a partial multiple-response, ordering or matching answer scores zero; no answer is wrong."""
    if response is None:
        return False
    try:
        return normalize(question, response) == question.answer
    except ValueError:
        return False


def scaled_estimate(share: float, blueprint: Blueprint) -> int:
    cut, low, high, passing = blueprint.estimate_raw_cut, blueprint.scaled_min, blueprint.scaled_max, blueprint.scaled_pass
    if share >= cut:
        return round(passing + (share - cut) / (1 - cut) * (high - passing))
    return round(low + share / cut * (passing - low))


@dataclass
class Result:
    correct: int
    scored: int
    percent: float
    scaled_estimate: int
    passed_estimate: bool
    by_domain: dict[str, dict]
    by_task: dict[str, dict]
    questions: list[dict]
    elapsed_seconds: float
    duration_seconds: float | None
    within_time: bool
    label: str = ESTIMATE_LABEL

    def to_dict(self) -> dict:
        return asdict(self)


def _share(correct: int, total: int) -> dict:
    return {"correct": correct, "total": total, "percent": round(100 * correct / total, 1) if total else 0.0}


def score(session, bank: dict[str, Question], blueprint: Blueprint) -> Result:
    rows, domain_tally, task_tally = [], defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for qid, scored in session.items:
        question = bank[qid]
        correct = is_correct(question, session.responses.get(qid))
        rows.append({"id": qid, "scored": scored, "correct": correct, "response": session.responses.get(qid),
                     "seconds": round(session.seconds.get(qid, 0.0), 1), "domain": question.domain,
                     "task": question.task, "skills": list(question.skills),
                     "low_confidence": qid in session.low_confidence, "flagged": qid in session.flags})
        if scored:
            for tally in (domain_tally[str(question.domain)], task_tally[question.task]):
                tally[0] += correct
                tally[1] += 1
    correct = sum(r["correct"] for r in rows if r["scored"])
    total = sum(r["scored"] for r in rows)
    share = correct / total if total else 0.0
    scaled = scaled_estimate(share, blueprint)
    within = session.duration_seconds is None or session.elapsed <= session.duration_seconds
    return Result(correct=correct, scored=total, percent=round(100 * share, 1), scaled_estimate=scaled,
                  passed_estimate=scaled >= blueprint.scaled_pass,
                  by_domain={d: _share(*t) for d, t in sorted(domain_tally.items())},
                  by_task={t: _share(*v) for t, v in sorted(task_tally.items())}, questions=rows,
                  elapsed_seconds=round(session.elapsed, 1), duration_seconds=session.duration_seconds,
                  within_time=within)
