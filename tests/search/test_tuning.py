"""Tests for :mod:`assistant.search.tuning`: the pairs the corpus offers, batches without fitting
in-batch negatives, and a fine-tune that is stored by its inputs and reused."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.structure import Passage
from assistant.search.embedding import HashingEmbedder, SentenceTransformerEmbedder
from assistant.search.tuning import Options, Pair, distinct_batches, fine_tune, training_pairs

TRAINING = ("Part I", "A. Training")
PILOTS = "Canada will train Ukrainian pilots and soldiers at bases in Canada and in Europe."
ENGINEERS = "Canada will train Ukrainian engineers in demining and bomb disposal on site."
THREE = (
    "The Participants will meet every year to review the partnership. "
    "The review will cover defence industry cooperation, sanctions and reconstruction work. "
    "Its findings will be published."
)
LEAD_IN = "Canada will, in cooperation with its partners and allies:"
ITEM = "(i) supply armoured vehicles and spare parts to the Armed Forces of Ukraine;"


def passages() -> list[Passage]:
    rows = [
        ("a", TRAINING, "paragraph", PILOTS, ""),
        ("a", TRAINING, "paragraph", ENGINEERS, ""),
        ("a", ("Part II",), "paragraph", THREE, ""),
        ("a", ("Part III", "B. Equipment"), "item", ITEM, LEAD_IN),
        ("b", ("Training",), "paragraph", PILOTS, ""),  # the same clause in another agreement
        ("b", ("Sanctions",), "paragraph", "Sanctions against Russia will stay until it pays.", ""),
    ]
    return [
        Passage(doc, i, section, None, kind, 0, len(text), text, context)
        for i, (doc, section, kind, text, context) in enumerate(rows)
    ]


def pairs_of(found: list[Pair], kind: str) -> list[Pair]:
    return [p for p in found if p.kind == kind]


def test_the_corpus_offers_four_kinds_of_pairs_with_hard_negatives() -> None:
    corpus = passages()
    found = training_pairs(corpus, HashingEmbedder().encode([p.text for p in corpus]))

    heading = [p for p in pairs_of(found, "heading") if p.anchor == "A. Training"]
    assert [p.positive for p in heading] == [PILOTS, ENGINEERS]
    # A sibling under the same heading fits the heading too, so it is never the negative.
    assert all(p.negative not in (PILOTS, ENGINEERS) for p in heading)
    assert [(p.anchor, p.positive) for p in pairs_of(found, "lead-in")] == [(LEAD_IN, ITEM)]
    (cloze,) = pairs_of(found, "cloze")
    assert cloze.anchor in THREE and cloze.anchor not in cloze.positive
    assert cloze.positive.startswith("The Participants will meet") and "published" in cloze.positive
    # The one clause another agreement repeats, paired across the two agreements.
    assert [(p.anchor, p.positive) for p in pairs_of(found, "clause")] == [(PILOTS, PILOTS)]

    def docs_with(text: str) -> set[str]:
        return {p.doc for p in corpus if p.text == text}

    for pair in found:
        assert pair.negative and pair.negative != pair.positive
        # Negatives come from the positive's own agreement (the cloze's from the paragraph's).
        assert docs_with(pair.negative) & (docs_with(pair.positive) or {"a"})


def test_a_batch_never_holds_a_text_twice() -> None:
    pairs = [Pair("heading", "A", f"p{i}", "n") for i in range(3)] + [
        Pair("cloze", "s", "p0", "n"),
        Pair("cloze", "t", "u", "n"),
    ]

    batches = distinct_batches(pairs, 2)

    assert sorted(p.positive + p.anchor for b in batches for p in b) == sorted(
        p.positive + p.anchor for p in pairs
    )
    for batch in batches:
        texts = [t for p in batch for t in (p.anchor, p.positive)]
        assert len(texts) == len(set(texts)) and len(batch) <= 2
    assert [[p.anchor for p in b] for b in batches] == [["A", "t"], ["A", "s"], ["A"]]


@pytest.mark.model
@pytest.mark.corpus
def test_a_fine_tune_is_stored_by_its_inputs_and_reused(real_bot, tmp_path: Path) -> None:
    corpus = real_bot.snapshot
    pairs = training_pairs(corpus.passages, corpus.views.text)
    assert {p.kind for p in pairs} == {"heading", "lead-in", "cloze"}  # one agreement: no clauses
    base = SentenceTransformerEmbedder()
    options = Options(batch_size=4, max_pairs=8)
    said: list[str] = []

    folder = fine_tune(tmp_path, base, pairs, options, report=said.append)

    assert folder.parent == tmp_path / "models" and folder.name.startswith("tuned-")
    assert said[-1] == f"Tuned model saved in {folder}" and "Training step 2/2" in said[-2]
    tuned = SentenceTransformerEmbedder(str(folder))
    assert tuned.fingerprint() != base.fingerprint()
    text = [pairs[0].anchor]
    moved = float((tuned.encode(text) * base.encode(text)).sum())
    assert 0.9 < moved < 0.99999  # trained a little, not replaced
    assert fine_tune(tmp_path, base, pairs, options, report=said.append) == folder
    assert said[-1] == f"Reusing the tuned model in {folder}"
    other = fine_tune(tmp_path, base, pairs[:4], Options(batch_size=4, seed=1), report=said.append)
    assert other != folder  # other pairs or another seed: other weights
