"""The views a passage is indexed under, each embedded on its own; a passage scores the best
of them.

A passage's meaning does not always live in its own words: the item "(vi) provide any possible
assistance to develop combat demining capabilities" says who provides it only in its lead-in
("Canada will:") and what area only in its heading ("F. Humanitarian Demining"). So each passage
is embedded three ways:

- ``text``: the passage alone;
- ``context``: its heading path, its lead-in, then the passage;
- each of its sentences, when it has more than one (these also pick the highlight).

The quote shown is always the bare passage; the views only decide which passages are found.
"""

from __future__ import annotations

import numpy as np

from assistant.answer import sentences
from assistant.ingest.structure import Passage

LEAD_IN_CHARS = 400  # a long lead-in is cut: its opening names the actor and the topic


def text_view(passage: Passage) -> str:
    return passage.text


def context_view(passage: Passage) -> str:
    """Heading path, lead-in and passage, in the order a reader meets them.

    >>> section = ("Part IV", "F. Demining")
    >>> context_view(Passage("x", 3, section, "9(vi)", "item", 0, 9, "(vi) train", "Canada will:"))
    'Part IV > F. Demining | Canada will: | (vi) train'
    """
    parts = (" > ".join(passage.section), passage.context[:LEAD_IN_CHARS], passage.text)
    return " | ".join(part for part in parts if part)


def sentence_texts(passage: Passage) -> list[str]:
    """The sentences of a passage that get vectors of their own: none for a one-sentence passage
    (its text view is that sentence)."""
    spans = sentences(passage.text)
    return [passage.text[s:e] for s, e in spans] if len(spans) > 1 else []


class Grouped:
    """Rows of vectors owned by passages: ``counts[i]`` consecutive rows for passage ``i``.

    The sentences of multi-sentence passages, and the bank's questions, are stored this way.
    """

    def __init__(self, vectors: np.ndarray, counts) -> None:
        self.vectors = vectors
        counts = np.asarray(counts, dtype=np.int64)
        self.size = len(counts)
        self._owners = np.flatnonzero(counts)  # passages with rows
        self._starts = np.concatenate([[0], np.cumsum(counts)])[self._owners]
        self._rows = {
            int(i): (int(s), int(s + counts[i]))
            for i, s in zip(self._owners, self._starts, strict=True)
        }
        self.owner = np.repeat(np.arange(self.size), counts)  # row -> passage

    def __len__(self) -> int:
        return len(self.vectors)

    def rows(self, passage: int) -> tuple[int, int] | None:
        """The rows of passage ``passage``, or None when it has none."""
        return self._rows.get(passage)

    def best(self, query: np.ndarray, empty: float = -1.0) -> np.ndarray:
        """Per passage, the highest cosine of ``query`` with its rows (``empty`` when none)."""
        out = np.full(self.size, empty, dtype=np.float32)
        if len(self._owners):
            out[self._owners] = np.maximum.reduceat(self.vectors @ query, self._starts)
        return out


class Views:
    """The vectors of every view of every passage, and the best-of-views score for a query.

    ``context`` and ``text`` have one row per passage; ``sentences`` holds the sentences of the
    multi-sentence passages and ``bank`` the question bank's questions, each in passage order
    (see :class:`Grouped`).
    """

    def __init__(
        self,
        context: np.ndarray,
        text: np.ndarray,
        sentences: np.ndarray,
        counts,
        bank: np.ndarray | None = None,
        bank_counts=None,
    ):
        self.context = context
        self.text = text
        self.sentences = sentences
        self.split = Grouped(sentences, counts)
        if bank is None:
            bank, bank_counts = np.zeros((0, context.shape[1]), np.float32), [0] * len(context)
        self.bank = Grouped(bank, bank_counts)

    def sentence_rows(self, row: int) -> tuple[int, int] | None:
        """The sentence rows of passage ``row``, or None when it is one sentence."""
        return self.split.rows(row)

    def best(self, query: np.ndarray, context_scores: np.ndarray | None = None) -> np.ndarray:
        """Per passage, the highest cosine of ``query`` with any of its own views (text,
        context, sentences; the bank is :meth:`Grouped.best` of ``bank``).

        ``context_scores`` may be given when the context view lives in another store (Milvus).
        """
        best = np.maximum(
            self.context @ query if context_scores is None else context_scores, self.text @ query
        )
        return np.maximum(best, self.split.best(query))
