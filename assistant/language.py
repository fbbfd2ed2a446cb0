"""Which language a question is written in, and the plain notice users get when it is not the
language the bundled model reads (English) or not the language of the agreement searched.

Deliberately simple: Cyrillic letters mean Ukrainian, French accents or function words mean
French, anything else is taken as English. Enough to warn, not to translate.
"""

from __future__ import annotations

import re

NAMES = {"en": "English", "fr": "French", "uk": "Ukrainian"}
MODEL_LANGUAGE = "en"  # all-MiniLM-L6-v2, the bundled model, was trained on English only
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LETTERS = re.compile(r"[^\W\d_]")
_FRENCH_ACCENTS = re.compile(r"[éèêàùâîôûçœë]", re.IGNORECASE)
_FRENCH_WORDS = frozenset(
    """le la les des du de un une et est sont que qui quoi quel quelle quels quelles pour dans
    avec sur par ou où combien comment pourquoi quand accord cet cette ces il elle ils nous vous
    leur leurs pas ne au aux dit prévoit""".split()
)
_ENGLISH_WORDS = frozenset(
    """the a an of and is are what how when who which does do will can to in on for with by
    about""".split()
)
_WORD = re.compile(r"[a-zà-ÿœ']+", re.IGNORECASE)


def detect_language(text: str) -> str:
    """'uk' for Cyrillic text, 'fr' for French, else 'en'.

    >>> detect_language("Скільки триває угода?")
    'uk'
    >>> detect_language("Combien de temps dure l'accord ?")
    'fr'
    >>> detect_language("How long does the agreement last?")
    'en'
    """
    letters = _LETTERS.findall(text)
    if letters and len(_CYRILLIC.findall(text)) / len(letters) > 0.3:
        return "uk"
    words = [w.split("'")[-1] for w in _WORD.findall(text.lower())]
    french = sum(w in _FRENCH_WORDS for w in words)
    english = sum(w in _ENGLISH_WORDS for w in words)
    if _FRENCH_ACCENTS.search(text) and french >= english:
        return "fr"
    return "fr" if french >= 2 and french > english else "en"


def question_notice(question: str) -> str | None:
    """A plain warning when the question is not in the model's language, else None.

    >>> question_notice("What is GSOIA?") is None
    True
    """
    asked = detect_language(question)
    if asked == MODEL_LANGUAGE:
        return None
    return (
        f"Your question looks {NAMES[asked]}; the bundled model reads English only, so these "
        "matches may be poor. Ask in English, or set ASSISTANT_MODEL to a multilingual "
        "sentence-transformers model and rebuild the index."
    )


def document_notice(question_language: str, document_language: str) -> str | None:
    """A plain note when an agreement is written in another language than the question.

    >>> document_notice("en", "uk")
    'document is in Ukrainian; the question is in English'
    """
    if question_language == document_language:
        return None
    name = NAMES.get(document_language, document_language)
    return f"document is in {name}; the question is in {NAMES.get(question_language)}"
