"""Tests for :mod:`assistant.feedback`: what a row holds, validation, WAL mode and no lost
writes when many users submit at once."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.feedback import (
    FILENAME,
    MAX_COMMENT_CHARS,
    FeedbackError,
    FeedbackStore,
    ShownPassage,
)

SHOWN = [
    ShownPassage("canada:42", "Canada-Ukraine Agreement, Part IV, C, para. 2"),
    ShownPassage("canada:7", "Canada-Ukraine Agreement, Part II, para. 1"),
]


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore.in_folder(tmp_path / "data")


def test_a_row_holds_question_passages_index_version_and_time(store: FeedbackStore) -> None:
    before = datetime.now().astimezone()
    row_id = store.record(
        "wrong_citation",
        "What is GSOIA?",
        SHOWN,
        index_version="20240101-120000-1-abc (2024-01-01T12:00:00+0000)",
        comment="  para. 3 says it  ",
        session="s1",
    )
    (row,) = store.rows()
    assert row.id == row_id == 1
    assert (row.rating, row.comment, row.question, row.session) == (
        "wrong_citation",
        "para. 3 says it",
        "What is GSOIA?",
        "s1",
    )
    assert row.passages == tuple(SHOWN)
    assert row.index_version == "20240101-120000-1-abc (2024-01-01T12:00:00+0000)"
    created = datetime.fromisoformat(row.created)
    assert created.utcoffset().total_seconds() == 0
    # Stored to the millisecond.
    assert before - timedelta(milliseconds=1) <= created <= datetime.now().astimezone()


def test_the_database_lives_in_the_data_folder_in_wal_mode(tmp_path: Path) -> None:
    FeedbackStore.in_folder(tmp_path / "new" / "data")
    path = tmp_path / "new" / "data" / FILENAME
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.parametrize("rating", ["great", "", None, "HELPFUL"])
def test_unknown_ratings_are_refused(store: FeedbackStore, rating: object) -> None:
    with pytest.raises(FeedbackError, match="Unknown rating .* Choose one of: helpful, "):
        store.record(rating, "q", SHOWN, "v")
    assert store.count() == 0


def test_oversized_comments_are_refused(store: FeedbackStore) -> None:
    store.record("helpful", "q", SHOWN, "v", comment="c" * MAX_COMMENT_CHARS)
    with pytest.raises(FeedbackError, match="The comment has 2001 characters; the limit is 2000"):
        store.record("helpful", "q", SHOWN, "v", comment="c" * (MAX_COMMENT_CHARS + 1))
    assert store.count() == 1
    assert issubclass(FeedbackError, AssistantError)


def test_text_is_stored_as_data_never_as_sql(store: FeedbackStore) -> None:
    nasty = "'); DROP TABLE feedback; --"
    store.record("not_helpful", nasty, [ShownPassage(nasty, nasty)], nasty, comment=nasty)
    (row,) = store.rows()
    assert (row.question, row.comment, row.index_version) == (nasty, nasty, nasty)


def test_no_lost_writes_under_concurrency(tmp_path: Path) -> None:
    """20 threads x 25 writes: half share one store (its lock), half open their own (SQLite's
    busy timeout across connections, as between two app processes)."""
    shared = FeedbackStore.in_folder(tmp_path)
    threads, errors = 20, []
    start = threading.Barrier(threads)

    def write(worker: int) -> None:
        store = shared if worker % 2 else FeedbackStore.in_folder(tmp_path)
        start.wait()
        try:
            for n in range(25):
                store.record("helpful", f"q{worker}-{n}", SHOWN[:1], "v", session=str(worker))
        except Exception as exc:  # collected, so the assertion shows what went wrong
            errors.append(exc)

    workers = [threading.Thread(target=write, args=(w,)) for w in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    rows = shared.rows()
    assert len(rows) == 500
    assert {r.question for r in rows} == {f"q{w}-{n}" for w in range(threads) for n in range(25)}
    assert [r.id for r in rows] == list(range(1, 501))
