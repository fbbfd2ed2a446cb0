"""Hybrid retrieval: the best cosine over a passage's views plus BM25, over the agreements in
scope.

The fusion is deliberately plain: cosine similarity plus ``LEXICAL_SHARE`` times the BM25 score
as a share of the most a passage could score for the question (:meth:`BM25.ceiling`), so a passage
that shares only a common word with the question ("agreement") adds little even when nothing in
scope matches better. Measured on the tune half of our validation set (questions
written before any engine saw them), each extra the first engine carried (a table of everyday
paraphrases, a recital penalty, a lead-in BM25 field, acronym expansion) was neutral or worse,
so none is left; see the README's quality table. One rule of the question's form stays: a
question that names a section ("in the preamble", "Part II") prefers that section's passages.
:func:`fuse` (reciprocal rank fusion) serves callers that merge whole rankings, such as
follow-up questions.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from assistant.index import Snapshot
from assistant.ingest.structure import Passage
from assistant.search.embedding import Embedder
from assistant.search.lexical import BM25, tokens
from assistant.search.scope import asks_across, named_documents
from assistant.search.views import context_view


@functools.cache
def _single_threaded_blas() -> None:
    """One BLAS thread per process. A query's matrix-vector products take well under a
    millisecond on one core; OpenBLAS's own thread pool only fights the request threads for the
    cores. Measured through ``Assistant.ask`` with the 28 agreements on 2 cores: 56, 79, 40 and
    15 questions/s at 1, 2, 4 and 8 threads before, 90, 172, 186 and 186 after."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


RRF_K = 60
SECTION_BOOST = 0.1  # for passages in a section the question names ("in the preamble")
DEFINITION_BOOST = 1.0  # "What is X?": lifts the passages that define X above the rest
_DEFINED = re.compile(r"\(([A-Z][A-Za-z0-9]*(?:[-–][A-Z0-9]+)*)\)")  # "... Partnership (CUSSP)"
_WHAT_IS = re.compile(
    r"^\s*[Ww]hat(?:'s|’s|\s+is|\s+are|\s+was|\s+were)\s+(?:the\s+|an?\s+)?"
    r"([A-Z][A-Za-z0-9]*(?:[-–][A-Z0-9]+)*)\s*\??\s*$"
    r"|^\s*[Ww]hat\s+does\s+(?:the\s+)?([A-Z][A-Za-z0-9]*(?:[-–][A-Z0-9]+)*)\s+(?:stand\s+for|mean)",
)
_SECTION_NAME = re.compile(
    r"\b(?:preamble|introduction|(?:part|article|section|chapter)\s+(?:[ivxlc]+|\d+)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Fusion:
    """How the signals combine; the defaults were chosen on the dev set and the tune half."""

    lexical: float = 0.5  # BM25 (passage and heading) as a share of its ceiling, added
    bank: bool = True  # the question bank's questions as a view and a BM25 field
    bank_lexical: float = 0.25  # BM25 share over the passage's bank questions, added
    near: float = 0.9  # a question this close to a bank question leads with its passage
    near_boost: float = 1.0
    lead_ins: str = "item after"  # a lead-in's best item: "item after" it, "item first", "alone"
    lead_in_weight: float = 0.25  # a lead-in ranks at (1 - w) x its score + w x its best item's


@dataclass(frozen=True)
class Hit:
    """A passage with its fused score and the signals behind it."""

    passage: Passage
    score: float
    dense: float  # best cosine similarity of the question with the passage's own views
    lexical: float  # BM25 score as a share of its ceiling for the question
    bank: float = -1.0  # best cosine with the passage's bank questions (-1: none, or bank off)

    @property
    def meaning(self) -> float:
        """The best cosine of any view, the bank's included: how close in meaning."""
        return max(self.dense, self.bank)


def lexical_text(passage: Passage) -> str:
    """Words BM25 sees: the passage plus its heading (the lead-in is left to the dense views,
    where it adds meaning without drowning the item's own words)."""
    heading = passage.section[-1] if passage.section else ""
    return f"{passage.text} {heading}"


def fuse(rankings: list[list[int]], weights: list[float], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal rank fusion: ``sum(w / (k + rank))`` over the rankings (rank from 1).

    >>> fuse([[3, 1], [1, 2]], [1.0, 1.0], k=0)
    {3: 1.0, 1: 1.5, 2: 0.5}
    """
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, row in enumerate(ranking, start=1):
            scores[row] = scores.get(row, 0.0) + weight / (k + rank)
    return scores


MAX_ITEMS = 12  # a lead-in's list, when the document does not mark its items


def list_items(passages: tuple[Passage, ...]) -> dict[int, list[int]]:
    """Lead-in row -> the rows of the items of its list.

    A lead-in is a passage ending in ':'. Its items are the enumerated items that follow it, or,
    where the document does not mark them (most PDFs), the passages that follow it in the same
    section, up to the next lead-in and at most ``MAX_ITEMS``.
    """
    out: dict[int, list[int]] = {}
    for row, p in enumerate(passages):
        if not p.text.rstrip().endswith(":") or p.kind in ("title", "signature"):
            continue
        items = []
        marked = row + 1 < len(passages) and passages[row + 1].kind == "item"
        for nxt in range(row + 1, min(row + 1 + MAX_ITEMS * (4 if marked else 1), len(passages))):
            q = passages[nxt]
            if q.doc != p.doc or q.section != p.section or q.kind in ("title", "signature"):
                break
            if marked and q.kind != "item":
                break
            if not marked and q.text.rstrip().endswith(":"):
                break
            items.append(nxt)
        if items:
            out[row] = items
    return out


@dataclass(frozen=True)
class Signals:
    """What one question says about every passage, before agreements are chosen."""

    words: list[str]  # the question's stemmed content words
    own: np.ndarray  # best cosine with each passage's own views
    bank: np.ndarray  # best cosine with each passage's bank questions (-1: none)
    boost: np.ndarray  # what the question's form adds


class _Field:
    """One BM25 field over every passage, with per-agreement statistics beside the global ones:
    a word's weight within one agreement comes from that agreement ("Canada" is rare across 28
    agreements but says nothing inside Canada's own; measured: +0.05 R@1 on the tune half's
    Canada questions with all 28 loaded)."""

    def __init__(self, words: list[list[str]], rows_by_doc: dict[str, list[int]]) -> None:
        self.all = BM25(words)
        self._size = len(words)
        self._rows = {d: np.array(r) for d, r in rows_by_doc.items()}
        self._of = {d: BM25([words[r] for r in rows]) for d, rows in rows_by_doc.items()}

    def idf(self, term: str, doc: str | None = None) -> float:
        return (self._of.get(doc) or self.all).idf(term)

    def shares(self, words: list[str], docs: list[str] | None) -> np.ndarray:
        """BM25 of every passage for ``words`` as a share of its ceiling (0 to 1); within one
        agreement by that agreement's own statistics."""
        if docs is None or len(docs) != 1 or docs[0] not in self._of:
            return self.all.scores(words) / (self.all.ceiling(words) or 1.0)
        bm25 = self._of[docs[0]]
        out = np.zeros(self._size, dtype=np.float32)
        out[self._rows[docs[0]]] = bm25.scores(words) / (bm25.ceiling(words) or 1.0)
        return out


class Retriever:
    """Searches one snapshot; safe to share between threads (the query cache is locked).

    ``primary`` is the agreement a question that names none is about, when several are loaded
    (None: such questions search them all).
    """

    def __init__(
        self,
        snapshot: Snapshot,
        embedder: Embedder,
        cache_size: int = 256,
        primary: str | None = None,
        fusion: Fusion = Fusion(),
        reranker=None,
    ):
        _single_threaded_blas()
        self.snapshot = snapshot
        self.embedder = embedder
        self.fusion = fusion
        self.reranker = reranker  # an assistant.search.rerank.Reranker, or None
        self.passages = snapshot.passages
        self.primary = primary if primary in snapshot.documents else None
        rows_by_doc: dict[str, list[int]] = {}
        for row, p in enumerate(self.passages):
            rows_by_doc.setdefault(p.doc, []).append(row)
        self._rows_by_doc = {d: np.array(r) for d, r in rows_by_doc.items()}
        self._text = _Field([tokens(lexical_text(p)) for p in self.passages], rows_by_doc)
        self._bm25 = self._text.all
        use_bank = fusion.bank and any(snapshot.bank)
        self._asked = (
            _Field([tokens(" ".join(qs)) for qs in snapshot.bank], rows_by_doc)
            if use_bank and fusion.bank_lexical
            else None
        )
        self._use_bank = use_bank
        self._defines: dict[str, list[int]] = {}  # term -> rows of the passages defining it
        for row, p in enumerate(self.passages):
            for term in set(_DEFINED.findall(p.text)):
                self._defines.setdefault(term.replace("–", "-"), []).append(row)
        self._items = list_items(self.passages)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def closeness(self, text: str, passages: list[Passage]) -> tuple[float, float]:
        """The best cosine of ``text`` with any own view of ``passages``, and with any of their
        bank questions (-1 without a bank)."""
        signals = self.signals(text)
        rows = [self.snapshot.rows[p.id] for p in passages]
        return float(signals.own[rows].max()), float(signals.bank[rows].max())

    def lists(self, lead_in: Passage, item: Passage) -> bool:
        """Whether ``item`` is one of the items of the list that ``lead_in`` introduces."""
        rows = self._items.get(self.snapshot.rows.get(lead_in.id, -1), ())
        return self.snapshot.rows.get(item.id) in rows

    def scope(self, question: str, doc: str | None = None) -> list[str]:
        """The documents to search: the one asked for, those the question names, all of them
        for a question across agreements ("Which agreements ..."), else the primary one."""
        if doc:
            return [doc]
        infos = [d.info for d in self.snapshot.documents.values()]
        named = named_documents(question, infos)
        if named:
            return named
        if self.primary and len(infos) > 1 and not asks_across(question):
            return [self.primary]
        return [i.doc for i in infos]

    def idf(self, term: str, doc: str | None = None) -> float:
        """How rare a (stemmed) word is across the passages (of ``doc`` alone when given: the
        partner's own name says little inside its own agreement); 0 for words they never use."""
        return self._text.idf(term, doc)

    def max_idf(self) -> float:
        return self._bm25.max_idf

    def clear_cache(self) -> None:
        """Forget cached query embeddings (benchmarks measure uncached questions)."""
        with self._lock:
            self._cache.clear()

    def embed(self, text: str) -> np.ndarray:
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        vector = self.embedder.encode([text])[0]
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector

    def _rows(self, docs: list[str] | None) -> np.ndarray:
        if docs is None:
            return np.arange(len(self.passages))
        chosen = [self._rows_by_doc[d] for d in docs if d in self._rows_by_doc]
        return np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)

    def signals(self, question: str) -> Signals:
        """Every passage's signals for ``question``, computed once however many agreements are
        then scored."""
        query = self.embed(question)
        views = self.snapshot.views
        own = views.best(query, self.snapshot.vectors.scores(query))
        bank = views.bank.best(query) if self._use_bank else np.full(len(own), -1.0, np.float32)
        return Signals(tokens(question), own, bank, self._boost(question, bank))

    def _lexical(self, signals: Signals, docs: list[str] | None) -> np.ndarray:
        """The lexical part of the fused score of every passage for ``docs``: BM25 of the
        passage and heading as a share of its ceiling, plus the bank field's share."""
        out = self.fusion.lexical * self._text.shares(signals.words, docs)
        if self._asked is not None:
            out += self.fusion.bank_lexical * self._asked.shares(signals.words, docs)
        return out

    def _boost(self, question: str, bank: np.ndarray) -> np.ndarray:
        """What the question's form adds to each passage: a section it names, a term it asks
        to define, a bank question it nearly repeats."""
        boost = np.zeros(len(self.passages), dtype=np.float32)
        boost[self._named_section_rows(question, np.arange(len(self.passages)))] += SECTION_BOOST
        boost[self._defining_rows(question)] += DEFINITION_BOOST
        boost[bank >= self.fusion.near] += self.fusion.near_boost
        return boost

    def _fused(self, signals: Signals, lexical: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Fused scores of ``rows``: the best of all views' cosines, lexical shares, boosts."""
        dense = np.maximum(signals.own[rows], signals.bank[rows])
        return dense + lexical[rows] + signals.boost[rows]

    def _defining_rows(self, question: str) -> list[int]:
        """For "What is GSOIA?" or "What does SAG-U stand for?", the passages that define the
        term: "... Agreement (GSOIA) ..."."""
        match = _WHAT_IS.match(question)
        if not match:
            return []
        term = (match.group(1) or match.group(2)).replace("–", "-")
        return self._defines.get(term, [])

    def search(self, question: str, k: int = 5, docs: list[str] | None = None) -> list[Hit]:
        """The top ``k`` passages for the question within ``docs`` (all when None)."""
        rows = self._rows(docs)
        if not len(rows):
            return []
        signals = self.signals(question)
        lexical = self._lexical(signals, docs)
        fused = self._fused(signals, lexical, rows)
        scores = dict(zip(rows.tolist(), fused.tolist(), strict=True))
        if self.fusion.lead_in_weight and self.fusion.lead_ins != "alone":
            fused = self._as_their_items(rows, fused, scores)
            scores = dict(zip(rows.tolist(), fused.tolist(), strict=True))
        order = np.lexsort((rows, -fused))  # ties: document order
        ranked = [int(rows[i]) for i in order[: max(2 * k, self._reranked())]]
        if self.reranker is not None:
            ranked = self._rerank(question, ranked, scores)
        ranked = self._with_items(ranked, scores)[:k]
        return [self._hit(row, scores[row], signals, lexical) for row in ranked]

    def _as_their_items(self, rows: np.ndarray, fused: np.ndarray, scores: dict) -> np.ndarray:
        """Lead-ins scored partly by their best item: a list's introduction answers only as
        well as what it introduces."""
        w = self.fusion.lead_in_weight
        out = fused.copy()
        for i, row in enumerate(rows.tolist()):
            items = [scores[j] for j in self._items.get(row, ()) if j in scores]
            if items:
                out[i] = (1 - w) * fused[i] + w * max(items)
        return out

    def _reranked(self) -> int:
        return self.reranker.options.candidates if self.reranker is not None else 0

    def _rerank(self, question: str, ranked: list[int], scores: dict[int, float]) -> list[int]:
        """The first ``candidates`` re-scored by the cross-encoder (``scores`` updated)."""
        head = ranked[: self._reranked()]
        logits = self.reranker.scores(question, [context_view(self.passages[r]) for r in head])
        for row, logit in zip(head, logits.tolist(), strict=True):
            scores[row] += self.reranker.options.weight * logit
        return sorted(head, key=lambda r: (-scores[r], r)) + ranked[len(head) :]

    def _with_items(self, ranked: list[int], scores: dict[int, float]) -> list[int]:
        """``ranked`` with each lead-in ("..., the Participants will:") accompanied by its
        best-scoring item not ranked above it: after it, or in its place with the lead-in
        after (``Fusion.lead_ins``). A lead-in never stands alone."""
        if self.fusion.lead_ins == "alone":
            return ranked
        out: list[int] = []
        for row in ranked:
            if row in out:
                continue
            items = [i for i in self._items.get(row, ()) if i in scores and i not in out]
            items = [i for i in items if i not in self._items] or items  # not a nested lead-in
            if not items:
                out.append(row)
                continue
            best = max(items, key=lambda i: (scores[i], -i))
            out += [best, row] if self.fusion.lead_ins == "item first" else [row, best]
        return out

    def best_per_document(self, question: str, docs: list[str]) -> dict[str, Hit]:
        """Each document's best passage for the question, as :meth:`search` within that
        document alone would find it, from one embedding of the question."""
        signals = self.signals(question)
        out = {}
        for doc in docs:
            rows = self._rows_by_doc.get(doc)
            if rows is not None:
                lexical = self._lexical(signals, [doc])
                fused = self._fused(signals, lexical, rows)
                best = int(np.argmax(fused))  # ties: the first in document order
                out[doc] = self._hit(int(rows[best]), float(fused[best]), signals, lexical)
        return out

    def _hit(self, row: int, score: float, signals: Signals, lexical: np.ndarray) -> Hit:
        return Hit(
            self.passages[row],
            score,
            float(signals.own[row]),
            float(lexical[row]),
            float(signals.bank[row]),
        )

    def _named_section_rows(self, question: str, rows: np.ndarray) -> list[int]:
        """Rows in a section the question names: "preamble", "Part II", "Article 5"."""
        wanted = [m.group(0).lower() for m in _SECTION_NAME.finditer(question)]
        if not wanted:
            return []
        labels = [re.compile(rf"{re.escape(w)}\b") for w in wanted]
        return [
            int(r)
            for r in rows
            if any(label.match(s.lower()) for s in self.passages[r].section for label in labels)
        ]
