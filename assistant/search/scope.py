"""Which agreements a question is about, from the partners it names ("Under the UK agreement")."""

from __future__ import annotations

import re

from assistant.ingest.metadata import DocumentInfo

# Other names people use for the partners; the partner's own name and the file name always count.
ALIASES: dict[str, tuple[str, ...]] = {
    "united-kingdom": ("UK", "U.K.", "Britain", "British", "Great Britain", "England"),
    "united-states": ("US", "U.S.", "USA", "America", "American", "Americans"),
    "netherlands": ("Dutch", "Holland"),
    "european-union": ("EU", "E.U.", "European Union"),
    "germany": ("German", "Germans"),
    "france": ("French",),
    "italy": ("Italian", "Italians"),
    "japan": ("Japanese",),
    "canada": ("Canadian", "Canadians", "CUSSP"),
    "norway": ("Norwegian", "Norwegians"),
    "sweden": ("Swedish", "Swedes"),
    "denmark": ("Danish", "Danes"),
    "finland": ("Finnish", "Finns"),
    "iceland": ("Icelandic",),
    "ireland": ("Irish",),
    "poland": ("Polish", "Poles"),
    "spain": ("Spanish",),
    "portugal": ("Portuguese",),
    "belgium": ("Belgian", "Belgians"),
    "czechia": ("Czech", "Czech Republic"),
    "estonia": ("Estonian",),
    "latvia": ("Latvian",),
    "lithuania": ("Lithuanian",),
    "luxembourg": ("Luxembourgish",),
    "romania": ("Romanian",),
    "slovenia": ("Slovenian", "Slovene"),
    "croatia": ("Croatian",),
    "albania": ("Albanian",),
}
_COUNTRIES = {k.replace("-", " ").title() for k in ALIASES} | {"United States", "European Union"}


def partner_names(info: DocumentInfo) -> set[str]:
    names = {info.doc.replace("-", " "), *info.partners, *ALIASES.get(info.doc, ())}
    names |= {c for c in _COUNTRIES if c.lower() in info.title.lower()}
    return {n for n in names if n and "ukrain" not in n.lower()}


def named_documents(question: str, infos: list[DocumentInfo]) -> list[str]:
    """Document ids whose partner the question names; empty when it names none.

    Short all-caps aliases ("UK", "US", "EU") must match in capitals, so "us" is not the USA.
    """
    found = []
    for info in infos:
        for name in partner_names(info):
            flags = 0 if (name.isupper() and len(name) <= 4) else re.IGNORECASE
            if re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", question, flags):
                found.append(info.doc)
                break
    return found


_ACROSS = re.compile(
    r"\b(?:which|what|how many|any|all|other|every|each)\s+(?:\w+\s+)?"
    r"(?:agreements|countries|partners|states|nations|deals|signatories)\b"
    r"|\bwhich (?:country|partner|agreement|state|nation)\b",
    re.IGNORECASE,
)


def asks_across(question: str) -> bool:
    """Whether the question is about the agreements as a set ("Which agreements ...", "Which
    country signed ...", "How many partners ..."), so no one agreement is the default.

    >>> asks_across("Which country signed its agreement in Kharkiv?")
    True
    >>> asks_across("How long does the agreement last?")
    False
    """
    return bool(_ACROSS.search(question))
