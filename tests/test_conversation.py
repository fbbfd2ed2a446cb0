"""Tests for :mod:`assistant.conversation`: follow-up detection (fast), resolution over the tiny
corpus with the hashing embedder, and the real model on the Canada agreement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.conversation import Conversation, fused_hits, is_follow_up, topic_words
from assistant.errors import QuestionError, UnknownDocumentError

DIALOGUES = Path(__file__).resolve().parents[1] / "bench" / "questions" / "dialogues.jsonl"


@pytest.mark.parametrize(
    ("question", "follow_up"),
    [
        ("and can either side leave earlier?", True),
        ("and what about cyber?", True),
        ("What about the UK?", True),
        ("How much notice is needed for that?", True),
        ("And changed?", True),
        ("When was it established?", True),
        ("What is GSOIA?", False),
        ("How long does the agreement last?", False),
        ("What does the agreement say about defence industry cooperation?", False),
    ],
)
def test_is_follow_up(question: str, follow_up: bool) -> None:
    assert is_follow_up(question) is follow_up


def test_topic_words_drop_question_and_agreement_words() -> None:
    assert topic_words("What will Canada do about sanctions against Russia?") == [
        "sanctions",
        "Russia",
    ]
    assert topic_words("and can either side leave earlier?") == ["leave"]


def test_follow_up_carries_the_topic_and_records_turns(hashing_bot) -> None:
    chat = Conversation(hashing_bot)
    chat.ask("What aircraft will the Netherlands provide?")
    answer = chat.ask("and for how long?")

    first, second = chat.turns
    assert (first.follow_up, first.query, first.docs) == (False, "", ("netherlands",))
    assert second.follow_up is True
    assert second.query == "and for how long? aircraft"
    assert second.docs == ("netherlands",)  # the scope the first question named
    assert answer.question == "and for how long?"
    assert {p.doc for p in answer.passages} == {"netherlands"}


def test_naming_another_partner_moves_the_scope_and_keeps_the_topic(hashing_bot) -> None:
    chat = Conversation(hashing_bot, strategy="carry")
    chat.ask("How long does the Netherlands agreement remain valid?")
    answer = chat.ask("What about the UK?")

    assert chat.turns[1].docs == ("united-kingdom",)
    assert chat.turns[1].query == "What about the UK? remain valid"
    assert answer.passages[0].text == "1. This Agreement will remain in force for ten years."


def test_reset_forgets_the_earlier_turns(hashing_bot) -> None:
    chat = Conversation(hashing_bot)
    chat.ask("What aircraft will the Netherlands provide?")
    chat.reset()
    chat.ask("and for how long?")

    assert len(chat.turns) == 1
    assert chat.turns[0].follow_up is False


def test_same_answer_as_ask_when_not_a_follow_up(hashing_bot) -> None:
    question = "What is GSOIA?"

    assert Conversation(hashing_bot).ask(question, k=3) == hashing_bot.ask(question, k=3)


def test_errors_are_the_assistants(hashing_bot) -> None:
    chat = Conversation(hashing_bot)
    with pytest.raises(QuestionError):
        chat.ask("   ")
    with pytest.raises(UnknownDocumentError, match="No document 'atlantis'"):
        chat.ask("What is GSOIA?", doc="atlantis")
    with pytest.raises(ValueError, match="strategy must be one of"):
        Conversation(hashing_bot, strategy="magic")
    assert chat.turns == ()


def test_fused_hits_rank_by_weighted_reciprocal_rank(hashing_bot) -> None:
    from assistant.search.retrieve import Hit

    a, b, c = (Hit(p, 1.0, 0.5, 0.0) for p in hashing_bot.snapshot.passages[1:4])
    # a: own 1st only; b: own 2nd and carried 1st; c: carried 2nd only
    fused = fused_hits([a, b], [b, c], k=3, carried_weight=0.5)

    assert [h.passage.id for h in fused] == [b.passage.id, a.passage.id, c.passage.id]
    assert fused_hits([a, b], [b, c], k=3, carried_weight=0.0)[0] == a


def test_dialogues_file_is_well_formed() -> None:
    rows = [json.loads(line) for line in DIALOGUES.read_text("utf-8").splitlines()]

    assert len(rows) == 24
    assert all(set(r) == {"id", "turns", "doc", "gold"} and len(r["turns"]) == 2 for r in rows)


@pytest.mark.model
@pytest.mark.corpus
def test_termination_follow_up_on_the_canada_agreement(real_bot) -> None:
    chat = Conversation(real_bot)
    chat.ask("How long does the agreement last?")
    answer = chat.ask("and can either side leave earlier?")

    assert not answer.abstained
    assert answer.answer.startswith("“This Agreement may be terminated by either Participant")
    assert answer.passages[0].citation == "Canada-Ukraine Agreement, Part VIII, D, para. 1"
    assert "may be terminated by either Participant" in answer.passages[0].text


@pytest.mark.model
@pytest.mark.corpus
def test_follow_up_resolution_beats_the_question_alone(real_bot) -> None:
    from assistant.evaluation import first_relevant

    rows = [json.loads(line) for line in DIALOGUES.read_text("utf-8").splitlines()]
    top5 = {}
    for strategy in ("none", "fuse"):
        found = 0
        for row in rows:
            chat = Conversation(real_bot, strategy=strategy)
            chat.ask(row["turns"][0])
            rank = first_relevant(chat.ask(row["turns"][1]).passages, row["doc"], row["gold"])
            found += rank is not None
        top5[strategy] = found

    assert top5["fuse"] > top5["none"]
