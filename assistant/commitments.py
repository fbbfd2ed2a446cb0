"""Who commits, how firmly, and whether at all: the grammar of commitments in these agreements,
read from a sentence (a claim, or a clause with its lead-in and heading).

These are rules of English and of the genre, written once:

- **Who.** The subject before the commitment's verb: the partner ("Canada", "the Government of
  Canada", "Ottawa"), Ukraine, or both ("the Participants", "both sides", "Canada and Ukraine").
  An item without a subject of its own takes its lead-in's ("Canada will: ... (v) provide ...").
- **How firmly.** One ordered scale (:data:`SCALE`): what is done or firmly promised; what is
  intended or sought; what will be explored or considered; what is recognised or welcomed.
- **Whether.** A negation of the commitment ("will not", "does not commit", "never", "refuses
  to", "without").

>>> c = read("Canada will seek to conclude a security of information agreement.", "canada")
>>> sorted(c.actor), c.strength, c.strength_text
(['partner'], 3, 'will seek to')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.search.scope import BY_DOC

FIRM, INTENT, EXPLORE, RECOGNISE = 4, 3, 2, 1
LEVELS = {FIRM: "firm", INTENT: "intended", EXPLORE: "explored", RECOGNISE: "recognised"}
# The scale. Words that are also common nouns ("support", "values", "notes") or months ("May")
# are left out: a sentence whose commitment the scale cannot read is not compared on strength.
SCALE: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        INTENT,
        (
            "will seek to", "will strive to", "will aim to", "will endeavour to",
            "will endeavor to", "will work towards", "will work toward", "will try to",
            "intends to", "intend to", "seeks to", "seek to", "strives to", "strive to",
            "aims to", "aim to", "plans to", "plan to", "is expected to", "are expected to",
            "hopes to", "hope to", "wishes to", "wish to", "is ready to", "are ready to",
            "stands ready to", "stand ready to", "is willing to", "are willing to",
            "seeking to", "striving to", "aiming to", "intending to", "working towards",
            "will look to", "look to", "looks to", "will work to", "work to", "works to",
            "endeavour to", "endeavor to",
        ),
    ),
    (
        EXPLORE,
        (
            "will explore", "will examine", "will consider", "will study", "will look into",
            "will assess", "will discuss", "will look at", "explores", "explore", "examines",
            "examine", "considers", "consider", "exploring", "examining", "considering",
            "studying", "assessing", "looking into", "the possibility of", "possibilities for",
        ),
    ),
    (
        RECOGNISE,
        (
            "recognizes", "recognises", "recognize", "recognise", "welcomes", "welcome",
            "acknowledges", "acknowledge", "supports the idea", "support the idea",
            "takes note", "take note", "appreciates", "appreciate", "commends", "commend",
            "underlines", "underline", "emphasizes", "emphasize", "shares the view",
            "share the view",
        ),
    ),
    (
        FIRM,
        (
            "has already", "have already", "guarantees", "guarantee", "commits to",
            "commit to", "is committed to", "are committed to", "undertakes to",
            "undertake to", "agrees to", "agree to", "will continue to", "will", "shall",
            "must", "is determined to", "are determined to", "has provided", "have provided",
            "has committed", "have committed", "has given", "has delivered", "has established",
            "has joined",
        ),
    ),
)  # fmt: skip
_NEGATIONS = (
    "will not", "won't", "shall not", "does not", "do not", "doesn't", "don't", "is not",
    "are not", "isn't", "aren't", "has not", "have not", "hasn't", "haven't", "cannot",
    "can't", "never", "refuses to", "refuse to", "declines to", "decline to", "no longer",
    "without", "not", "no", "neither", "nor",
)  # fmt: skip
BOTH = frozenset({"partner", "ukraine"})
_BOTH_NAMES = (
    "the participants", "participants", "both participants", "both sides", "the two sides",
    "both countries", "the two countries", "the parties", "both parties", "the partners",
    "the two partners", "both partners", "together", "jointly", "the two governments",
    "both governments", "each participant", "each side",
)  # fmt: skip
_UKRAINE = (
    "ukraine",
    "ukrainian government",
    "the government of ukraine",
    "kyiv",
    "ukrainian side",
)


def _phrase(words: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
    return re.compile(rf"(?<![\w'’])(?:{alternatives})(?![\w'’])", re.IGNORECASE)


_LEVEL_PATTERNS = [(level, _phrase(words)) for level, words in SCALE]
# Modal verbs of possibility, lower case only ("May" is also a month).
_LEVEL_PATTERNS.append((EXPLORE, re.compile(r"(?<![\w'’])(?:may|might|could|can)(?![\w'’])")))
CHAIN_WORDS = 3  # a phrase this close after another belongs to its verb chain
_NEGATION = _phrase(_NEGATIONS)


@dataclass(frozen=True)
class Commitment:
    """What a sentence commits to, as far as its grammar says (None: the sentence does not say).
    ``*_text`` are the words as written, for verdicts that quote them."""

    actor: frozenset[str] | None  # {"partner"}, {"ukraine"} or both
    actor_text: str
    strength: int | None  # FIRM, INTENT, EXPLORE or RECOGNISE
    strength_text: str
    negated: bool
    negation_text: str
    action: str  # the words after the commitment's verb phrase: what is committed to


def actor_of(text: str, doc: str | None) -> frozenset[str] | None:
    """The parties a subject names: the partner of ``doc``, Ukraine, or both.

    >>> sorted(actor_of("The Participants", "canada")), sorted(actor_of("Ottawa", "canada"))
    (['partner', 'ukraine'], ['partner'])
    """
    lowered = " ".join(text.lower().replace("’", "'").split())
    if not lowered:
        return None
    partner = _names_partner(lowered, doc)
    ukraine = any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", lowered) for n in _UKRAINE)
    if any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", lowered) for n in _BOTH_NAMES):
        return BOTH
    if partner and ukraine:
        return BOTH
    if partner:
        return frozenset({"partner"})
    if ukraine:
        return frozenset({"ukraine"})
    return None


def _names_partner(lowered: str, doc: str | None) -> bool:
    row = BY_DOC.get(doc or "")
    if row is None:
        return False
    names = [n.lower() for n in (*row.names(), *row.capitals) if n]
    names += [f"{n}'s" for n in names]
    return any(re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", lowered) for n in names)


# A sentence that opens with one of these has an introductory clause up to its first comma
# ("Recognizing that their families will suffer ..., the Participants will expand ..."): the
# commitment is the main clause's, after it.
_INTRODUCTORY = re.compile(
    r"^\s*(?:recogni[sz]ing|acknowledging|noting|reaffirming|recalling|welcoming|considering|"
    r"given|mindful|determined|building|bearing|emphasi[sz]ing|underlining|stressing|taking|"
    r"guided|convinced|desiring|aware|whereas|while|since|because|as|although|though)\b",
    re.IGNORECASE,
)


def strongest_phrase(text: str) -> tuple[int, re.Match] | None:
    """The commitment phrase of ``text``'s main clause (its level and match): the first one,
    past an introductory clause when the sentence opens with one."""
    intro = _INTRODUCTORY.match(text)
    after = text.find(",") + 1 if intro and "," in text else 0
    found = [
        (match.start(), -len(match.group(0)), level, match)
        for level, pattern in _LEVEL_PATTERNS
        for match in pattern.finditer(text)
        if match.start() >= after
    ]
    if not found:
        return None
    found.sort(key=lambda f: (f[0], f[1]))
    _, _, level, match = found[0]
    # The verb chain's weakest link decides: "will continue to explore" is exploring.
    end = match.end()
    for start, _, other_level, other in found[1:]:
        if len(text[end:start].split()) > CHAIN_WORDS:
            break
        if other.start() >= end and other_level < level:
            level, match = other_level, other
        end = max(end, other.end())
    return level, match


def read(text: str, doc: str | None = None, lead_in: str = "", heading: str = "") -> Commitment:
    """The commitment ``text`` makes; an item's subject and verb may come from its ``lead_in``,
    and its actor from its ``heading`` ("Ukraine's commitments")."""
    own = strongest_phrase(text)
    carried = strongest_phrase(lead_in) if lead_in else None
    subject_text = text[: own[1].start()] if own else ""
    actor = actor_of(_subject(subject_text), doc) if own else None
    actor_text = _subject(subject_text) if actor else ""
    if actor is None and carried:
        lead_subject = _subject(lead_in[: carried[1].start()])
        actor = actor_of(lead_subject, doc)
        actor_text = lead_subject if actor else ""
    if actor is None and heading:
        actor = actor_of(heading, doc)
        actor_text = heading if actor else ""
    # An item's own verb ("explore", "provide") refines its lead-in's "will".
    chosen = own or carried
    if own and carried and own[0] == FIRM:
        chosen = carried if carried[0] < FIRM else own
    strength, strength_text = (chosen[0], chosen[1].group(0)) if chosen else (None, "")
    scope = text[own[1].start() :] if own else text
    negation = _NEGATION.search(f"{subject_text[-40:]} {scope[:80]}")
    action = text[own[1].end() :] if own else text
    return Commitment(
        actor,
        actor_text,
        strength,
        " ".join(strength_text.split()),
        bool(negation),
        negation.group(0) if negation else "",
        action.strip(),
    )


def _subject(text: str) -> str:
    """The last clause of ``text`` before the verb: the words a commitment's subject is in
    ("In the event of ..., the Participants" -> "the Participants")."""
    parts = re.split(r"[,;:(]|\bthat\b|\bwhere\b|\bwhich\b", text)
    return parts[-1].strip() if parts else ""
