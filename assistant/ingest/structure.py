"""From a file's blocks to passages that follow the document's own structure.

The canonical text of a document is its blocks joined by blank lines. Each passage is one
contiguous span of that text: a numbered paragraph, one enumerated item ("(v)", "(A)"), or an
unnumbered body paragraph. Headings become the section path of the passages under them; the
lead-in of an enumerated item is kept beside it as ``context`` (for retrieval and display), never
inside the quoted span.

Example: Canada's "(A) To advance this effort ..." under "(v)" under paragraph 7 of section
"A. Defence Cooperation and Support" of Part IV gets number ``"7(v)(A)"`` and section path
``("Part IV. Areas for ...", "A. Defence Cooperation and Support")``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.ingest.readers import Block

SEPARATOR = "\n\n"
_ROMAN = r"(?:X{0,3})(?:IX|IV|V?I{0,3})"
_PART = re.compile(
    rf"^(?:Part|PART|Article|ARTICLE|Chapter|CHAPTER|Section|SECTION|Paragraph|PARAGRAPH|"
    rf"Частина|ЧАСТИНА|Розділ|Стаття)\s+(?:{_ROMAN}|\d{{1,2}}|[A-Z])\b"
)
_ROMAN_HEADING = re.compile(rf"^(?!{_ROMAN}\s*$)({_ROMAN})(?:\.|\s)\s*\S")
_LETTER_HEADING = re.compile(r"^[A-Z][.)]\s+\S")
_NUMBER_HEADING = re.compile(r"^\d{1,2}[.)]?\s+\S")
_SUB_HEADING = re.compile(r"^[a-z][.)]\s+\S")
_FRONT_MATTER = re.compile(r"^(preamble|introduction|преамбула|вступ)$", re.IGNORECASE)
_PARAGRAPH_MARKER = re.compile(r"^(\d{1,3})[.)]\s+")
_ITEM_MARKER = re.compile(r"^\(([ivxlc]{1,7}|[a-zA-Z]|\d{1,2})\)\s+|^([a-z]|[ivx]{1,5})[.)]\s+")
_SIGNED = re.compile(r"^(signed|done|підписано|вчинено)\b", re.IGNORECASE)
# After the signatures: an annex starts a new part of the document; footnotes are notes.
_ANNEX = re.compile(r"^(annex|appendix|додаток)\b.{0,60}$", re.IGNORECASE)
_FOOTNOTE = re.compile(r"^\[\d{1,3}\]\s")


@dataclass(frozen=True)
class Passage:
    """One quotable span of a document, with where it sits in the document's structure."""

    doc: str
    ordinal: int
    section: tuple[str, ...]
    number: str | None
    kind: str  # "title", "paragraph", "item", "text" or "signature"
    start: int
    end: int
    text: str
    context: str = ""

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.ordinal}"


@dataclass
class _State:
    parts: list[str] = field(default_factory=list)  # the section path, outermost first
    levels: list[int] = field(default_factory=list)  # heading level of each path entry
    paragraph: str | None = None  # number of the current numbered paragraph
    lead_in: str = ""  # text of the current paragraph, the lead-in of its items
    items: list[tuple[str, str, str]] = field(default_factory=list)  # (style, label, text)
    signed: bool = False
    last_letter: str = ""  # letter of the last "A. ..." section, to read "I." after "H." as I


def canonical_text(blocks: list[Block]) -> tuple[str, list[int]]:
    """Join block texts into the canonical text; return it with each block's start offset."""
    starts, offset = [], 0
    for block in blocks:
        starts.append(offset)
        offset += len(block.text) + len(SEPARATOR)
    return SEPARATOR.join(b.text for b in blocks), starts


def heading_level(block: Block) -> int | None:
    """1 for Part-level headings, 2 for sections, 3 for sub-sections; None for body text.

    >>> heading_level(Block("Part II. Consultation Processes"))
    1
    >>> heading_level(Block("C. Intelligence and Counterintelligence Cooperation"))
    2
    """
    text = block.text
    if block.number is not None and block.list_level not in (None, 0):
        return None
    if len(text) > 160 or text[-1] in ".;,:" and not _PART.match(text):
        return None
    if block.heading:
        return 1 if (_PART.match(text) or _ROMAN_HEADING.match(text)) else 2
    if _PART.match(text) or _FRONT_MATTER.match(text):
        return 1
    if block.number is not None:  # an auto-numbered short line without a full stop
        if not (block.number.isalpha() and block.number.isupper()):
            return None
        # "II" numbers a Part; a single letter is a section, except "I" (Part I)
        number = block.number
        roman = number == "I" or (len(number) > 1 and re.fullmatch(_ROMAN, number))
        return 1 if roman else 2
    if block.list_level is not None:
        return None
    if _ROMAN_HEADING.match(text) and len(text) < 120:
        return 1
    if _LETTER_HEADING.match(text) or _NUMBER_HEADING.match(text):
        return 2 if len(text) < 120 else None
    if _SUB_HEADING.match(text):
        return 3 if len(text) < 100 else None
    if _looks_like_title(text):
        return 2
    return None


def _looks_like_title(text: str) -> bool:
    words = text.split()
    return (
        len(text) < 100
        and len(words) <= 14
        and text[0].isupper()
        and not text.lower().startswith(("for ", "signed", "done"))
        and text[-1] not in ".;,:!?"
    )


def title_length(blocks: list[Block]) -> int:
    """How many leading blocks form the title: the first, plus the all-capital lines that
    continue it in PDFs ("AGREEMENT" / "BETWEEN" / "THE UNITED KINGDOM ..." / "AND" / "UKRAINE")."""
    count = 1
    for block in blocks[1:]:
        text = block.text
        if (
            len(text) < 120
            and text.upper() == text
            and any(c.isalpha() for c in text)
            and not _PART.match(text)
            and not _FRONT_MATTER.match(text)
            and blocks[0].text.upper() == blocks[0].text
        ):
            count += 1
        else:
            break
    return count


def title_of(blocks: list[Block]) -> str:
    return " ".join(b.text for b in blocks[: title_length(blocks)])


def passages_from_blocks(doc: str, blocks: list[Block]) -> list[Passage]:
    """Split a document's blocks into passages; offsets index :func:`canonical_text`."""
    text, starts = canonical_text(blocks)
    state = _State()
    titled = title_length(blocks)
    end = starts[titled - 1] + len(blocks[titled - 1].text)
    passages: list[Passage] = [Passage(doc, 0, (), None, "title", 0, end, text[:end])]
    for i, (block, start) in enumerate(zip(blocks, starts, strict=True)):
        if i < titled:
            continue
        annex = state.signed and bool(_ANNEX.match(block.text))
        if annex:
            state.signed = False  # the annex is body text again, under a heading of its own
        level = 1 if annex else None if state.signed else heading_level(block)
        if level == 1 and _continues_letters(block.text, state.last_letter):
            level = 2  # "I. Resilience ..." after "H. Economic ..." is section I, not Part I
        if level == 2 and _LETTER_HEADING.match(block.text):
            state.last_letter = block.text[0]
        elif level == 1:
            state.last_letter = ""
        if level is not None:
            _enter_heading(state, block, level)
            continue
        passage = _passage_for(doc, len(passages), block, start, state)
        passages.append(passage)
    return passages


def _continues_letters(text: str, last_letter: str) -> bool:
    return (
        bool(last_letter)
        and len(text) > 2
        and text[1] in ".)"
        and ord(text[0]) == ord(last_letter) + 1
    )


def _enter_heading(state: _State, block: Block, level: int) -> None:
    while state.levels and state.levels[-1] >= level:
        state.levels.pop()
        state.parts.pop()
    title = f"{block.number}. {block.text}" if block.number else block.text
    state.parts.append(title)
    state.levels.append(level)
    state.paragraph, state.lead_in, state.items = None, "", []


def _passage_for(doc: str, ordinal: int, block: Block, start: int, state: _State) -> Passage:
    text, end = block.text, start + len(block.text)
    section = tuple(state.parts)
    if state.signed and _FOOTNOTE.match(text):
        return Passage(doc, ordinal, ("Notes",), None, "text", start, end, text)
    if state.signed or _SIGNED.match(text):
        state.signed = True
        return Passage(doc, ordinal, ("Signatures",), None, "signature", start, end, text)
    item = _ITEM_MARKER.match(text)
    nested = block.list_level is not None and block.list_level > 0
    if item or (nested and state.paragraph is not None):
        label = (item.group(1) or item.group(2)) if item else (block.number or "")
        depth, style = _item_depth(state, label, block.list_level)
        state.items = state.items[:depth]
        context = " … ".join(
            [state.lead_in] + [t for _, _, t in state.items]
            if state.lead_in
            else [t for _, _, t in state.items]
        )
        state.items.append((style, label, text))
        number = (state.paragraph or "") + "".join(f"({lab})" for _, lab, _ in state.items if lab)
        return Passage(doc, ordinal, section, number or None, "item", start, end, text, context)
    marker = _PARAGRAPH_MARKER.match(text)
    number = block.number if block.list_level == 0 else None
    if number is None and marker:
        number = marker.group(1)
    state.paragraph, state.lead_in, state.items = number, text, []
    kind = "paragraph" if number else "text"
    return Passage(doc, ordinal, section, number, kind, start, end, text)


def _style(label: str) -> str:
    if label.isdigit():
        return "digit"
    if re.fullmatch(r"[ivxlc]+", label):
        return "roman"
    return "upper" if label.isupper() else "lower"


def _item_depth(state: _State, label: str, list_level: int | None) -> tuple[int, str]:
    """How many enclosing items this one has (from Word's level when known, else by marker
    style), and the item's marker style."""
    style = _style(label)
    if style == "roman" and len(label) == 1 and any(s == "lower" for s, _, _ in state.items):
        style = "lower"  # "(i)" after "(h)" is the letter i
    if list_level is not None and list_level > 0:
        return min(list_level - 1, len(state.items)), style
    for depth, (item_style, _, _) in enumerate(state.items):
        if item_style == style:
            return depth, style
    return len(state.items), style
