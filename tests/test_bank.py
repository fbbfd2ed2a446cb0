"""Tests for :mod:`assistant.bank`: the shipped bank's form, its keys against the corpus, and
the coverage report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import bank
from assistant.bank import (
    BRIEF_VERSION,
    FOLDER,
    MAX_QUESTION_CHARS,
    BankError,
    coverage,
    passage_key,
    questions_by_key,
    read_entries,
)
from assistant.errors import SettingError

SHIPPED = sorted(FOLDER.glob("*.jsonl"))
REPO = Path(__file__).resolve().parents[1]
OVERVIEW = "cussp-overview"  # the built-in default corpus has a bank too


def test_the_bank_ships_one_file_per_agreement_with_its_brief() -> None:
    assert len(SHIPPED) == 29  # the 28 agreements and the overview
    assert (
        (FOLDER / "BRIEF.md")
        .read_text()
        .startswith(f"# Brief for bank writers (version {BRIEF_VERSION})")
    )
    assert "## How each file was made" in (FOLDER / "README.md").read_text()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_entry_parses_with_short_nonempty_questions(path: Path) -> None:
    entries = read_entries(path)

    assert entries and {e.doc for e in entries} == {path.stem}
    assert {e.brief for e in entries} == {BRIEF_VERSION}
    assert len({e.key for e in entries}) == len(entries)  # one entry per passage
    for entry in entries:
        assert entry.questions, entry.citation
        for question in entry.questions:
            assert question.strip() and len(question) <= MAX_QUESTION_CHARS, question


@pytest.mark.corpus
def test_every_key_matches_a_passage_and_every_passage_is_covered(all_documents) -> None:
    documents, _ = all_documents
    assert sorted(d.id for d in documents) == [p.stem for p in SHIPPED if p.stem != OVERVIEW]
    for document in documents:
        report = coverage(document.id, (p.text for p in document.passages))
        assert (report.state, report.missing, report.stale) == ("covered", 0, 0), document.id


def test_the_overview_in_corpus_is_covered() -> None:
    from assistant.ingest.documents import read_document

    overview = read_document(REPO / "corpus" / f"{OVERVIEW}.txt")
    report = coverage(OVERVIEW, (p.text for p in overview.passages))

    assert (report.state, report.missing, report.stale) == ("covered", 0, 0)


def test_keys_fold_case_quotes_dashes_and_spacing() -> None:
    assert passage_key("Ukraine’s  “defence” – now") == passage_key('ukraine\'s "defence" - now')
    assert passage_key("Ukraine's defence") != passage_key("Ukraine's defense")


def test_coverage_counts_covered_missing_and_stale(tmp_path: Path) -> None:
    rows = [
        {"doc": "x", "key": passage_key("One."), "questions": ["First?"], "brief": 1},
        {"doc": "x", "key": passage_key("Gone."), "questions": ["Old?"], "brief": 1},
    ]
    (tmp_path / "x.jsonl").write_text("\n".join(map(json.dumps, rows)) + "\n")

    report = coverage("x", ["One.", "Two.", "One."], folder=tmp_path)

    assert (report.passages, report.covered, report.missing, report.stale) == (2, 1, 1, 1)
    assert report.questions == 1 and report.state == "partial"
    assert coverage("y", ["One."], folder=tmp_path).state == "no bank"


def test_a_broken_line_is_named(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text(
        '{"doc": "x", "key": "k", "questions": ["Q?"]}\n{"doc": "x"}\n'
    )

    with pytest.raises(BankError, match="Line 2 of the question bank"):
        questions_by_key("x", folder=tmp_path)


def test_the_bank_setting_is_on_or_off() -> None:
    assert bank.enabled("on") is True and bank.enabled("off") is False
    with pytest.raises(SettingError, match="Unknown bank setting 'maybe'. Set ASSISTANT_BANK"):
        bank.enabled("maybe")
