"""Start or resume a practice session backed by the progress store; the front ends call only this."""

from __future__ import annotations

import datetime as dt
import sys

from ..progress import review
from ..progress.store import CorruptStoreError, ProgressStore, open_store
from . import blueprint as blueprints
from .engine import ExamRun, Session, new_session
from .questions import BankError, Question, load_bank
from .sampling import build_paper
from .scoring import Result


def open_bank_and_store(command: str, bank_dir=None) -> tuple[dict[str, Question], ProgressStore] | None:
    """The question bank and the learner's store, or None after printing why a command cannot use them."""
    try:
        bank = load_bank(bank_dir)
        return bank, open_store()
    except (BankError, CorruptStoreError, FileNotFoundError) as error:
        print(f"mla {command}: {error}", file=sys.stderr)
        return None


def saver(store: ProgressStore):
    """Save each state change in one transaction; on submit, also turn misses and unsure answers into cards."""

    def save(session: Session, result: Result | None) -> None:
        with store.transaction():
            store.save_session(session.to_dict(), result.to_dict() if result else None)
            if result is not None:
                review.record_result(store, result.to_dict(), dt.datetime.now(dt.UTC), session.id)

    return save


def start(store: ProgressStore, bank: dict[str, Question], *, exam: str = "C02", mode: str = "exam",
          count: int | None = None, domain: int | None = None, seed: int | None = None,
          minutes: float | None = None, clock=None) -> ExamRun:
    plan = blueprints.get(exam)
    seed = seed if seed is not None else int(dt.datetime.now().timestamp())
    paper = build_paper(bank, plan, mode=mode, count=count, domain=domain, recent=store.recent_question_ids(),
                        seed=seed)
    if not paper.items:
        raise ValueError(f"the bank has no {exam} questions for this selection")
    run = _run(new_session(paper, plan, mode=mode, seed=seed, minutes=minutes), bank, store, clock)
    run.save()
    return run


def resume(store: ProgressStore, bank: dict[str, Question], clock=None) -> ExamRun | None:
    state = store.unfinished_session()
    return None if state is None else _run(Session.from_dict(state), bank, store, clock)


def _run(session: Session, bank, store, clock) -> ExamRun:
    extra = {"clock": clock} if clock else {}
    return ExamRun(session, bank, blueprints.get(session.exam), saver(store), **extra)
