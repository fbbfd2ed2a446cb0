"""Crash injection for the index: SIGKILL a build at chosen points and check what is served.

Like the crash suites of SQLite and Lucene, a child process runs a real ``build --force`` with
its I/O and stage functions wrapped: each call is a numbered *point*, tagged with the stage it
falls in (reading, embedding, writing, switching). A counting run lists every point; then, for
each point chosen, a fresh child kills itself with SIGKILL on reaching it (no handler runs, as
when the machine's OOM killer or a power cut strikes). Timed kills from outside add points the
wrappers cannot see. After every kill:

* the served build (``index/CURRENT``) is byte-identical to the one before the kill, apart from
  the manifest's creation time (the corpus did not change, so neither may the index);
* it loads and answers the probe question with the same passage;

and at the end one ordinary build removes every unfinished folder the kills left behind.

    .venv/bin/python -m bench.crash                     # 40 points + 10 timed kills, 4 agreements
    .venv/bin/python -m bench.crash --per-stage 5 --timed 0
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from bench.measure import REPO

RESULTS = REPO / "bench" / "results"
STAGES = ("reading", "embedding", "writing", "switching")
SHARED = REPO.parent / "shared" / "corpus"
DEFAULT_FILES = ("canada.docx", "germany.pdf", "france.docx", "sweden.pdf")

_CHILD = textwrap.dedent(
    """
    import os, shutil, signal, sys
    from pathlib import Path
    import assistant.index as ix
    import assistant.ingest.documents as documents
    from assistant.search.embedding import HashingEmbedder

    corpus, index, target = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    unsafe = sys.argv[4] == "unsafe"
    state = {"count": 0, "stage": "reading"}

    def point(name):
        state["count"] += 1
        print(f"POINT {state['count']} {state['stage']} {name}", flush=True)
        if state["count"] == target:
            os.kill(os.getpid(), signal.SIGKILL)

    def wrap(owner, attr, stage=None):
        real = getattr(owner, attr)
        def wrapped(*args, **kwargs):
            if stage:
                state["stage"] = stage
            point(attr)
            return real(*args, **kwargs)
        setattr(owner, attr, wrapped)

    class Batched(HashingEmbedder):  # the fake model, with a point per batch like the real one
        def encode(self, texts, progress=None):
            import numpy as np
            parts = []
            for start in range(0, len(texts), 32):
                point("encode")
                parts.append(HashingEmbedder.encode(self, texts[start : start + 32]))
            return np.concatenate(parts) if parts else HashingEmbedder.encode(self, [])

    if unsafe:  # a builder that rewrites the served files in place: the harness must catch it
        import json
        from dataclasses import asdict
        careful = ix._write_build
        def in_place(folder, manifest, documents, passages, views, *rest):
            with (ix.current_build(index) / "passages.jsonl").open("w") as out:
                for p in passages:
                    out.write(json.dumps(asdict(p), ensure_ascii=False) + "\\n")
            return careful(folder, manifest, documents, passages, views, *rest)
        ix._write_build = in_place
    wrap(ix, "read_corpus", "reading")
    wrap(documents, "read_document")
    wrap(ix, "_vectors_for", "embedding")
    ix._reusable = lambda *args: {}  # embed every text, as a first build does
    wrap(ix, "_write_build", "writing")
    wrap(ix.json, "dumps")
    wrap(ix.FaissStore, "save")
    wrap(os, "fsync")
    wrap(os, "replace", "switching")
    wrap(ix, "_prune")
    wrap(shutil, "rmtree")
    ix.build(corpus, index, Batched(), report=lambda m: None, force=True)
    print("DONE", flush=True)
    """
)


def _child(corpus: Path, index: Path, target: int, unsafe: bool) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    mode = "unsafe" if unsafe else "safe"
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(corpus), str(index), str(target), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _fingerprint(index: Path) -> dict[str, bytes]:
    """The served build's files, the manifest without its creation time."""
    from assistant.index import current_build

    build = current_build(index)
    files = {p.name: p.read_bytes() for p in sorted(build.iterdir())}
    manifest = json.loads(files.pop("manifest.json"))
    manifest.pop("created")
    files["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    return files


def _probe(index: Path, question: str) -> str:
    """The id of the passage ranked first for ``question`` by the served build (or why none)."""
    from assistant.errors import AssistantError
    from assistant.index import load
    from assistant.search.embedding import HashingEmbedder
    from assistant.search.retrieve import Retriever

    embedder = HashingEmbedder()
    try:
        return Retriever(load(index, embedder), embedder).search(question, k=1)[0].passage.id
    except AssistantError as exc:
        return f"no answer: {exc}"


def _leftovers(index: Path) -> list[str]:
    patterns = [("builds", ".*.tmp"), (".", ".CURRENT.*"), ("models", ".*.tmp")]
    return sorted(str(p.relative_to(index)) for d, g in patterns for p in (index / d).glob(g))


def choose_points(points: list[tuple[int, str]], per_stage: int, seed: int) -> list[int]:
    """``per_stage`` points of each stage, spread evenly through it (first and last included)."""
    rng = random.Random(seed)
    chosen = []
    for stage in STAGES:
        numbers = [n for n, s in points if s == stage]
        if len(numbers) <= per_stage:
            chosen += numbers
            continue
        step = (len(numbers) - 1) / max(per_stage - 1, 1)
        picks = {numbers[round(i * step)] for i in range(per_stage)}
        while len(picks) < per_stage:  # rounding collided: fill at random
            picks.add(rng.choice(numbers))
        chosen += sorted(picks)
    return chosen


def run(
    corpus: Path,
    per_stage: int = 10,
    timed: int = 10,
    question: str = "How long will the agreement remain in effect?",
    seed: int = 20261202,
    unsafe: bool = False,
) -> dict:
    """The kill campaign over ``corpus``; returns the figures and every failure seen.

    ``unsafe`` runs it against a deliberately broken builder (it rewrites the served files in
    place), to show that the harness catches what it exists to catch.
    """
    from assistant.index import build
    from assistant.search.embedding import HashingEmbedder

    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        build(corpus, index, HashingEmbedder(), report=lambda m: None)
        before, answer = _fingerprint(index), _probe(index, question)

        started = time.perf_counter()
        counting = _child(corpus, index, -1, unsafe)
        out, err = counting.communicate(timeout=600)
        full_seconds = time.perf_counter() - started
        if "DONE" not in out:
            raise RuntimeError(f"The counting build failed:\n{err[-3000:]}")
        points = [
            (int(n), stage)
            for _, n, stage, _ in (ln.split() for ln in out.splitlines() if ln.startswith("POINT"))
        ]
        # The counting run was a complete build of the same corpus: it serves what was there.
        failures = [] if _fingerprint(index) == before else ["the counting build changed bytes"]

        rng = random.Random(seed)
        plan = [("point", n) for n in choose_points(points, per_stage, seed)]
        plan += [("timed", rng.uniform(0.05, full_seconds)) for _ in range(timed)]
        # Last, a kill mid-write, so the closing build has an unfinished folder to remove.
        writing = [n for n, stage in points if stage == "writing"]
        plan.append(("point", writing[len(writing) // 2]))
        by_stage: dict[str, int] = dict.fromkeys(STAGES, 0)
        stage_of = dict(points)
        failed: set[str] = set()
        left_by_kills = 0
        for kind, where in plan:
            child = _child(corpus, index, where if kind == "point" else -1, unsafe)
            if kind == "timed":
                time.sleep(where)
                child.send_signal(signal.SIGKILL)
            out, err = child.communicate(timeout=600)
            seen = [ln.split() for ln in out.splitlines() if ln.startswith("POINT")]
            stage = stage_of[where] if kind == "point" else (seen[-1][2] if seen else "start")
            label = f"timed kill at {where:.2f}s" if kind == "timed" else f"kill at point {where}"
            if child.returncode != -signal.SIGKILL:
                if kind == "timed" and "DONE" in out:  # the build finished first: no kill
                    by_stage["finished"] = by_stage.get("finished", 0) + 1
                    continue
                failures.append(f"{label}: exit {child.returncode}: {err[-300:]}")
            by_stage[stage] = by_stage.get(stage, 0) + 1
            problems = []
            if _fingerprint(index) != before:
                problems.append("the served index changed")
            if _probe(index, question) != answer:
                problems.append("the answer changed")
            failures += [f"{label} ({stage}): {problem}" for problem in problems]
            failed |= {label} if problems else set()
            left_by_kills += bool(_leftovers(index))
        left_before = _leftovers(index)
        messages: list[str] = []
        build(corpus, index, HashingEmbedder(), report=messages.append, force=True)
        left_after = _leftovers(index)
    if not left_before:
        failures.append("the last kill, mid-write, left nothing to clean up: the harness is off")
    if left_after:
        failures.append(f"an ordinary build left {left_after}")
    kills = sum(n for s, n in by_stage.items() if s != "finished")
    return {
        "points_available": len(points),
        "kills": kills,
        "kills_by_stage": by_stage,
        "survived": kills - len(failed),
        "failures": failures,
        "kills_leaving_unfinished_files": left_by_kills,
        "unfinished_after_next_build": len(left_after),
        "cleanup_message": next((m for m in messages if m.startswith("Removed")), ""),
        "build_seconds": round(full_seconds, 2),
    }


def copy_corpus(folder: Path, files: tuple[str, ...] = DEFAULT_FILES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        shutil.copyfile(SHARED / name, folder / name)
    return folder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-stage", type=int, default=10, help="kill points per stage")
    parser.add_argument("--timed", type=int, default=10, help="kills at random moments")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        result = run(copy_corpus(Path(tmp) / "corpus"), args.per_stage, args.timed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "crash.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
