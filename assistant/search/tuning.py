"""Learning the domain from the corpus itself: free training pairs and a reproducible fine-tune.

The agreements say the same things in different words, and their structure says what belongs
together. Four kinds of pairs come from that, with no question in them:

- ``heading``: a section heading and a paragraph under it;
- ``lead-in``: the lead-in of an enumeration ("Canada will:") and one of its items;
- ``cloze``: a sentence and the rest of its paragraph (inverse cloze);
- ``clause``: a clause and the clause of another agreement nearest to it (mutual nearest
  neighbours by the current model, cosine at least ``CLAUSE_COSINE``).

Each pair gets a hard negative: the passage of the same agreement nearest to the positive that is
neither the positive nor the anchor's own passage (nor, for headings and lead-ins, a passage under
the same heading, which would fit the anchor as well). :func:`fine_tune` trains the model on them
with the multiple-negatives ranking loss (in-batch negatives plus the hard one), with a fixed
seed, and stores the weights as a sentence-transformers folder under
``index/models/tuned-<key>/``, ``key`` hashing the base model's fingerprint, the pairs, the seed,
the training options and ``TUNING_VERSION``: the same inputs reuse the folder instead of
training again. ``python -m assistant models tune`` runs it; ``ASSISTANT_MODEL=<that folder>`` then
builds and answers with the tuned model. Measured on the tune half it does not beat the untuned
model (README, "Models"), so the default stays untuned.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from assistant.answer import sentences
from assistant.ingest.structure import Passage
from assistant.search.embedding import SentenceTransformerEmbedder
from assistant.search.encoder import filled_in_place

TUNING_VERSION = 2  # 2: bank pairs, round-robin capping, training length
CLAUSE_COSINE = 0.8
MIN_CHARS = 40  # shorter texts ("Canada will:") say too little to learn from
DUPLICATE_COSINE = 0.9  # a passage this close to the positive is no negative: it may answer too


KINDS = ("bank", "heading", "lead-in", "cloze", "clause")


@dataclass(frozen=True)
class Pair:
    kind: str  # "bank", "heading", "lead-in", "cloze" or "clause"
    anchor: str
    positive: str
    negative: str


@dataclass(frozen=True)
class Options:
    seed: int = 0
    epochs: int = 1
    batch_size: int = 32
    learning_rate: float = 2e-5
    scale: float = 20.0  # the cosines' temperature in the ranking loss
    max_pairs: int | None = None  # at most this many pairs, spread over the passages
    max_tokens: int = 128  # word pieces per text while training (answers use the model's own)


def training_pairs(passages: Sequence[Passage], vectors: np.ndarray) -> list[Pair]:
    """Every pair the corpus offers, in corpus order; ``vectors`` are the passages' text vectors
    (normalised, one row per passage), used for hard negatives and matching clauses."""
    docs = np.array([p.doc for p in passages])
    similar = vectors @ vectors.T
    same = docs[:, None] == docs[None, :]
    sections = np.array([hash((p.doc, p.section)) for p in passages])

    def negative(kind: str, positive: int, own: int) -> str:
        scores = np.where(same[positive], similar[positive], -np.inf)
        scores[[positive, own]] = -np.inf
        if kind in ("heading", "lead-in"):  # a sibling under the same heading fits it too
            scores[sections == sections[positive]] = -np.inf
        best = int(np.argmax(scores))
        return passages[best].text if np.isfinite(scores[best]) else ""

    found: list[tuple[str, str, str, int, int]] = []  # kind, anchor, positive, its row, own row
    for row, p in enumerate(passages):
        if len(p.text) < MIN_CHARS or p.kind not in ("paragraph", "item"):
            continue
        if p.section and len(p.section[-1]) >= 3:
            found.append(("heading", p.section[-1], p.text, row, row))
        if p.kind == "item" and len(p.context) >= MIN_CHARS:
            found.append(("lead-in", p.context, p.text, row, row))
        spans = sentences(p.text)
        if len(spans) >= 3:  # the longest sentence against the rest of the paragraph
            s, e = max(spans, key=lambda span: span[1] - span[0])
            rest = f"{p.text[:s].strip()} {p.text[e:].strip()}".strip()
            if e - s >= MIN_CHARS and len(rest) >= MIN_CHARS:
                found.append(("cloze", p.text[s:e], rest, row, row))
    across = np.where(same, -np.inf, similar)  # another agreement's clauses only
    nearest = across.argmax(axis=1)
    for row, best in enumerate(nearest):
        mutual = nearest[best] == row and row < best
        if mutual and across[row, best] >= CLAUSE_COSINE and len(passages[row].text) >= MIN_CHARS:
            found.append(("clause", passages[row].text, passages[best].text, int(best), row))
    pairs = [Pair(kind, a, pos, negative(kind, r, own)) for kind, a, pos, r, own in found]
    return [p for p in pairs if p.negative]


def bank_pairs(
    passages: Sequence[Passage],
    questions: Sequence[Sequence[str]],
    texts: np.ndarray,
    asked: np.ndarray,
) -> list[Pair]:
    """One pair per bank question: the question and its passage's context view (heading path,
    lead-in, text), with a hard negative from the same agreement.

    ``questions`` are each passage's bank questions; ``texts`` the passages' text vectors and
    ``asked`` the questions' vectors (in order), from the model being tuned. The negative is the
    passage of the same agreement nearest to the question that is neither its passage nor a
    near-duplicate of it (cosine >= ``DUPLICATE_COSINE``), which could answer it as well.
    """
    from assistant.search.views import context_view

    docs = np.array([p.doc for p in passages])
    views = [context_view(p) for p in passages]
    pairs, row = [], 0
    for own, qs in enumerate(questions):
        if not qs:
            continue
        others = (docs == docs[own]) & (texts @ texts[own] < DUPLICATE_COSINE)
        others[own] = False
        for question in qs:
            scores = np.where(others, texts @ asked[row], -np.inf)
            row += 1
            best = int(np.argmax(scores))
            if np.isfinite(scores[best]):
                pairs.append(Pair("bank", question, views[own], views[best]))
    return pairs


def spread(pairs: Sequence[Pair], limit: int | None, seed: int) -> list[Pair]:
    """At most ``limit`` pairs, shuffled with ``seed``, taking one pair of each positive before
    any positive's second (so a cap keeps every passage that has pairs)."""
    rng = random.Random(seed)
    by_positive: dict[str, list[Pair]] = {}
    for pair in pairs:
        by_positive.setdefault(pair.positive, []).append(pair)
    groups = list(by_positive.values())
    for group in groups:
        rng.shuffle(group)
    rng.shuffle(groups)
    out: list[Pair] = []
    for depth in range(max((len(g) for g in groups), default=0)):
        layer = [g[depth] for g in groups if depth < len(g)]
        rng.shuffle(layer)
        out += layer
    return out[:limit]


def tuned_key(base: SentenceTransformerEmbedder, pairs: Sequence[Pair], options: Options) -> str:
    """What the tuned weights depend on: base model, pairs, seed and options, code version."""
    digest = hashlib.sha256(f"{TUNING_VERSION}|{base.fingerprint()}|".encode())
    digest.update(json.dumps(asdict(options), sort_keys=True).encode())
    for p in pairs:
        digest.update("\0".join((p.kind, p.anchor, p.positive, p.negative)).encode())
    return digest.hexdigest()[:16]


def fine_tune(
    index_dir: Path,
    base: SentenceTransformerEmbedder,
    pairs: Sequence[Pair],
    options: Options = Options(),
    report: Callable[[str], None] = print,
) -> Path:
    """The folder of ``base`` fine-tuned on ``pairs``: ``index_dir/models/tuned-<key>/``,
    trained now unless a folder with the same key is already complete."""
    folder = index_dir / "models" / f"tuned-{tuned_key(base, pairs, options)}"
    if (folder / "tuning.json").is_file():
        report(f"Reusing the tuned model in {folder}")
        return folder
    import torch

    torch.manual_seed(options.seed)
    chosen = spread(pairs, options.max_pairs, options.seed)
    model = _fresh_copy(base)
    answering_tokens = model.max_seq_length
    model.max_seq_length = options.max_tokens
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=options.learning_rate)
    batches = distinct_batches(chosen, options.batch_size)
    steps = options.epochs * len(batches)
    step = 0
    for _ in range(options.epochs):
        for batch in batches:
            anchors = _embed(model, [p.anchor for p in batch])
            candidates = _embed(model, [p.positive for p in batch] + [p.negative for p in batch])
            scores = options.scale * anchors @ candidates.T  # row i's positive is column i
            loss = torch.nn.functional.cross_entropy(scores, torch.arange(len(batch)))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            step += 1
            if step % 10 == 0 or step == steps:
                report(f"Training step {step}/{steps}, loss {loss.item():.3f}")
    model.eval()
    model.max_seq_length = answering_tokens  # answers embed as the base model does
    with filled_in_place(folder) as tmp:
        model.save(str(tmp))
        kinds = {k: sum(p.kind == k for p in chosen) for k in KINDS}
        meta = {
            "version": TUNING_VERSION,
            "base": base.model_id,
            "base_fingerprint": base.fingerprint(),
            "pairs": kinds,
            "steps": steps,
            **asdict(options),
        }
        (tmp / "tuning.json").write_text(json.dumps(meta, indent=1))
    report(f"Tuned model saved in {folder}")
    return folder


def distinct_batches(pairs: Sequence[Pair], size: int) -> list[list[Pair]]:
    """``pairs`` in batches of ``size`` (in order, a pair moving to a later batch when needed)
    where no text is an anchor or positive twice: a repeated heading's other paragraph would be
    an in-batch negative that fits it."""
    pending, out = list(pairs), []
    while pending:
        batch, seen, later = [], set(), []
        for pair in pending:
            if len(batch) < size and pair.anchor not in seen and pair.positive not in seen:
                batch.append(pair)
                seen.update((pair.anchor, pair.positive))
            else:
                later.append(pair)
        out.append(batch)
        pending = later
    return out


def _fresh_copy(base: SentenceTransformerEmbedder):
    """A new ``SentenceTransformer`` from the base model's folder, loaded as the embedder loads
    it (same truncation); the base's own model, if loaded, stays untouched."""
    return SentenceTransformerEmbedder(str(base.path())).model()


def _embed(model, texts: list[str]):
    # ``preprocess`` in sentence-transformers 6 (``tokenize`` warns there); ``tokenize`` before.
    features = getattr(model, "preprocess", model.tokenize)(texts)
    return model(features)["sentence_embedding"]  # normalised: the model ends in Normalize
