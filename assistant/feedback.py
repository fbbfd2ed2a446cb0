"""What users think of answers: helpful, not helpful or wrong citation, kept in SQLite.

One row per judgement, with what was asked, which passages were shown and which index build
answered, so that a reviewer can reproduce the answer later::

    data/feedback.sqlite3
        feedback(id, created, rating, comment, question, passages, index_version, session)

Many app users submit at once: the database runs in WAL mode, every write opens its own
connection with a generous ``busy_timeout`` and takes ``BEGIN IMMEDIATE``, and writers in one
process queue on a lock, so no write is lost to "database is locked".
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant.errors import FeedbackError

log = logging.getLogger(__name__)

FILENAME = "feedback.sqlite3"
RATINGS = ("helpful", "not_helpful", "wrong_citation")
MAX_COMMENT_CHARS = 2000
BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('helpful', 'not_helpful', 'wrong_citation')),
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    passages TEXT NOT NULL,
    index_version TEXT NOT NULL,
    session TEXT NOT NULL DEFAULT ''
)
"""


@dataclass(frozen=True)
class ShownPassage:
    """A passage as it was shown with an answer: its id (``doc:ordinal``) and citation."""

    id: str
    citation: str


@dataclass(frozen=True)
class FeedbackRow:
    """One stored judgement; ``created`` is UTC in ISO 8601."""

    id: int
    created: str
    rating: str
    comment: str
    question: str
    passages: tuple[ShownPassage, ...]
    index_version: str
    session: str


class FeedbackStore:
    """Feedback in ``<data_dir>/feedback.sqlite3``; safe to share between threads.

    >>> store = FeedbackStore.in_folder(tmp_path)  # doctest: +SKIP
    >>> store.record("helpful", "What is GSOIA?", [ShownPassage("uk:3", "UK-Ukraine ...")],
    ...              index_version="20240101-120000-1-abc")  # doctest: +SKIP
    1
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db:
            # WAL persists in the file: readers never block the writer and vice versa.
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    @classmethod
    def in_folder(cls, data_dir: Path) -> FeedbackStore:
        return cls(Path(data_dir) / FILENAME)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return db

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        # One connection per write: no connection is shared between threads, and another
        # process (a second app worker) waits on busy_timeout instead of failing.
        with self._lock, closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def record(
        self,
        rating: str,
        question: str,
        passages: Sequence[ShownPassage],
        index_version: str,
        comment: str = "",
        session: str = "",
    ) -> int:
        """Store one judgement; return its id. Raises :class:`FeedbackError` on bad input."""
        if rating not in RATINGS:
            raise FeedbackError(
                f"Unknown rating {str(rating)[:40]!r}. Choose one of: {', '.join(RATINGS)}."
            )
        if not isinstance(comment, str) or len(comment) > MAX_COMMENT_CHARS:
            size = len(comment) if isinstance(comment, str) else type(comment).__name__
            raise FeedbackError(
                f"The comment has {size} characters; the limit is {MAX_COMMENT_CHARS}. "
                "Please shorten it."
            )
        shown = json.dumps([{"id": p.id, "citation": p.citation} for p in passages])
        created = datetime.now(UTC).isoformat(timespec="milliseconds")
        with self._writing() as db:
            cursor = db.execute(
                "INSERT INTO feedback (created, rating, comment, question, passages, "
                "index_version, session) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (created, rating, comment.strip(), question, shown, index_version, session),
            )
            row_id = int(cursor.lastrowid)
        log.info("feedback %s stored (%s)", row_id, rating)
        return row_id

    def rows(self) -> list[FeedbackRow]:
        """Every stored judgement, oldest first."""
        with closing(self._connect()) as db:
            found = db.execute(
                "SELECT id, created, rating, comment, question, passages, index_version, "
                "session FROM feedback ORDER BY id"
            ).fetchall()
        return [
            FeedbackRow(
                *row[:5],
                tuple(ShownPassage(**p) for p in json.loads(row[5])),
                *row[6:],
            )
            for row in found
        ]

    def count(self) -> int:
        with closing(self._connect()) as db:
            return int(db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])
