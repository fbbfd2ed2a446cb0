"""Tests for :mod:`assistant.search.scope`: partners named the way people name them."""

from __future__ import annotations

import pytest

from assistant.ingest.metadata import DocumentInfo
from assistant.search.scope import BY_DOC, PARTNERS, named_documents

CORPUS_DOCS = (
    "albania belgium canada croatia czechia denmark estonia european-union finland france "
    "germany iceland ireland italy japan latvia lithuania luxembourg netherlands norway poland "
    "portugal romania slovenia spain sweden united-kingdom united-states"
).split()
# Bare infos: only the table names the partner (the title and partners say nothing).
INFOS = [DocumentInfo(doc, "Agreement", (), "en", None, None) for doc in CORPUS_DOCS]


def test_one_row_for_each_of_the_28_agreements() -> None:
    assert sorted(p.doc for p in PARTNERS) == CORPUS_DOCS


@pytest.mark.parametrize("doc", CORPUS_DOCS)
def test_each_partner_is_found_by_every_name_in_its_row(doc: str) -> None:
    row = BY_DOC[doc]
    for name in [n for n in row.names() if n]:
        found = named_documents(f"What does {name} say about training?", INFOS)
        assert found == [doc], name
    for city in row.capitals:
        found = named_documents(f"What do {city} and Kyiv agree on training?", INFOS)
        # Brussels is both Belgium's capital and the seat of the Union's institutions.
        assert doc in found and len(found) == (2 if city == "Brussels" else 1), city


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("What did London and Kyiv agree on drones?", ["united-kingdom"]),
        ("Does Washington promise air defence?", ["united-states"]),
        ("What do the Americans commit?", ["united-states"]),
        ("What do the Danes fund?", ["denmark"]),
        ("Is Tokyo sending money for demining?", ["japan"]),
        ("What will Berlin deliver?", ["germany"]),
        ("What does Paris promise?", ["france"]),
        ("What does Brussels commit to?", ["belgium", "european-union"]),
        ("What does The Hague pledge?", ["netherlands"]),
        # A capital naming an event or an institution is not the partner.
        # A capital after "in" or "at" is a place: where something was signed or held.
        ("Which NATO summit in Vilnius is recalled?", []),
        ("Which agreements were signed in Stockholm?", []),
        ("What does the agreement say about the Vilnius Summit?", []),
        ("Does it mention the Washington Summit declaration?", []),
        ("Is the Rome Statute mentioned?", []),
        ("What is the Tallinn Mechanism?", []),
        # Lower-case city names are words, not capitals ("nice", "riga" do not occur).
        ("what does washington promise", []),
    ],
)
def test_capitals_and_peoples(question: str, named: list[str]) -> None:
    assert named_documents(question, INFOS) == named
