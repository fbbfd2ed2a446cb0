"""Tests for :mod:`assistant.language`: detection of Ukrainian and French questions and the
plain notices users get."""

from __future__ import annotations

import pytest

from assistant.language import detect_language, document_notice, question_notice


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("How long does the agreement last?", "en"),
        ("What is GSOIA?", "en"),
        ("What about the EU?", "en"),
        ("Скільки триває угода?", "uk"),
        ("Що передбачає угода щодо санкцій? (CUSSP)", "uk"),
        ("Combien de temps dure l'accord ?", "fr"),
        ("Que dit l'accord sur les sanctions ?", "fr"),
        ("Quelle est la durée de l'accord?", "fr"),
        ("What does the agreement say about the Défense?", "en"),
        ("", "en"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_question_notice_says_plainly_what_to_do() -> None:
    assert question_notice("How long does it last?") is None
    assert question_notice("Скільки триває угода?") == (
        "Your question looks Ukrainian; the bundled model reads English only, so these matches "
        "may be poor. Ask in English, or set ASSISTANT_MODEL to a multilingual "
        "sentence-transformers model and rebuild the index."
    )


def test_document_notice_names_both_languages() -> None:
    assert document_notice("en", "en") is None
    assert document_notice("en", "uk") == "document is in Ukrainian; the question is in English"
    assert document_notice("fr", "en") == "document is in English; the question is in French"


def test_conversation_answer_carries_the_notice(hashing_bot) -> None:
    from assistant.conversation import Conversation

    answer = Conversation(hashing_bot).ask("Combien de temps dure l'accord ?")

    assert answer.question == "Combien de temps dure l'accord ?"
    assert answer.answer.startswith("Your question looks French; the bundled model reads English")
