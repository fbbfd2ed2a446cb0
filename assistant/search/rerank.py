"""A second stage that reads question and passage together: a cross-encoder initialised from the
bundled MiniLM, trained on the bank's pairs, re-scoring the first stage's best few passages.

Measured, and off by default (setting ``rerank``): it is adopted only if it gains at least 0.05
R@1 on the tune half with the bank in, within 100 ms (p95) for the stage. See the README's
trade-off table for what it measured. With ``rerank`` 'on', ``build`` trains it (cached under
the key of its pairs and options, like the domain model) and answers load it with torch.

Training: for each bank question, its passage against two others of the same agreement (the
pair's hard negative and another question's passage in the batch), a softmax over the three
scores (listwise cross-entropy). Scoring: the first stage's top ``candidates``, each re-scored as
``fused + weight * cross-encoder logit``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from assistant.errors import SettingError
from assistant.search.encoder import filled_in_place
from assistant.search.tuning import Pair, spread

log = logging.getLogger(__name__)
RERANK_VERSION = 1


def enabled(setting: str) -> bool:
    """The ``rerank`` setting as a flag: 'on' or 'off', anything else a :class:`SettingError`."""
    if setting not in ("on", "off"):
        raise SettingError(
            f"Unknown rerank setting '{setting}'. Set ASSISTANT_RERANK to 'on' or 'off'."
        )
    return setting == "on"


@dataclass(frozen=True)
class RerankOptions:
    seed: int = 0
    max_pairs: int = 2000
    epochs: int = 1
    batch_size: int = 16  # questions a step; each reads three passages
    learning_rate: float = 5e-5
    max_tokens: int = 128  # question and passage together
    candidates: int = 8  # first-stage passages re-scored per question
    weight: float = 0.1  # of the cross-encoder's logit, added to the fused score


def key(base_fingerprint: str, pairs: Sequence[Pair], options: RerankOptions) -> str:
    digest = hashlib.sha256(f"{RERANK_VERSION}|{base_fingerprint}|".encode())
    training = {k: v for k, v in asdict(options).items() if k not in ("candidates", "weight")}
    digest.update(json.dumps(training, sort_keys=True).encode())
    for p in pairs:
        digest.update("\0".join((p.anchor, p.positive, p.negative)).encode())
    return digest.hexdigest()[:16]


def train(
    index_dir: Path,
    base_path: Path,
    base_fingerprint: str,
    pairs: Sequence[Pair],
    options: RerankOptions = RerankOptions(),
    report: Callable[[str], None] = log.info,
) -> Path:
    """The folder of the cross-encoder trained on ``pairs`` (``index/models/rerank-<key>/``),
    trained now unless complete already."""
    folder = index_dir / "models" / f"rerank-{key(base_fingerprint, pairs, options)}"
    if (folder / "rerank.json").is_file():
        return folder
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    torch.manual_seed(options.seed)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "some weights are newly initialised": the head, as meant
    try:
        model = AutoModelForSequenceClassification.from_pretrained(str(base_path), num_labels=1)
    finally:
        hf_logging.set_verbosity(verbosity)
    tokenizer = AutoTokenizer.from_pretrained(str(base_path))
    chosen = spread(pairs, options.max_pairs, options.seed)
    rng = random.Random(options.seed)
    optimiser = torch.optim.AdamW(model.parameters(), lr=options.learning_rate)
    model.train()
    steps = options.epochs * -(-len(chosen) // options.batch_size)
    step = 0
    for _ in range(options.epochs):
        for start in range(0, len(chosen), options.batch_size):
            batch = chosen[start : start + options.batch_size]
            questions, passages = [], []
            for i, pair in enumerate(batch):
                other = batch[(i + 1 + rng.randrange(max(len(batch) - 1, 1))) % len(batch)]
                for text in (pair.positive, pair.negative, other.positive):
                    questions.append(pair.anchor)
                    passages.append(text)
            features = tokenizer(
                questions,
                passages,
                truncation="only_second",
                max_length=options.max_tokens,
                padding=True,
                return_tensors="pt",
            )
            logits = model(**features).logits.view(len(batch), 3)
            loss = torch.nn.functional.cross_entropy(
                logits, torch.zeros(len(batch), dtype=torch.long)
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            step += 1
            if step % 10 == 0 or step == steps:
                report(f"Training the reranker: step {step}/{steps}, loss {loss.item():.3f}")
    model.eval()
    with filled_in_place(folder) as tmp:
        model.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        meta = {"version": RERANK_VERSION, "pairs": len(chosen), "steps": steps, **asdict(options)}
        (tmp / "rerank.json").write_text(json.dumps(meta, indent=1))
    return folder


POINTER = "RERANK"


def latest(index_dir: Path) -> Path | None:
    """The reranker last trained for this index (``index/models/RERANK``), when complete."""
    try:
        folder = index_dir / "models" / (index_dir / "models" / POINTER).read_text().strip()
    except OSError:
        return None
    return folder if (folder / "rerank.json").is_file() else None


def train_for(index_dir: Path, base, snapshot, report: Callable[[str], None] = log.info) -> Path:
    """Train (or reuse) the reranker on ``snapshot``'s bank pairs and record it for the index."""
    import os

    from assistant.search.domain import base_vectors
    from assistant.search.tuning import bank_pairs

    texts, asked = base_vectors(index_dir, base, snapshot)
    pairs = bank_pairs(snapshot.passages, snapshot.bank, texts, asked)
    report(f"Training the reranker on {min(len(pairs), RerankOptions().max_pairs)} bank pairs ...")
    folder = train(index_dir, base.path(), base.fingerprint(), pairs, report=report)
    tmp = index_dir / "models" / f".{POINTER}.{os.getpid()}"
    tmp.write_text(folder.name)
    os.replace(tmp, index_dir / "models" / POINTER)
    return folder


class Reranker:
    """Scores (question, passage) pairs with a trained cross-encoder (torch, loaded once)."""

    def __init__(self, folder: Path, options: RerankOptions = RerankOptions()) -> None:
        self.folder = folder
        self.options = options
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                from transformers import AutoModelForSequenceClassification, AutoTokenizer

                model = AutoModelForSequenceClassification.from_pretrained(str(self.folder))
                self._model = (model.eval(), AutoTokenizer.from_pretrained(str(self.folder)))
            return self._model

    def scores(self, question: str, passages: Sequence[str]) -> np.ndarray:
        import torch

        model, tokenizer = self._load()
        features = tokenizer(
            [question] * len(passages),
            list(passages),
            truncation="only_second",
            max_length=self.options.max_tokens,
            padding=True,
            return_tensors="pt",
        )
        with torch.inference_mode():
            return model(**features).logits.view(-1).numpy().astype(np.float32)
