"""Tests for :mod:`assistant.citations`: citations as staff write them."""

from __future__ import annotations

import pytest

from assistant.citations import citation, document_name, section_label
from assistant.ingest.metadata import DocumentInfo
from assistant.ingest.structure import Passage

CANADA = DocumentInfo(
    "canada",
    "Agreement on security cooperation between Canada and Ukraine",
    ("Canada",),
    "en",
    "Kyiv",
    "24 February 2024",
)


def passage(section: tuple[str, ...], number: str | None, kind: str = "paragraph") -> Passage:
    return Passage("canada", 5, section, number, kind, 0, 4, "Text")


@pytest.mark.parametrize(
    ("heading", "label"),
    [
        ("Part II. Consultation Processes, Including in the Event of Future Aggression", "Part II"),
        ("PART iii", "Part III"),
        ("Article 5 Duration", "Article 5"),
        ("section b: Scope", "Section B"),
        ("Paragraph 13: Timeframe of the Agreement", "Paragraph 13"),
        ("Стаття 3. Строк дії", "Стаття 3"),
        ("C. Intelligence and Counterintelligence Cooperation", "C"),
        ("IV. Final Provisions", "IV"),
        ("VIII Compensation for damage", "VIII"),
        ("12) Review", "12"),
        ("b) Definitions", "b"),
        ("Preamble", "Preamble"),
        ("Coming into Effect", "Coming into Effect"),
    ],
)
def test_section_label(heading: str, label: str) -> None:
    assert section_label(heading) == label


def test_heading_starting_with_the_article_a_is_not_a_letter_label() -> None:
    assert section_label("A just and sustainable peace") == "A just and sustainable peace"


def test_document_name() -> None:
    assert document_name(CANADA) == "Canada-Ukraine Agreement"
    untitled = DocumentInfo("x", "Joint Statement", (), "en", None, None)
    assert document_name(untitled) == "Joint Statement"


@pytest.mark.parametrize(
    ("cited", "expected"),
    [
        (
            passage(("Part II. Consultation Processes",), "3"),
            "Canada-Ukraine Agreement, Part II, para. 3",
        ),
        (
            passage(("Part IV. Areas", "C. Intelligence"), "2"),
            "Canada-Ukraine Agreement, Part IV, C, para. 2",
        ),
        (
            passage(("Part IV. Areas", "A. Defence"), "7(v)(A)", "item"),
            "Canada-Ukraine Agreement, Part IV, A, para. 7(v)(A)",
        ),
        (passage(("Preamble",), None, "text"), "Canada-Ukraine Agreement, Preamble"),
        (passage((), None, "text"), "Canada-Ukraine Agreement"),
        (passage((), None, "title"), "Canada-Ukraine Agreement, title"),
        (passage(("Signatures",), None, "signature"), "Canada-Ukraine Agreement, signature block"),
    ],
)
def test_citation(cited: Passage, expected: str) -> None:
    assert citation(CANADA, cited) == expected


def test_a_document_whose_title_names_no_parties_is_cited_by_its_title() -> None:
    info = DocumentInfo(
        "cussp-overview",
        "Canada-Ukraine Strategic Security Partnership (CUSSP)",
        ("Cussp Overview",),
        "en",
        None,
        None,
    )

    assert document_name(info) == "Canada-Ukraine Strategic Security Partnership (CUSSP)"
