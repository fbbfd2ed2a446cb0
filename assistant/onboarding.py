"""A newcomer's path through an agreement, derived from its text alone and quoted verbatim:
a tour section by section, a glossary of acronyms and defined terms, the key figures, and a
quiz built from them. Deterministic: the same corpus gives the same tour, facts and quiz.

Every quoted sentence is an exact span of the document's canonical text at the recorded
``start``/``end`` offsets.
"""

from __future__ import annotations

import logging
import random
import re
from dataclasses import asdict, dataclass

import numpy as np

from assistant.answer import sentences
from assistant.citations import citation, section_label
from assistant.errors import UnknownDocumentError
from assistant.figures import quantities
from assistant.ingest.structure import Passage

log = logging.getLogger(__name__)

BODY = ("paragraph", "item", "text")
STARTERS = (
    "What does the agreement say about {topic}?",
    "What are the commitments on {topic}?",
    "What will the Participants do on {topic}?",
    "What is agreed on {topic}?",
)
FACT_KINDS = ("amount", "duration", "date", "percent")


def _jsonable(value):
    """``asdict`` output with tuples as lists: exactly what ``--json`` prints."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class Quote:
    """A verbatim span of a document with its citation."""

    text: str
    doc: str
    citation: str
    start: int
    end: int


@dataclass(frozen=True)
class TourStop:
    """One section of the agreement: what it is called, its size, the sentences that carry it,
    and questions the assistant answers from it."""

    doc: str
    section: tuple[str, ...]
    title: str
    paragraphs: int
    key_sentences: tuple[Quote, ...]
    questions: tuple[str, ...]

    def to_dict(self) -> dict:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class GlossaryEntry:
    term: str
    expansion: str
    kind: str  # "acronym" or "defined term"
    doc: str
    citation: str
    start: int  # offsets of the defining words ("... (GSOIA)") in the document
    end: int

    def to_dict(self) -> dict:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class Fact:
    kind: str  # "amount", "duration", "date", "percent" or "signed"
    value: str  # as written in the sentence
    sentence: str
    doc: str
    citation: str
    start: int  # offsets of the sentence in the document
    end: int

    def to_dict(self) -> dict:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class QuizItem:
    question: str
    choices: tuple[str, ...]
    answer: str
    passage: Quote

    def to_dict(self) -> dict:
        return _jsonable(asdict(self))


def one_document(assistant, doc: str | None) -> str:
    """``doc``, or the only indexed document; names the choices when there are several."""
    if doc is None and len(assistant.documents) == 1:
        return next(iter(assistant.documents))
    if doc in assistant.documents:
        return doc
    known = ", ".join(sorted(assistant.documents))
    if doc is None:
        raise UnknownDocumentError(
            f"{len(assistant.documents)} agreements are indexed; choose one with --doc "
            f"(doc=...). Known: {known}."
        )
    raise UnknownDocumentError(f"No document '{doc}' in the index. Known: {known}.")


def _quote(assistant, passage: Passage, start: int, end: int) -> Quote:
    """The span ``start:end`` of ``passage.text`` as a document-level verbatim quote."""
    document = assistant.documents[passage.doc]
    text = passage.text[start:end]
    s, e = passage.start + start, passage.start + end
    if document.text[s:e] != text:
        raise AssertionError(f"non-verbatim quote in passage {passage.id}")  # a bug, never input
    return Quote(text, passage.doc, citation(document.info, passage), s, e)


# --- tour ----------------------------------------------------------------------------------------


def sections(assistant, doc: str) -> list[tuple[tuple[str, ...], list[Passage]]]:
    """The document's sections in order, each with its body passages."""
    out: dict[tuple[str, ...], list[Passage]] = {}
    for p in assistant.documents[doc].passages:
        if p.kind in BODY and p.section:
            out.setdefault(p.section, []).append(p)
    return list(out.items())


def topic_of(heading: str) -> str:
    """'defence cooperation and support' for 'A. Defence Cooperation and Support'.

    >>> topic_of("Part II. Consultation Processes, Including in the Event of Future Aggression")
    'consultation processes, including in the event of future aggression'
    """
    label = section_label(heading)
    rest = heading[len(label) :] if heading.lower().startswith(label.lower()) else heading
    if rest == heading:
        rest = re.sub(r"^(?:[IVXLC]+|\d{1,2}|[A-Za-z])[.):]\s+", "", heading)
    return rest.strip(" .:-").lower() or heading.lower()


def tour(assistant, doc: str | None = None) -> list[TourStop]:
    """The agreement section by section: Preamble, each Part, each lettered section."""
    doc = one_document(assistant, doc)
    stops = []
    for path, passages in sections(assistant, doc):
        title = path[-1]
        questions = starter_questions(assistant, doc, path)
        stops.append(
            TourStop(
                doc,
                path,
                title,
                len(passages),
                key_sentences(assistant, passages),
                tuple(questions),
            )
        )
    log.debug("tour of %s: %d stops", doc, len(stops))
    return stops


def key_sentences(assistant, passages: list[Passage], most: int = 2) -> tuple[Quote, ...]:
    """The sentences closest to the section's centroid (by embedding), in document order: one,
    or two when the section has more than three passages."""
    spans = [(p, s, e) for p in passages for s, e in sentences(p.text)]
    vectors = assistant.embedder.encode([p.text[s:e] for p, s, e in spans])
    centroid = vectors.mean(axis=0)
    closeness = vectors @ (centroid / (np.linalg.norm(centroid) or 1.0))
    count = most if len(passages) > 3 else 1
    chosen = sorted(np.argsort(-closeness, kind="stable")[:count].tolist())
    return tuple(_quote(assistant, *spans[i]) for i in chosen)


def starter_questions(assistant, doc: str, path: tuple[str, ...], most: int = 2) -> list[str]:
    """Questions from the section's title that the assistant answers with that section (kept
    only when the top answer of ``assistant.ask`` lies in it)."""
    topic = "the preamble" if topic_of(path[-1]) in ("preamble", "introduction") else None
    topic = topic or topic_of(path[-1])
    kept = []
    for template in STARTERS:
        question = template.format(topic=topic)
        top = assistant.ask(question, k=1, doc=doc).passages
        if top and top[0].section == path:
            kept.append(question)
        if len(kept) == most:
            break
    return kept


# --- glossary ------------------------------------------------------------------------------------

_ACRONYM = re.compile(r"\(([A-Z][A-Za-z0-9&]*(?:[-–][A-Z0-9]+)*)\)")
_HEREINAFTER = re.compile(
    r"(?P<what>[^,;:(]+?),?\s+\(?hereinafter(?:\s+referred\s+to)?(?:\s+(?:jointly|collectively|"
    r"together))?(?:\s+as)?\s+(?:the\s+)?[“\"](?P<term>[^”\"]+)[”\"]\)?"
)
_QUOTED = re.compile(r"\((?:the\s+)?[“\"](?P<term>[^”\"]+)[”\"]\)")
_SMALL = {"of", "and", "for", "the", "on", "in", "to", "a", "an", "&"}
_DIGIT_INITIAL = dict(zip("0123456789", "ZOTTFFSSEN", strict=True))


def glossary(assistant, doc: str | None = None) -> list[GlossaryEntry]:
    """Acronyms ("General Security of Information Agreement (GSOIA)") and defined terms
    ("hereinafter referred to jointly as the “Participants”") with where each is defined;
    the first definition of each term per document, in document order."""
    docs = [one_document(assistant, doc)] if doc else sorted(assistant.documents)
    entries = []
    for d in docs:
        seen = set()
        for p in assistant.documents[d].passages:
            for entry in _acronyms(assistant, p) + _defined_terms(assistant, p):
                if entry.term not in seen:
                    seen.add(entry.term)
                    entries.append(entry)
    return entries


def _entry(assistant, p: Passage, term: str, kind: str, start: int, stop: int, end: int):
    """An entry whose expansion is ``p.text[start:stop]`` and definition ``[start:end]``."""
    quote = _quote(assistant, p, start, end)
    return GlossaryEntry(
        term, p.text[start:stop].strip(" ,"), kind, p.doc, quote.citation, quote.start, quote.end
    )


def _acronyms(assistant, p: Passage) -> list[GlossaryEntry]:
    found = []
    for m in _ACRONYM.finditer(p.text):
        letters = [
            _DIGIT_INITIAL[c] if c.isdigit() else c
            for c in m.group(1)
            if c.isupper() or c.isdigit()
        ]
        if len(letters) < 2:
            continue
        words = list(re.finditer(r"[\w’'\-]+", p.text[: m.start()]))[-(len(letters) * 3 + 3) :]
        start = _expansion_start(letters, [w.group(0) for w in words])
        if start is not None:
            found.append(
                _entry(
                    assistant, p, m.group(1), "acronym", words[start].start(), m.start(), m.end()
                )
            )
    return found


def _expansion_start(letters: list[str], words: list[str]) -> int | None:
    """Index of the first word of the shortest run ending before "(ACR)" whose initials spell
    the acronym (small words optional, case ignored, one trailing word may be left out:
    "Police Service Trust Accountability and Resilience Project (PSTAR)")."""
    for first in range(len(words) - 1, -1, -1):
        run = words[first:]
        if run[0].lower() in _SMALL:
            continue
        if _initials(letters, run) or (len(run) > 2 and _initials(letters, run[:-1])):
            return first
    return None


def _initials(letters: list[str], run: list[str]) -> bool:
    if not run:
        return not letters
    word, rest = run[0], run[1:]
    if word.lower() in _SMALL and _initials(letters, rest):
        return True
    parts = [w[0].upper() for w in re.split(r"[-–]", word) if w]
    for used in {len(parts), 1}:  # "Canada-Ukraine" gives C and U, or just C
        if letters[:used] == parts[:used] and _initials(letters[used:], rest):
            return True
    return False


def _defined_terms(assistant, p: Passage) -> list[GlossaryEntry]:
    found = []
    for m in _HEREINAFTER.finditer(p.text):
        what = m.start("what") + len(m.group("what")) - len(m.group("what").lstrip())
        found.append(
            _entry(assistant, p, m.group("term"), "defined term", what, m.end("what"), m.end())
        )
    for m in _QUOTED.finditer(p.text):
        span = _named_phrase(p.text[: m.start()], m.group("term"))
        if span is not None:
            found.append(_entry(assistant, p, m.group("term"), "defined term", *span, m.end()))
    return found


def _named_phrase(before: str, term: str) -> tuple[int, int] | None:
    """Where the phrase a quoted term abbreviates starts: the capitalised words around the first
    use of the term's last word ("the Joint Declaration of Support for Ukraine ... (the “G7 Joint
    Declaration”)")."""
    head = term.split()[-1]
    m = re.search(rf"\b{re.escape(head)}\b", before)
    if not m:
        return None
    start = stop = m.start()
    for w in reversed(list(re.finditer(r"[\w’'\-]+", before[: m.start()]))):
        if not w.group(0)[0].isupper():
            break
        start = w.start()
    for w in re.finditer(r"[\w’'\-]+", before[m.start() :]):
        if not (w.group(0)[0].isupper() or w.group(0).lower() in _SMALL):
            break
        stop = m.start() + w.end()
    return start, stop


# --- facts and quiz ------------------------------------------------------------------------------


def facts(assistant, doc: str | None = None) -> list[Fact]:
    """Money amounts, durations, dates and percentages, each with the verbatim sentence that
    states it; the first statement of each value, amounts first, then in document order."""
    docs = [one_document(assistant, doc)] if doc else sorted(assistant.documents)
    found: list[tuple[int, int, Fact]] = []
    for d in docs:
        seen = set()
        for p in assistant.documents[d].passages:
            if p.kind not in (*BODY, "signature"):
                continue
            for s, e in sentences(p.text):
                for q in quantities(p.text[s:e]):
                    kind = "signed" if p.kind == "signature" and q.kind == "date" else q.kind
                    if kind not in (*FACT_KINDS, "signed") or (kind, q.value) in seen:
                        continue
                    seen.add((kind, q.value))
                    quote = _quote(assistant, p, s, e)
                    fact = Fact(kind, q.text, quote.text, d, quote.citation, quote.start, quote.end)
                    found.append((_FACT_ORDER.index(kind), quote.start, fact))
    return [f for _, _, f in sorted(found, key=lambda t: (t[2].doc, t[0], t[1]))]


_FACT_ORDER = ("amount", "duration", "signed", "date", "percent")


def quiz(assistant, n: int = 5, doc: str | None = None, seed: int = 0) -> list[QuizItem]:
    """``n`` multiple-choice questions from the document's facts and sections; distractors are
    other values of the same kind (or other section titles) from the same document. The same
    corpus and seed give the same quiz."""
    doc = one_document(assistant, doc)
    rng = random.Random(seed)
    pool = _fact_questions(assistant, doc, rng) + _section_questions(assistant, doc, rng)
    chosen = rng.sample(range(len(pool)), min(n, len(pool)))
    return [pool[i] for i in sorted(chosen)]


def _fact_questions(assistant, doc: str, rng: random.Random) -> list[QuizItem]:
    known = facts(assistant, doc)
    items = []
    for fact in known:
        kind = "date" if fact.kind == "signed" else fact.kind
        others = sorted(
            {f.value for f in known if f.kind in (kind, "signed" if kind == "date" else kind)}
            - {fact.value}
        )
        if len(others) < 2:
            continue
        choices = [fact.value, *rng.sample(others, min(3, len(others)))]
        rng.shuffle(choices)
        blank = fact.sentence.replace(fact.value, "_____", 1)
        quote = Quote(fact.sentence, doc, fact.citation, fact.start, fact.end)
        question = f"Fill in the blank ({fact.citation}): “{blank}”"
        items.append(QuizItem(question, tuple(choices), fact.value, quote))
    return items


def _section_questions(assistant, doc: str, rng: random.Random) -> list[QuizItem]:
    parts = sections(assistant, doc)
    titles = sorted({path[-1] for path, _ in parts})
    items = []
    for path, passages in parts:
        others = [t for t in titles if t != path[-1]]
        if len(others) < 3:
            continue
        quote = _quote(assistant, passages[0], *sentences(passages[0].text)[0])
        choices = [path[-1], *rng.sample(others, 3)]
        rng.shuffle(choices)
        question = f"Which section of the agreement says: “{quote.text}”?"
        items.append(QuizItem(question, tuple(choices), path[-1], quote))
    return items
