"""Read a PDF into paragraphs: undo the hard wrapping a PDF stores, and drop page furniture.

A PDF has no paragraphs, only positioned lines. We rebuild them from the line geometry that
``pypdf`` reports (position and font size of each line) and from the text itself:

* a paragraph ends at a blank line, at a vertical gap larger than the line spacing, where the
  indentation steps back out (hanging-indented numbered paragraphs), or where a short line ends a
  sentence;
* a numbered item (``1.``, ``(a)``, ``ii)``, ``•``) and a heading always start a new paragraph;
* page numbers (``3``, ``Page 3 of 9``, ``- 3 -``), running headers and footers (text repeated in
  the margins of most pages) and footnotes are not part of the flowing text;
* words hyphenated across a line break are mended, using the document's own vocabulary to tell
  ``inter-national`` from ``long-term``.

The numbers and bullets written in the text stay in the text; deciding what they mean is the job
of :mod:`assistant.ingest.structure`.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import CorpusError
from assistant.ingest.readers import Block, clean_text

logger = logging.getLogger(__name__)

# Lines this far into the top or bottom of a page are candidates for headers, footers and page
# numbers; body text rarely reaches there and furniture rarely leaves it.
_MARGIN_FRACTION = 0.12
# A vertical step this much larger than the body line spacing separates paragraphs.
_GAP_FACTOR = 1.3
# A line narrower than this share of a full line is "short": the last line of a paragraph.
_SHORT_FRACTION = 0.8

_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|p\.)\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$|^[-–—]\s*\d{1,4}\s*[-–—]$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^([•●▪■◦‣∙·\uf0a7\uf0b7\uf0d8]|[-–−]|o)\s+(?=\S)")
_LIST_MARKER = re.compile(
    r"""^(?:
        \(\s*(?:\d{1,3}|[a-z]|[ivxlc]{1,6}|[A-Z])\s*\)     # (1) (a) (iv) (A)
      | (?:\d{1,3}|[a-z]|[ivxlc]{1,6})\)                   # 1) a) iv)
      | \d{1,3}\.(?:\d{1,3}\.?)*                             # 1.  1.2  1.2.
      | (?:[a-z]|[ivxlc]{1,6}|[A-Z]|[IVXLC]{1,7})\.       # a.  iv.  A.  IV.
    )\s+\S""",
    re.VERBOSE,
)
_HEADING_WORD = re.compile(r"^(?:part|chapter|section|article|annex)\s+[\dIVXLC]+\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.;:!?][\"'”’)\]]*$")
# Prefixes that keep their hyphen when the document gives no evidence either way
# ("non-state", "self-defence"); a joined "nonstate" would be a word nobody writes.
_HYPHEN_PREFIXES = frozenset(
    "non self anti cross well long short full large high low mid ex all post pro".split()
)
_BULLET_LEVEL = {"o": 1, "◦": 1, "\uf0a7": 1}
MAX_PAGES = 2_000  # the longest agreement has 40 pages


@dataclass
class _Line:
    """One printed line: where it starts, how big its type is, and its raw text."""

    page: int
    x: float
    y: float
    size: float
    text: str
    blank_before: bool = False


def read(path: Path) -> list[Block]:
    """Read the PDF at ``path`` into one :class:`Block` per paragraph, in reading order.

    Example: a page holding ``"3. The Participants will\\ncontinue ..."`` wrapped over four lines
    gives one block ``"3. The Participants will continue ..."``.
    """
    from pypdf import PdfReader  # imported here so that importing the package stays cheap

    reader = PdfReader(path)
    _open(reader, path)
    pages = [_page_lines(page, number) for number, page in enumerate(reader.pages)]
    heights = [(float(p.mediabox.bottom), float(p.mediabox.top)) for p in reader.pages]
    pages = _drop_furniture(pages, heights)
    lines, footnotes = _split_footnotes(pages)
    everything = lines + [note for notes in footnotes.values() for note in notes]
    _mend_spacing(everything)
    vocabulary = _vocabulary(everything)
    blocks = []
    for paragraph in _paragraphs(lines, footnotes):
        block = _to_block(_join(paragraph, vocabulary))
        if block.text:
            blocks.append(block)
    logger.debug("Read %d blocks from %d pages of '%s'", len(blocks), len(pages), path)
    return blocks


def _open(reader: object, path: Path) -> None:
    """Refuse encrypted PDFs that need a password, and PDFs too long to be one agreement."""
    if reader.is_encrypted:  # type: ignore[attr-defined]
        try:
            opened = reader.decrypt("")  # type: ignore[attr-defined]  # owner-password only
        except Exception:  # noqa: BLE001 - e.g. AES without a crypto library: still locked
            opened = 0
        if not opened:
            raise CorpusError(
                f"'{path}' is encrypted with a password. Save an unencrypted copy in the corpus."
            )
    pages = len(reader.pages)  # type: ignore[attr-defined]
    if pages > MAX_PAGES:
        raise CorpusError(f"'{path}' has {pages:,} pages; PDFs over {MAX_PAGES:,} are skipped.")


def _page_lines(page: object, number: int) -> list[_Line]:
    """Split the page's text into lines, each with the position and size of its first text."""
    chunks: list[tuple[str, float, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        chunks.append((text, x, y, abs(size * tm[3] * cm[3])))

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    lines: list[_Line] = []
    current: _Line | None = None
    blank = False
    for text, x, y, size in chunks:
        parts = text.split("\n")
        for index, part in enumerate(parts):
            if current is None and part.strip():
                current = _Line(number, x, y, size, "", blank_before=blank)
            if current is not None:
                current.text += part
            if index < len(parts) - 1:  # a line break follows this part
                if current is None:
                    # Whitespace-only lines are Word's empty paragraphs: spacing between blocks.
                    blank = bool(lines)
                else:
                    lines.append(current)
                    current, blank = None, False
    if current is not None:
        lines.append(current)
    return lines


def _drop_furniture(
    pages: list[list[_Line]], heights: list[tuple[float, float]]
) -> list[list[_Line]]:
    """Remove page numbers and running headers/footers: they interrupt the flowing text."""

    def in_margin(line: _Line) -> bool:
        bottom, top = heights[line.page]
        band = (top - bottom) * _MARGIN_FRACTION
        return line.y > top - band or line.y < bottom + band

    def margin_key(line: _Line) -> str:
        return re.sub(r"\d+", "#", clean_text(line.text).casefold())

    # Count each margin text once per page; digits are wildcards so "Page 3" matches "Page 4".
    seen = Counter(k for page in pages for k in {margin_key(ln) for ln in page if in_margin(ln)})
    repeated = {k for k, n in seen.items() if len(pages) >= 2 and n >= max(2, len(pages) / 2)}
    kept = []
    for page in pages:
        keep = []
        for line in page:
            text = clean_text(line.text)
            if in_margin(line) and (_PAGE_NUMBER.match(text) or margin_key(line) in repeated):
                continue
            keep.append(line)
        kept.append(keep)
    return kept


def _split_footnotes(pages: list[list[_Line]]) -> tuple[list[_Line], dict[int, list[_Line]]]:
    """Separate footnotes (small type below the page's body text) from the flowing text.

    Footnotes sit between the last line of one page and the first of the next; left in place they
    would cut a paragraph that runs over the page break in two.
    """
    body_size = _body_size([line for page in pages for line in page])
    lines: list[_Line] = []
    footnotes: dict[int, list[_Line]] = {}
    for page in pages:
        body = [ln for ln in page if ln.size >= body_size * 0.85]
        lowest = min((ln.y for ln in body), default=float("inf"))
        for line in page:
            if line.size < body_size * 0.85 and line.y < lowest:
                footnotes.setdefault(len(lines), []).append(line)
            else:
                lines.append(line)
    return lines, footnotes


def _body_size(lines: list[_Line]) -> float:
    """The font size of most of the text, weighted by characters."""
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[round(line.size, 1)] += len(line.text.strip())
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _paragraphs(lines: list[_Line], footnotes: dict[int, list[_Line]]) -> list[list[_Line]]:
    """Group lines into paragraphs; each footnote follows the paragraph it interrupted."""
    layout = _Layout.measure(lines)
    paragraphs: list[list[_Line]] = []
    pending = list(footnotes.get(0, []))
    for index, line in enumerate(lines):
        if not paragraphs or layout.starts_paragraph(paragraphs[-1], line):
            paragraphs.extend([note] for note in pending)
            pending = []
            paragraphs.append([line])
        else:
            paragraphs[-1].append(line)
        pending.extend(footnotes.get(index + 1, []))
    paragraphs.extend([note] for note in pending)
    return paragraphs


@dataclass
class _Layout:
    """The document's typical line spacing, left margin and line width."""

    spacing: float
    left: float
    full_width: float
    body_size: float

    @classmethod
    def measure(cls, lines: list[_Line]) -> _Layout:
        """Learn the layout from the lines themselves: PDFs of Word documents vary a lot."""
        body_size = _body_size(lines)
        steps: Counter[float] = Counter()
        for prev, line in zip(lines, lines[1:], strict=False):
            same_run = prev.page == line.page and abs(prev.size - line.size) < 0.5
            if same_run and not line.blank_before:
                steps[round(prev.y - line.y, 0)] += 1
        positive = [(n, step) for step, n in steps.items() if step > 0]
        spacing = max(positive)[1] if positive else body_size * 1.2
        left = min((ln.x for ln in lines), default=0.0)
        layout = cls(spacing, left, 1.0, body_size or 1.0)
        widths = sorted(layout.width(ln) for ln in lines if ln.size >= body_size * 0.85)
        layout.full_width = widths[int(len(widths) * 0.9)] if widths else 1.0
        return layout

    def width(self, line: _Line) -> float:
        """Estimated right edge of ``line`` in characters from the left margin.

        pypdf does not report where a line ends, so characters stand in for width; an average
        character is about half the font size wide.
        """
        return (line.x - self.left) / (self.body_size * 0.5) + len(line.text.strip())

    def is_short(self, line: _Line) -> bool:
        """True when ``line`` stops well before the right margin."""
        return self.width(line) < self.full_width * _SHORT_FRACTION

    def starts_paragraph(self, paragraph: list[_Line], line: _Line) -> bool:
        """Does ``line`` begin a new paragraph after the lines collected in ``paragraph``?"""
        prev = paragraph[-1]
        text, prev_text = line.text.strip(), prev.text.strip()
        capital = text[:1].isupper() or text[:1].isdigit() or text[:1] in "“\"‘'(•"
        run_on = prev_text[-1:].isalnum() or prev_text.endswith(",")
        if _BULLET.match(text) or (_is_heading(text) and not run_on):
            return True
        marker = _LIST_MARKER.match(text)
        # "... in the following areas in\n(1) and (2):" and "including\n4.5 billion" are
        # references wrapped to a line start, not new items: the sentence runs on in lower case.
        if marker and not (text[marker.end() - 1].islower() and run_on):
            return True
        if prev.page == line.page:
            if line.blank_before or prev.y - line.y > self.spacing * _GAP_FACTOR:
                return True
            if line.y > prev.y:  # moved up the page: a new column or a text box
                return True
        if abs(line.size - prev.size) > 1.0:
            return True
        # Stepping back out of a hanging indent starts a paragraph; centred title lines only wobble.
        centred = line.x - self.left > 36
        if line.x < prev.x - 3 and capital and not centred:
            return True
        if self.is_short(prev) and _SENTENCE_END.search(prev_text):
            return True
        # A lone short line before a capitalised one is a title or heading ("Preamble").
        heading = _is_heading(prev_text) or (len(paragraph) == 1 and self.is_short(prev))
        return heading and capital and not prev_text.endswith(",")


def _is_heading(text: str) -> bool:
    """True for lines that only a heading would be: ``Part II``, ``Article 5``, ``ANNEX``."""
    if _HEADING_WORD.match(text) and len(text) < 80:
        return True
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 4 and len(text) < 80 and all(ch.isupper() for ch in letters)


def _mend_spacing(lines: list[_Line]) -> None:
    """Undo the stray spaces pypdf puts inside words of tightly kerned text, in place.

    Some PDFs position every few letters separately, and pypdf then reads a gap as a space:
    ``com mitment``, ``Euro -Atlantic``, ``Sweden’ s``. A split is mended only when the joined
    word occurs elsewhere in the document and one half never occurs on its own.
    """
    words: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for line in lines:
        tokens = re.findall(r"[^\W\d_]+", line.text.casefold())
        words.update(tokens)
        pairs.update(zip(tokens, tokens[1:], strict=False))

    def join_split(match: re.Match[str]) -> str:
        left, right = match.group(1), match.group(2)
        key = (left.casefold(), right.casefold())
        alone = words[key[0]] <= pairs[key] or words[key[1]] <= pairs[key]
        return left if words[key[0] + key[1]] and alone else f"{left} "

    for line in lines:
        text = re.sub(r"(?<=[^\W\d_]) -(?=[^\W_])|(?<=[^\W_])- (?=[^\W\d_]{4})", "-", line.text)
        text = re.sub(r"(?<=\S) +(?=[,;.:)\]](?:\s|$))|(?<=[(\[]) +", "", text)
        text = re.sub(r"(?<=\w)(['’]) s\b", r"\1s", text)
        text = re.sub(r"(?<=\w) (['’]s)\b", r"\1", text)
        # The lookahead leaves the right word unconsumed so that it can pair with the next one.
        line.text = re.sub(r"\b([^\W\d_]+) (?=([^\W\d_]+)\b)", join_split, text)


def _vocabulary(lines: list[_Line]) -> Counter[str]:
    """Every word of the document, lower-cased, hyphenated ones kept whole.

    Words broken at a line end are left out, so they do not count as evidence for themselves.
    """
    words: Counter[str] = Counter()
    for line in lines:
        tokens = re.findall(r"[^\W_]+(?:-[^\W_]+)*-?", line.text.casefold())
        words.update(t for t in tokens if not t.endswith("-"))
    return words


def _join(paragraph: list[_Line], vocabulary: Counter[str]) -> str:
    """Join a paragraph's lines into one string, mending words hyphenated at line ends."""
    text = ""
    for line in paragraph:
        part = line.text.strip()
        match = re.search(r"([^\W\d_]+)( ?)-$", text)
        right = re.match(r"[^\W_]+", part)
        if match and right:
            left, spaced = match.group(1), bool(match.group(2))
            joined, hyphenated = (left + right.group(0)).casefold(), f"{left}-{right.group(0)}"
            # "long -" is pypdf's spacing of "long-"; without evidence it is a dash: "A - B".
            if not spaced or vocabulary[joined] or vocabulary[hyphenated.casefold()]:
                keep = _keep_hyphen(left, right.group(0), vocabulary)
                text = text[: match.start(2)] + ("-" if keep else "") + part
                continue
        text = f"{text} {part}" if text else part
    return clean_text(text)


def _keep_hyphen(left: str, right: str, vocabulary: Counter[str]) -> bool:
    """Decide whether ``left-`` + ``right`` is a hyphenated word or one word split by wrapping.

    The document is the best dictionary: if it spells the word joined elsewhere, join it; if it
    spells it hyphenated, keep the hyphen. Otherwise only two lower-case halves are joined.
    """
    joined, hyphenated = (left + right).casefold(), f"{left}-{right}".casefold()
    if vocabulary[joined]:
        return False
    if vocabulary[hyphenated]:
        return True
    if left.casefold() in _HYPHEN_PREFIXES:
        return True
    if vocabulary[left.casefold()] and len(right) >= 4:
        return True  # a word of its own before the hyphen ("climate-neutral"), unlike "inter-"
    return not (left[-1:].islower() and right[:1].islower())


def _to_block(text: str) -> Block:
    """Make a block, taking a leading bullet off the text and into ``list_level``."""
    match = _BULLET.match(text)
    if match:
        return Block(text[match.end() :], list_level=_BULLET_LEVEL.get(match.group(1), 0))
    return Block(text)
