"""Readers turn one file into a list of :class:`Block` objects: the document's paragraphs in order.

A reader only recovers what the format says (text, list nesting, automatic numbers); deciding
what is a Part, a section or a numbered paragraph is the job of :mod:`assistant.ingest.structure`.

Each format has one module exposing ``read(path) -> list[Block]``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import CorpusError

SUFFIXES = (".txt", ".md", ".docx", ".pdf", ".html", ".htm")

# Zero-width and bidi control characters hide text from readers and can smuggle content into the
# page (SECURITY.md); they never carry meaning in these agreements.
_INVISIBLE = dict.fromkeys(
    [0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, 0x00AD]
    + list(range(0x202A, 0x202F))
    + list(range(0x2066, 0x206A))
)


@dataclass(frozen=True)
class Block:
    """One paragraph as the file presents it.

    ``list_level`` is the nesting depth of a list item (0 = top level) when the format marks lists
    (Word numbering, HTML ``<ol>``); ``None`` for ordinary paragraphs. ``number`` is a list number
    that the format renders but that is not part of ``text`` (Word auto-numbering, ``<ol>``), e.g.
    ``"3"`` or ``"ii"``; ``None`` when the number, if any, is written in the text itself.
    ``heading`` is True when the format itself says this is a heading (``<h2>``, ``## ``).
    """

    text: str
    list_level: int | None = None
    number: str | None = None
    heading: bool = False


def clean_text(text: str) -> str:
    """Normalise a paragraph's characters without changing its words.

    Invisible characters are removed, no-break and other odd spaces become plain spaces, and runs
    of spaces collapse; line breaks inside a paragraph become single spaces.
    """
    text = text.translate(_INVISIBLE)
    out = []
    for ch in text:
        if ch in "\t\n\r\v\f" or (unicodedata.category(ch) == "Zs"):
            out.append(" ")
        else:
            out.append(ch)
    return " ".join("".join(out).split())


def read_blocks(path: Path) -> list[Block]:
    """Read any supported file into blocks; raises :class:`CorpusError` naming the file and why."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".docx":
            from assistant.ingest.readers import docx as reader
        elif suffix == ".pdf":
            from assistant.ingest.readers import pdf as reader
        elif suffix in (".html", ".htm"):
            from assistant.ingest.readers import html as reader
        elif suffix in (".txt", ".md"):
            from assistant.ingest.readers import text as reader
        else:
            raise CorpusError(f"'{path}' is not a supported format ({', '.join(SUFFIXES)}).")
        blocks = reader.read(path)
    except CorpusError:
        raise
    except Exception as exc:  # any parser failure means "this file is unreadable", never a crash
        raise CorpusError(f"Could not read '{path}': {type(exc).__name__}: {exc}") from exc
    blocks = [b for b in blocks if b.text]
    if not blocks:
        raise CorpusError(f"'{path}' contains no text.")
    return blocks
