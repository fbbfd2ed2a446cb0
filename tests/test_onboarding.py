"""Tests for :mod:`assistant.onboarding` on the real Canada agreement with the real model: the
tour, glossary, facts and quiz, their determinism, verbatim quotes and CLI commands."""

from __future__ import annotations

import json

import pytest

from assistant.cli import main
from assistant.errors import UnknownDocumentError
from assistant.onboarding import topic_of

pytestmark = [pytest.mark.model, pytest.mark.corpus]


@pytest.fixture(scope="module")
def canada_tour(real_bot):
    return real_bot.tour()


def cli_json(real_bot, capsys, *command: str):
    args = ["--corpus", str(real_bot.settings.corpus), "--index", str(real_bot.settings.index)]
    main([*args, *command, "--json"])
    return json.loads(capsys.readouterr().out)


def assert_verbatim(bot, doc: str, text: str, start: int, end: int) -> None:
    assert bot.documents[doc].text[start:end] == text


def test_topic_of_strips_the_label() -> None:
    assert topic_of("A. Defence Cooperation and Support") == "defence cooperation and support"
    assert topic_of("Part VII. Designated Authorities") == "designated authorities"
    assert topic_of("Preamble") == "preamble"


def test_tour_visits_every_section_in_order(canada_tour) -> None:
    titles = [stop.title for stop in canada_tour]

    assert titles[:5] == [
        "Preamble",
        "Part I. Objectives",
        "Part II. Consultation Processes, Including in the Event of Future Aggression",
        "Part III. Coordination and Cooperation with other Forums and Mechanisms",
        "Part IV. Areas for Ongoing and Enhanced Cooperation, and Lines of Long-Term Support",
    ]
    assert titles[-4:] == [
        "A. Coming into Effect and Timeframe",
        "B. Review",
        "C. Amendment",
        "D. Termination",
    ]
    assert len(canada_tour) == 26  # Preamble, Parts I-VII, A-N of IV, A-D of VIII
    assert [(s.title, s.paragraphs) for s in canada_tour if s.title.startswith("D.")] == [
        ("D. Cyber Security and Resilience", 8),
        ("D. Termination", 1),
    ]


def test_tour_quotes_are_verbatim_and_questions_are_answered_there(real_bot, canada_tour) -> None:
    for stop in canada_tour:
        assert 1 <= len(stop.key_sentences) <= 2
        for quote in stop.key_sentences:
            assert_verbatim(real_bot, "canada", quote.text, quote.start, quote.end)
        for question in stop.questions:
            assert real_bot.ask(question, k=1, doc="canada").passages[0].section == stop.section
    with_questions = [s for s in canada_tour if s.questions]
    assert len(with_questions) >= 24


def test_tour_is_deterministic_and_the_cli_prints_it(real_bot, canada_tour, capsys) -> None:
    assert cli_json(real_bot, capsys, "tour") == [s.to_dict() for s in canada_tour]


def test_glossary_finds_acronyms_and_defined_terms(real_bot) -> None:
    entries = {e.term: e for e in real_bot.glossary()}

    expected = {
        "GSOIA": "General Security of Information Agreement",
        "SOC": "serious and organized crime",
        "WPS": "Women, Peace and Security",
        "PSTAR": "Police Service Trust Accountability and Resilience Project",
        "CPMU": "Canadian Police Mission in Ukraine",
        "UDCG": "Ukraine Defence Contact Group",
        "CUSSP": "Canada-Ukraine Strategic Security Partnership",
        "G7": "Group of Seven",
        "R&D": "Research and Development",
        "Participants": "Canada and Ukraine",
        "G7 Joint Declaration": "Joint Declaration of Support for Ukraine",
    }
    assert {t: entries[t].expansion for t in expected} == expected
    assert entries["GSOIA"].citation == "Canada-Ukraine Agreement, Part IV, C, para. 2"
    assert entries["Participants"].kind == "defined term"
    for e in entries.values():
        text = real_bot.documents["canada"].text[e.start : e.end]
        assert e.expansion in text and e.term in text


def test_facts_are_verbatim_sentences_with_key_figures(real_bot) -> None:
    found = real_bot.facts()
    values = [(f.kind, f.value) for f in found]

    assert values[:7] == [
        ("amount", "$3.02B"),
        ("amount", "$2.4B"),
        ("duration", "twenty-four (24) hours"),
        ("duration", "ten (10) years"),
        ("duration", "three (3) years"),
        ("duration", "six (6) months"),
        ("signed", "24 February 2024"),
    ]
    assert ("percent", "twenty percent") in values
    for f in found:
        assert_verbatim(real_bot, f.doc, f.sentence, f.start, f.end)
        assert f.value in f.sentence
    assert found[0].citation == "Canada-Ukraine Agreement, Part I, para. 3"
    assert found[6].sentence.startswith("SIGNED in duplicate in Kyiv on 24 February 2024")


def test_quiz_is_deterministic_answerable_and_verbatim(real_bot, capsys) -> None:
    quiz = real_bot.quiz(n=6, seed=3)

    assert [q.to_dict() for q in quiz] == [q.to_dict() for q in real_bot.quiz(n=6, seed=3)]
    assert [q.to_dict() for q in quiz] != [q.to_dict() for q in real_bot.quiz(n=6, seed=4)]
    assert len(quiz) == 6
    for item in quiz:
        assert item.answer in item.choices
        assert len(set(item.choices)) == len(item.choices) >= 3
        p = item.passage
        assert_verbatim(real_bot, p.doc, p.text, p.start, p.end)
        if item.question.startswith("Fill in the blank"):
            assert item.answer in p.text
    assert cli_json(real_bot, capsys, "quiz", "--n", "6", "--seed", "3") == [
        q.to_dict() for q in quiz
    ]


def test_cli_glossary_and_facts_json(real_bot, capsys) -> None:
    glossary = cli_json(real_bot, capsys, "glossary")
    facts = cli_json(real_bot, capsys, "facts")

    assert {"term", "expansion", "doc", "citation"} <= set(glossary[0])
    assert facts[0] == real_bot.facts()[0].to_dict()


def test_several_documents_need_a_choice(real_bot) -> None:
    with pytest.raises(UnknownDocumentError, match="No document 'atlantis'"):
        real_bot.tour("atlantis")
