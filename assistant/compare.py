"""One question put to every agreement in scope: each agreement's own best clause side by side,
or a plain "not addressed" when nothing in it clears the relevance bar."""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass

from assistant.answer import QuotedPassage, should_abstain
from assistant.citations import document_name
from assistant.errors import UnknownDocumentError
from assistant.figures import quantities
from assistant.language import detect_language, document_notice
from assistant.search.retrieve import Hit

log = logging.getLogger(__name__)

NOT_ADDRESSED = "not addressed"
RERANK = 5  # passages per agreement reranked by the kind of answer the question wants
KIND_BONUS = 0.3  # for a passage stating the kind of figure asked for
CONSENSUS_SHARE = 0.75  # of the median best score across agreements: below, not addressed
CONSENSUS_MIN = 3  # agreements needed before the median counts
_ASKS_FOR = (
    (
        "duration",
        re.compile(
            r"\b(how (soon|quickly|long|fast)|within how|how many "
            r"(hours|days|weeks|months|years))\b",
            re.IGNORECASE,
        ),
    ),
    ("amount", re.compile(r"\bhow much (money|funding|support|aid)\b", re.IGNORECASE)),
    ("date", re.compile(r"\b(when|what date|which date)\b", re.IGNORECASE)),
)


@dataclass(frozen=True)
class Row:
    """One agreement's answer: its best passage, or None with a note saying why."""

    doc: str
    title: str
    partner: str
    passage: QuotedPassage | None
    note: str  # "" when the passage answers in the question's language


@dataclass(frozen=True)
class Comparison:
    """The question and one row per agreement in scope, in document order."""

    question: str
    results: tuple[Row, ...]

    def to_dict(self) -> dict:
        out = asdict(self)
        out["results"] = list(out["results"])
        for row in out["results"]:
            if row["passage"] is not None:
                row["passage"]["section"] = list(row["passage"]["section"])
        return out

    def addressed(self) -> list[str]:
        """Ids of the agreements that answered."""
        return [r.doc for r in self.results if r.passage is not None]


def compare(assistant, question: str, docs: list[str] | None = None) -> Comparison:
    """The best passage of each agreement in ``docs`` (all when None) for ``question``.

    Each agreement's top passages are reranked by the kind of answer the question asks for
    ("how soon" wants a duration). A passage is kept when it clears the bar
    :meth:`Assistant.ask` uses to abstain and is not far below the other agreements' matches
    (an agreement without the clause gets "not addressed", not its nearest paragraph). An
    agreement in another language than the question says so; for it the passage that states
    the figure most other agreements' answers share ("24") is offered as a best match.
    """
    question = assistant.check_question(question)
    wanted = list(docs) if docs else sorted(assistant.documents)
    unknown = [d for d in wanted if d not in assistant.documents]
    if unknown:
        raise UnknownDocumentError(
            f"No document '{unknown[0]}' in the index. Known: "
            f"{', '.join(sorted(assistant.documents))}."
        )
    asked = detect_language(question)
    kind = expected_kind(question)
    best = {doc: _best_hit(assistant, question, doc, kind) for doc in wanted}
    same = _answering(assistant, question, asked, best)
    bar = consensus_bar(same)
    shared = shared_numbers([h.passage.text for h in same])
    rows = tuple(_row(assistant, question, asked, d, best[d], bar, shared) for d in wanted)
    log.debug(
        "compare %r: %d of %d addressed", question, len(Comparison("", rows).addressed()), len(rows)
    )
    return Comparison(question, rows)


def addressed_in(assistant, question: str, docs: list[str]) -> list[str]:
    """The agreements among ``docs`` whose best passage clears the bar :func:`compare` uses
    (one scoring pass, so an answer can say cheaply where else the question is addressed)."""
    best = assistant.retriever.best_per_document(question, docs)
    same = _answering(assistant, question, detect_language(question), best)
    bar = consensus_bar(same)
    return [h.passage.doc for h in same if h.meaning >= bar]


def _answering(assistant, question: str, asked: str, best: dict) -> list[Hit]:
    """The best hits, in the question's language, that do not abstain."""
    return [
        h
        for d, h in best.items()
        if h is not None
        and assistant.documents[d].info.language == asked
        and not should_abstain(h.dense, question, [h.passage.text], h.bank)
    ]


def consensus_bar(hits: list[Hit]) -> float:
    """The cosine an agreement's best passage needs: a share of the median across agreements
    (0 with too few agreements for a median to mean anything)."""
    dense = sorted(h.meaning for h in hits)
    return CONSENSUS_SHARE * dense[len(dense) // 2] if len(dense) >= CONSENSUS_MIN else 0.0


def expected_kind(question: str) -> str | None:
    """The kind of figure the question asks for, if any.

    >>> expected_kind("How soon will they consult?"), expected_kind("What is GSOIA?")
    ('duration', None)
    """
    for kind, pattern in _ASKS_FOR:
        if pattern.search(question):
            return kind
    return None


def shared_numbers(texts: list[str]) -> set[str]:
    """Numbers (in digits) that more than half of ``texts`` contain.

    >>> sorted(shared_numbers(["within 24 hours", "24 hours, 3 days", "in 24 hours"]))
    ['24']
    """
    counts: dict[str, int] = {}
    for text in texts:
        for number in set(re.findall(r"(?<![\d.,])\d+(?![\d.,]\d)", text)):
            counts[number] = counts.get(number, 0) + 1
    return {n for n, c in counts.items() if c > len(texts) / 2}


def _best_hit(assistant, question: str, doc: str, kind: str | None) -> Hit | None:
    hits = assistant.retriever.search(question, k=RERANK, docs=[doc])
    if kind is None or not hits:
        return hits[0] if hits else None
    bonus = [KIND_BONUS * any(q.kind == kind for q in quantities(h.passage.text)) for h in hits]
    return max(zip(hits, bonus, strict=True), key=lambda hb: hb[0].score + hb[1])[0]


def _row(
    assistant, question: str, asked: str, doc: str, hit: Hit | None, bar: float, shared: set[str]
) -> Row:
    info = assistant.documents[doc].info
    partner = partner_name(info)
    language = document_notice(asked, info.language)
    if language and shared:
        hit = _by_numbers(assistant, doc, shared) or hit
    relevant = hit is not None and (
        (language and hit.passage.text and _states(hit.passage.text, shared))
        or (
            not should_abstain(hit.dense, question, [hit.passage.text], hit.bank)
            and hit.meaning >= bar
        )
    )
    if not relevant:
        note = f"{NOT_ADDRESSED}; {language}" if language else NOT_ADDRESSED
        return Row(doc, info.title, partner, None, note)
    passage = assistant.answer_hits(question, [hit]).passages[0]
    if language and shared:
        language += f"; best match by the figure {', '.join(sorted(shared))} alone"
    return Row(doc, info.title, partner, passage, language or "")


def partner_name(info) -> str:
    """The partner's short name as citations use it ("United Kingdom", not its full style)."""
    name = document_name(info)
    suffix = "-Ukraine Agreement"
    return name[: -len(suffix)] if name.endswith(suffix) else (info.partners or (info.doc,))[0]


def _states(text: str, numbers: set[str]) -> bool:
    return bool(numbers) and all(re.search(rf"(?<![\d.,]){n}(?![\d])", text) for n in numbers)


def _by_numbers(assistant, doc: str, numbers: set[str]) -> Hit | None:
    """The first body passage of ``doc`` stating all ``numbers``: a match across languages."""
    for p in assistant.documents[doc].passages:
        if p.kind in ("paragraph", "item", "text") and _states(p.text, numbers):
            return Hit(p, 0.0, 0.0, 0.0)
    return None
