"""Tests for :mod:`assistant.search.retrieve` and :mod:`assistant.search.scope`: fusion,
scoping and search."""

from __future__ import annotations

import pytest

from assistant.ingest.metadata import DocumentInfo
from assistant.search.embedding import HashingEmbedder
from assistant.search.retrieve import Fusion, Retriever, fuse, lexical_text, list_items
from assistant.search.scope import named_documents

TINY_DOCS = ["netherlands", "united-kingdom", "united-states"]


def test_fuse_with_k_zero() -> None:
    assert fuse([[3, 1], [1, 2]], [1.0, 1.0], k=0) == {3: 1.0, 1: 1.5, 2: 0.5}


def test_fuse_with_the_default_k_and_weights() -> None:
    scores = fuse([[7, 8, 9], [9]], [2.0, 0.5])

    assert scores == {7: 2.0 / 61, 8: 2.0 / 62, 9: 2.0 / 63 + 0.5 / 61}


def test_fuse_of_nothing_and_mismatched_weights() -> None:
    assert fuse([[], []], [1.0, 1.0]) == {}
    with pytest.raises(ValueError):
        fuse([[1], [2]], [1.0])


def info(doc: str, title: str, partner: str) -> DocumentInfo:
    return DocumentInfo(doc, title, (partner,), "en", None, None)


INFOS = [
    info("netherlands", "Agreement between Ukraine and the Netherlands", "Netherlands"),
    info("united-kingdom", "Agreement between the United Kingdom and Ukraine", "United Kingdom"),
    info(
        "united-states",
        "Agreement between Ukraine and the United States of America",
        "United States of America",
    ),
    info(
        "germany",
        "Agreement between the Federal Republic of Germany and Ukraine",
        "Federal Republic of Germany",
    ),
]


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Under the UK agreement, who trains pilots?", ["united-kingdom"]),
        ("What do the Dutch commit?", ["netherlands"]),
        ("What do us partners commit?", []),  # lower-case "us" is not the USA
        ("What does the US promise?", ["united-states"]),
        ("What did the U.S. sign?", ["united-states"]),
        ("What does America promise?", ["united-states"]),
        ("Does Ukraine get aircraft?", []),  # "UK" inside "Ukraine" is not the UK
        ("Compare the netherlands and british commitments", ["netherlands", "united-kingdom"]),
        ("What do the Germans offer?", ["germany"]),
        ("What does the united states commit?", ["united-states"]),
    ],
)
def test_named_documents(question: str, named: list[str]) -> None:
    assert named_documents(question, INFOS) == named


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Under the UK agreement, who trains pilots?", ["united-kingdom"]),
        ("What do the Dutch commit?", ["netherlands"]),
        ("What do us partners commit?", []),
        ("What does the Czech Republic promise?", ["czechia"]),
        ("What does the EU commit to?", ["european-union"]),
        ("What does Japan provide?", ["japan"]),
    ],
)
def test_named_documents_over_the_real_corpus(
    all_documents, question: str, named: list[str]
) -> None:
    documents, _ = all_documents

    assert named_documents(question, [d.info for d in documents]) == named


def test_scope_of_the_tiny_corpus(hashing_bot) -> None:
    scope = hashing_bot.retriever.scope

    assert scope("Under the UK agreement, what about cyber?") == ["united-kingdom"]
    assert scope("What do the Dutch commit?") == ["netherlands"]
    assert scope("What do us partners commit?") == TINY_DOCS
    assert scope("What do the Dutch commit?", doc="united-states") == ["united-states"]


def test_search_finds_the_defining_passage(hashing_bot) -> None:
    hits = hashing_bot.retriever.search("What is GSOIA?", k=3)

    assert hits[0].passage.id == "united-kingdom:1"
    assert hits[0].lexical > 0
    assert len(hits) == 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_search_stays_within_the_documents_given(hashing_bot) -> None:
    hits = hashing_bot.retriever.search("ten years", k=10, docs=["united-states"])

    assert {h.passage.doc for h in hits} == {"united-states"}
    assert len(hits) == 7  # every passage of the document, best first
    assert hits[0].passage.text == "This Agreement shall remain in force for ten years."


def test_search_in_documents_not_indexed_finds_nothing(hashing_bot) -> None:
    assert hashing_bot.retriever.search("ten years", docs=["nope"]) == []


def test_a_named_part_ranks_its_passages_first(hashing_bot) -> None:
    # Without the section boost the "cooperate" paragraph of Part I comes first.
    hits = hashing_bot.retriever.search(
        "What does Part II say about cooperation?", k=2, docs=["netherlands"]
    )

    assert [h.passage.id for h in hits] == ["netherlands:6", "netherlands:3"]


def test_part_i_does_not_boost_part_ii(hashing_bot) -> None:
    import numpy as np

    retriever = hashing_bot.retriever
    rows = retriever._named_section_rows(
        "What does Part I say?", np.arange(len(retriever.passages))
    )

    assert [retriever.passages[r].id for r in rows] == [
        "netherlands:2",
        "netherlands:3",
        "netherlands:4",
        "netherlands:5",
        "united-kingdom:1",
        "united-kingdom:2",
        "united-states:1",
        "united-states:2",
        "united-states:3",
        "united-states:4",
    ]


def test_lexical_text_adds_the_heading() -> None:
    from assistant.ingest.structure import Passage

    p = Passage("x", 3, ("Part I. Scope", "A. Defence"), "1", "paragraph", 0, 5, "Text.", "lead")
    text = lexical_text(p)
    assert text.startswith("Text. ")
    assert "A. Defence" in text
    assert "lead" not in text
    assert "Part I" not in text


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def encode(self, texts, progress=None):
        self.calls += 1
        return super().encode(texts, progress)


def test_query_vectors_are_cached_in_a_bounded_lru(hashing_bot) -> None:
    embedder = CountingEmbedder()
    retriever = Retriever(hashing_bot.snapshot, embedder, cache_size=2)

    first = retriever.embed("a")
    assert retriever.embed("a") is first
    retriever.embed("b")
    retriever.embed("a")  # refreshes "a", so "b" is now the oldest
    retriever.embed("c")  # evicts "b"
    retriever.embed("a")
    assert embedder.calls == 3
    retriever.embed("b")
    assert embedder.calls == 4


def test_a_question_naming_no_agreement_is_about_the_primary_one(hashing_bot) -> None:
    retriever = Retriever(hashing_bot.snapshot, HashingEmbedder(), primary="united-kingdom")

    assert retriever.scope("How long does it last?") == ["united-kingdom"]
    assert retriever.scope("What do the Dutch commit?") == ["netherlands"]
    assert retriever.scope("How long?", doc="united-states") == ["united-states"]
    assert retriever.scope("Which agreements last ten years?") == TINY_DOCS
    assert retriever.scope("Which country signed in Kharkiv?") == TINY_DOCS


def test_a_primary_agreement_that_is_not_indexed_is_ignored(hashing_bot) -> None:
    retriever = Retriever(hashing_bot.snapshot, HashingEmbedder(), primary="canada")

    assert retriever.primary is None
    assert retriever.scope("How long does it last?") == TINY_DOCS


def test_best_per_document_equals_each_documents_own_search(hashing_bot) -> None:
    retriever = hashing_bot.retriever
    question = "How long will the agreement remain in force?"

    best = retriever.best_per_document(question, TINY_DOCS)

    assert list(best) == TINY_DOCS
    for doc, hit in best.items():
        own = retriever.search(question, k=1, docs=[doc])[0]
        assert hit.passage == own.passage
        assert hit.dense == own.dense


def test_a_lead_in_lists_the_items_that_follow_it(hashing_bot) -> None:
    passages = hashing_bot.snapshot.passages
    items = {
        passages[r].id: [passages[i].id for i in rows] for r, rows in list_items(passages).items()
    }

    # "2. The Participants will cooperate to:" with (a) and (b); the DOCX's "The Participants
    # will:" with its two auto-numbered items.
    assert items == {
        "netherlands:3": ["netherlands:4", "netherlands:5"],
        "united-states:2": ["united-states:3", "united-states:4"],
    }


def test_unmarked_items_are_the_passages_after_the_lead_in_in_its_section() -> None:
    from assistant.ingest.structure import Passage

    def p(ordinal: int, text: str, section: str = "Part I", kind: str = "text") -> Passage:
        return Passage("x", ordinal, (section,), None, kind, 0, len(text), text)

    passages = (
        p(0, "Ukraine commits to:"),
        p(1, "reform its courts;"),
        p(2, "fight corruption."),
        p(3, "The partner will:"),  # the next lead-in ends the list
        p(4, "train pilots."),
        p(5, "Another part.", section="Part II"),  # so does another section
    )

    assert list_items(passages) == {0: [1, 2], 3: [4]}


def test_a_lead_in_is_never_quoted_alone(hashing_bot) -> None:
    question = "What will the Participants cooperate to do?"
    alone = Retriever(hashing_bot.snapshot, HashingEmbedder(), fusion=Fusion(lead_ins="alone"))
    ranked = [h.passage.id for h in alone.search(question, k=5, docs=["netherlands"])]
    assert ranked[0] == "netherlands:3"  # the bare lead-in wins without the rule

    hits = hashing_bot.retriever.search(question, k=5, docs=["netherlands"])
    ids = [h.passage.id for h in hits]

    assert ids[0] == "netherlands:3" and ids[1] in ("netherlands:4", "netherlands:5")
    assert len(ids) == 5 and len(set(ids)) == 5
    first = Retriever(hashing_bot.snapshot, HashingEmbedder(), fusion=Fusion(lead_ins="item first"))
    assert [h.passage.id for h in first.search(question, k=2, docs=["netherlands"])] == [
        ids[1],
        "netherlands:3",
    ]


def test_the_answer_quotes_a_lead_in_with_its_item(hashing_bot) -> None:
    answer = hashing_bot.ask("What will the Participants cooperate to do?", doc="netherlands")
    lead, item = answer.passages[:2]

    assert answer.answer == f"“{lead.text}” … “{item.highlight}” ({item.citation})"
