"""Crash safety of the feedback store: SIGKILL during concurrent rating writes, and a full disk.

    .venv/bin/python -m bench.feedback_crash [--rounds 20] [--threads 4] [--seed N]

Each round starts a writer process whose threads record ratings as fast as they can, each
printing ``ACK <id> <question>`` after :meth:`FeedbackStore.record` returned, and kills it with
SIGKILL at a random moment. The store is then reopened (SQLite recovers the write-ahead log the
killed process left) and every acknowledged rating must be there under its id, in a file that
passes ``PRAGMA integrity_check``. All rounds share one file, so each writer also starts on the
remains of the previous kill.

The full disk is real where the machine allows it: a 1 MiB tmpfs in a private mount namespace
(``unshare``; root, or user namespaces), which makes writes fail with ENOSPC. Elsewhere the
writer's file size is capped with ``RLIMIT_FSIZE`` (writes fail with EFBIG). The writer goes
through the app's own handlers (:func:`assistant.ui.handlers.submit_feedback`): ratings until the
disk is full, then the message the user sees, then a question, which must still be answered.
Prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.measure import REPO, open_assistant

ACK = "ACK"
TMPFS_SIZE = "1m"
FSIZE_HEADROOM = 256 * 1024  # bytes the capped feedback file may grow by (RLIMIT fallback)
AGREEMENT = """\
Agreement on security cooperation between Ukraine and the Crash Test Republic

Part I. Support

1. The Republic will provide air defence systems to Ukraine.

2. The Participants will train Ukrainian soldiers in demining.

Part II. Final Provisions

1. This Agreement is valid for a period of ten (10) years.
"""
QUESTION = "Will the Republic provide air defence?"


def run(rounds: int = 20, threads: int = 4, seed: int | None = None) -> dict:
    """Kill ``rounds`` writers of ``threads`` threads each, then fill a disk; return the figures.

    ``lost`` counts acknowledged ratings missing (or changed) after the kills; it must be 0.
    """
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="feedback-crash-") as tmp:
        path = Path(tmp) / "feedback.sqlite3"
        acknowledged: dict[int, str] = {}
        lost: list[str] = []
        integrity: set[str] = set()
        started = time.perf_counter()
        for number in range(rounds):
            acked = _killed_writer(path, f"r{number}", threads, rng.uniform(0.02, 0.5))
            acknowledged.update(acked)
            found = _stored(path)
            lost += [q for row_id, q in acknowledged.items() if found.get(row_id) != q]
            integrity.add(_integrity(path))
        kill_seconds = time.perf_counter() - started
        disk = full_disk(Path(tmp) / "full")
    return {
        "kills": rounds,
        "threads": threads,
        "acknowledged": len(acknowledged),
        "lost": len(set(lost)),
        "first_lost": sorted(set(lost))[:5],
        "integrity": sorted(integrity),
        "kill_rounds_s": round(kill_seconds, 2),
        **{f"full_disk_{key}": value for key, value in disk.items()},
    }


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def _killed_writer(path: Path, tag: str, threads: int, delay: float) -> dict[int, str]:
    """Start a writer, SIGKILL it ``delay`` seconds after it is ready; its acknowledged ratings."""
    command = [sys.executable, "-m", "bench.feedback_crash", "--writer", str(path), "--tag", tag]
    command += ["--threads", str(threads)]
    child = subprocess.Popen(command, cwd=REPO, env=_env(), stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        if child.stdout.readline() != "READY\n":
            raise RuntimeError(f"the feedback writer did not start (exit code {child.wait()})")
        reader = threading.Thread(target=lambda: lines.extend(child.stdout), daemon=True)
        reader.start()
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        reader.join()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
    acked = {}
    for line in lines:
        # A line cut short by the kill (no newline) was never an acknowledgement.
        parts = line.split()
        if line.endswith("\n") and len(parts) == 3 and parts[0] == ACK:
            acked[int(parts[1])] = parts[2]
    return acked


def _stored(path: Path) -> dict[int, str]:
    from assistant.feedback import FeedbackStore

    return {row.id: row.question for row in FeedbackStore(path).rows()}


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def _write_until_killed(path: Path, tag: str, threads: int) -> None:
    """The writer process: ``threads`` threads record ratings and acknowledge each one."""
    from assistant.feedback import RATINGS, FeedbackStore, ShownPassage

    store = FeedbackStore(path)
    shown = [ShownPassage("crash:1", "Crash Test Agreement, Part I, para. 1")]
    printing = threading.Lock()

    def write(thread: int) -> None:
        n = 0
        while True:
            question = f"{tag}-t{thread}-{n}"
            row_id = store.record(RATINGS[n % 3], question, shown, "crash-bench", session=tag)
            with printing:
                sys.stdout.write(f"{ACK} {row_id} {question}\n")
                sys.stdout.flush()
            n += 1

    print("READY", flush=True)
    workers = [threading.Thread(target=write, args=(t,), daemon=True) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


# --- A full disk ---------------------------------------------------------------------------------


def full_disk(folder: Path) -> dict:
    """Fill the disk under the app's feedback file; what the user saw and whether answers went on.

    Keys: ``method`` (``tmpfs`` or ``rlimit_fsize``), ``ratings_stored``, ``message`` (the
    one-line notice shown), ``notice_is_error``, ``answered_after`` (a question was answered
    after the disk filled), ``message_again`` (a second rating gets the same message),
    ``readable_after`` (the ratings stored before are all still read back).
    """
    folder.mkdir(parents=True, exist_ok=True)
    child = [sys.executable, "-m", "bench.feedback_crash", "--full-disk", str(folder)]
    unshare = shutil.which("unshare")
    if unshare:
        as_root = [] if os.geteuid() == 0 else ["--map-root-user"]
        script = (
            f'mount -t tmpfs -o size={TMPFS_SIZE} tmpfs {shlex.quote(str(folder))} && exec "$@"'
        )
        command = [unshare, *as_root, "--mount", "sh", "-c", script, "sh", *child]
        found = _child_json(command)
        if found is not None:
            return {"method": "tmpfs", **found}
    found = _child_json([*child, "--fsize", str(FSIZE_HEADROOM)])
    if found is None:
        raise RuntimeError("the full-disk writer failed; run it by hand to see why")
    return {"method": "rlimit_fsize", **found}


def _child_json(command: list[str]) -> dict | None:
    done = subprocess.run(command, cwd=REPO, env=_env(), capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return None
    return json.loads(lines[-1])


def _fill_disk(folder: Path, fsize: int | None) -> dict:
    """The full-disk writer process, with ``folder`` on a small disk (or capped files)."""
    import resource

    from assistant.feedback import MAX_COMMENT_CHARS, FeedbackStore
    from assistant.search.embedding import HashingEmbedder
    from assistant.ui import handlers

    corpus = folder / "corpus"
    corpus.mkdir(exist_ok=True)
    (corpus / "crash-test.txt").write_text(AGREEMENT, encoding="utf-8")
    bot = open_assistant(folder, corpus, HashingEmbedder())
    store = FeedbackStore.in_folder(bot.settings.data_dir)
    app = handlers.App(bot, bot.settings, store)
    if fsize is not None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write with EFBIG instead
        limit = store.path.stat().st_size + fsize
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    session = handlers.respond(app, None, QUESTION).session
    comment = "full disk " * (MAX_COMMENT_CHARS // 10)
    stored, notice = 0, ""
    while stored < 100_000:
        notice = handlers.submit_feedback(app, session, "Helpful", comment)
        if "cq-error" in notice:
            break
        stored += 1
    after = handlers.respond(app, session, "How long is the agreement valid?")
    again = handlers.submit_feedback(app, session, "Not helpful", comment)
    stored += "cq-error" not in again  # a capped file (RLIMIT) may still take one more
    return {
        "ratings_stored": stored,
        "message": _text(notice),
        "notice_is_error": "cq-error" in notice,
        "answered_after": "cq-error" not in after.status
        and bool(after.session.turns[-1].answer["passages"]),
        "message_again": _text(again) == _text(notice),
        "readable_after": store.count() == stored,
    }


def _text(notice: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", notice))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="writers killed (default 20)")
    parser.add_argument("--threads", type=int, default=4, help="writer threads (default 4)")
    parser.add_argument("--seed", type=int, default=None, help="for repeatable kill moments")
    # The child processes of this benchmark:
    parser.add_argument("--writer", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--tag", default="w", help=argparse.SUPPRESS)
    parser.add_argument("--full-disk", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--fsize", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        _write_until_killed(args.writer, args.tag, args.threads)
    elif args.full_disk:
        print(json.dumps(_fill_disk(args.full_disk, args.fsize)))
    else:
        print(json.dumps(run(args.rounds, args.threads, args.seed), indent=1))


if __name__ == "__main__":
    main()
