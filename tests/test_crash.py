"""Crash safety of the index: SIGKILL during builds (bench.crash) and the build lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant.errors import IndexBusyError
from assistant.index import build, current_build
from assistant.search.embedding import HashingEmbedder
from bench import crash
from bench.measure import REPO

EMBEDDER = HashingEmbedder()


def test_twenty_kills_over_every_stage_leave_the_served_index_unchanged(tiny_corpus: Path) -> None:
    # The tiny corpus has 3-4 points in each stage but writing: all of them are taken.
    result = crash.run(tiny_corpus, per_stage=8, timed=2)

    assert result["failures"] == []
    assert result["kills"] >= 20
    assert result["survived"] == result["kills"]
    assert all(result["kills_by_stage"][stage] >= 3 for stage in crash.STAGES)
    assert result["kills_leaving_unfinished_files"] >= 1
    assert result["unfinished_after_next_build"] == 0
    assert result["cleanup_message"].startswith("Removed ")


def test_the_harness_catches_a_builder_that_writes_in_place(tiny_corpus: Path) -> None:
    result = crash.run(tiny_corpus, per_stage=6, timed=0, unsafe=True)

    assert any("the served index changed" in f for f in result["failures"])
    assert result["survived"] < result["kills"]


def test_choose_points_spreads_each_stage_from_first_to_last() -> None:
    points = [(n, "reading" if n <= 10 else "writing") for n in range(1, 31)]

    assert crash.choose_points(points, per_stage=3, seed=1) == [1, 5, 10, 11, 21, 30]


HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from assistant.index import build_lock
    with build_lock(Path(sys.argv[1]), print, 0):
        print("HELD", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


@contextmanager
def holding_lock(index: Path, seconds: float) -> Iterator[subprocess.Popen]:
    """Another process holding the build lock of ``index`` for ``seconds``."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(index), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    try:
        assert holder.stdout.readline().strip() == "HELD"
        yield holder
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def test_a_second_build_refuses_with_a_clear_message_when_the_first_holds_on(
    tiny_corpus: Path, tmp_path: Path
) -> None:
    with holding_lock(tmp_path / "index", seconds=30):
        with pytest.raises(IndexBusyError, match=r"Another build of '.*index' is running \(pid "):
            build(tiny_corpus, tmp_path / "index", EMBEDDER, report=lambda m: None, wait=0.3)

    assert current_build(tmp_path / "index") is None  # nothing was half-built


def test_a_second_build_waits_for_the_first_then_builds(tiny_corpus: Path, tmp_path: Path) -> None:
    messages: list[str] = []
    with holding_lock(tmp_path / "index", seconds=0.5):
        build(tiny_corpus, tmp_path / "index", EMBEDDER, report=messages.append)

    assert messages[0].startswith(f"Another build of '{tmp_path / 'index'}' is running (pid ")
    assert messages[0].endswith("waiting ...")
    assert current_build(tmp_path / "index") is not None


def test_a_lock_held_by_a_killed_build_is_free_at_once(tiny_corpus: Path, tmp_path: Path) -> None:
    with holding_lock(tmp_path / "index", seconds=60):
        pass  # leaving kills it with SIGKILL: no cleanup runs, the kernel drops the flock
    messages: list[str] = []
    build(tiny_corpus, tmp_path / "index", EMBEDDER, report=messages.append, wait=0)

    assert not any("running" in m for m in messages)
    assert current_build(tmp_path / "index") is not None
