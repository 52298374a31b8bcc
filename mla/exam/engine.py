"""One engine under every front end: a session's state (answers, flags, clock), saved after every action."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from .blueprint import Blueprint
from .questions import Question
from .sampling import EXAM, Paper
from .scoring import Result, normalize, score

IN_PROGRESS, SUBMITTED, ABANDONED = "in_progress", "submitted", "abandoned"


@dataclass
class Session:
    id: str
    exam: str
    mode: str
    seed: int
    items: list[tuple[str, bool]]  # (question id, scored)
    duration_seconds: float | None
    started_at: str
    responses: dict[str, object] = field(default_factory=dict)
    low_confidence: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0
    current: int = 0
    status: str = IN_PROGRESS
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Session:
        data = dict(data)
        data["items"] = [(qid, bool(scored)) for qid, scored in data["items"]]
        return cls(**data)


def new_session(paper: Paper, blueprint: Blueprint, *, mode: str, seed: int, minutes: float | None = None) -> Session:
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    digest = hashlib.sha256(f"{started}{seed}{paper.items}".encode()).hexdigest()[:10]
    if minutes is None and mode == EXAM:
        minutes = blueprint.duration_minutes
    return Session(id=f"{blueprint.exam.lower()}-{mode}-{digest}", exam=blueprint.exam, mode=mode, seed=seed,
                   items=paper.items, duration_seconds=minutes * 60 if minutes else None, started_at=started,
                   notes=list(paper.notes))


class ExamRun:
    """Drives a session. Time is counted only while a front end is running it, on a monotonic clock, and each
    action saves the state, so a resumed exam keeps its answers and its elapsed time."""

    def __init__(self, session: Session, bank: dict[str, Question], blueprint: Blueprint,
                 save: Callable[[Session, Result | None], None], clock: Callable[[], float] = time.monotonic):
        missing = [qid for qid, _ in session.items if qid not in bank]
        if missing:
            raise ValueError(f"the saved exam uses questions no longer in the bank: {', '.join(missing)}")
        self.session, self.bank, self.blueprint, self._save, self._clock = session, bank, blueprint, save, clock
        self._mark = clock()

    @property
    def question(self) -> Question:
        return self.bank[self.session.items[self.session.current][0]]

    @property
    def count(self) -> int:
        return len(self.session.items)

    def remaining_seconds(self) -> float | None:
        self._account()
        if self.session.duration_seconds is None:
            return None
        return max(0.0, self.session.duration_seconds - self.session.elapsed)

    def time_up(self) -> bool:
        remaining = self.remaining_seconds()
        return remaining is not None and remaining <= 0

    def answer(self, response, confident: bool = True) -> None:
        question = self.question
        value = normalize(question, response)
        self.session.responses[question.id] = list(value) if isinstance(value, tuple) else value
        low = set(self.session.low_confidence)
        low.discard(question.id) if confident else low.add(question.id)
        self.session.low_confidence = sorted(low)
        self.save()

    def clear(self) -> None:
        self.session.responses.pop(self.question.id, None)
        self.save()

    def toggle_flag(self) -> bool:
        flags = set(self.session.flags)
        qid = self.question.id
        flags.discard(qid) if qid in flags else flags.add(qid)
        self.session.flags = sorted(flags)
        self.save()
        return qid in flags

    def go(self, index: int) -> None:
        if not 0 <= index < self.count:
            raise IndexError(f"question numbers run from 1 to {self.count}")
        self._account()
        self.session.current = index
        self.save()

    def unanswered(self) -> list[int]:
        return [i for i, (qid, _) in enumerate(self.session.items) if qid not in self.session.responses]

    def save(self) -> None:
        self._account()
        self._save(self.session, None)

    def abandon(self) -> None:
        """Give the session up unscored, so the next practice starts fresh; it stays in the history."""
        self._account()
        self.session.status = ABANDONED
        self._save(self.session, None)

    def submit(self) -> Result:
        self._account()
        self.session.status = SUBMITTED
        result = score(self.session, self.bank, self.blueprint)
        self._save(self.session, result)
        return result

    def _account(self) -> None:
        now = self._clock()
        spent, self._mark = now - self._mark, now
        if self.session.status == SUBMITTED:
            return
        qid = self.session.items[self.session.current][0]
        self.session.seconds[qid] = self.session.seconds.get(qid, 0.0) + spent
        self.session.elapsed += spent
