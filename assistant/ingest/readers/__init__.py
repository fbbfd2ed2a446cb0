"""Readers turn one file into a list of :class:`Block` objects: the document's paragraphs in order.

A reader only recovers what the format says (text, list nesting, automatic numbers); deciding
what is a Part, a section or a numbered paragraph is the job of :mod:`assistant.ingest.structure`.

Each format has one module exposing ``read(path) -> list[Block]``.
"""

from __future__ import annotations

import logging
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import CorpusError

SUFFIXES = (".txt", ".md", ".docx", ".pdf", ".html", ".htm")

# Bounds on what one corpus file may cost. The largest of the 28 agreements is a 0.25 MB PDF of
# about 600 paragraphs, so honest agreement texts sit far inside them; a file beyond them is
# skipped with a warning rather than allowed to stall a build or exhaust memory.
MAX_FILE_BYTES = 20 * 2**20
MAX_BLOCKS = 20_000
# Control characters (other than the whitespace ones) and undecodable bytes beyond this share of
# a text file's characters mean the file is not text.
_MAX_BINARY_SHARE = 0.01

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

    Invisible characters and control characters (a terminal escape, a NUL) are removed, a lone
    surrogate (text that was never valid Unicode) becomes U+FFFD, no-break and other odd spaces
    become plain spaces, and runs of spaces collapse; line breaks become single spaces.
    """
    text = text.translate(_INVISIBLE)
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in "\t\n\r\v\f" or category == "Zs":
            out.append(" ")
        elif category == "Cs":
            out.append("\ufffd")
        elif category != "Cc":
            out.append(ch)
    return " ".join("".join(out).split())


def unopenable(path: Path, exc: OSError) -> CorpusError:
    """The error for a corpus file the system will not open, saying why in its words."""
    return CorpusError(f"Could not open '{path}': {exc.strerror or exc}.")


def read_blocks(path: Path) -> list[Block]:
    """Read any supported file into blocks; raises :class:`CorpusError` naming the file and why."""
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
    except OSError as exc:  # vanished, a broken symbolic link, a link loop, no permission
        raise unopenable(path, exc) from exc
    if size > MAX_FILE_BYTES:
        raise CorpusError(
            f"'{path}' is {size / 2**20:.1f} MB; files over {MAX_FILE_BYTES // 2**20} MB are "
            "skipped (an agreement text is well under 1 MB)."
        )
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
        with _quiet_parsers():
            blocks = reader.read(path)
    except CorpusError:
        raise
    except Exception as exc:  # any parser failure means "this file is unreadable", never a crash
        raise CorpusError(f"Could not read '{path}': {type(exc).__name__}: {exc}") from exc
    blocks = [b for b in blocks if b.text]
    if not blocks:
        hint = " (a scanned PDF has no text layer: run OCR on it first)" if suffix == ".pdf" else ""
        raise CorpusError(f"'{path}' contains no text{hint}.")
    if len(blocks) > MAX_BLOCKS:
        raise CorpusError(
            f"'{path}' has {len(blocks):,} paragraphs; files over {MAX_BLOCKS:,} are skipped "
            "(an agreement has a few hundred)."
        )
    return blocks


@contextmanager
def _quiet_parsers() -> Iterator[None]:
    """Keep the parsers' own complaints (pypdf's "invalid pdf header", "EOF marker not found";
    BeautifulSoup's "could not be decoded") off the terminal: a file that cannot be read is
    reported once, by :func:`read_blocks`, naming it and why."""
    loggers = [logging.getLogger(name) for name in ("pypdf", "bs4")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def decode_text(raw: bytes, path: Path) -> str:
    """The characters of a text file: UTF-8, else Windows-1252 (what office machines write when
    not UTF-8). Refuses files that are not text (NUL bytes, or more than 1% control characters
    and undecodable bytes): indexed, they would be passages of garbage."""
    if b"\x00" in raw:
        raise CorpusError(f"'{path}' is not a text file (it holds NUL bytes).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    odd = sum(
        1
        for ch in text
        if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    )
    if odd > _MAX_BINARY_SHARE * len(text):
        raise CorpusError(
            f"'{path}' is not a text file ({odd:,} of its {len(text):,} characters are control "
            "characters or undecodable bytes). Save it as UTF-8 text."
        )
    return text
