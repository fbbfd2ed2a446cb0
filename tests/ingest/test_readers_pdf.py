"""Tests for :mod:`assistant.ingest.readers.pdf`: hard-wrapped PDF lines back into paragraphs."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.readers import Block
from assistant.ingest.readers import pdf as pdf_reader

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

LINE = 6  # mm between wrapped lines
GAP = 4  # extra mm between paragraphs

# Each page is a list of (indent in mm, text, extra space after in mm); None means "new page".
PAGES = [
    [
        (0, "AGREEMENT ON COOPERATION", GAP),
        (0, "Preamble", GAP),
        (0, "The Participants, recalling their partnership and its aims, have agreed on long-", 0),
        (0, "term measures to strengthen their cooperation in the fields of security, inter-", 0),
        (0, "national law, economic recovery and defence, and to report on them each year.", GAP),
        (0, "Part I. Scope", GAP),
        (0, "1. The Participants will cooperate on defence matters in accordance with their", 0),
        (5, "national law and their obligations under the Charter of the United Nations.", 0),
        (0, "2. Each Participant will designate a contact point.", 0),
        (0, "(a) the first item of the list;", 0),
        (0, "(b) the second item of the list.", 0),
        (0, "- a bullet item that continues over to a second line, which is kept as one", 0),
        (3, "single paragraph.", GAP),
        (0, "3. The Participants will meet at least once a year to review the application of", 0),
    ],
    [
        (5, "this Agreement and to agree on further measures for the long-term support.", GAP),
        (0, "II. Final Provisions", 0),
        (0, "This Agreement enters into force on signature.", GAP),
        (0, "Signed in Kyiv on 1 May 2024, in duplicate.", 0),
    ],
]

EXPECTED = [
    Block("AGREEMENT ON COOPERATION"),
    Block("Preamble"),
    Block(
        "The Participants, recalling their partnership and its aims, have agreed on long-term "
        "measures to strengthen their cooperation in the fields of security, international law, "
        "economic recovery and defence, and to report on them each year."
    ),
    Block("Part I. Scope"),
    Block(
        "1. The Participants will cooperate on defence matters in accordance with their "
        "national law and their obligations under the Charter of the United Nations."
    ),
    Block("2. Each Participant will designate a contact point."),
    Block("(a) the first item of the list;"),
    Block("(b) the second item of the list."),
    Block(
        "a bullet item that continues over to a second line, which is kept as one single "
        "paragraph.",
        list_level=0,
    ),
    Block(
        "3. The Participants will meet at least once a year to review the application of "
        "this Agreement and to agree on further measures for the long-term support."
    ),
    Block("II. Final Provisions"),
    Block("This Agreement enters into force on signature."),
    Block("Signed in Kyiv on 1 May 2024, in duplicate."),
]


def _build_pdf(path: Path, footer: str) -> Path:
    """Write a two-page A4 PDF with a running header and ``footer`` (``{n}`` = page number)."""
    from fpdf import FPDF

    class Document(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=9)
            self.cell(0, 5, "Example Agreement - Draft for Consultation")
            self.ln(12)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 5, footer.format(n=self.page_no()), align="C")

    document = Document(format="A4")
    document.set_auto_page_break(False)  # page breaks are placed by hand, mid-paragraph
    document.set_margins(20, 15, 20)
    for lines in PAGES:
        document.add_page()
        document.set_font("Helvetica", size=11)
        for indent, text, after in lines:
            document.set_x(20 + indent)
            document.cell(0, LINE, text, new_x="LMARGIN", new_y="NEXT")
            if after:
                document.ln(after)
    document.output(str(path))
    return path


@pytest.mark.parametrize("footer", ["Page {n} of 2", "- {n} -", "{n}"])
def test_reflows_paragraphs_and_drops_page_furniture(tmp_path: Path, footer: str) -> None:
    blocks = pdf_reader.read(_build_pdf(tmp_path / "agreement.pdf", footer))
    assert blocks == EXPECTED


def test_header_and_page_numbers_never_reach_the_text(tmp_path: Path) -> None:
    blocks = pdf_reader.read(_build_pdf(tmp_path / "agreement.pdf", "Page {n} of 2"))
    text = " ".join(block.text for block in blocks)
    assert "Draft for Consultation" not in text
    assert "Page" not in text


@pytest.mark.parametrize(
    ("left", "right", "words", "keep"),
    [
        ("inter", "national", {}, False),  # no evidence, two lower-case halves: a wrapped word
        ("co", "operation", {"cooperation": 1}, False),  # the document spells it joined
        ("long", "term", {"long-term": 1}, True),  # the document spells it hyphenated
        ("Euro", "Atlantic", {}, True),  # a capital after the hyphen is a compound
        ("non", "state", {}, True),  # a prefix that keeps its hyphen
        ("climate", "neutral", {"climate": 2}, True),  # the left half is a word of its own
    ],
)
def test_hyphen_at_line_end(left: str, right: str, words: dict[str, int], keep: bool) -> None:
    from collections import Counter

    assert pdf_reader._keep_hyphen(left, right, Counter(words)) is keep


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("germany.pdf", "7.1 billion euro"),
        ("norway.pdf", "Norway’s military support will amount to at least NOK 13.5"),
        ("united-kingdom.pdf", "In 2023, the UK provided a further £2.3bn in military aid"),
    ],
)
def test_corpus_phrases_stay_inside_one_block(name: str, phrase: str) -> None:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"corpus file {path} not present")
    blocks = pdf_reader.read(path)
    normalise = str.maketrans("’‘", "''")
    hits = [b for b in blocks if phrase.translate(normalise) in b.text.translate(normalise)]
    assert len(hits) == 1


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "signed"),
    [
        ("germany.pdf", "Signed, in Berlin on 16 February 2024, in duplicate"),
        ("japan.pdf", "Signed in Savelletri di Fasano (Apulia) on 13 June 2024"),
        ("norway.pdf", "Signed in Stockholm on 31 May 2024, in duplicate"),
        ("sweden.pdf", "Signed in Stockholm on 31 May 2024, in duplicate"),
        ("united-kingdom.pdf", "Signed in Kyiv on 12 January 2024 in duplicate"),
    ],
)
def test_corpus_signing_line_is_its_own_block(name: str, signed: str) -> None:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"corpus file {path} not present")
    blocks = pdf_reader.read(path)
    starts = [b.text for b in blocks if b.text.startswith(signed)]
    assert len(starts) == 1
    assert "For Ukraine" not in starts[0]
    assert not any(b.text.isdigit() for b in blocks)  # no page number survived
