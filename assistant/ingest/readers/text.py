"""Plain text and Markdown reader.

Paragraphs are separated by blank lines; a file without blank lines has one paragraph a line
(as in the seed overview). Lines that start a heading or a list item always start a new block,
so a hard-wrapped text file reflows into paragraphs while its lists stay apart.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.ingest.readers import Block, clean_text, decode_text

_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_STARTS_BLOCK = re.compile(r"^\s*(\(?[0-9]{1,3}[.)]|\([a-zA-Z]{1,6}\)|[a-z][.)]|Part\s|PART\s)\s*")


def read(path: Path) -> list[Block]:
    """Read a ``.txt`` or ``.md`` file into blocks."""
    raw = decode_text(path.read_bytes(), path)
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    markdown = path.suffix.lower() == ".md"
    one_per_line = _no_blank_between(lines)
    blocks: list[Block] = []
    pending: list[str] = []
    level: list[int | None] = [None]  # list level of the pending block

    def flush() -> None:
        if pending:
            blocks.append(Block(clean_text(" ".join(pending)), list_level=level[0]))
            pending.clear()
        level[0] = None

    for line in lines:
        if not line.strip():
            flush()
            continue
        heading = _MD_HEADING.match(line) if markdown else None
        bullet = _MD_BULLET.match(line) if markdown else None
        if heading:
            flush()
            blocks.append(Block(clean_text(heading.group(2)), heading=True))
        elif bullet:
            flush()  # a bullet stays pending so its wrapped lines join it
            level[0] = len(bullet.group(1).expandtabs(4)) // 2
            pending.append(bullet.group(2))
        elif level[0] is not None and line[:1].isspace():
            pending.append(line)  # an indented line continues the bullet above it
        elif one_per_line or _STARTS_BLOCK.match(line):
            flush()
            pending.append(line)
            if one_per_line:
                flush()
        else:
            pending.append(line)
    flush()
    return [b for b in blocks if b.text]


def _no_blank_between(lines: list[str]) -> bool:
    """True when no blank line separates paragraphs: then each line is a paragraph."""
    body = "\n".join(lines).strip("\n").split("\n")
    return all(line.strip() for line in body)
