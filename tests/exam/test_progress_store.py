import datetime as dt
import json
import sqlite3

import pytest
from fsrs import Card, State

from mla.progress import record_exercise, review
from mla.progress.store import CorruptStoreError, ProgressStore, data_dir

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def test_the_data_directory_follows_mla_data_dir(store, tmp_path):
    assert data_dir() == tmp_path / "data" and store.path.parent == tmp_path / "data"


def test_a_corrupt_file_gives_a_clear_error_and_is_kept(tmp_path):
    path = tmp_path / "progress.sqlite3"
    junk = b"this is not a database " * 200
    path.write_bytes(junk)
    with pytest.raises(CorruptStoreError, match=r"damaged.*left untouched.*--import"):
        ProgressStore(path)
    assert path.read_bytes() == junk


def test_a_foreign_sqlite_file_is_refused_not_reset(tmp_path):
    path = tmp_path / "progress.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (x)")
    before = path.read_bytes()
    with pytest.raises(CorruptStoreError, match="missing tables"):
        ProgressStore(path)
    assert path.read_bytes() == before


def test_a_store_from_a_newer_version_is_refused(store):
    store.db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    path = store.path
    store.close()
    with pytest.raises(CorruptStoreError, match="newer mla"):
        ProgressStore(path)


def test_exercise_scores_api_and_json_export_import_round_trip(store, tmp_path):
    record_exercise("week01/01_start_here.ipynb", "ex1", 2, 3)
    with pytest.raises(ValueError, match="out of range"):
        store.record_exercise("nb", "ex", 4, 3)
    review.record(store, "d1-feature-store-online-offline", False, True, T0, "test")
    store.save_session({"id": "s1", "exam": "C02", "mode": "quiz", "status": "in_progress",
                        "started_at": "2026-11-01T00:00:00+00:00", "items": [["q", True]]})
    exported = json.loads(json.dumps(store.export()))
    fresh = ProgressStore(tmp_path / "other.sqlite3")
    assert fresh.import_(exported) == {"exam_sessions": 1, "exercise_scores": 1, "cards": 1, "review_log": 1}
    assert fresh.exercise_scores()[0]["score"] == 2.0
    assert fresh.cards() == store.cards()
    with pytest.raises(ValueError, match="not an mla progress export"):
        fresh.import_({"cards": []})
    fresh.close()


def test_a_failed_import_changes_nothing(store):
    store.record_exercise("nb", "ex", 1, 1)
    bad = {"schema_version": 1, "exercise_scores": [{"notebook": "nb2", "exercise": "e", "score": 1,
                                                     "max_score": 1, "recorded_at": "x"}],
           "cards": [{"question_id": "q"}]}  # missing NOT NULL columns
    with pytest.raises(sqlite3.IntegrityError):
        store.import_(bad)
    assert len(store.exercise_scores()) == 1


def test_fsrs_cards_round_trip_through_storage_and_schedule(store, tmp_path):
    assert review.record(store, "q-known", True, True, T0, "exam") is None  # confident and right: no card
    card = review.record(store, "q-missed", False, True, T0, "exam")
    assert card.card_id == review.card_id_for("q-missed") and card.state == State.Learning
    store.close()

    reopened = ProgressStore(store.path)
    loaded = review.cards(reopened)["q-missed"]
    assert loaded.to_dict() == card.to_dict()
    assert [q for q, _ in review.due(reopened, T0)] == []
    assert [q for q, _ in review.due(reopened, loaded.due)] == ["q-missed"]
    again = review.record(reopened, "q-missed", True, True, loaded.due, "review")
    assert again.due > loaded.due
    expected, _ = review.SCHEDULER.review_card(Card.from_dict(card.to_dict()), review.rating_for(True, True), loaded.due)
    assert again.to_dict() == expected.to_dict()
    assert 0 < review.predicted_retention(reopened, again.due + dt.timedelta(days=30)) < 1
    reopened.close()


def test_a_card_in_another_format_is_refused(store):
    store.put_card("q", {"card_id": 1}, "fsrs-4", T0.isoformat(), None, None, "test")
    with pytest.raises(ValueError, match="stored as 'fsrs-4'"):
        review.cards(store)


def test_low_confidence_right_answers_become_cards(store):
    card = review.record(store, "q-unsure", True, False, T0, "exam")
    assert card is not None and review.rating_for(True, False).name == "Hard"
