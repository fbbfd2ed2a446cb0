"""Tests for :mod:`assistant.answer` and the :class:`assistant.assistant.Assistant` facade: the
JSON contract, verbatim quotes, question validation and abstention."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import ANSWER_KEYS, PASSAGE_KEYS

from assistant.answer import NOT_ADDRESSED, Answer, highlight_span, sentences
from assistant.errors import QuestionError, UnknownDocumentError
from assistant.evaluation import read_questions

REPO = Path(__file__).resolve().parents[1]
OFF_TOPIC = "What is the best recipe for chocolate cake?"


def assert_verbatim(bot, answer: Answer) -> None:
    for p in answer.passages:
        document = bot.documents[p.doc]
        assert document.text[p.start : p.end] == p.text
        assert p.highlight and p.highlight in p.text
        assert p.title == document.info.title


def test_to_dict_has_exactly_the_contract_keys(hashing_bot) -> None:
    out = hashing_bot.ask("What is GSOIA?", k=3).to_dict()

    assert set(out) == ANSWER_KEYS
    assert [set(p) for p in out["passages"]] == [PASSAGE_KEYS] * 3
    top = out["passages"][0]
    assert {k: v for k, v in top.items() if k != "score"} == {
        "rank": 1,
        "doc": "united-kingdom",
        "title": "Agreement on Security Co-operation between the United Kingdom and Ukraine",
        "section": ["Part I. Cyber Security"],
        "number": "1",
        "citation": "United Kingdom-Ukraine Agreement, Part I, para. 1",
        "text": "1. The Participants will seek to conclude a General Security of Information "
        "Agreement (GSOIA) between their respective countries.",
        "highlight": "The Participants will seek to conclude a General Security of Information "
        "Agreement (GSOIA) between their respective countries.",
        "start": 99,
        "end": 228,
    }
    assert isinstance(top["score"], float)


def test_answer_quotes_the_best_passage_with_its_citation(hashing_bot) -> None:
    answer = hashing_bot.ask("What is GSOIA?")
    best = answer.passages[0]

    assert answer.abstained is False
    assert answer.answer == f"“{best.highlight}” ({best.citation})"
    assert [p.rank for p in answer.passages] == [1, 2, 3, 4, 5]  # the default k
    assert [p.score for p in answer.passages] == sorted(
        (p.score for p in answer.passages), reverse=True
    )
    assert_verbatim(hashing_bot, answer)


@pytest.mark.parametrize(
    "question",
    [
        "How long does the agreement last?",
        OFF_TOPIC,
        "Under the UK agreement, what about cyber?",
        "What do the Dutch commit?",
        "munitions",
    ],
)
def test_every_quote_is_verbatim(hashing_bot, question: str) -> None:
    assert_verbatim(hashing_bot, hashing_bot.ask(question, k=10))


def test_answers_are_frozen(hashing_bot) -> None:
    answer = hashing_bot.ask("What is GSOIA?")

    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.abstained = True  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        answer.passages[0].text = "forged"  # type: ignore[misc]


def test_off_topic_question_abstains_but_still_shows_the_nearest_clauses(hashing_bot) -> None:
    answer = hashing_bot.ask(OFF_TOPIC, k=3)

    assert answer.abstained is True
    assert answer.answer == NOT_ADDRESSED
    assert len(answer.passages) == 3


def test_scope_from_the_question_and_from_doc(hashing_bot) -> None:
    assert {p.doc for p in hashing_bot.ask("What do the Dutch commit?", k=10).passages} == {
        "netherlands"
    }
    assert {p.doc for p in hashing_bot.ask("ten years", k=10, doc="united-states").passages} == {
        "united-states"
    }


def test_k_limits_the_passages(hashing_bot) -> None:
    assert len(hashing_bot.ask("ten years", k=2).passages) == 2


def test_question_whitespace_is_collapsed(hashing_bot) -> None:
    assert hashing_bot.ask("  What is\n\tGSOIA?  ").question == "What is GSOIA?"


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\u200b\x00\x1b"])
def test_empty_question_is_refused(hashing_bot, question) -> None:
    with pytest.raises(QuestionError) as error:
        hashing_bot.ask(question)
    assert str(error.value) == "Please type a question (it was empty)."


@pytest.mark.parametrize(("question", "kind"), [(None, "NoneType"), (42, "int"), (["q"], "list")])
def test_a_question_that_is_not_text_is_refused_saying_so(hashing_bot, question, kind) -> None:
    with pytest.raises(QuestionError) as error:
        hashing_bot.ask(question)
    assert str(error.value) == f"The question must be text, not {kind}."


def test_control_invisible_and_broken_characters_are_cleaned_from_a_question(hashing_bot) -> None:
    question = "What\x1b[31m is\u200b GSOIA\ud800?"

    assert hashing_bot.ask(question).question == "What[31m is GSOIA\ufffd?"


def test_question_over_the_limit_is_refused(hashing_bot) -> None:
    limit = hashing_bot.settings.max_question_chars

    assert limit == 1000
    assert hashing_bot.ask("a" * limit).question == "a" * limit
    with pytest.raises(QuestionError) as error:
        hashing_bot.ask("a" * (limit + 1))
    assert str(error.value) == (
        "The question has 1001 characters; the limit is 1000. Please shorten it."
    )


def test_unknown_document_is_named(hashing_bot) -> None:
    with pytest.raises(UnknownDocumentError) as error:
        hashing_bot.ask("ten years", doc="nope")
    assert str(error.value) == (
        "No document 'nope' in the index. Known: netherlands, united-kingdom, united-states."
    )


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("One sentence only", [(0, 17)]),
        ("First. Second one; (a) third? “Quoted” end", [(0, 6), (7, 18), (19, 29), (30, 42)]),
        ("Ends with e.g. lower case. Next", [(0, 26), (27, 31)]),
        ("", []),
    ],
)
def test_sentences(text: str, spans: list[tuple[int, int]]) -> None:
    assert sentences(text) == spans


def test_highlight_span_picks_the_sentence_sharing_most_question_words() -> None:
    text = (
        "The Participants will consult within twenty-four (24) hours of any future armed "
        "attack. They will also meet every year to review implementation of this Agreement."
    )
    second = text.index("They")

    assert second - 1 >= 80  # long enough to stand alone
    assert highlight_span(text, {"meet", "year", "review"}) == (second, len(text))
    assert highlight_span(text, {"armed", "attack"}) == (0, second - 1)


def test_highlight_span_prefers_dense_sentence_scores() -> None:
    text = (
        "The Participants will consult within twenty-four (24) hours of any future armed "
        "attack. They will also meet every year to review implementation of this Agreement."
    )
    second = text.index("They")

    assert highlight_span(text, {"attack"}, [0.1, 1.5]) == (second, len(text))


def test_a_short_best_sentence_is_joined_with_the_next() -> None:
    text = "Canada will help. It will provide long-term military and financial support to Ukraine."

    assert highlight_span(text, {"help"}) == (0, len(text))


# --- The real model on the real Canada agreement -------------------------------------------------


@pytest.mark.model
@pytest.mark.corpus
def test_real_off_topic_question_abstains(real_bot) -> None:
    answer = real_bot.ask(OFF_TOPIC)

    assert answer.abstained is True
    assert answer.answer == NOT_ADDRESSED


@pytest.mark.model
@pytest.mark.corpus
def test_real_duration_question(real_bot) -> None:
    answer = real_bot.ask("How long does the agreement last?")
    top = answer.passages[0]

    assert answer.abstained is False
    assert top.text == (
        "This Agreement will enter into effect on the date of signature and is "
        "valid for a period of ten (10) years."
    )
    assert top.citation == "Canada-Ukraine Agreement, Part VIII, A, para. 1"
    assert answer.answer == f"“{top.text}” (Canada-Ukraine Agreement, Part VIII, A, para. 1)"
    assert_verbatim(real_bot, answer)


@pytest.mark.model
@pytest.mark.corpus
def test_real_gsoia_question(real_bot) -> None:
    answer = real_bot.ask("What is GSOIA?")

    assert answer.abstained is False
    assert "Canada-Ukraine Agreement, Part IV, C, para. 2" in [
        p.citation for p in answer.passages[:3]
    ]
    assert_verbatim(real_bot, answer)


def test_a_question_in_another_language_says_so_and_still_quotes(hashing_bot) -> None:
    answer = hashing_bot.ask("Quelle est la durée de l’accord ?", k=2)

    assert answer.answer.startswith("Your question looks French; the bundled model reads English")
    assert len(answer.passages) == 2
    assert set(answer.to_dict()) == ANSWER_KEYS


def test_an_english_question_gets_no_language_notice(hashing_bot) -> None:
    assert "Your question looks" not in hashing_bot.ask("What is GSOIA?").answer


def test_the_primary_agreement_answers_and_names_the_others_that_address_it(hashing_bot) -> None:
    from assistant import Assistant
    from tests.conftest import CLEAN_SETTINGS

    bot = Assistant(
        hashing_bot.snapshot, hashing_bot.embedder, CLEAN_SETTINGS.with_(primary="united-kingdom")
    )

    answer = bot.ask("How long will this Agreement remain in force?")

    assert {p.doc for p in answer.passages} == {"united-kingdom"}
    assert answer.also == ("united-states",)
    assert answer.answer.endswith("\nAlso addressed in 1 other agreement (see Compare).")
    assert answer.to_dict()["also"] == ["united-states"]
    named = bot.ask("How long will the US agreement remain in force?")
    assert {p.doc for p in named.passages} == {"united-states"} and named.also == ()
    assert bot.ask("What is the weather in Paris?").also == ()  # abstained: nothing to add


# --- Abstention with the question bank (thousands of short questions indexed) --------------------

OFF_TOPICS = REPO / "bench" / "questions" / "off_topic.jsonl"


@pytest.mark.model
@pytest.mark.corpus
def test_off_topic_questions_abstain_with_all_28_and_their_banks(real_all_bot) -> None:
    questions = [row["q"] for row in read_questions(OFF_TOPICS)]
    answered = [q for q in questions if not real_all_bot.ask(q).abstained]

    assert len(questions) == 42
    assert len(answered) <= 2, answered


@pytest.mark.model
@pytest.mark.corpus
def test_answerable_questions_are_not_declared_unaddressed(real_bot, real_all_bot) -> None:
    from bench.quality import question_sets

    abstained = []
    for name, questions in question_sets().items():
        for row in questions:
            bot = real_bot if row["doc"] == "canada" else real_all_bot
            if bot.ask(row["q"]).abstained:
                abstained.append((name, row["id"], row["q"]))

    assert len(abstained) <= 2, abstained


def test_with_a_bank_a_far_question_abstains_and_a_near_one_does_not() -> None:
    from assistant.answer import should_abstain

    texts = ["The Participants will consult within twenty-four (24) hours."]
    # Without a bank the passage bar alone decides (0.33).
    assert should_abstain(0.34, "recipe for borscht", texts) is False
    # With one, a question far from every bank question needs a little more (0.36) ...
    assert should_abstain(0.34, "recipe for borscht", texts, top_bank=0.30) is True
    # ... and one near a bank question is answered even when the passages look far.
    assert should_abstain(0.20, "What is the formal name?", texts, top_bank=0.50) is False
    # Words the passage shares decide alone, as before.
    assert should_abstain(0.0, "consult within hours", texts, top_bank=0.0) is False
