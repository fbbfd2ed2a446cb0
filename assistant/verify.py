"""Checking a claim against the agreement, part by part: who commits, how firmly, whether at
all (:mod:`assistant.commitments`), what, and the figures, durations, dates and places
(:mod:`assistant.figures`, compared after normalising how they are written). The weakest part
decides the verdict, and the verdict lists every part with what the claim and the clause say.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass

from assistant import commitments
from assistant.answer import QuotedPassage, sentences
from assistant.figures import Mismatch, Quantity, check_figures, matches, quantities
from assistant.search.lexical import tokens

log = logging.getLogger(__name__)

# The claim's content words one passage must hold to support it (share), or to be related.
SUPPORTED_COVERAGE = 0.5
PARTIAL_COVERAGE = 0.3
SUPPORTED_DENSE = 0.6  # a paraphrase close enough in meaning counts even with other words
PARTIAL_DENSE = 0.45
CANDIDATES = 5  # passages a claim is checked against
# "What": the claim's action and object (its words beyond actor and modal verb) must be in the
# clause, as words (this share of their weight) or as a close paraphrase (this cosine).
WHAT_COVERAGE = 0.5
WHAT_DENSE = 0.65
NEAR_COVERAGE = 0.15  # clauses this close to the best match are all checked part by part


@dataclass(frozen=True)
class Check:
    """One part of a claim checked against its clause: what each says, and how they compare.

    ``status``: "ok"; "contradicted" (another actor, a negation one side lacks, a figure stated
    differently); "overstated" (firmer than the clause); "not found" (no clause makes it);
    "not stated" (the claim or the clause does not say, so there is nothing to compare).
    """

    part: str  # "who", "how firmly", "whether", "what" or "figures"
    status: str
    claim: str
    clause: str
    citation: str = ""


@dataclass(frozen=True)
class Verdict:
    """Whether a claim is "supported", "partial" or "unsupported", with the evidence, every
    part checked (``checks``) and the part that decided (``decided_by``)."""

    claim: str
    verdict: str
    passages: tuple[QuotedPassage, ...]  # the strongest evidence first
    mismatches: tuple[Mismatch, ...]
    coverage: float  # share of the claim's content words in the first passage
    absent: tuple[str, ...] = ()  # figures of the claim no passage states
    checks: tuple[Check, ...] = ()
    decided_by: str = ""  # the part whose check decided the verdict ("all parts" when supported)

    def to_dict(self) -> dict:
        """The JSON contract: these fields, tuples as lists."""
        out = asdict(self)
        out["passages"] = [{**p, "section": list(p["section"])} for p in out["passages"]]
        out["mismatches"] = list(out["mismatches"])
        out["absent"] = list(out["absent"])
        out["checks"] = list(out["checks"])
        return out


def coverage(claim_words: set[str], text: str, weight=None) -> float:
    """The share of the claim's content words (stemmed) that ``text`` contains, each word
    weighted by ``weight(word)`` (1 when None): rare words count more than "Canada"."""
    weight = weight or (lambda word: 1.0)
    total = sum(weight(w) for w in claim_words)
    found = set(tokens(text))
    return sum(weight(w) for w in claim_words & found) / (total or 1.0)


def _idf_weight(retriever):
    """IDF over the passages; a word the corpus never uses weighs as much as the rarest."""
    rarest = retriever.max_idf()
    return lambda word: retriever.idf(word) or rarest


def _content_words(claim: str, figures: list[Quantity]) -> set[str]:
    for q in sorted(figures, key=lambda q: -q.start):  # figures are checked on their own
        claim = claim[: q.start] + " " + claim[q.end :]
    return set(tokens(claim))


def verify(assistant, claim: str, doc: str | None = None, k: int = CANDIDATES) -> Verdict:
    """Check ``claim`` part by part against the passages retrieval finds for it; the weakest
    part decides.

    The parts: who commits, how firmly, whether at all (:mod:`assistant.commitments`), what
    (the claim's action and object must be in the clause, as words or a close paraphrase), and
    the figures, durations, dates and places (each also looked up with the words around it,
    since a long claim's own search may not reach the clause that states its figure).
    Unsupported: a figure stated differently, another actor, a negation one side lacks, or an
    action no clause makes. Partial: firmer than the clause, or only part of the claim's words
    found. Supported: every part holds.
    """
    claim = assistant.check_question(claim, "claim")
    retriever = assistant.retriever
    scope = retriever.scope(claim, doc)
    hits = retriever.search(claim, k=k, docs=scope)
    figures = quantities(claim)
    around = {q: retriever.search(_window(claim, q), k=3, docs=scope) for q in figures}
    words = _content_words(claim, figures)
    weight = _idf_weight(retriever)
    covered = [coverage(words, _evidence_text(h.passage), weight) for h in hits]
    confirmed = [_confirmed_share(figures, h.passage.text) for h in hits]
    strength = [c + h.dense + f for c, h, f in zip(covered, hits, confirmed, strict=True)]
    order = sorted(range(len(hits)), key=lambda i: (-strength[i], i))
    related = [
        hits[i] for i in order if covered[i] >= PARTIAL_COVERAGE or hits[i].dense >= PARTIAL_DENSE
    ] or [hits[i] for i in order[:1]]
    mismatches, absent = _check_claim(assistant, figures, related, around)
    if not hits:
        checks = (Check("what", "not found", claim, "no clause found"),)
        return Verdict(
            claim, "unsupported", (), tuple(mismatches), 0.0, tuple(absent), checks, "what"
        )
    said = commitments.read(claim, hits[order[0]].passage.doc)
    near = [i for i in order if covered[i] >= covered[order[0]] - NEAR_COVERAGE][:3]
    judged = {i: _parts(assistant, claim, said, hits[i], figures, weight) for i in near}
    best = min(near, key=lambda i: (_severity(judged[i]), order.index(i)))
    checks = [*judged[best], _figure_check(figures, mismatches, absent)]
    held = covered[best]
    if said.actor is None and len(order) > 1:  # a summary may join two neighbouring clauses
        joined = " ".join(_evidence_text(hits[i].passage) for i in order[:2])
        held = max(held, coverage(words, joined, weight))
    verdict, decided_by = _decide(checks, held, hits[best].dense)
    log.debug("verify %r: %s (%s)", claim, verdict, decided_by)
    answer = assistant.answer_hits(claim, hits)
    first = [best] + [i for i in order if i != best]
    return Verdict(
        claim,
        verdict,
        tuple(answer.passages[i] for i in first),
        tuple(mismatches),
        round(covered[best], 4),
        tuple(absent),
        tuple(checks),
        decided_by,
    )


def _parts(assistant, claim: str, said, hit, figures: list[Quantity], weight) -> list[Check]:
    """Who, how firmly, whether and what: the claim against one clause (its best sentence, read
    with the passage's lead-in and heading)."""
    from assistant.citations import citation

    p = hit.passage
    where = citation(assistant.documents[p.doc].info, p)
    claim_words = _content_words(claim, figures)
    spans = sentences(p.text)
    best = max(
        range(len(spans)), key=lambda i: coverage(claim_words, _span(p.text, spans[i]), weight)
    )
    sentence = _span(p.text, spans[best])
    heading = p.section[-1] if p.section else ""
    clause = commitments.read(sentence, p.doc, p.context, heading)
    if clause.actor is None and best and _ELABORATES.match(sentence):
        # "This may include seminars ...": the commitment is the sentence it elaborates.
        sentence = _span(p.text, spans[best - 1])
        clause = commitments.read(sentence, p.doc, p.context, heading)
    checks = [_who(said, clause, where), _how_firmly(said, clause, where)]
    checks.append(_whether(said, clause, where))
    if said.actor is None:
        # No party commits in the claim ("Reaffirmation of Canada's support for ...", "Any
        # future aggression will prompt consultations"): a summary, judged on its words and
        # meaning as a whole (see _verdict), not on one action.
        found = coverage(claim_words, _evidence_text(p), weight) >= PARTIAL_COVERAGE
        found = found or hit.dense >= PARTIAL_DENSE
    else:
        action = _content_words(said.action, quantities(said.action))
        action -= set(tokens(said.actor_text))
        found = coverage(action or claim_words, _evidence_text(p), weight) >= WHAT_COVERAGE
        found = found or hit.dense >= WHAT_DENSE
    status = "ok" if found else "not found"
    checks.append(Check("what", status, said.action or claim, sentence, where))
    return checks


_ELABORATES = re.compile(r"^\s*(?:this|these|such|that|those|it)\b", re.IGNORECASE)


def _span(text: str, span: tuple[int, int]) -> str:
    return text[span[0] : span[1]]


def _who(said, clause, where: str) -> Check:
    if said.actor is None or clause.actor is None:
        return Check("who", "not stated", said.actor_text, clause.actor_text, where)
    status = "ok" if said.actor <= clause.actor else "contradicted"
    return Check("who", status, said.actor_text, clause.actor_text, where)


def _how_firmly(said, clause, where: str) -> Check:
    if said.strength is None or clause.strength is None:
        return Check("how firmly", "not stated", said.strength_text, clause.strength_text, where)
    status = "overstated" if said.strength > clause.strength else "ok"
    return Check("how firmly", status, said.strength_text, clause.strength_text, where)


def _whether(said, clause, where: str) -> Check:
    status = "ok" if said.negated == clause.negated else "contradicted"
    return Check(
        "whether",
        status,
        said.negation_text or "(no negation)",
        clause.negation_text or "(no negation)",
        where,
    )


def _figure_check(figures: list[Quantity], mismatches: list, absent: list) -> Check:
    if mismatches:
        m = mismatches[0]
        return Check("figures", "contradicted", m.claim, m.found, m.citation)
    if absent:
        return Check("figures", "not found", ", ".join(absent), "", "")
    if not figures:
        return Check("figures", "not stated", "", "")
    return Check("figures", "ok", ", ".join(q.text for q in figures), "stated")


_SEVERITY = {"contradicted": 3, "not found": 2, "overstated": 1}


def _severity(checks: list[Check]) -> tuple[int, ...]:
    """How bad a clause's checks are, worst part first: for choosing the clause a claim is
    judged by among near-equal matches."""
    return tuple(sorted((_SEVERITY.get(c.status, 0) for c in checks), reverse=True))


def _decide(checks: list[Check], covered: float, dense: float) -> tuple[str, str]:
    """The verdict and the part that decided it: the weakest part wins."""
    by_part = {c.part: c for c in checks}
    for part in ("figures", "who", "whether"):
        if by_part[part].status == "contradicted":
            return "unsupported", part
    if by_part["what"].status == "not found":
        return "unsupported", "what"
    if by_part["how firmly"].status == "overstated":
        return "partial", "how firmly"
    verdict = _verdict(covered, dense, False, by_part["figures"].status == "not found")
    if verdict == "supported":
        return verdict, "all parts"
    return verdict, "figures" if by_part["figures"].status == "not found" else "what"


def _check_claim(
    assistant, figures: list[Quantity], related: list, around: dict
) -> tuple[list[Mismatch], list[str]]:
    """Check the figures together first: against the passage confirming most of them (a place
    weighing half), so "signed in Ottawa on February 24, 2024" is held to the signature block
    that has the date, not to another clause "done at Ottawa"; then each figure left unstated
    there against the passages found for the claim and for the words around the figure."""
    pool = list(
        {h.passage.id: h for h in [*related, *(h for q in figures for h in around[q])]}.values()
    )
    anchor = max(pool, key=lambda h: _confirmed_weight(figures, h.passage.text), default=None)
    mismatches, unchecked = [], figures
    if len(figures) > 1 and anchor and _confirmed_weight(figures, anchor.passage.text):
        mismatches, absent = check_figures(figures, [_cited(assistant, anchor)])
        unchecked = [q for q in figures if q.text in absent]
    absent = []
    for q in unchecked:
        wrong, missing = check_figures([q], [_cited(assistant, h) for h in related + around[q]])
        mismatches += wrong
        absent += missing
    return mismatches, absent


def _confirmed_weight(figures: list[Quantity], text: str) -> float:
    stated = quantities(text)
    return sum(
        (0.5 if q.kind == "place" else 1.0) * any(matches(q, s) for s in stated) for q in figures
    )


def _window(claim: str, figure: Quantity, before: int = 2, after: int = 1) -> str:
    """The figure with a few words either side, durations also in digits ("effective for a
    decade 10 years"): what to search to find the clause that states the figure."""
    left = claim[: figure.start].split()[-before:]
    right = claim[figure.end :].split()[:after]
    extra = [f"{figure.value}s"] if figure.kind == "duration" else []
    return " ".join([*left, figure.text, *extra, *right])


def _confirmed_share(figures: list[Quantity], text: str) -> float:
    """The share of the claim's figures that ``text`` states (places by name)."""
    if not figures:
        return 0.0
    stated = quantities(text)
    hits = sum(
        (q.value in text) if q.kind == "place" else any(matches(q, s) for s in stated)
        for q in figures
    )
    return hits / len(figures)


def _cited(assistant, hit) -> tuple[str, str]:
    from assistant.citations import citation

    p = hit.passage
    return p.text, citation(assistant.documents[p.doc].info, p)


def _evidence_text(passage) -> str:
    heading = passage.section[-1] if passage.section else ""
    return f"{passage.text} {passage.context} {heading}"


def _verdict(covered: float, dense: float, mismatched: bool, absent: bool) -> str:
    if mismatched:
        return "unsupported"
    close = covered >= SUPPORTED_COVERAGE or (
        dense >= SUPPORTED_DENSE and covered >= PARTIAL_COVERAGE
    )
    if close and not absent:
        return "supported"
    if covered >= PARTIAL_COVERAGE or dense >= PARTIAL_DENSE:
        return "partial"
    return "unsupported"
