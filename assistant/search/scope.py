"""Which agreements a question is about, from the partners it names ("Under the UK agreement",
"What do the Danes promise?", "London and Kyiv")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.ingest.metadata import DocumentInfo


@dataclass(frozen=True)
class Partner:
    """How people name one partner: facts about the country (or union), one row per agreement."""

    doc: str  # the agreement's file stem
    country: str
    short: tuple[str, ...] = ()  # other names of the country ("UK", "Holland")
    adjective: str = ""  # "Dutch"
    demonyms: tuple[str, ...] = ()  # "the Dutch", "Danes"
    capitals: tuple[str, ...] = ()  # the capital, and the seat of government where it differs

    def names(self) -> tuple[str, ...]:
        return (self.country, *self.short, self.adjective, *self.demonyms)


PARTNERS: tuple[Partner, ...] = (
    Partner("albania", "Albania", (), "Albanian", ("Albanians",), ("Tirana",)),
    Partner("belgium", "Belgium", (), "Belgian", ("Belgians",), ("Brussels",)),
    Partner("canada", "Canada", (), "Canadian", ("Canadians",), ("Ottawa",)),
    Partner("croatia", "Croatia", (), "Croatian", ("Croatians", "Croats"), ("Zagreb",)),
    Partner("czechia", "Czechia", ("Czech Republic",), "Czech", ("Czechs",), ("Prague",)),
    Partner("denmark", "Denmark", (), "Danish", ("Danes",), ("Copenhagen",)),
    Partner("estonia", "Estonia", (), "Estonian", ("Estonians",), ("Tallinn",)),
    # The Union's institutions sit in Brussels (as does Belgium's government: both are named).
    Partner("european-union", "European Union", ("EU", "E.U."), "", (), ("Brussels",)),
    Partner("finland", "Finland", (), "Finnish", ("Finns",), ("Helsinki",)),
    Partner("france", "France", (), "French", (), ("Paris",)),
    Partner("germany", "Germany", (), "German", ("Germans",), ("Berlin",)),
    Partner("iceland", "Iceland", (), "Icelandic", ("Icelanders",), ("Reykjavik", "Reykjavík")),
    Partner("ireland", "Ireland", (), "Irish", (), ("Dublin",)),
    Partner("italy", "Italy", (), "Italian", ("Italians",), ("Rome",)),
    Partner("japan", "Japan", (), "Japanese", (), ("Tokyo",)),
    Partner("latvia", "Latvia", (), "Latvian", ("Latvians",), ("Riga",)),
    Partner("lithuania", "Lithuania", (), "Lithuanian", ("Lithuanians",), ("Vilnius",)),
    Partner("luxembourg", "Luxembourg", (), "Luxembourgish", ("Luxembourgers",), ()),
    Partner("netherlands", "Netherlands", ("Holland",), "Dutch", (), ("Amsterdam", "The Hague")),
    Partner("norway", "Norway", (), "Norwegian", ("Norwegians",), ("Oslo",)),
    Partner("poland", "Poland", (), "Polish", ("Poles",), ("Warsaw",)),
    Partner("portugal", "Portugal", (), "Portuguese", (), ("Lisbon",)),
    Partner("romania", "Romania", (), "Romanian", ("Romanians",), ("Bucharest",)),
    Partner(
        "slovenia",
        "Slovenia",
        (),
        "Slovenian",
        ("Slovene", "Slovenians", "Slovenes"),
        ("Ljubljana",),
    ),
    Partner("spain", "Spain", (), "Spanish", ("Spaniards",), ("Madrid",)),
    Partner("sweden", "Sweden", (), "Swedish", ("Swedes",), ("Stockholm",)),
    Partner(
        "united-kingdom",
        "United Kingdom",
        ("UK", "U.K.", "Britain", "Great Britain"),
        "British",
        ("Britons", "Brits"),
        ("London",),
    ),
    Partner(
        "united-states",
        "United States",
        ("US", "U.S.", "USA", "U.S.A.", "America"),
        "American",
        ("Americans",),
        ("Washington",),
    ),
)
BY_DOC = {p.doc: p for p in PARTNERS}
# Names of an agreement itself, not of its partner.
AGREEMENT_NAMES = {"canada": ("CUSSP",)}
# A capital followed by a capitalised word names an event or an institution, not the partner:
# "the Vilnius Summit", "the Tallinn Mechanism", "the Rome Statute".
_MODIFIES = re.compile(r"\s+[A-Z][a-z]")
# After "in" or "at" it is a place: where an agreement was signed or a summit held.
_PLACE = re.compile(r"\b(?:in|at)\s+$", re.IGNORECASE)


def partner_names(info: DocumentInfo) -> set[str]:
    """Every name of the agreement's partner except its capitals (see :func:`named_documents`)."""
    row = BY_DOC.get(info.doc)
    names = {info.doc.replace("-", " "), *info.partners, *AGREEMENT_NAMES.get(info.doc, ())}
    if row:
        names |= set(row.names())
    names |= {p.country for p in PARTNERS if p.country.lower() in info.title.lower()}
    return {n for n in names if n and "ukrain" not in n.lower()}


def named_documents(question: str, infos: list[DocumentInfo]) -> list[str]:
    """Document ids whose partner the question names, by name, short form, adjective, people
    or capital ("London and Kyiv"); empty when it names none.

    Short all-caps names ("UK", "US", "EU") must match in capitals, so "us" is not the USA; a
    capital must be written with its capital letter, and names neither an event ("the Vilnius
    Summit") nor a place ("signed in Stockholm").
    """
    found = []
    for info in infos:
        row = BY_DOC.get(info.doc)
        capitals = row.capitals if row else ()
        if any(_names(question, name) for name in partner_names(info)) or any(
            _names_capital(question, city) for city in capitals
        ):
            found.append(info.doc)
    return found


def _names(question: str, name: str) -> bool:
    return bool(_name_pattern(name).search(question))


def _name_pattern(name: str) -> re.Pattern:
    flags = 0 if (name.isupper() and len(name) <= 4) else re.IGNORECASE
    return re.compile(rf"(?<![\w.]){re.escape(name)}(?:['’]s)?(?![\w])", flags)


PLACEHOLDER = "the partner"  # what a named partner becomes: the sentence stays a sentence


def without_partners(question: str, infos: list[DocumentInfo]) -> str:
    """The question with the partners it names taken out: what it asks, once the names have
    said where to look ("What is the population of Ljubljana?" -> "What is the population of
    the partner?"). Judging whether the agreements address a question goes by this.

    >>> info = DocumentInfo("italy", "Agreement", ("Italy",), "en", None, None)
    >>> without_partners("How often has Italy won the World Cup in Rome?", [info])
    'How often has the partner won the World Cup in the partner?'
    """
    out = question
    for info in infos:
        row = BY_DOC.get(info.doc)
        own = set(AGREEMENT_NAMES.get(info.doc, ()))  # "the CUSSP" is the topic, not a partner
        names = {*partner_names(info), *(row.capitals if row else ())} - own
        names = sorted(names, key=len, reverse=True)
        for name in names:
            out = _name_pattern(name).sub(PLACEHOLDER, out)
    return " ".join(out.split())


def _names_capital(question: str, city: str) -> bool:
    for match in re.finditer(rf"(?<![\w.]){re.escape(city)}(?![\w])", question):
        place = _PLACE.search(question[: match.start()])
        if not place and not _MODIFIES.match(question, match.end()):
            return True
    return False


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
