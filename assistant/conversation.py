"""Follow-up questions without a generative model: a question that leans on the one before
("and can either side leave earlier?", "what about the UK?") is retrieved with the earlier
turn's topic words and document scope carried over, and the two rankings fused.

Measured on two-turn dialogues about the Canada agreement (``bench/followups.py``); the fused
strategy is the default because it keeps what the follow-up says on its own while letting the
earlier topic break ties (see the README for the figures).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace

from assistant.answer import Answer
from assistant.search.lexical import STOPWORDS, tokens
from assistant.search.retrieve import Hit, fuse
from assistant.search.scope import named_documents

log = logging.getLogger(__name__)

STRATEGIES = ("none", "carry", "fuse")
POOL = 20  # passages per ranking fused
CARRIED_WEIGHT = 0.5  # the carried ranking breaks ties; the follow-up's own words lead
_CUE = re.compile(
    r"^\s*(?:and|also|but|so|or|then|what about|how about|and what|what if|same for|"
    r"and if|and for|and how|and when|and who|and can|and does|and will|and is)\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(
    r"\b(?:it|its|they|them|their|this|that|these|those|there|then|either side|either|"
    r"both sides|each side|the same|earlier|later|instead)\b",
    re.IGNORECASE,
)
# Words of a question that name no topic ("what does the agreement say about ...").
_GENERIC = frozenset(
    """agreement agreements cussp canada canadian ukraine ukrainian participant participants
    side sides party parties text clause clauses document deal treaty either both each
    earlier later else anyth also much many long soon often against within without provide
    give make happen happens""".split()
)
SHORT = 3  # a question with at most this many topic words may lean on the previous one


@dataclass(frozen=True)
class Turn:
    """One exchange: what the user typed, what was searched, where, and the answer."""

    question: str
    query: str  # the question with carried topic words ("" when not a follow-up)
    docs: tuple[str, ...]
    follow_up: bool
    answer: Answer


def topic_words(question: str) -> list[str]:
    """The question's words that name its topic, in order, as typed.

    >>> topic_words("How long does the Canada agreement last?")
    ['last']
    >>> topic_words("What will Canada do about sanctions?")
    ['sanctions']
    """
    words = re.findall(r"[\w’'\-$]+", question)
    return [
        w
        for w in words
        if w.lower() not in STOPWORDS
        and w.lower() not in _GENERIC
        and tokens(w)
        and tokens(w)[0] not in _GENERIC
        and w.lower() not in {"how", "what", "when", "who", "which", "why", "where"}
    ]


def is_follow_up(question: str) -> bool:
    """Does the question lean on an earlier one: a cue ("and ...", "what about ..."), a pronoun
    with no topic of its own, or just a few topic words?

    >>> is_follow_up("and can either side leave earlier?"), is_follow_up("What is GSOIA?")
    (True, False)
    """
    topic = topic_words(question)
    if _CUE.match(question):
        return True
    if _PRONOUN.search(question) and len(topic) <= SHORT:
        return True
    return not topic and len(question.split()) <= 4


class Conversation:
    """A dialogue with the assistant: each question may follow up on the previous turns.

    >>> chat = Conversation(bot)  # doctest: +SKIP
    >>> chat.ask("How long does the agreement last?")  # doctest: +SKIP
    >>> chat.ask("and can either side leave earlier?").passages[0].citation  # doctest: +SKIP
    'Canada-Ukraine Agreement, Part VIII, D, para. 1'
    """

    def __init__(self, assistant, strategy: str = "fuse", carried_weight: float = CARRIED_WEIGHT):
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, not {strategy!r}")
        self.assistant = assistant
        self.strategy = strategy
        self.carried_weight = carried_weight
        self._turns: list[Turn] = []

    @property
    def turns(self) -> tuple[Turn, ...]:
        return tuple(self._turns)

    def reset(self) -> None:
        """Forget the earlier turns: the next question starts a new topic."""
        self._turns.clear()

    def ask(self, question: str, k: int = 5, doc: str | None = None) -> Answer:
        """Answer ``question`` like :meth:`Assistant.ask`, resolving it against earlier turns.

        ``answer.question`` is the user's text; when the question is not in English the answer
        says so first.
        """
        bot = self.assistant
        question = bot.check_question(question)
        if doc and doc not in bot.documents:
            bot.ask(question, k=1, doc=doc)  # raises the UnknownDocumentError users know
        previous = self._turns[-1] if self._turns else None
        follow_up = previous is not None and is_follow_up(question)
        docs = self._scope(question, doc, previous if follow_up else None)
        query = self._query(question, previous) if follow_up else ""
        hits = self._search(question, query, k, docs)
        # An elliptical follow-up ("and can either side leave earlier?") shares few words with
        # any clause; it continues a topic the previous turn found addressed, so it is answered.
        answered = follow_up and not previous.answer.abstained
        answer = bot.answer_hits(query or question, hits, may_abstain=not answered)
        answer = replace(answer, question=question)
        self._turns.append(Turn(question, query, tuple(docs), follow_up, answer))
        log.debug("turn %d: follow-up=%s query=%r", len(self._turns), follow_up, query)
        return answer

    def _scope(self, question: str, doc: str | None, previous: Turn | None) -> list[str]:
        """The documents asked about: named now, else (for a follow-up) those of the last turn."""
        retriever = self.assistant.retriever
        scope = retriever.scope(question, doc)
        named = doc or len(scope) < len(self.assistant.documents)
        if previous is not None and not named:
            return list(previous.docs)
        return scope

    def _query(self, question: str, previous: Turn) -> str:
        """The question plus the earlier turn's topic words it does not repeat."""
        own = {w.lower() for w in topic_words(question)}
        earlier = topic_words(previous.query or previous.question)
        infos = [d.info for d in self.assistant.documents.values()]
        carried = [
            w
            for w in dict.fromkeys(earlier)
            if w.lower() not in own and not named_documents(w, infos)  # scope says where
        ]
        return " ".join([question, *carried])

    def _search(self, question: str, query: str, k: int, docs: list[str]) -> list[Hit]:
        retriever = self.assistant.retriever
        if not query or self.strategy == "none":
            return retriever.search(question, k=k, docs=docs)
        if self.strategy == "carry":
            return retriever.search(query, k=k, docs=docs)
        own = retriever.search(question, k=POOL, docs=docs)
        carried = retriever.search(query, k=POOL, docs=docs)
        return fused_hits(own, carried, k, self.carried_weight)


def fused_hits(
    own: list[Hit], carried: list[Hit], k: int, carried_weight: float = CARRIED_WEIGHT
) -> list[Hit]:
    """The top ``k`` of two rankings by reciprocal rank fusion, the follow-up's own first."""
    by_id = {h.passage.id: h for h in carried} | {h.passage.id: h for h in own}
    ids = list(by_id)
    index = {pid: i for i, pid in enumerate(ids)}
    scores = fuse(
        [[index[h.passage.id] for h in own], [index[h.passage.id] for h in carried]],
        [1.0, carried_weight],
    )
    best = sorted(scores, key=lambda i: (-scores[i], i))[:k]
    return [by_id[ids[i]] for i in best]  # each keeps the score of the search that found it
