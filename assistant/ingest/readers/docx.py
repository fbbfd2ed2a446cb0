"""Word (.docx) reader that rebuilds automatic paragraph numbers.

In the agreements' DOCX files the paragraph numbers are drawn by Word from the numbering
definitions (``w:numPr`` -> ``w:num`` -> ``w:abstractNum``), so they are not in the paragraph
text. We replay Word's counters: one counter per list instance (``numId``) and level, deeper
levels restart when a shallower one advances, and ``w:startOverride`` sets the first value.
Roman-numbered outline levels number the document's Parts, so they continue across instances.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import CorpusError
from assistant.ingest.readers import Block, clean_text

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# A number or letter already written at the start of the text: "(i) ", "(A) ", "a) ", "3. ".
_WRITTEN_MARKER = re.compile(r"^\s*(\(?[0-9]{1,3}[.)]|\([a-zA-Z]{1,6}\)|[a-zA-Z]{1,5}[.)])\s")
# A DOCX is a zip; what it unpacks to is bounded before anything is unpacked (a "zip bomb" is a
# small file that unpacks to gigabytes). The agreements' DOCX files unpack to under 2 MB.
MAX_UNPACKED_BYTES = 200 * 2**20
MAX_MEMBERS = 5_000


@dataclass(frozen=True)
class _Level:
    fmt: str
    start: int


def read(path: Path) -> list[Block]:
    """Read paragraphs (body and table cells, in order) with their list levels and numbers."""
    import docx  # python-docx; imported here so the package imports fast

    _check_zip(path)
    document = docx.Document(str(path))
    levels = _numbering_levels(document)
    counter = _Counters(levels)
    blocks = []
    for p in _paragraphs(document.element.body):
        text = _paragraph_text(p)
        if not text:
            continue
        num_id, ilvl = _num_pr(p)
        if num_id is None:
            blocks.append(Block(text))
            continue
        number = counter.next(num_id, ilvl)
        if number is not None and _WRITTEN_MARKER.match(text):
            number = None  # the text carries its own marker; trust the text
        blocks.append(Block(text, list_level=ilvl, number=number))
    return blocks


def _check_zip(path: Path) -> None:
    """Refuse a file that is not a zip, or that would unpack beyond the bounds above.

    The sizes checked are the ones the zip declares; Python's zip reader never inflates a member
    beyond its declared size, so a lying header cannot get past this either.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise CorpusError(f"'{path}' is not a Word document (not a zip file: {exc}).") from exc
    unpacked = sum(m.file_size for m in members)
    if len(members) > MAX_MEMBERS or unpacked > MAX_UNPACKED_BYTES:
        raise CorpusError(
            f"'{path}' would unpack to {unpacked / 2**20:,.0f} MB in {len(members):,} parts; "
            f"Word documents over {MAX_UNPACKED_BYTES // 2**20} MB or {MAX_MEMBERS:,} parts "
            "are skipped."
        )


def _paragraph_text(p) -> str:
    parts = []
    for node in p.iter(_W + "t", _W + "tab", _W + "br", _W + "cr"):
        parts.append(node.text or "" if node.tag == _W + "t" else " ")
    return clean_text("".join(parts))


def _paragraphs(body):
    """Yield ``w:p`` elements in reading order, descending into tables."""
    for child in body.iterchildren():
        if child.tag == _W + "p":
            yield child
        elif child.tag == _W + "tbl":
            for cell in child.iter(_W + "tc"):
                yield from (p for p in cell.iterchildren() if p.tag == _W + "p")


def _num_pr(p) -> tuple[str | None, int]:
    ppr = p.find(_W + "pPr")
    num_pr = ppr.find(_W + "numPr") if ppr is not None else None
    if num_pr is None:
        return None, 0
    num_id = num_pr.find(_W + "numId")
    ilvl = num_pr.find(_W + "ilvl")
    nid = num_id.get(_W + "val") if num_id is not None else None
    if nid in (None, "0"):  # numId 0 means "numbering removed"
        return None, 0
    return nid, int(ilvl.get(_W + "val")) if ilvl is not None else 0


def _numbering_levels(document) -> dict[str, dict[int, _Level]]:
    """Map numId -> ilvl -> (format, start), applying each instance's level overrides."""
    try:
        root = document.part.numbering_part.element
    except (KeyError, NotImplementedError):
        return {}
    abstract = {a.get(_W + "abstractNumId"): _levels_of(a) for a in root.iter(_W + "abstractNum")}
    result = {}
    for num in root.iter(_W + "num"):
        ref = num.find(_W + "abstractNumId")
        levels = dict(abstract.get(ref.get(_W + "val"), {})) if ref is not None else {}
        for override in num.iter(_W + "lvlOverride"):
            ilvl = int(override.get(_W + "ilvl"))
            lvl = override.find(_W + "lvl")
            if lvl is not None:
                levels.update(_levels_of_one(lvl, ilvl))
            start = override.find(_W + "startOverride")
            if start is not None and ilvl in levels:
                levels[ilvl] = _Level(levels[ilvl].fmt, int(start.get(_W + "val")))
        result[num.get(_W + "numId")] = levels
    return result


def _levels_of(abstract_num) -> dict[int, _Level]:
    levels = {}
    for lvl in abstract_num.iter(_W + "lvl"):
        levels.update(_levels_of_one(lvl, int(lvl.get(_W + "ilvl"))))
    return levels


def _levels_of_one(lvl, ilvl: int) -> dict[int, _Level]:
    fmt = lvl.find(_W + "numFmt")
    start = lvl.find(_W + "start")
    return {
        ilvl: _Level(
            fmt.get(_W + "val") if fmt is not None else "decimal",
            int(start.get(_W + "val")) if start is not None else 1,
        )
    }


class _Counters:
    """Word's list counters, replayed paragraph by paragraph."""

    def __init__(self, levels: dict[str, dict[int, _Level]]):
        self._levels = levels
        self._values: dict[str, dict[int, int]] = {}
        self._parts = 0  # Roman outline numbers continue across list instances

    def next(self, num_id: str, ilvl: int) -> str | None:
        level = self._levels.get(num_id, {}).get(ilvl)
        if level is None or level.fmt in ("bullet", "none"):
            return None
        if level.fmt in ("upperRoman", "lowerRoman") and ilvl == 0:
            self._parts += 1
            return format_number(self._parts, level.fmt)
        values = self._values.setdefault(num_id, {})
        values[ilvl] = values.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in values if k > ilvl]:
            del values[deeper]  # a shallower level advancing restarts the deeper ones
        return format_number(values[ilvl], level.fmt)


_ROMAN = [
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
]


def format_number(value: int, fmt: str) -> str:
    """Render a counter value in a Word number format.

    >>> format_number(4, "lowerRoman")
    'iv'
    """
    if fmt in ("lowerRoman", "upperRoman"):
        out, rest = "", value
        for amount, numeral in _ROMAN:
            while rest >= amount:
                out, rest = out + numeral, rest - amount
        return out.upper() if fmt == "upperRoman" else out
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (value - 1) % 26) * (1 + (value - 1) // 26)
        return letter.upper() if fmt == "upperLetter" else letter
    return str(value)
