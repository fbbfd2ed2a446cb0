"""Hostile corpus files are skipped with a warning naming them and why; the rest is indexed."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.index import build, current_build, load
from assistant.ingest import documents
from assistant.ingest.readers import decode_text, read_blocks
from assistant.search.embedding import HashingEmbedder
from bench.hostile import minimal_docx, write_hostile_files

EMBEDDER = HashingEmbedder()
TINY = {"netherlands.txt", "united-kingdom.md", "united-states.docx"}


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory):
    from tests.conftest import write_tiny_corpus

    corpus = write_tiny_corpus(tmp_path_factory.mktemp("hostile") / "corpus")
    expected = write_hostile_files(corpus, big_mb=21)
    index = tmp_path_factory.mktemp("hostile-index")
    messages: list[str] = []
    build(corpus, index, EMBEDDER, report=messages.append)
    return corpus, index, expected, messages


def test_each_hostile_file_is_skipped_with_a_warning_naming_it_and_why(hostile_build) -> None:
    corpus, index, expected, messages = hostile_build
    warnings = [m for m in messages if m.startswith("Skipped")]

    assert len(warnings) == len(expected)
    for name, reason in expected.items():
        [warning] = [w for w in warnings if f"{corpus / name}'" in w]
        assert reason in warning, warning


def test_the_readable_files_beside_them_are_indexed_and_answer(hostile_build) -> None:
    corpus, index, expected, _ = hostile_build
    manifest = json.loads((current_build(index) / "manifest.json").read_text())
    snapshot = load(index, EMBEDDER)

    assert set(manifest["skipped"]) == set(expected)
    assert set(manifest["files"]) == TINY | set(expected)
    assert {d.file for d in snapshot.documents.values()} == TINY


def test_an_unchanged_hostile_corpus_is_not_rebuilt(hostile_build) -> None:
    corpus, index, _, _ = hostile_build
    messages: list[str] = []
    build(corpus, index, EMBEDDER, report=messages.append)

    assert messages == ["Index is up to date."]


def test_parsers_print_nothing_of_their_own(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "files"
    write_hostile_files(folder, big_mb=21)
    caplog.set_level(logging.DEBUG)
    for path in sorted(folder.iterdir()):
        with pytest.raises(CorpusError):
            read_blocks(path)

    assert capfd.readouterr() == ("", "")
    assert [r for r in caplog.records if r.name.startswith(("pypdf", "bs4"))] == []


def test_a_file_that_disappears_mid_build_is_skipped(
    tiny_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = documents.read_blocks

    def read_then_delete_the_next(path: Path):
        if path.name == "netherlands.txt":
            (tiny_corpus / "united-kingdom.md").unlink()  # listed already, read next
        return real(path)

    monkeypatch.setattr(documents, "read_blocks", read_then_delete_the_next)
    messages: list[str] = []
    build(tiny_corpus, tmp_path / "index", EMBEDDER, report=messages.append)

    [warning] = [m for m in messages if m.startswith("Skipped")]
    assert "united-kingdom.md': No such file or directory" in warning
    assert {d.file for d in load(tmp_path / "index", EMBEDDER).documents.values()} == {
        "netherlands.txt",
        "united-states.docx",
    }


def test_a_pdf_locked_only_against_editing_is_read(tmp_path: Path) -> None:
    from fpdf import FPDF
    from pypdf import PdfReader, PdfWriter

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 8, "1. The Participants will consult.")
    pdf.output(str(tmp_path / "plain.pdf"))
    writer = PdfWriter(clone_from=PdfReader(tmp_path / "plain.pdf"))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    with (tmp_path / "locked.pdf").open("wb") as out:
        writer.write(out)

    assert [b.text for b in read_blocks(tmp_path / "locked.pdf")] == [
        "1. The Participants will consult."
    ]


def test_a_docx_just_inside_the_paragraph_bound_is_read(tmp_path: Path) -> None:
    path = minimal_docx(tmp_path / "long.docx", [f"Paragraph {i}." for i in range(20_000)])

    assert len(read_blocks(path)) == 20_000


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"Text\x00with a NUL", "it holds NUL bytes"),
        (b"Mostly \x01\x02\x03 text", "3 of its 15 characters are control characters"),
    ],
)
def test_decode_text_refuses_what_is_not_text(raw: bytes, message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        decode_text(raw, Path("x.txt"))


def test_decode_text_keeps_tabs_form_feeds_and_a_rare_odd_byte() -> None:
    text = "Part I\f\tThe Participants will consult. " * 30 + "\x07"

    assert decode_text(text.encode(), Path("x.txt")) == text
