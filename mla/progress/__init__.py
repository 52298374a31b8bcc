"""The learner's history: practice exams, exercise scores and review cards in one SQLite file that is never reset."""

from .store import CorruptStoreError, ProgressStore, open_store, record_exercise

__all__ = ["CorruptStoreError", "ProgressStore", "open_store", "record_exercise"]
