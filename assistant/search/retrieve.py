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


@functools.cache
def _single_threaded_blas() -> None:
    """One BLAS thread per process. A query's matrix-vector products take well under a
    millisecond on one core; OpenBLAS's own thread pool only fights the request threads for the
    cores. Measured through ``Assistant.ask`` with the 28 agreements on 2 cores: 56, 79, 40 and
    15 questions/s at 1, 2, 4 and 8 threads before, 90, 172, 186 and 186 after."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


RRF_K = 60
LEXICAL_SHARE = 0.5  # BM25 as a share of its ceiling for the question, added to the cosine
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
class Hit:
    """A passage with its fused score and the two signals behind it."""

    passage: Passage
    score: float
    dense: float  # best cosine similarity of the question with the passage's views
    lexical: float  # BM25 score as a share of its ceiling for the question


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
    ):
        _single_threaded_blas()
        self.snapshot = snapshot
        self.embedder = embedder
        self.passages = snapshot.passages
        self.primary = primary if primary in snapshot.documents else None
        words = [tokens(lexical_text(p)) for p in self.passages]
        self._bm25 = BM25(words)
        rows_by_doc: dict[str, list[int]] = {}
        for row, p in enumerate(self.passages):
            rows_by_doc.setdefault(p.doc, []).append(row)
        self._rows_by_doc = {d: np.array(r) for d, r in rows_by_doc.items()}
        # A word's weight within one agreement comes from that agreement: "Canada" is rare
        # across 28 agreements but says nothing inside Canada's own (measured: +0.05 R@1 on
        # the tune half's Canada questions with all 28 loaded).
        self._bm25_of = {d: BM25([words[r] for r in rows]) for d, rows in rows_by_doc.items()}
        self._defines: dict[str, list[int]] = {}  # term -> rows of the passages defining it
        for row, p in enumerate(self.passages):
            for term in set(_DEFINED.findall(p.text)):
                self._defines.setdefault(term.replace("–", "-"), []).append(row)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

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

    def idf(self, term: str) -> float:
        """How rare a (stemmed) word is across the passages; 0 for words they never use."""
        return self._bm25.idf(term)

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

    def _dense(self, question: str) -> np.ndarray:
        """Every passage's best cosine over its views."""
        query = self.embed(question)
        return self.snapshot.views.best(query, self.snapshot.vectors.scores(query))

    def _lexical(self, words: list[str], docs: list[str] | None) -> np.ndarray:
        """BM25 of every passage for the question's ``words``, as a share of its ceiling (0 to
        1); within one agreement by that agreement's own statistics."""
        if docs is None or len(docs) != 1 or docs[0] not in self._bm25_of:
            return self._bm25.scores(words) / (self._bm25.ceiling(words) or 1.0)
        bm25 = self._bm25_of[docs[0]]
        out = np.zeros(len(self.passages), dtype=np.float32)
        out[self._rows_by_doc[docs[0]]] = bm25.scores(words) / (bm25.ceiling(words) or 1.0)
        return out

    def _boost(self, question: str) -> np.ndarray:
        """What the question's form adds to each passage: a section it names, a term it asks
        to define. Computed once per question, however many agreements are scored."""
        boost = np.zeros(len(self.passages), dtype=np.float32)
        boost[self._named_section_rows(question, np.arange(len(self.passages)))] += SECTION_BOOST
        boost[self._defining_rows(question)] += DEFINITION_BOOST
        return boost

    @staticmethod
    def _fused(dense: np.ndarray, lexical: np.ndarray, boost: np.ndarray, rows: np.ndarray):
        """Fused scores of ``rows``."""
        return dense[rows] + LEXICAL_SHARE * lexical[rows] + boost[rows]

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
        dense, lexical = self._dense(question), self._lexical(tokens(question), docs)
        fused = self._fused(dense, lexical, self._boost(question), rows)
        order = np.lexsort((rows, -fused))[:k]  # ties: document order
        return [self._hit(int(rows[i]), float(fused[i]), dense, lexical) for i in order]

    def best_per_document(self, question: str, docs: list[str]) -> dict[str, Hit]:
        """Each document's best passage for the question, as :meth:`search` within that
        document alone would find it, from one embedding of the question."""
        dense, words, boost = self._dense(question), tokens(question), self._boost(question)
        out = {}
        for doc in docs:
            rows = self._rows_by_doc.get(doc)
            if rows is not None:
                lexical = self._lexical(words, [doc])
                fused = self._fused(dense, lexical, boost, rows)
                best = int(np.argmax(fused))  # ties: the first in document order
                out[doc] = self._hit(int(rows[best]), float(fused[best]), dense, lexical)
        return out

    def _hit(self, row: int, score: float, dense: np.ndarray, lexical: np.ndarray) -> Hit:
        return Hit(self.passages[row], score, float(dense[row]), float(lexical[row]))

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
