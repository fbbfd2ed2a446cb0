"""Tests for :mod:`assistant.compare` on all 28 agreements with the real model, over the
session's 28-document index (``real_all_bot`` in conftest)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.errors import UnknownDocumentError

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
QUESTION = "How soon will the two sides consult if Russia attacks again?"
TWENTY_FOUR = re.compile(r"\b24\b|twenty[- ]four", re.IGNORECASE)

pytestmark = [pytest.mark.model, pytest.mark.corpus]


@pytest.fixture(scope="module")
def all_bot(real_all_bot):
    """The real model over all 28 agreements (the session's shared index)."""
    return real_all_bot


@pytest.fixture(scope="module")
def consultation(all_bot):
    return all_bot.compare(QUESTION)


def test_every_agreement_gets_a_row(all_bot, consultation) -> None:
    assert len(consultation.results) == 28
    assert [r.doc for r in consultation.results] == sorted(all_bot.documents)
    assert consultation.question == QUESTION


def test_each_agreement_returns_its_own_24_hour_clause(consultation) -> None:
    own = [
        r.doc
        for r in consultation.results
        if r.passage is not None and r.passage.doc == r.doc and TWENTY_FOUR.search(r.passage.text)
    ]

    assert len(own) >= 26
    # Croatia's agreement has no such clause: "not addressed" rather than its nearest paragraph.
    assert sorted(set(r.doc for r in consultation.results) - set(own)) == ["croatia"]
    [croatia] = [r for r in consultation.results if r.doc == "croatia"]
    assert (croatia.passage, croatia.note) == (None, "not addressed")


def test_a_ukrainian_agreement_says_so_and_is_matched_by_the_figure(consultation) -> None:
    [italy] = [r for r in consultation.results if r.doc == "italy"]

    assert italy.note == (
        "document is in Ukrainian; the question is in English; best match by the figure 24 alone"
    )
    assert "протягом 24 годин" in italy.passage.text


def test_passages_are_verbatim_with_the_fields_of_ask(all_bot, consultation) -> None:
    data = consultation.to_dict()
    ask_fields = set(all_bot.ask(QUESTION, k=1).to_dict()["passages"][0])

    for row in data["results"]:
        assert set(row) == {"doc", "title", "partner", "passage", "note"}
        if row["passage"] is None:
            continue
        p = row["passage"]
        assert set(p) == ask_fields
        document = all_bot.documents[p["doc"]]
        assert document.text[p["start"] : p["end"]] == p["text"]
        assert p["highlight"] in p["text"]


def test_off_topic_question_is_not_addressed_anywhere(all_bot) -> None:
    result = all_bot.compare("What is the recipe for borscht soup?", docs=["canada", "france"])

    assert [(r.doc, r.passage, r.note) for r in result.results] == [
        ("canada", None, "not addressed"),
        ("france", None, "not addressed"),
    ]


def test_unknown_document_names_the_known_ones(all_bot) -> None:
    with pytest.raises(UnknownDocumentError, match="No document 'atlantis' in the index. Known: "):
        all_bot.compare(QUESTION, docs=["canada", "atlantis"])


def test_cli_compare_json(all_bot, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--corpus", str(all_bot.settings.corpus), "--index", str(all_bot.settings.index)]

    main([*args, "compare", QUESTION, "--docs", "canada,united-kingdom", "--json"])
    data = json.loads(capsys.readouterr().out)

    assert data["question"] == QUESTION
    assert [(r["doc"], r["partner"], r["note"]) for r in data["results"]] == [
        ("canada", "Canada", ""),
        ("united-kingdom", "United Kingdom", ""),
    ]
    assert data["results"][0]["passage"]["citation"] == "Canada-Ukraine Agreement, Part II, para. 3"
    assert "twenty-four (24) hours" in data["results"][0]["passage"]["text"]
