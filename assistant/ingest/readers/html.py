"""Read an HTML page into paragraphs: one block per heading, paragraph, list item or table cell.

Only visible text counts: ``<script>``, ``<style>``, ``<nav>``, ``<head>``, ``<noscript>`` and
``<template>`` are dropped with everything inside them, and so are elements marked ``hidden`` or
styled ``display: none``, because a reader must not quote what a visitor never sees. Character
references are decoded, so ``&lt;b&gt;`` in the page is the text ``<b>``, never a tag.

Ordered lists carry the number the browser would draw (``start=``, ``type=``, ``<li value=>``)
in :attr:`Block.number`, because that number is not part of the text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

from assistant.errors import CorpusError
from assistant.ingest.readers import Block, clean_text

logger = logging.getLogger(__name__)

_IGNORED = frozenset({"script", "style", "nav", "head", "noscript", "template", "title"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Elements that break the flow of text: their content never runs on into a neighbour's.
_BLOCK_TAGS = _HEADINGS.union(
    """address article aside blockquote body caption center dd details dialog div dl dt fieldset
    figcaption figure footer form header hr html li main ol p pre section summary table tbody td
    tfoot th thead tr ul""".split()
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


@dataclass
class _List:
    """An open ``<ol>`` or ``<ul>`` while walking: its marker style and the next number."""

    ordered: bool
    style: str = "1"
    next_value: int = 1


@dataclass
class _Walk:
    """What the walk has produced so far and the lists it is inside."""

    blocks: list[Block] = field(default_factory=list)
    lists: list[_List] = field(default_factory=list)


def read(path: Path) -> list[Block]:
    """Read the HTML file at ``path`` into blocks, in document order.

    Example: ``<ol start="3"><li>Scope</li></ol>`` gives ``Block("Scope", list_level=0,
    number="3")``.
    """
    raw = path.read_bytes()
    if b"\x00" in raw and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 has NULs
        raise CorpusError(f"'{path}' is not an HTML file (it holds NUL bytes).")
    soup = BeautifulSoup(raw, "html.parser")
    walk = _Walk()
    _visit(soup, walk, Block(""))
    logger.debug("Read %d blocks from '%s'", len(walk.blocks), path)
    return walk.blocks


def _visit(element: Tag, walk: _Walk, template: Block) -> None:
    """Emit ``element``'s own text as blocks shaped like ``template``, then its block children.

    Text is gathered until a block-level child interrupts it, so ``<li>Intro<ol>...</ol></li>``
    gives the item's own text first and each nested item after it.
    """
    buffer: list[str] = []
    shape = template

    def flush() -> None:
        text = clean_text("".join(buffer))
        buffer.clear()
        if text:
            walk.blocks.append(Block(text, shape.list_level, shape.number, shape.heading))

    for child in element.children:
        emitted = len(walk.blocks)
        if isinstance(child, NavigableString):
            if not isinstance(child, PreformattedString):  # comments, doctypes, CDATA
                buffer.append(str(child))
        elif isinstance(child, Tag) and not _invisible(child):
            if child.name in _BLOCK_TAGS:
                flush()
                _visit_block(child, walk, shape)
            else:
                buffer.append(_inline_text(child))
        if len(walk.blocks) > emitted:
            # The number belongs to the item's first block; text after a nested list continues
            # the item without being numbered again.
            shape = Block("", shape.list_level, None, shape.heading)
    flush()


def _visit_block(element: Tag, walk: _Walk, parent: Block) -> None:
    """Visit a block-level element with the list and heading state it establishes."""
    name = element.name
    if name in ("ol", "ul"):
        walk.lists.append(_new_list(element))
        _visit(element, walk, Block(""))
        walk.lists.pop()
    elif name == "li":
        _visit(element, walk, _list_item(element, walk))
    elif name in _HEADINGS:
        _visit(element, walk, Block("", heading=True))
    elif name in ("td", "th"):
        _visit(element, walk, Block(""))
    else:
        # A <p> or <div> inside a list item keeps the item's shape for its first text.
        _visit(element, walk, parent)


def _inline_text(element: Tag) -> str:
    """All visible text inside an inline element such as ``<b>`` or ``<a>``; ``<br>`` is a space."""
    if element.name == "br":
        return " "
    parts = []
    for child in element.children:
        if isinstance(child, NavigableString):
            if not isinstance(child, PreformattedString):
                parts.append(str(child))
        elif isinstance(child, Tag) and not _invisible(child):
            parts.append(_inline_text(child))
    return "".join(parts)


def _invisible(element: Tag) -> bool:
    """True for elements a browser does not show."""
    if element.name in _IGNORED or element.has_attr("hidden"):
        return True
    style = element.get("style")
    return isinstance(style, str) and bool(_HIDDEN_STYLE.search(style))


def _new_list(element: Tag) -> _List:
    """Read an ``<ol>``/``<ul>`` tag's numbering attributes."""
    if element.name == "ul":
        return _List(ordered=False)
    style = element.get("type")
    start = _int_attribute(element, "start")
    return _List(
        ordered=True,
        style=style if isinstance(style, str) and style in ("1", "a", "A", "i", "I") else "1",
        next_value=1 if start is None else start,
    )


def _list_item(element: Tag, walk: _Walk) -> Block:
    """The template block for an ``<li>``: its depth and, in an ``<ol>``, its number."""
    if not walk.lists:  # a stray <li> outside any list is just a paragraph
        return Block("")
    current = walk.lists[-1]
    level = len(walk.lists) - 1
    if not current.ordered:
        return Block("", list_level=level)
    value = _int_attribute(element, "value")
    if value is not None:
        current.next_value = value
    number = _format_number(current.next_value, current.style)
    current.next_value += 1
    return Block("", list_level=level, number=number)


def _int_attribute(element: Tag, name: str) -> int | None:
    """An integer attribute such as ``start="3"``; ``None`` when absent or not a number."""
    raw = element.get(name)
    if isinstance(raw, str) and re.fullmatch(r"\s*-?\d+\s*", raw):
        return int(raw)
    return None


def _format_number(value: int, style: str) -> str:
    """Render a list number the way the browser labels it: ``3``, ``c``, ``iii``, ``C``."""
    if style in ("a", "A") and value > 0:
        label = ""
        while value > 0:  # bijective base 26: z is followed by aa
            value, rest = divmod(value - 1, 26)
            label = chr(ord("a") + rest) + label
        return label.upper() if style == "A" else label
    if style in ("i", "I") and 0 < value < 4000:
        label = _roman(value)
        return label.upper() if style == "I" else label
    return str(value)


def _roman(value: int) -> str:
    """Lower-case Roman numeral for 1..3999."""
    numerals = [
        (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
        (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
    ]  # fmt: skip
    out = []
    for amount, numeral in numerals:
        count, value = divmod(value, amount)
        out.append(numeral * count)
    return "".join(out)
