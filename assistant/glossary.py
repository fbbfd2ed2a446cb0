"""Acronyms a corpus defines ("General Security of Information Agreement (GSOIA)") and the
paraphrases staff use for the agreements' words, both used to expand questions."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DEFINITION = re.compile(r"\(([A-Z][A-Za-z0-9]*(?:[-–][A-Z0-9]+)*)\)")
_SMALL = {"of", "and", "for", "the", "on", "in", "to", "a", "an", "-", "–", "&"}


@dataclass(frozen=True)
class Term:
    """An acronym and its expansion as written where the document defines it."""

    term: str
    expansion: str
    doc: str
    ordinal: int  # passage ordinal of the definition


def find_terms(doc: str, ordinal: int, text: str) -> list[Term]:
    """Acronyms defined in a passage, with expansions whose initials match the acronym.

    >>> text = "a General Security of Information Agreement (GSOIA) between"
    >>> find_terms("canada", 3, text)[0].expansion
    'General Security of Information Agreement'
    """
    found = []
    for match in _DEFINITION.finditer(text):
        acronym = match.group(1)
        letters = [c for c in acronym if c.isupper()]
        if len(letters) < 2:
            continue
        words = re.findall(r"[\w’'\-]+|[–&]", text[: match.start()])
        expansion = _expansion_for(letters, words)
        if expansion:
            found.append(Term(acronym, expansion, doc, ordinal))
    return found


def _expansion_for(letters: list[str], words: list[str]) -> str | None:
    """The shortest run of words ending before "(ACR)" whose initials spell the acronym.

    Small words ("of", "and") may give their initial (GSOIA's "of") or be skipped (SOC's
    "and"); a hyphenated word gives one initial per part (SAG-U's "Ukraine" after a dash).
    """
    window = words[-(len(letters) * 3 + 3) :]
    for first in range(len(window) - 1, -1, -1):
        run = window[first:]
        if run[0][0].isupper() and _spells(letters, run):
            return " ".join(run)
    return None


def _spells(letters: list[str], run: list[str]) -> bool:
    if not run:
        return not letters
    word, rest = run[0], run[1:]
    small = word.lower() in _SMALL
    if small and _spells(letters, rest):
        return True
    if word[0].islower() and not small:
        return False
    initials = [p[0].upper() for p in re.split(r"[-–]", word) if p]
    for n in range(len(initials), 0, -1):  # all parts' initials, or just the first
        used = initials if n == len(initials) else initials[:1]
        if letters[: len(used)] == used and _spells(letters[len(used) :], rest):
            return True
    return False


# Everyday words staff use, mapped to the words the agreements use. General vocabulary of the
# domain, not answers: each line is a paraphrase a newcomer would plausibly type.
PARAPHRASES: dict[str, str] = {
    "kids": "children",
    "countries": "states",
    "country": "state",
    "nations": "states",
    "child": "children",
    "mafia": "organized crime",
    "gangs": "organized crime",
    "criminals": "crime",
    "hackers": "cyber",
    "hacking": "cyber",
    "army": "military defence forces",
    "soldiers": "military defence forces",
    "troops": "military defence forces",
    "weapons": "military equipment",
    "arms": "military equipment",
    "money": "funding financial support",
    "cash": "funding financial",
    "pay": "compensation",
    "last": "valid period years",
    "duration": "valid period years",
    "expire": "expiry valid period",
    "leave": "terminate termination",
    "quit": "terminate termination",
    "exit": "terminate termination",
    "cancel": "terminate termination",
    "end": "terminate",
    "change": "amend amendment",
    "modify": "amend amendment",
    "disagreement": "differences interpretation",
    "disputes": "differences interpretation",
    "attack": "aggression armed attack",
    "invade": "invasion aggression",
    "mines": "demining landmines",
    "landmines": "demining mine action",
    "propaganda": "disinformation information",
    "fake": "disinformation",
    "spies": "intelligence counterintelligence",
    "spy": "intelligence counterintelligence",
    "corruption": "anti-corruption",
    "refugees": "displaced persons safety",
    "power": "energy",
    "electricity": "energy",
    "rebuild": "reconstruction recovery",
    "rebuilding": "reconstruction recovery",
    "punish": "accountability",
    "veterans": "veterans of war",
    "police": "law enforcement police",
    "signed": "signed signature",
    "begin": "enter into effect",
    "start": "enter into effect",
    "effective": "enter into effect",
    "how long": "valid period",
    "again": "renewed future",
    "another": "renewed future",
    "talk": "consult consultations",
    "talks": "consultations dialogue",
    "quickly": "within hours",
    "soon": "within hours",
    "lies": "disinformation",
    "misinformation": "disinformation",
    "online": "information cyber",
    "jets": "air force",
    "planes": "air force",
    "tanks": "armour",
    "yearly": "annual",
    "help": "support assistance",
    "deal": "agreement",
    "treaty": "agreement",
    "goals": "objectives",
    "aims": "objectives",
    "war crimes": "accountability war crimes",
    "court": "tribunal",
}


def _stem_phrase(phrase: str) -> str:
    from assistant.lexical import stem

    return " ".join(stem(w) for w in phrase.split())


_STEMMED_PARAPHRASES = {_stem_phrase(k): v for k, v in PARAPHRASES.items()}


def paraphrase_expansion(question: str) -> str:
    """The agreement's words for everyday words in the question (may be empty).

    Matching is on stems, so "disagreements" finds the entry for "disagreement".
    """
    from assistant.lexical import stem

    asked = " " + " ".join(stem(w) for w in re.findall(r"[a-z0-9']+", question.lower())) + " "
    extra = [v for k, v in _STEMMED_PARAPHRASES.items() if f" {k} " in asked]
    return " ".join(extra)


def acronym_expansion(question: str, terms: dict[str, str]) -> str:
    """Expansions for acronyms in the question, and acronyms for expansions it spells out."""
    extra = []
    for acronym, expansion in terms.items():
        if re.search(
            rf"\b{re.escape(acronym)}\b", question, re.IGNORECASE if len(acronym) > 3 else 0
        ):
            extra.append(expansion)
        elif expansion.lower() in question.lower():
            extra.append(acronym)
    return " ".join(extra)
