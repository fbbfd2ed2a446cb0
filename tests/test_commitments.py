"""Tests for :mod:`assistant.commitments`: who commits, how firmly and whether, read from a
sentence with its lead-in and heading."""

from __future__ import annotations

import pytest

from assistant.commitments import BOTH, EXPLORE, FIRM, INTENT, RECOGNISE, actor_of, read

CANADA = frozenset({"partner"})
UKRAINE = frozenset({"ukraine"})


@pytest.mark.parametrize(
    ("subject", "actor"),
    [
        ("Canada", CANADA),
        ("The Government of Canada", CANADA),
        ("Ottawa", CANADA),
        ("Canadians", CANADA),
        ("Ukraine", UKRAINE),
        ("Kyiv", UKRAINE),
        ("The Participants", BOTH),
        ("Both sides", BOTH),
        ("Canada and Ukraine", BOTH),
        ("The two countries", BOTH),
        ("The agreement", None),
        ("", None),
    ],
)
def test_actors(subject: str, actor) -> None:
    assert actor_of(subject, "canada") == actor


def test_the_partner_is_the_agreements_own() -> None:
    assert actor_of("Norway", "norway") == CANADA  # "partner": whoever signed with Ukraine
    assert actor_of("Norway", "canada") is None


@pytest.mark.parametrize(
    ("sentence", "strength", "words"),
    [
        ("Canada will provide $3.02B in 2024.", FIRM, "will"),
        ("Canada has already delivered tanks.", FIRM, "has already"),
        ("Canada commits to training pilots.", FIRM, "commits to"),
        ("Canada intends to train pilots.", INTENT, "intends to"),
        ("Canada will seek to conclude a GSOIA.", INTENT, "will seek to"),
        ("The Participants will strive to deepen ties.", INTENT, "will strive to"),
        ("Canada will explore options.", EXPLORE, "will explore"),
        ("Canada will consider further support.", EXPLORE, "will consider"),
        ("Canada will continue to explore options.", EXPLORE, "explore"),  # the chain's weakest
        ("The Participants may hold dialogues.", EXPLORE, "may"),
        ("Canada recognizes Ukraine's efforts.", RECOGNISE, "recognizes"),
        ("Canada welcomes the reforms.", RECOGNISE, "welcomes"),
        ("Signed in May 2024.", None, ""),  # a month, not a modal
    ],
)
def test_how_firmly(sentence: str, strength, words: str) -> None:
    said = read(sentence, "canada")
    assert (said.strength, said.strength_text) == (strength, words)


@pytest.mark.parametrize(
    ("sentence", "negated", "words"),
    [
        ("Canada will not send troops.", True, "will not"),
        ("Canada does not commit to new funding.", True, "does not"),
        ("Canada will never recognise the annexation.", True, "never"),
        ("Ukraine refuses to negotiate.", True, "refuses to"),
        ("Canada will train pilots without delay.", True, "without"),
        ("Canada will train pilots.", False, ""),
    ],
)
def test_whether(sentence: str, negated: bool, words: str) -> None:
    said = read(sentence, "canada")
    assert (said.negated, said.negation_text) == (negated, words)


def test_an_item_takes_its_lead_ins_subject_and_its_own_verb() -> None:
    item = read("(ii) explore further areas of cooperation.", "canada", lead_in="Canada will:")
    assert (item.actor, item.actor_text, item.strength) == (CANADA, "Canada", EXPLORE)

    firm = read("(v) provide demining equipment.", "canada", lead_in="Ukraine will:")
    assert (firm.actor, firm.strength_text) == (UKRAINE, "will")


def test_a_heading_names_the_actor_when_nothing_else_does() -> None:
    said = read("Reform the judiciary.", "canada", heading="Ukraine's commitments")
    assert said.actor == UKRAINE


def test_the_main_clause_commits_not_the_introductory_one() -> None:
    said = read(
        "Recognizing that many members of Ukraine's forces will continue to suffer, the "
        "Participants will expand cooperation in veterans care.",
        "canada",
    )
    assert (said.actor, said.actor_text, said.strength_text) == (BOTH, "the Participants", "will")
    assert said.action == "expand cooperation in veterans care."
