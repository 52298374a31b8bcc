"""Spaced repetition with fsrs at 90% desired retention: missed and low-confidence questions become cards.

Cards are stored as fsrs 6 ``Card.to_dict()`` under the format tag CARD_FORMAT; fsrs changed its card format between
major versions, so a card in another format is refused with a clear message instead of being misread."""

from __future__ import annotations

import datetime as dt
import hashlib

from fsrs import Card, Rating, Scheduler

from .store import ProgressStore

CARD_FORMAT = "fsrs-6"
DESIRED_RETENTION = 0.9
SCHEDULER = Scheduler(desired_retention=DESIRED_RETENTION, enable_fuzzing=False)  # no fuzz: deterministic


def card_id_for(question_id: str) -> int:
    """fsrs wants an integer card id; derive it from the question id so it is stable across machines."""
    return int.from_bytes(hashlib.sha256(question_id.encode()).digest()[:6], "big")


def rating_for(correct: bool, confident: bool) -> Rating:
    if not correct:
        return Rating.Again
    return Rating.Good if confident else Rating.Hard


def cards(store: ProgressStore) -> dict[str, Card]:
    out = {}
    for row in store.cards():
        if row["card_format"] != CARD_FORMAT:
            raise ValueError(f"review card {row['question_id']} is stored as {row['card_format']!r}; this mla reads "
                             f"{CARD_FORMAT!r}. Export your progress and convert it with a matching mla version.")
        out[row["question_id"]] = Card.from_dict(row["card"])
    return out


def record(store: ProgressStore, question_id: str, correct: bool, confident: bool, when: dt.datetime,
           source: str) -> Card | None:
    """Review the question's card with the outcome; a first miss or unsure answer creates the card.
    A confident right answer to a question without a card creates nothing."""
    existing = cards(store).get(question_id)
    if existing is None and correct and confident:
        return None
    card = existing or Card(card_id=card_id_for(question_id), due=when)
    rating = rating_for(correct, confident)
    card, _ = SCHEDULER.review_card(card, rating, review_datetime=when)
    store.put_card(question_id, card.to_dict(), CARD_FORMAT, card.due.isoformat(), int(rating),
                   when.isoformat(timespec="seconds"), source)
    return card


def record_result(store: ProgressStore, result: dict, when: dt.datetime, source: str) -> None:
    with store.transaction():
        for row in result["questions"]:
            record(store, row["id"], row["correct"], not row["low_confidence"] and not row["flagged"], when, source)


def due(store: ProgressStore, when: dt.datetime) -> list[tuple[str, Card]]:
    return sorted(((qid, c) for qid, c in cards(store).items() if c.due <= when), key=lambda pair: pair[1].due)


def predicted_retention(store: ProgressStore, when: dt.datetime) -> float | None:
    """Mean probability of recalling each card's question at ``when`` (fsrs retrievability)."""
    stored = list(cards(store).values())
    if not stored:
        return None
    return sum(SCHEDULER.get_card_retrievability(c, when) for c in stored) / len(stored)
