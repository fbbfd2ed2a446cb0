"""What users think of answers: helpful, not helpful or wrong citation, kept in SQLite.

One row per judgement, with what was asked, which passages were shown and which index build
answered, so that a reviewer can reproduce the answer later::

    data/feedback.sqlite3
        feedback(id, created, rating, comment, question, passages, index_version, session)

Many app users submit at once: the database runs in WAL mode, every write opens its own
connection with a generous ``busy_timeout`` and takes ``BEGIN IMMEDIATE``, and writers in one
process queue on a lock, so no write is lost to "database is locked".

A rating that :meth:`FeedbackStore.record` acknowledged (returned its id) survives the process
being killed at any moment after, and with ``synchronous=FULL`` a power cut too: the commit is
in the write-ahead log, synced, before ``record`` returns (``bench/feedback_crash.py`` kills
writers with SIGKILL to check it). When the file cannot be written (a full disk, a read-only
folder) ``record`` raises :class:`FeedbackStorageError` with a one-line message for the user,
and the rest of the app carries on.
"""

from __future__ import annotations

import errno
import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant.errors import FeedbackError, FeedbackStorageError

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
        self._ready = False
        try:
            self._prepare()
        except FeedbackStorageError as exc:
            # The app still answers questions; each rating says why it cannot be stored, and
            # the file is prepared on the first rating after the cause is fixed.
            log.warning("%s", exc)

    @classmethod
    def in_folder(cls, data_dir: Path) -> FeedbackStore:
        return cls(Path(data_dir) / FILENAME)

    def _prepare(self) -> None:
        if self._ready:
            return
        with self._storage():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as db:
                # WAL persists in the file: readers never block the writer and vice versa.
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_SCHEMA)
        self._ready = True

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # Every commit is synced to disk before it returns: an acknowledged rating outlives a
        # crash of the process (guaranteed by WAL alone) and of the machine (this pragma).
        db.execute("PRAGMA synchronous=FULL")
        return db

    @contextmanager
    def _storage(self) -> Iterator[None]:
        """Turn what SQLite or the OS says about the file into one :class:`FeedbackStorageError`."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            log.error("feedback store %s: %s: %s", self.path, type(exc).__name__, exc)
            raise FeedbackStorageError(
                f"Your rating was not saved: the feedback file '{self.path}' could not be "
                f"written ({_reason(exc)}). Answers still work; please send it again later, "
                "or tell the administrator."
            ) from exc

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        # One connection per write: no connection is shared between threads, and another
        # process (a second app worker) waits on busy_timeout instead of failing.
        with self._lock, self._storage(), closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                # SQLite may already have rolled back (a full disk does); a second ROLLBACK
                # would hide the real error behind "no transaction is active".
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def record(
        self,
        rating: str,
        question: str,
        passages: Sequence[ShownPassage],
        index_version: str,
        comment: str = "",
        session: str = "",
    ) -> int:
        """Store one judgement, durably, and return its id.

        Raises :class:`FeedbackError` on bad input and :class:`FeedbackStorageError` (a
        subclass) when the file cannot be written; either way nothing was stored.
        """
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
        self._prepare()
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
        self._prepare()
        with self._storage(), closing(self._connect()) as db:
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
        self._prepare()
        with self._storage(), closing(self._connect()) as db:
            return int(db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])


_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _reason(exc: BaseException) -> str:
    """A few plain words on why the file could not be written."""
    name = getattr(exc, "sqlite_errorname", "")
    if name == "SQLITE_FULL" or getattr(exc, "errno", None) in _FULL:
        return "the disk is full"
    if name.startswith("SQLITE_READONLY") or getattr(exc, "errno", None) in (
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
    ):
        return "it is read-only for the app"
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        return "a file stands where its folder should be"
    if name.startswith("SQLITE_BUSY"):
        return f"another process kept it locked for {BUSY_TIMEOUT_MS // 1000} s"
    if name.startswith("SQLITE_IOERR"):
        return f"the disk refused the write: {exc}"
    return str(exc) or type(exc).__name__
