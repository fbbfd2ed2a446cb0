"""Tests for :mod:`assistant.ingest.readers.text` (plain text and Markdown) and the shared
reader entry point :func:`assistant.ingest.readers.read_blocks` /
:func:`assistant.ingest.readers.clean_text`."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.ingest.readers import Block, clean_text, read_blocks
from assistant.ingest.readers.text import read


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_blank_lines_separate_paragraphs_and_wrapped_lines_reflow(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.txt",
        "Agreement between Ukraine and Canada\n\n"
        "The Participants will cooperate\non defence matters.\n\nSecond paragraph.\n",
    )

    assert read(path) == [
        Block("Agreement between Ukraine and Canada"),
        Block("The Participants will cooperate on defence matters."),
        Block("Second paragraph."),
    ]


def test_numbered_and_lettered_lines_start_new_blocks_in_wrapped_text(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.txt",
        "Part I. Scope\n\nThe Participants will:\n(a) train\n"
        "pilots;\n(b) equip forces.\n2. Each Participant will\ndesignate a contact.\n"
        "Part II. Final Provisions\n",
    )

    assert [b.text for b in read(path)] == [
        "Part I. Scope",
        "The Participants will:",
        "(a) train pilots;",
        "(b) equip forces.",
        "2. Each Participant will designate a contact.",
        "Part II. Final Provisions",
    ]


def test_a_file_without_blank_lines_has_one_paragraph_per_line(tmp_path: Path) -> None:
    path = write(
        tmp_path, "a.txt", "CUSSP overview\nSigned on February 24, 2024\nEffective for a decade\n"
    )

    assert [b.text for b in read(path)] == [
        "CUSSP overview",
        "Signed on February 24, 2024",
        "Effective for a decade",
    ]


def test_bom_and_windows_line_endings(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "\ufeffTitle\r\n\r\nBody line one\r\nline two.\r\n")

    assert read(path) == [Block("Title"), Block("Body line one line two.")]


def test_markdown_headings_and_bullets(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.md",
        "# Agreement\n\n## Part I. Scope ##\n\n- first point\n"
        "  - nested point\n* second point\n\nPlain *text* stays as written.\n",
    )

    assert read(path) == [
        Block("Agreement", heading=True),
        Block("Part I. Scope", heading=True),
        Block("first point", list_level=0),
        Block("nested point", list_level=1),
        Block("second point", list_level=0),
        Block("Plain *text* stays as written."),
    ]


def test_hash_and_dash_lines_are_plain_text_in_a_txt_file(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "# not a heading\n\n- not a bullet\n")

    assert read(path) == [Block("# not a heading"), Block("- not a bullet")]


def test_a_wrapped_markdown_bullet_stays_one_item(tmp_path: Path) -> None:
    path = write(tmp_path, "a.md", "- a bullet item that\n  continues here\n- next item\n")

    assert read(path) == [
        Block("a bullet item that continues here", list_level=0),
        Block("next item", list_level=0),
    ]


def test_clean_text_removes_invisible_characters_and_odd_spaces() -> None:
    raw = "Part\u00a0II.\u2009 Con\u00adsulta\u200btion\u202e\tProcesses\n "

    assert clean_text(raw) == "Part II. Consultation Processes"


def test_read_blocks_dispatches_on_suffix_case_insensitively(tmp_path: Path) -> None:
    path = write(tmp_path, "A.TXT", "One.\n\nTwo.\n")

    assert read_blocks(path) == [Block("One."), Block("Two.")]


def test_read_blocks_rejects_an_unsupported_format_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.rtf", "text")

    with pytest.raises(CorpusError) as error:
        read_blocks(path)
    assert str(error.value) == (
        f"'{path}' is not a supported format (.txt, .md, .docx, .pdf, .html, .htm)."
    )


def test_read_blocks_rejects_a_file_without_text(tmp_path: Path) -> None:
    path = write(tmp_path, "blank.txt", "\n \n\u200b\n")

    with pytest.raises(CorpusError) as error:
        read_blocks(path)
    assert str(error.value) == f"'{path}' contains no text."


def test_a_file_that_is_not_utf8_is_read_as_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Caf\u00e9 \u2013 agreement".encode("cp1252"))

    assert read_blocks(path) == [Block("Caf\u00e9 \u2013 agreement")]
