"""Tests for :mod:`assistant.glossary`: defined acronyms and everyday paraphrases."""

from __future__ import annotations

import pytest

from assistant.glossary import Term, acronym_expansion, find_terms, paraphrase_expansion


@pytest.mark.parametrize(
    ("text", "term", "expansion"),
    [
        (
            "establish the Canada-Ukraine Strategic Security Partnership (CUSSP) to",
            "CUSSP",
            "Canada-Ukraine Strategic Security Partnership",
        ),
        (
            "the Security Assistance Group – Ukraine (SAG-U) and",
            "SAG-U",
            "Security Assistance Group – Ukraine",
        ),
        (
            "a loan from the European Bank for Reconstruction and Development (EBRD)",
            "EBRD",
            "European Bank for Reconstruction and Development",
        ),
        (
            "on the margins of the North Atlantic Treaty Organization (NATO) Summit",
            "NATO",
            "North Atlantic Treaty Organization",
        ),
    ],
)
def test_find_terms(text: str, term: str, expansion: str) -> None:
    assert find_terms("canada", 7, text) == [Term(term, expansion, "canada", 7)]


def test_find_terms_takes_letters_from_small_words() -> None:
    text = "conclude a General Security of Information Agreement (GSOIA) between"

    assert [t.expansion for t in find_terms("canada", 3, text)] == [
        "General Security of Information Agreement"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "as set out in paragraph (A) below",  # one capital is a list label, not an acronym
        "use serious and organized crime (SOC) to",  # no capitalised expansion
        "the Leaders of the Group of Seven (G7)",
        "the agreed Plan (XYZ) applies",  # initials do not spell it
        "no definitions here",
    ],
)
def test_find_terms_ignores_non_definitions(text: str) -> None:
    assert find_terms("canada", 1, text) == []


TERMS = {
    "SAG-U": "Security Assistance Group – Ukraine",
    "EU": "European Union",
    "CUSSP": "Canada-Ukraine Strategic Security Partnership",
}


@pytest.mark.parametrize(
    ("question", "extra"),
    [
        ("What is the SAG-U?", "Security Assistance Group – Ukraine"),
        ("what is the cussp", "Canada-Ukraine Strategic Security Partnership"),
        ("Does the EU take part?", "European Union"),
        ("Does the eu take part?", ""),  # short acronyms only match in capitals
        ("What does the European Union do?", "EU"),
        (
            "How about the EU and the CUSSP?",
            "European Union Canada-Ukraine Strategic Security Partnership",
        ),
        ("Nothing to expand", ""),
    ],
)
def test_acronym_expansion(question: str, extra: str) -> None:
    assert acronym_expansion(question, TERMS) == extra


@pytest.mark.parametrize(
    ("question", "extra"),
    [
        ("What about kids?", "children"),
        ("How long does the agreement last?", "valid period years valid period"),
        ("Is there anything on weapons and money?", "military equipment funding financial support"),
        ("Who won the blast contest?", ""),  # whole words only
        ("", ""),
    ],
)
def test_paraphrase_expansion(question: str, extra: str) -> None:
    assert paraphrase_expansion(question) == extra
