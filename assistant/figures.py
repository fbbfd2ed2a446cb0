"""Figures in a text, normalised so that the same figure written two ways compares equal:
amounts, durations, dates, years, percentages and places.

"$3.02B", "3.02 billion" and "$3.02 billion" are one amount, "ten (10) years", "10 years" and "a
decade" one duration, "24 February 2024" and "February 24, 2024" one date. :func:`check_figures`
says which figures of a claim a passage states, states differently, or does not state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_MONTH = "(?:" + "|".join(m.title() for m in _MONTHS) + ")"
_WORD_NUMBER = (
    rf"(?:(?:{'|'.join(_TENS)})(?:[\s-](?:{'|'.join(k for k in _UNITS if k != 'zero')}))?"
    rf"|{'|'.join(_UNITS)}|half\s+an?|a|an|a few)"
)
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_NUMBER = (
    rf"(?:(?P<word>{_WORD_NUMBER})\s*\(\s*(?P<paren>{_DIGITS})\s*\)"
    rf"|(?P<digits>{_DIGITS})|(?P<words>{_WORD_NUMBER}))"
)
_CURRENCY = r"US\$|C\$|CAD|USD|EUR|NOK|SEK|DKK|GBP|JPY|\$|€|£"
_SCALE = r"billion|million|thousand|bn|B|M|k"
_AMOUNT = re.compile(
    rf"(?:(?P<cur>{_CURRENCY})\s?(?P<num>{_DIGITS})\s?(?P<scale>{_SCALE})?\b(?:\s?(?:€|euros?))?"
    rf"|(?P<num2>{_DIGITS})\s(?P<scale2>billion|million|thousand)\b\s?(?P<cur2>€|euros?|"
    rf"(?:US |Canadian )?dollars|kroner|kronor|pounds|yen)?)"
)
_DURATION = re.compile(
    rf"\b{_NUMBER}[\s-](?P<unit>hour|day|week|month|year|decade)s?\b|\b(?P<decade>a decade)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    rf"\b(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:day\s+of\s+)?(?P<m1>{_MONTH}),?\s+(?P<y1>\d{{4}})"
    rf"|\b(?P<m2>{_MONTH})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,\s*(?P<y2>\d{{4}})"
    rf"|\b(?P<m3>{_MONTH})\s+(?P<y3>\d{{4}})"
)
_YEAR = re.compile(r"(?<![\d.,$€£])\b(?:19|20)\d{2}\b(?![.,]\d)")
_PERCENT = re.compile(rf"\b{_NUMBER}\s*(?:%|percent\b|per cent\b)", re.IGNORECASE)
_PLACE = re.compile(
    r"\b(?:in|at)\s+(?:the\s+city\s+of\s+)?(?P<place>[A-Z][a-z]+(?:[\s-][A-Z][a-z]+)*)"
)
_SCALES = {"billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3}
_NOT_PLACES = {m.title() for m in _MONTHS} | {"The", "This", "Its", "Their", "Russia’s"}


@dataclass(frozen=True)
class Quantity:
    """A figure as written (``text``, offsets into the searched string) and its normal form."""

    kind: str  # "amount", "duration", "date", "year", "percent" or "place"
    text: str
    value: str  # normal form: "3020000000", "10 year", "2024-02-24", "2024", "20", "Kyiv"
    start: int
    end: int


def number_value(text: str) -> float | None:
    """The value of a number written in digits or words.

    >>> number_value("twenty-four"), number_value("3,000"), number_value("a")
    (24.0, 3000.0, 1.0)
    """
    text = " ".join(text.strip().lower().split())
    if text in ("half a", "half an"):
        return 0.5
    if re.fullmatch(_DIGITS, text):
        return float(text.replace(",", ""))
    if text in ("a", "an"):
        return 1.0
    parts = re.split(r"[\s-]+", text)
    if len(parts) == 1:
        value = _UNITS.get(parts[0], _TENS.get(parts[0]))
        return None if value is None else float(value)
    if len(parts) == 2 and parts[0] in _TENS and parts[1] in _UNITS:
        return float(_TENS[parts[0]] + _UNITS[parts[1]])
    return None


def _number(match: re.Match) -> float | None:
    for group in ("paren", "digits", "words"):
        if match.group(group):
            return number_value(match.group(group))
    return None


def _plain(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def quantities(text: str) -> list[Quantity]:
    """Amounts, durations, dates, years, percentages and places in ``text``, in order.

    >>> [(q.kind, q.value) for q in quantities("Canada will provide $3.02B in 2024.")]
    [('amount', '3020000000'), ('year', '2024')]
    >>> [q.value for q in quantities("within twenty-four (24) hours; ten years; a decade")]
    ['24 hour', '10 year', '10 year']
    >>> [q.value for q in quantities("on February 24, 2024 and 24 February 2024")]
    ['2024-02-24', '2024-02-24']
    """
    found = _amounts(text) + _durations(text) + _dates(text) + _percents(text)
    taken = [(q.start, q.end) for q in found]
    found += [
        Quantity("year", m.group(0), m.group(0), m.start(), m.end())
        for m in _YEAR.finditer(text)
        if not any(s <= m.start() < e for s, e in taken)
    ]
    found += [
        Quantity("place", m.group("place"), m.group("place"), m.start("place"), m.end("place"))
        for m in _PLACE.finditer(text)
        if m.group("place") not in _NOT_PLACES
    ]
    return sorted(found, key=lambda q: (q.start, q.kind))


def _amounts(text: str) -> list[Quantity]:
    out = []
    for m in _AMOUNT.finditer(text):
        number = m.group("num") or m.group("num2")
        scale = (m.group("scale") or m.group("scale2") or "").lower()
        value = float(number.replace(",", "")) * _SCALES.get(scale, 1.0)
        out.append(Quantity("amount", m.group(0).strip(), _plain(value), m.start(), m.end()))
    return out


def _durations(text: str) -> list[Quantity]:
    out = []
    for m in _DURATION.finditer(text):
        if m.group("decade"):
            n, unit = 10.0, "year"
        else:
            n, unit = _number(m), m.group("unit").lower()
            if n is None:
                continue
            if unit == "decade":
                n, unit = n * 10, "year"
        out.append(Quantity("duration", m.group(0), f"{_plain(n)} {unit}", m.start(), m.end()))
    return out


def _dates(text: str) -> list[Quantity]:
    out = []
    for m in _DATE.finditer(text):
        day = m.group("d1") or m.group("d2")
        month = m.group("m1") or m.group("m2") or m.group("m3")
        year = m.group("y1") or m.group("y2") or m.group("y3")
        value = f"{year}-{_MONTHS.index(month.lower()) + 1:02d}"
        value += f"-{int(day):02d}" if day else ""
        out.append(Quantity("date", m.group(0), value, m.start(), m.end()))
    return out


def _percents(text: str) -> list[Quantity]:
    return [
        Quantity("percent", m.group(0), _plain(n), m.start(), m.end())
        for m in _PERCENT.finditer(text)
        if (n := _number(m)) is not None
    ]


@dataclass(frozen=True)
class Mismatch:
    """A figure of the claim that the clause states differently."""

    kind: str
    claim: str
    found: str
    citation: str


def matches(wanted: Quantity, other: Quantity) -> bool:
    """Whether ``other`` states the figure ``wanted`` (a year matches a date in that year; an
    amount within half a percent: "$3.02B" is "3.02 billion")."""
    if wanted.kind == "year":
        return other.kind in ("year", "date") and other.value.startswith(wanted.value)
    if wanted.kind == "date" and other.kind == "date":
        shorter, longer = sorted((wanted.value, other.value), key=len)
        return longer.startswith(shorter)
    if wanted.kind != other.kind:
        return False
    if wanted.kind == "amount":
        a, b = float(wanted.value), float(other.value)
        return abs(a - b) <= 0.005 * max(a, b)
    if wanted.kind == "duration":
        return _in_base_unit(wanted.value) == _in_base_unit(other.value)
    return wanted.value == other.value


# Durations compare across units: hours with days and weeks, months with years ("within a day"
# is "within twenty-four (24) hours"; "half a year" is "six (6) months").
_BASE_UNITS = {
    "hour": ("hour", 1),
    "day": ("hour", 24),
    "week": ("hour", 168),
    "month": ("month", 1),
    "year": ("month", 12),
}


def _in_base_unit(value: str) -> tuple[str, float]:
    """ "1 day" -> ("hour", 24.0); "0.5 year" -> ("month", 6.0)."""
    number, unit = value.split()
    base, factor = _BASE_UNITS.get(unit, (unit, 1))
    return base, round(float(number) * factor, 6)


def _comparable(wanted: Quantity, other: Quantity) -> bool:
    """Would ``other`` state the same thing as ``wanted`` if its value were the same?"""
    if wanted.kind in ("year", "date"):
        return other.kind in ("year", "date")
    return wanted.kind == other.kind


def check_figures(
    claim: list[Quantity], passages: list[tuple[str, str]]
) -> tuple[list[Mismatch], list[str]]:
    """Mismatches and absent figures of ``claim`` in ``(text, citation)`` passages, best first.

    A figure is confirmed when any passage states it; otherwise the first passage stating a
    figure of the same kind names the mismatch; otherwise it is absent.

    >>> wrong, absent = check_figures(quantities("for five years"), [("for ten (10) years", "")])
    >>> wrong[0].claim, wrong[0].found, absent
    ('five years', 'ten (10) years', [])
    """
    found = [(quantities(text), text, where) for text, where in passages]
    mismatches, absent = [], []
    for wanted in claim:
        # A place counts where a passage says "in/at X", or anywhere in the best passage
        # (not in any passage: "Ottawa Convention" does not mean signed in Ottawa).
        if wanted.kind == "place" and found and wanted.value in found[0][1]:
            continue
        if any(matches(wanted, q) for qs, _, _ in found for q in qs):
            continue
        rival = next(
            ((q, where) for qs, _, where in found for q in qs if _comparable(wanted, q)), None
        )
        if rival:
            mismatches.append(Mismatch(wanted.kind, wanted.text, rival[0].text, rival[1]))
        else:
            absent.append(wanted.text)
    return mismatches, absent
