"""SQLite progress store in the learner's data directory.

Every write is one SQLite transaction with synchronous=FULL, so a killed process leaves the last committed state.
A damaged or foreign file raises CorruptStoreError and is left exactly as it was: nothing here deletes or rebuilds it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from pathlib import Path

SCHEMA_VERSION = 1
FILENAME = "progress.sqlite3"

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE exam_sessions (
    id TEXT PRIMARY KEY, exam TEXT NOT NULL, mode TEXT NOT NULL, status TEXT NOT NULL,
    started_at TEXT NOT NULL, updated_at TEXT NOT NULL, state TEXT NOT NULL, result TEXT);
CREATE TABLE exercise_scores (
    id INTEGER PRIMARY KEY, notebook TEXT NOT NULL, exercise TEXT NOT NULL, score REAL NOT NULL,
    max_score REAL NOT NULL, recorded_at TEXT NOT NULL);
CREATE TABLE cards (question_id TEXT PRIMARY KEY, card TEXT NOT NULL, card_format TEXT NOT NULL,
    due TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE review_log (id INTEGER PRIMARY KEY, question_id TEXT NOT NULL, rating INTEGER NOT NULL,
    reviewed_at TEXT NOT NULL, source TEXT NOT NULL);
"""
TABLES = ("exam_sessions", "exercise_scores", "cards", "review_log")


class CorruptStoreError(RuntimeError):
    pass


def data_dir() -> Path:
    """``MLA_DATA_DIR`` or the platform's user data directory for mla-course."""
    override = os.environ.get("MLA_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("mla-course"))


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _damaged(path: Path, detail: str) -> CorruptStoreError:
    return CorruptStoreError(
        f"the progress file {path} is damaged or is not an mla progress store ({detail}). It has been left "
        f"untouched. Move it aside (e.g. `mv {path} {path}.damaged`) to start a new one, then restore your "
        f"history with `mla progress --import BACKUP.json` if you exported one; sqlite3's `.recover` command "
        f"can often rescue the rows.")


class ProgressStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        existed = self.path.exists() and self.path.stat().st_size > 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA synchronous=FULL")
            self._check_or_create(existed)
        except sqlite3.DatabaseError as error:
            self.db.close()
            raise _damaged(self.path, str(error)) from None

    def _check_or_create(self, existed: bool) -> None:
        if not existed:
            try:
                self.db.executescript(f"BEGIN IMMEDIATE;{SCHEMA}INSERT INTO meta VALUES "
                                      f"('schema_version', '{SCHEMA_VERSION}');COMMIT;")
                return
            except sqlite3.OperationalError as error:
                # Another process created the store between our existence check and our lock: check theirs.
                if "already exists" not in str(error):
                    raise
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
        check = self.db.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise _damaged(self.path, f"integrity check: {check}")
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"meta", *TABLES} <= tables:
            raise _damaged(self.path, f"missing tables {sorted({'meta', *TABLES} - tables)}")
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            raise _damaged(self.path, "no schema_version")
        if int(row[0]) > SCHEMA_VERSION:
            self.db.close()
            raise CorruptStoreError(f"{self.path} was written by a newer mla (schema {row[0]}, this one reads "
                                    f"{SCHEMA_VERSION}); upgrade the course package. The file was not changed.")

    def transaction(self):
        return _Transaction(self.db)

    def close(self) -> None:
        self.db.close()

    # exam sessions
    def save_session(self, state: dict, result: dict | None = None) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO exam_sessions VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
                "status=excluded.status, updated_at=excluded.updated_at, state=excluded.state, result=excluded.result",
                (state["id"], state["exam"], state["mode"], state["status"], state["started_at"], now_iso(),
                 json.dumps(state), json.dumps(result) if result is not None else None))

    def session(self, session_id: str) -> dict | None:
        row = self.db.execute("SELECT state FROM exam_sessions WHERE id=?", (session_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def unfinished_session(self) -> dict | None:
        row = self.db.execute("SELECT state FROM exam_sessions WHERE status='in_progress' "
                              "ORDER BY updated_at DESC, rowid DESC LIMIT 1").fetchone()
        return json.loads(row[0]) if row else None

    def finished(self, mode: str | None = None, exam: str | None = None) -> list[dict]:
        """Submitted sessions, oldest first, each as {"state":..., "result":..., "updated_at":...}."""
        rows = self.db.execute("SELECT state, result, updated_at FROM exam_sessions WHERE status='submitted' "
                               "ORDER BY started_at, rowid").fetchall()
        out = [{"state": json.loads(r[0]), "result": json.loads(r[1]), "updated_at": r[2]} for r in rows]
        return [s for s in out if (mode is None or s["state"]["mode"] == mode)
                and (exam is None or s["state"]["exam"] == exam)]

    def recent_question_ids(self, sessions: int = 3) -> frozenset[str]:
        rows = self.db.execute("SELECT state FROM exam_sessions ORDER BY started_at DESC, rowid DESC LIMIT ?",
                               (sessions,)).fetchall()
        return frozenset(qid for r in rows for qid, _ in json.loads(r[0])["items"])

    # exercise scores (called by `mla check`)
    def record_exercise(self, notebook: str, exercise: str, score: float, max_score: float) -> None:
        if max_score <= 0 or not 0 <= score <= max_score:
            raise ValueError(f"score {score} / {max_score} for {notebook}:{exercise} is out of range")
        with self.transaction():
            self.db.execute("INSERT INTO exercise_scores (notebook, exercise, score, max_score, recorded_at) "
                            "VALUES (?,?,?,?,?)", (str(notebook), exercise, float(score), float(max_score), now_iso()))

    def exercise_scores(self) -> list[dict]:
        return [dict(r) for r in self.db.execute("SELECT notebook, exercise, score, max_score, recorded_at "
                                                 "FROM exercise_scores ORDER BY id")]

    # review cards (format and scheduling live in mla.progress.review)
    def put_card(self, question_id: str, card: dict, card_format: str, due: str, rating: int | None,
                 reviewed_at: str | None, source: str) -> None:
        with self.transaction():
            self.db.execute("INSERT INTO cards VALUES (?,?,?,?,?) ON CONFLICT(question_id) DO UPDATE SET "
                            "card=excluded.card, card_format=excluded.card_format, due=excluded.due, "
                            "updated_at=excluded.updated_at", (question_id, json.dumps(card), card_format, due, now_iso()))
            if rating is not None:
                self.db.execute("INSERT INTO review_log (question_id, rating, reviewed_at, source) VALUES (?,?,?,?)",
                                (question_id, rating, reviewed_at, source))

    def cards(self) -> list[dict]:
        return [{"question_id": r[0], "card": json.loads(r[1]), "card_format": r[2]}
                for r in self.db.execute("SELECT question_id, card, card_format FROM cards ORDER BY due, question_id")]

    # export / import
    def export(self) -> dict:
        data = {"schema_version": SCHEMA_VERSION, "exported_at": now_iso()}
        for table in TABLES:
            data[table] = [dict(r) for r in self.db.execute(f"SELECT * FROM {table} ORDER BY rowid")]
        return data

    def import_(self, data: dict) -> dict[str, int]:
        """Merge an export into this store (rows with the same key are replaced); all or nothing."""
        if not isinstance(data, dict) or "schema_version" not in data:
            raise ValueError("not an mla progress export (no schema_version)")
        if int(data["schema_version"]) > SCHEMA_VERSION:
            raise ValueError(f"the export has schema {data['schema_version']}, newer than this mla ({SCHEMA_VERSION})")
        counts = {}
        with self.transaction():
            for table in TABLES:
                rows = data.get(table, [])
                for row in rows:
                    if table in ("exercise_scores", "review_log"):
                        row = {k: v for k, v in row.items() if k != "id"}
                    columns = ", ".join(row)
                    marks = ", ".join("?" for _ in row)
                    verb = "INSERT OR REPLACE" if table in ("exam_sessions", "cards") else "INSERT"
                    self.db.execute(f"{verb} INTO {table} ({columns}) VALUES ({marks})", list(row.values()))
                counts[table] = len(rows)
        return counts


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error); nested uses join the outer transaction."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.outer = False

    def __enter__(self):
        self.outer = not self.db.in_transaction
        if self.outer:
            self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, error, trace):
        if self.outer:
            self.db.execute("ROLLBACK" if kind else "COMMIT")
        return False


def open_store(path: Path | None = None) -> ProgressStore:
    return ProgressStore(path or data_dir() / FILENAME)


def record_exercise(notebook: str, exercise: str, score: float, max_score: float) -> None:
    """Save one exercise score from `mla check` into the learner's progress store."""
    store = open_store()
    try:
        store.record_exercise(notebook, exercise, score, max_score)
    finally:
        store.close()
