"""The domain model: the bundled MiniLM fine-tuned on the question bank's (question, passage)
pairs of the corpus being served (:func:`assistant.search.tuning.bank_pairs`).

It is trained from the bank with a fixed seed, never committed, and cached under the key of its
inputs (``index/models/tuned-<key>/``); ``index/models/DOMAIN`` names the latest one trained for
this index, with what it learned from. While there is none (a fresh clone), answers come from the
bundled model plus the bank view; ``python -m assistant build`` trains it, and ``serve`` trains it
in the background and switches when the new index is ready.

A corpus change that leaves the bank's pairs as they were (an agreement without a bank added, a
paragraph added) keeps the model; one that changes them (a bank edited, a banked passage
reworded) makes it *outdated*: it still answers, and the next ``build`` retrains it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from assistant.errors import SettingError
from assistant.search.embedding import Embedder, SentenceTransformerEmbedder
from assistant.search.tuning import Options, bank_pairs, fine_tune
from assistant.search.views import context_view

log = logging.getLogger(__name__)
POINTER = "DOMAIN"
# Chosen from the measured table (README, "The domain model"): pairs, epochs, length, rate.
OPTIONS = Options(max_pairs=2000, epochs=1, max_tokens=64, learning_rate=5e-5)


def enabled(setting: str) -> bool:
    """The ``tune`` setting as a flag: 'on' or 'off', anything else a :class:`SettingError`."""
    if setting not in ("on", "off"):
        raise SettingError(
            f"Unknown tune setting '{setting}'. Set ASSISTANT_TUNE to 'on' or 'off'."
        )
    return setting == "on"


def tunable(base: Embedder) -> bool:
    """Whether ``base`` is a sentence-transformers model on disk (the fake and hub ids are not)."""
    return isinstance(base, SentenceTransformerEmbedder) and base.path() is not None


def learned_from(snapshot) -> str:
    """A digest of what a domain model learns from ``snapshot``: each banked passage's context
    view with its questions. Independent of the model that built the snapshot."""
    digest = hashlib.sha256(json.dumps(OPTIONS.__dict__, sort_keys=True).encode())
    for passage, questions in zip(snapshot.passages, snapshot.bank, strict=True):
        if questions:
            digest.update(context_view(passage).encode() + b"\0" + "\0".join(questions).encode())
    return digest.hexdigest()[:16]


def record(index_dir: Path) -> dict | None:
    """What ``index/models/DOMAIN`` says: the folder, its base model and what it learned from."""
    try:
        return json.loads((index_dir / "models" / POINTER).read_text())
    except (OSError, ValueError):
        return None


def latest(index_dir: Path, base: Embedder) -> Path | None:
    """The latest domain model trained for this index from ``base``, when complete."""
    found = record(index_dir)
    if not found or not tunable(base) or found.get("base_fingerprint") != base.fingerprint():
        return None
    folder = index_dir / "models" / str(found.get("folder", ""))
    return folder if (folder / "tuning.json").is_file() else None


def choose(index_dir: Path, base: Embedder, tune: bool) -> Embedder:
    """The model to answer with: the latest domain model when ``tune`` and there is one."""
    found = latest(index_dir, base) if tune else None
    return embedder(found, base) if found else base


def embedder(folder: Path, base: Embedder) -> SentenceTransformerEmbedder:
    """The domain model as an embedder, named after its base so messages stay readable."""
    return SentenceTransformerEmbedder(str(folder), name=f"{base.model_id} + domain {folder.name}")


def state(index_dir: Path, base: Embedder, snapshot) -> str:
    """'off' (not tunable), 'no bank' (nothing to learn), 'missing', 'outdated' or 'ready'."""
    if not tunable(base):
        return "off"
    if not any(snapshot.bank):
        return "no bank"
    if latest(index_dir, base) is None:
        return "missing"
    return (
        "ready" if record(index_dir).get("learned_from") == learned_from(snapshot) else "outdated"
    )


def train(
    index_dir: Path,
    base: SentenceTransformerEmbedder,
    snapshot,
    report: Callable[[str], None] = log.info,
    options: Options = OPTIONS,
) -> Path:
    """Train (or reuse) the domain model on ``snapshot``'s bank pairs and record it as this
    index's latest. Hard negatives are chosen with ``base``'s vectors."""
    texts, asked = base_vectors(index_dir, base, snapshot)
    pairs = bank_pairs(snapshot.passages, snapshot.bank, texts, asked)
    started = time.monotonic()
    report(
        f"Training the domain model on {min(len(pairs), options.max_pairs or len(pairs))} of "
        f"{len(pairs)} bank pairs (a few minutes on 2 cores) ..."
    )
    folder = fine_tune(index_dir, base, pairs, options, report=report)
    pointer = {
        "folder": folder.name,
        "base": base.model_id,
        "base_fingerprint": base.fingerprint(),
        "learned_from": learned_from(snapshot),
        "pairs": len(pairs),
        "seconds": round(time.monotonic() - started, 1),
        "trained": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    tmp = index_dir / "models" / f".{POINTER}.{os.getpid()}"
    tmp.write_text(json.dumps(pointer, indent=1))
    os.replace(tmp, index_dir / "models" / POINTER)
    return folder


def base_vectors(index_dir: Path, base: SentenceTransformerEmbedder, snapshot):
    """``base``'s vectors of every passage text and bank question of ``snapshot``: the
    snapshot's own when it was built with ``base``, a kept build's for the texts it has, the
    rest encoded now (ONNX, float32)."""
    if snapshot.manifest["model"]["fingerprint"] == base.fingerprint():
        return snapshot.views.text, snapshot.views.bank.vectors
    from assistant.index import built_with
    from assistant.search.encoder import build_embedder

    known: dict[str, np.ndarray] = {}
    kept = built_with(index_dir, base)
    if kept is not None:
        known.update(zip((p.text for p in kept.passages), kept.views.text, strict=True))
        known.update(zip((q for qs in kept.bank for q in qs), kept.views.bank.vectors, strict=True))
    texts = [p.text for p in snapshot.passages]
    questions = [q for qs in snapshot.bank for q in qs]
    todo = sorted({*texts, *questions} - known.keys())
    if todo:
        encoder = build_embedder(index_dir, base, log.info)
        known.update(zip(todo, encoder.encode(todo), strict=True))
    dimension = snapshot.views.text.shape[1]

    def matrix(rows: list[str]) -> np.ndarray:
        out = np.zeros((len(rows), dimension), dtype=np.float32)
        for i, text in enumerate(rows):
            out[i] = known[text]
        return out

    return matrix(texts), matrix(questions)


class BackgroundTraining:
    """Trains the domain model while the app serves: ``python -m assistant build`` in a child
    process (its own memory and threads; a crash there leaves the app as it was), then
    ``on_ready()`` once the index built with the new model is in place.

    ``note`` says what is happening, for the status line.
    """

    def __init__(
        self,
        corpus: Path,
        index: Path,
        model: str,
        on_ready: Callable[[], None],
        report: Callable[[str], None] = log.info,
    ) -> None:
        self.args = ["--corpus", str(corpus), "--index", str(index), "--model", model, "build"]
        self.on_ready = on_ready
        self.report = report
        self.note = ""
        self.done = threading.Event()
        self.returncode: int | None = None
        self.last = ""  # the child's last line: what it said when it failed

    def start(self) -> BackgroundTraining:
        self.note = (
            f"The domain model is training in the background (since {time.strftime('%H:%M')}); "
            "answers get better when it is done, in a few minutes."
        )
        self.report(f"Domain model: {self.note}")
        threading.Thread(target=self._run, name="domain-training", daemon=True).start()
        return self

    def _run(self) -> None:
        import subprocess
        import sys

        try:
            with subprocess.Popen(
                [sys.executable, "-m", "assistant", *self.args],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
            ) as child:
                for line in child.stderr:
                    self._progress(line.strip())
                self.returncode = child.wait()
            if self.returncode == 0:
                self.on_ready()
                self.note = ""
                self.report("Domain model: ready; answers now use it.")
            else:
                self.note = ""
                self.report(
                    f"Domain model: training failed (exit {self.returncode}: {self.last}); "
                    "answers keep the bundled model. Run: python -m assistant build"
                )
        except Exception as exc:  # the app must keep serving whatever happens here
            self.note = ""
            self.report(f"Domain model: training failed ({exc}); answers keep the bundled model.")
        finally:
            self.done.set()

    def _progress(self, line: str) -> None:
        step = _STEP.match(line)
        if step:
            done, total = step.groups()
            self.note = (
                f"The domain model is training in the background (step {done} of {total}); "
                "answers get better when it is done."
            )
        elif line.startswith("Re-embedding"):
            self.note = (
                "The domain model is trained; the index is being rebuilt with it. Answers get "
                "better in a minute or two."
            )
        if line:
            self.last = line[:300]
            log.info("domain build: %s", line)


_STEP = re.compile(r"^Training step (\d+)/(\d+)")
