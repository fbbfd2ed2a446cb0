"""What a document says about itself: title, partners, language, where and when it was signed."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_SIGNED = re.compile(
    r"(?:^|\n)(?i:signed|done)\b,?(?:\s+in\s+duplicate)?\s+(?:in|at)\s+(?:the\s+city\s+of\s+)?"
    r"(?P<place>[A-Z][\w\-]*(?:\.[A-Z]\.?)?(?:\s+(?:(?:di|de|del|da|la|am)\s+)?[A-Z][\w\-]*"
    r"(?:\.[A-Z]\.?)?)*"
    r"(?:,\s+D\.C\.)?(?:\s+\([A-Z][\w\s\-]*\))?)"
    r"(?P<rest>[^\n]{0,80})"
)
_ORDINAL_DATE = re.compile(
    rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:day\s+of\s+)?({_MONTHS}),?\s+(\d{{4}})", re.IGNORECASE
)
_SIGNED_UK = re.compile(
    r"(?:Підписано|Вчинено)[^.]*?\bв\s+(?:м\.\s*)?([А-ЯІЇЄҐ][\w\-]+)"
    r"[^.]*?(\d{1,2}\s+\w+\s+\d{4})"
)
_BETWEEN = re.compile(r"\bbetween\s+(.+?)\s+and\s+(.+?)(?:\s+on\s+.*)?\s*$", re.IGNORECASE)
_STATE_FORM = re.compile(
    r"^(?:the\s+)?(?:(?:Federal\s+)?(?:Republic|Kingdom|Grand-Duchy|Government)"
    r"\s+of\s+(?:the\s+)?)?",
    re.IGNORECASE,
)
_FRENCH_WORDS = re.compile(r"\b(le|la|les|des|et|est|une|pour|dans|avec|qui|que)\b", re.I)


@dataclass(frozen=True)
class DocumentInfo:
    """Metadata of one document, as stated in its text (``None`` where it does not say)."""

    doc: str
    title: str
    partners: tuple[str, ...]
    language: str
    signed_place: str | None
    signed_date: str | None


def describe(doc: str, title: str, text: str) -> DocumentInfo:
    """Read a document's metadata from its title and canonical text."""
    place, date = signing(text)
    return DocumentInfo(doc, title, partners(doc, title), language(text), place, date)


def language(text: str) -> str:
    """'uk' for Cyrillic text, 'fr' for French, else 'en' (enough to warn, not to translate)."""
    letters = [c for c in text[:5000] if c.isalpha()]
    if letters and sum("\u0400" <= c <= "\u04ff" for c in letters) / len(letters) > 0.3:
        return "uk"
    words = len(text[:5000].split()) or 1
    return "fr" if len(_FRENCH_WORDS.findall(text[:5000])) / words > 0.08 else "en"


def signing(text: str) -> tuple[str | None, str | None]:
    """The place and date of the last signing statement ("Signed in Kyiv on 24 February 2024")."""
    matches = list(_SIGNED.finditer(text))
    if matches:
        last = matches[-1]
        date = _ORDINAL_DATE.search(last.group("rest"))
        month_first = re.search(rf"({_MONTHS})\s+(\d{{1,2}}),\s+(\d{{4}})", last.group("rest"))
        if date:
            when = f"{int(date.group(1))} {date.group(2).title()} {date.group(3)}"
        elif month_first:
            when = f"{int(month_first.group(2))} {month_first.group(1)} {month_first.group(3)}"
        else:
            when = None
        return last.group("place").strip(" ,"), when
    uk = list(_SIGNED_UK.finditer(text))
    if uk:
        return uk[-1].group(1), uk[-1].group(2)
    return None, None


def _tidy(name: str) -> str:
    """Title-case names that a PDF title sets in capitals ("NORWAY" -> "Norway")."""
    if name.upper() != name:
        return name
    return " ".join(
        w if w in ("&",) else w.capitalize() if w.lower() not in ("of", "and") else w.lower()
        for w in name.split()
    )


def partners(doc: str, title: str) -> tuple[str, ...]:
    """The parties other than Ukraine, from "... between X and Y" or else from the file name."""
    match = _BETWEEN.search(title)
    if match:
        sides = [s.strip(" .") for s in match.groups()]
        others = [s for s in sides if "ukrain" not in s.lower()]
        if others:
            return tuple(_tidy(_STATE_FORM.sub("", s)) for s in others)
    return (doc.replace("-", " ").title(),)
