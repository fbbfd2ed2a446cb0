"""Tests for :mod:`assistant.ingest.readers.docx`: Word auto-numbering replayed into block
numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.ingest.readers import Block, read_blocks
from assistant.ingest.readers.docx import format_number, read


def test_two_parts_each_with_its_own_list_restart_at_one(docx_builder, tmp_path: Path) -> None:
    doc = docx_builder()
    decimal = doc.abstract(("decimal", 1))
    first, second = doc.num(decimal), doc.num(decimal)
    doc.para("Part I. Objectives")
    doc.para("The Participants will cooperate.", first)
    doc.para("The Participants will consult.", first)
    doc.para("Part II. Consultations")
    doc.para("In the event of aggression, the Participants will meet.", second)
    doc.para("They will agree on measures.", second)

    assert read(doc.save(tmp_path / "a.docx")) == [
        Block("Part I. Objectives"),
        Block("The Participants will cooperate.", list_level=0, number="1"),
        Block("The Participants will consult.", list_level=0, number="2"),
        Block("Part II. Consultations"),
        Block("In the event of aggression, the Participants will meet.", list_level=0, number="1"),
        Block("They will agree on measures.", list_level=0, number="2"),
    ]


def test_deeper_level_items_restart_under_each_numbered_paragraph(
    docx_builder, tmp_path: Path
) -> None:
    doc = docx_builder()
    outline = doc.abstract(("decimal", 1), ("lowerRoman", 1))
    num = doc.num(outline)
    doc.para("The Participants will:", num)
    doc.para("train;", num, ilvl=1)
    doc.para("equip;", num, ilvl=1)
    doc.para("advise.", num, ilvl=1)
    doc.para("Canada will:", num)
    doc.para("fund.", num, ilvl=1)

    assert [(b.list_level, b.number) for b in read(doc.save(tmp_path / "a.docx"))] == [
        (0, "1"),
        (1, "i"),
        (1, "ii"),
        (1, "iii"),
        (0, "2"),
        (1, "i"),
    ]


def test_bullet_list_items_have_a_level_but_no_number(docx_builder, tmp_path: Path) -> None:
    doc = docx_builder()
    bullets = doc.num(doc.abstract(("bullet", 1)))
    doc.para("first point", bullets)
    doc.para("second point", bullets)

    assert read(doc.save(tmp_path / "a.docx")) == [
        Block("first point", list_level=0, number=None),
        Block("second point", list_level=0, number=None),
    ]


def test_start_override_sets_the_first_number(docx_builder, tmp_path: Path) -> None:
    doc = docx_builder()
    decimal = doc.abstract(("decimal", 1))
    plain, from_five = doc.num(decimal), doc.num(decimal, start_overrides={0: 5})
    doc.para("one", plain)
    doc.para("five", from_five)
    doc.para("six", from_five)

    assert [b.number for b in read(doc.save(tmp_path / "a.docx"))] == ["1", "5", "6"]


def test_abstract_start_value_is_honoured(docx_builder, tmp_path: Path) -> None:
    doc = docx_builder()
    num = doc.num(doc.abstract(("decimal", 3)))
    doc.para("three", num)
    doc.para("four", num)

    assert [b.number for b in read(doc.save(tmp_path / "a.docx"))] == ["3", "4"]


@pytest.mark.parametrize(
    "text",
    [
        "(ii) exchange information;",
        "(A) To advance this effort,",
        "3. The Participants",
        "b) train",
    ],
)
def test_text_with_its_own_marker_gets_no_auto_number(
    docx_builder, tmp_path: Path, text: str
) -> None:
    doc = docx_builder()
    num = doc.num(doc.abstract(("decimal", 1), ("lowerRoman", 1)))
    doc.para("The Participants will:", num)
    doc.para(text, num, ilvl=1)

    assert read(doc.save(tmp_path / "a.docx"))[1] == Block(text, list_level=1, number=None)


def test_upper_roman_outline_numbers_continue_across_list_instances(
    docx_builder, tmp_path: Path
) -> None:
    doc = docx_builder()
    roman = doc.abstract(("upperRoman", 1))
    first, second = doc.num(roman), doc.num(roman)
    doc.para("Objectives", first)
    doc.para("Consultations", second)
    doc.para("Cooperation", second)

    assert [b.number for b in read(doc.save(tmp_path / "a.docx"))] == ["I", "II", "III"]


def test_num_id_zero_means_not_numbered(docx_builder, tmp_path: Path) -> None:
    doc = docx_builder()
    doc.para("numbering removed", 0)

    assert read(doc.save(tmp_path / "a.docx")) == [Block("numbering removed")]


def test_empty_paragraphs_are_dropped_and_spaces_cleaned(docx_builder, tmp_path: Path) -> None:
    doc = docx_builder()
    doc.para("")
    doc.para("   ")
    paragraph = doc.para("Part\u00a0II.  Consultation")
    paragraph.add_run().add_break()
    paragraph.add_run("Processes\u200b")

    assert read(doc.save(tmp_path / "a.docx")) == [Block("Part II. Consultation Processes")]


def test_table_cells_are_read_in_order_between_body_paragraphs(
    docx_builder, tmp_path: Path
) -> None:
    doc = docx_builder()
    doc.para("before")
    table = doc.document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "For Canada:"
    table.cell(0, 1).text = "For Ukraine:"
    doc.para("after")

    assert [b.text for b in read(doc.save(tmp_path / "a.docx"))] == [
        "before",
        "For Canada:",
        "For Ukraine:",
        "after",
    ]


def test_read_blocks_wraps_a_broken_docx_in_a_corpus_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"this is not a zip file")

    with pytest.raises(CorpusError, match=r"'.*broken\.docx' is not a Word document \(not a zip"):
        read_blocks(path)


def test_read_blocks_rejects_a_docx_without_text(docx_builder, tmp_path: Path) -> None:
    path = docx_builder().save(tmp_path / "empty.docx")

    with pytest.raises(CorpusError, match=r"'.*empty\.docx' contains no text\."):
        read_blocks(path)


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        (4, "lowerRoman", "iv"),
        (9, "lowerRoman", "ix"),
        (14, "upperRoman", "XIV"),
        (1994, "upperRoman", "MCMXCIV"),
        (3, "upperLetter", "C"),
        (26, "lowerLetter", "z"),
        (27, "lowerLetter", "aa"),
        (12, "decimal", "12"),
    ],
)
def test_format_number(value: int, fmt: str, expected: str) -> None:
    assert format_number(value, fmt) == expected


@pytest.mark.corpus
def test_canada_paragraph_numbers_come_from_word_numbering(shared_corpus: Path) -> None:
    blocks = read(shared_corpus / "canada.docx")
    gsoia = next(b for b in blocks if "(GSOIA)" in b.text)
    duration = next(b for b in blocks if "ten (10) years" in b.text)

    assert (gsoia.list_level, gsoia.number) == (0, "2")
    assert (duration.list_level, duration.number) == (0, "1")
    assert gsoia.text.startswith("The Participants will seek to conclude")
