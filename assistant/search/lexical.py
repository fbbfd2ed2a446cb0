"""A small BM25 index in numpy, with the tokenizer and light stemmer it needs.

Why our own: ``rank_bm25`` scores zero on small corpora (its IDF goes negative), and the corpus
is small enough that building postings at load time costs milliseconds, so nothing is stored.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np

_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*[a-z]?|[\u0400-\u04ff']+")
STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been being
    both but by can could did do does doing down during each few for from further had has have
    having he her here hers how i if in into is it its itself just me more most my no nor not
    now of off on once only or other our ours out over own same she should so some such than
    that the their theirs them then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    s t don anything something mentioned mention say says said regarding get got tell""".split()
)


def normalise(text: str) -> str:
    """Fold quotes, dashes and case so that 'Ukraine’s' and "Ukraine's" match."""
    text = unicodedata.normalize("NFKC", text)
    for a, b in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("–", "-"), ("—", "-")):
        text = text.replace(a, b)
    return text.lower()


# Adjectives of the places these texts name, so "Russia" meets "Russian aggression".
_DEMONYMS = {
    "russian": "russia",
    "ukrainian": "ukraine",
    "ukrainians": "ukraine",
    "canadian": "canada",
    "canadians": "canada",
    "european": "europe",
    "american": "america",
    "british": "britain",
}


def stem(word: str) -> str:
    """A deliberately light suffix stripper: plurals, -ing, -ed, -ly, -ation (enough for BM25)."""
    word = _DEMONYMS.get(word, word)
    if len(word) <= 3 or word[0].isdigit():
        return word
    for suffix, repl in (
        ("ations", "ate"),
        ("ation", "ate"),
        ("ies", "y"),
        ("ing", ""),
        ("ed", ""),
        ("ly", ""),
        ("es", ""),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            if suffix == "es" and not word.endswith(("ches", "shes", "sses", "xes")):
                continue
            return _drop_e(word[: len(word) - len(suffix)] + repl)
    return _drop_e(word)


def _drop_e(word: str) -> str:
    # "update" and "updating" must meet: strip a final silent e after suffix stripping.
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def tokens(text: str) -> list[str]:
    """Stemmed content words.

    >>> tokens("Ukraine's defence forces")
    ['ukrain', 'defenc', 'forc']
    """
    text = normalise(text).replace("'s ", " ")
    return [stem(t) for t in _TOKEN.findall(text) if t not in STOPWORDS]


class BM25:
    """Okapi BM25 over pre-tokenised documents; ``scores(query)`` returns one float per document."""

    def __init__(self, documents: Sequence[list[str]], k1: float = 1.2, b: float = 0.75):
        self.size = len(documents)
        lengths = np.array([len(d) for d in documents], dtype=np.float32)
        average = float(lengths.mean()) if self.size else 1.0
        self._norm = k1 * (1 - b + b * lengths / max(average, 1.0))
        self._k1 = k1
        postings: dict[str, list[tuple[int, int]]] = {}
        for i, doc in enumerate(documents):
            for term, count in Counter(doc).items():
                postings.setdefault(term, []).append((i, count))
        self._postings = {
            term: (np.array([i for i, _ in rows]), np.array([c for _, c in rows], dtype=np.float32))
            for term, rows in postings.items()
        }
        self._idf = {
            term: math.log(1 + (self.size - len(rows) + 0.5) / (len(rows) + 0.5))
            for term, rows in postings.items()
        }

    def idf(self, term: str) -> float:
        return self._idf.get(term, 0.0)

    @property
    def max_idf(self) -> float:
        """The IDF of the rarest word (1.0 for an empty index)."""
        return max(self._idf.values(), default=1.0)

    def ceiling(self, query: Sequence[str]) -> float:
        """The score no document can reach: every query word present, term frequency saturated.

        Dividing by it says how much of the question's information a passage matches, so a
        passage sharing only a common word ("agreement") stays low even when nothing matches
        better.

        >>> bm25 = BM25([["a", "b"], ["b"]])
        >>> bm25.ceiling(["b", "b", "c"]) == 2 * (1.2 + 1) * bm25.idf("b")  # "c" is unknown
        True
        """
        return sum(self._idf.get(term, 0.0) for term in query) * (self._k1 + 1)

    def scores(self, query: Sequence[str], weights: Sequence[float] | None = None) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float32)
        weights = weights or [1.0] * len(query)
        for term, weight in zip(query, weights, strict=True):
            if term not in self._postings:
                continue
            rows, counts = self._postings[term]
            tf = counts * (self._k1 + 1) / (counts + self._norm[rows])
            out[rows] += weight * self._idf[term] * tf
        return out
