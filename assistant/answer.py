"""Answers: ranked verbatim passages with citations, the best sentence highlighted, or an
honest abstention when the agreement does not address the question."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from assistant.search.lexical import tokens

# Below every bar the question is taken as not addressed (calibrated on answerable questions, the
# dev set and the tune half, and on bench/questions/off_topic_tune.jsonl; checked on
# bench/questions/off_topic.jsonl by tests/test_answer.py).
ABSTAIN_DENSE = 0.33
ABSTAIN_LEXICAL_SHARE = 0.6
# With the question bank, a question far from every bank question is evidence of its own, so the
# passage bar can rise: off-topic questions stay under 0.35 of any bank question.
ABSTAIN_DENSE_WITH_BANK = 0.36
ABSTAIN_BANK = 0.45
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+(?=[A-Z(“\"'])")
NOT_ADDRESSED = (
    "The agreement does not appear to address this question. "
    "The nearest clauses are shown for reference."
)


@dataclass(frozen=True)
class QuotedPassage:
    """One ranked passage as shown to users; ``text`` and ``highlight`` are verbatim spans."""

    rank: int
    doc: str
    title: str
    section: tuple[str, ...]
    number: str | None
    citation: str
    text: str
    highlight: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Answer:
    """The answer to one question: ``answer`` quotes the best sentence with its citation."""

    question: str
    abstained: bool
    answer: str
    passages: tuple[QuotedPassage, ...]
    also: tuple[str, ...] = ()  # other agreements that address the question (see compare)

    def to_dict(self) -> dict:
        """The JSON contract: exactly these fields, ``section`` and ``also`` as lists."""
        out = asdict(self)
        out["passages"] = [{**p, "section": list(p["section"])} for p in out["passages"]]
        out["also"] = list(self.also)
        return out


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences in ``text`` (semicolon-separated clauses count)."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def highlight_span(
    text: str, question_tokens: set[str], sentence_scores: list[float] | None = None
) -> tuple[int, int]:
    """The one or two adjacent sentences of ``text`` that best answer; offsets into ``text``.

    Scores each sentence by its dense similarity when given, plus the share of question words it
    contains; a very short best sentence is joined with its neighbour.
    """
    spans = sentences(text)
    if len(spans) == 1:
        return spans[0]
    scores = []
    for i, (s, e) in enumerate(spans):
        overlap = len(_words(text[s:e]) & question_tokens) / (len(question_tokens) or 1)
        dense = sentence_scores[i] if sentence_scores else 0.0
        scores.append(dense + overlap)
    best = int(np.argmax(scores))
    s, e = spans[best]
    if e - s < 80 and best + 1 < len(spans):
        e = spans[best + 1][1]
    return s, e


def should_abstain(
    top_dense: float,
    question: str,
    texts: list[str],
    top_bank: float | None = None,
    weight: Callable[[str], float] | None = None,
) -> bool:
    """Abstain when neither meaning (best cosine with the passages, and with their bank
    questions when ``top_bank`` is given) nor words (the largest share of the question's content
    words found in one passage, each word weighted by ``weight``, its rarity, when given: "war"
    and the partner's own name say little) connect the question to the passages found."""
    asked = frozenset(tokens(question))  # not cached: each question is new, the cache would grow
    weight = weight or (lambda word: 1.0)
    total = sum(weight(w) for w in asked) or 1.0
    shared = max((sum(weight(w) for w in asked & _words(t)) / total for t in texts), default=0.0)
    if shared >= ABSTAIN_LEXICAL_SHARE:
        return False
    if top_bank is None or top_bank <= -1.0:  # no bank for these passages
        return top_dense < ABSTAIN_DENSE
    return top_dense < ABSTAIN_DENSE_WITH_BANK and top_bank < ABSTAIN_BANK


@lru_cache(maxsize=65536)
def _words(text: str) -> frozenset[str]:
    # Passages and their sentences only: they are checked again and again (every answer, every
    # agreement compared), and there are as many as the corpus has, so the cache stays bounded.
    return frozenset(tokens(text))
