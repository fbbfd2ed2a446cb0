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


class Views:
    """The vectors of every view of every passage, and the best-of-views score for a query.

    ``context`` and ``text`` have one row per passage; ``sentences`` one row per sentence of the
    multi-sentence passages, in passage order (``counts[i]`` rows for passage ``i``).
    """

    def __init__(self, context: np.ndarray, text: np.ndarray, sentences: np.ndarray, counts):
        self.context = context
        self.text = text
        self.sentences = sentences
        counts = np.asarray(counts, dtype=np.int64)
        self._owners = np.flatnonzero(counts)  # passages with sentence rows
        self._starts = np.concatenate([[0], np.cumsum(counts)])[self._owners]
        self._rows = {
            int(i): (int(s), int(s + counts[i]))
            for i, s in zip(self._owners, self._starts, strict=True)
        }

    def sentence_rows(self, row: int) -> tuple[int, int] | None:
        """The sentence rows of passage ``row``, or None when it is one sentence."""
        return self._rows.get(row)

    def best(self, query: np.ndarray, context_scores: np.ndarray | None = None) -> np.ndarray:
        """Per passage, the highest cosine of ``query`` with any of its views.

        ``context_scores`` may be given when the context view lives in another store (Milvus).
        """
        best = np.maximum(
            self.context @ query if context_scores is None else context_scores, self.text @ query
        )
        if len(self._owners):
            per_sentence = self.sentences @ query
            best[self._owners] = np.maximum(
                best[self._owners], np.maximum.reduceat(per_sentence, self._starts)
            )
        return best
