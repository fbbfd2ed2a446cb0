"""Tests for :mod:`assistant.feedback`: what a row holds, validation, WAL mode, no lost
writes when many users submit at once, none lost to SIGKILL, and a full disk told plainly."""

from __future__ import annotations

import re
import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from assistant.errors import AssistantError, FeedbackStorageError
from assistant.feedback import (
    FILENAME,
    MAX_COMMENT_CHARS,
    FeedbackError,
    FeedbackStore,
    ShownPassage,
)
from bench import feedback_crash

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


# --- Crash safety and a full disk ----------------------------------------------------------------

NOT_SAVED = r"Your rating was not saved: the feedback file '.*' could not be written \({}\)\. "


def test_a_full_database_is_refused_plainly_and_keeps_what_it_had(
    store: FeedbackStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.record("helpful", "before", SHOWN, "v")
    connect = store._connect

    def capped() -> sqlite3.Connection:
        # SQLite's own cap on the file's pages gives the error a full disk gives: SQLITE_FULL.
        db = connect()
        db.execute("PRAGMA max_page_count=1")  # raised by SQLite to the pages already used
        return db

    monkeypatch.setattr(store, "_connect", capped)
    with pytest.raises(FeedbackStorageError, match=NOT_SAVED.format("the disk is full")) as full:
        for n in range(5):  # the first page may still hold a comment or two
            store.record("helpful", f"fits {n}", SHOWN, "v", comment="c" * MAX_COMMENT_CHARS)
    # Another try fails the same way, not with "no transaction is active" (a double ROLLBACK).
    with pytest.raises(FeedbackStorageError) as again:
        store.record("helpful", "q", SHOWN, "v", comment="c" * MAX_COMMENT_CHARS)
    assert str(again.value) == str(full.value)
    monkeypatch.undo()
    assert [r.question for r in store.rows()] == ["before"] + [f"fits {i}" for i in range(n)]
    assert store.record("helpful", "after", SHOWN, "v") == n + 2
    assert issubclass(FeedbackStorageError, FeedbackError)


def test_an_unusable_data_folder_does_not_stop_the_app(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the folder should be")
    store = FeedbackStore.in_folder(tmp_path / "data")  # logs, does not raise
    with pytest.raises(
        FeedbackStorageError, match=NOT_SAVED.format("a file stands where its folder should be")
    ):
        store.record("helpful", "q", SHOWN, "v")
    (tmp_path / "data").unlink()
    assert store.record("helpful", "q", SHOWN, "v") == 1  # prepared once the cause is gone


def test_the_user_sees_the_storage_error_as_one_line_and_can_still_ask(
    hashing_bot, store: FeedbackStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.ui import handlers

    app = handlers.App(hashing_bot, hashing_bot.settings, store)
    session = handlers.respond(app, None, "What is GSOIA?").session

    def full(*args: object, **kwargs: object) -> int:
        raise FeedbackStorageError("Your rating was not saved: the disk is full.")

    monkeypatch.setattr(store, "record", full)
    assert handlers.submit_feedback(app, session, "Helpful") == (
        '<p class="cq-status cq-error" role="status">'
        "Your rating was not saved: the disk is full.</p>"
    )
    after = handlers.respond(app, session, "Where was it signed?")
    assert "cq-error" not in after.status
    assert after.session.turns[-1].answer["passages"]


@pytest.fixture(scope="module")
def crash() -> dict:
    """Writers killed with SIGKILL in 4 rounds, then a disk filled (``bench.feedback_crash``)."""
    return feedback_crash.run(rounds=4, threads=4, seed=9)


def test_no_acknowledged_rating_is_lost_to_sigkill(crash: dict) -> None:
    assert crash["kills"] == 4
    assert crash["acknowledged"] > 40  # the writers did write before each kill
    assert (crash["lost"], crash["first_lost"]) == (0, [])
    assert crash["integrity"] == ["ok"]


def test_a_full_disk_gives_a_one_line_message_and_answers_go_on(crash: dict) -> None:
    reason = "the disk is full" if crash["full_disk_method"] == "tmpfs" else "the disk refused.*"
    assert crash["full_disk_ratings_stored"] > 0
    assert re.fullmatch(NOT_SAVED.format(reason) + ".*administrator\\.", crash["full_disk_message"])
    assert "\n" not in crash["full_disk_message"]
    assert crash["full_disk_notice_is_error"]
    assert crash["full_disk_answered_after"]
    assert crash["full_disk_message_again"]
    assert crash["full_disk_readable_after"]
