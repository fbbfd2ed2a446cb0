"""Tests for :mod:`assistant.search.lexical`: tokenizer, light stemmer and the numpy BM25."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assistant.search.lexical import BM25, STOPWORDS, normalise, stem, tokens


def test_normalise_folds_quotes_dashes_compatibility_forms_and_case() -> None:
    assert normalise("Ukraine’s “Defence” – ‘Plan’ — ﬁnal Ⅳ") == (
        "ukraine's \"defence\" - 'plan' - final iv"
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("updating", "update"),
        ("updated", "updates"),
        ("forces", "force"),
        ("countries", "country"),
        ("cooperation", "cooperate"),
        ("Ukraine’s defence", "Ukraine's defence"),
        ("UKRAINE", "ukraine"),
    ],
)
def test_word_forms_meet(a: str, b: str) -> None:
    assert tokens(a) == tokens(b)


@pytest.mark.parametrize("word", ["pass", "business", "status", "analysis", "ten", "24th"])
def test_stem_leaves_words_that_only_look_inflected(word: str) -> None:
    assert stem(word) == word


def test_tokens_drop_stopwords_and_keep_numbers_whole() -> None:
    assert tokens("What is the amount of $3.02 billion in 2024?") == (
        tokens("amount") + ["3.02", "billion", "2024"]
    )
    assert tokens("the of and what does it say about") == []


def test_tokens_read_cyrillic() -> None:
    assert tokens("Україна та Італія") == ["україна", "та", "італія"]


def test_stopwords_are_lower_case_single_words() -> None:
    assert all(w == w.lower() and w.isalpha() for w in STOPWORDS)
    assert {"the", "what", "mentioned"} <= STOPWORDS


DOCS = [["a", "b"], ["a"], ["c", "c", "c"]]


def test_bm25_scores_exactly() -> None:
    bm25 = BM25(DOCS)  # k1 1.2, b 0.75; lengths 2, 1, 3; mean 2
    idf_a = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    idf_c = math.log(1 + (3 - 1 + 0.5) / (1 + 0.5))
    norm = [1.2 * (0.25 + 0.75 * n / 2) for n in (2, 1, 3)]

    np.testing.assert_allclose(
        bm25.scores(["a"]),
        [idf_a * 2.2 / (1 + norm[0]), idf_a * 2.2 / (1 + norm[1]), 0.0],
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        bm25.scores(["a", "c"], [1.0, 0.5]),
        [
            idf_a * 2.2 / (1 + norm[0]),
            idf_a * 2.2 / (1 + norm[1]),
            0.5 * idf_c * 3 * 2.2 / (3 + norm[2]),
        ],
        rtol=1e-6,
    )
    assert bm25.idf("a") == pytest.approx(idf_a)


def test_bm25_idf_stays_positive_for_a_term_in_every_document() -> None:
    # rank_bm25's IDF goes negative here, which is why the module has its own BM25.
    bm25 = BM25([["x", "y"], ["x"], ["x", "z"]])

    assert bm25.idf("x") == pytest.approx(math.log(1 + 0.5 / 3.5))
    assert bm25.scores(["x"]).min() > 0


def test_bm25_unknown_terms_and_empty_query_score_zero() -> None:
    bm25 = BM25(DOCS)

    assert bm25.scores(["nothing"]).tolist() == [0.0, 0.0, 0.0]
    assert bm25.scores([]).tolist() == [0.0, 0.0, 0.0]
    assert bm25.idf("nothing") == 0.0


def test_bm25_over_no_documents() -> None:
    assert BM25([]).scores(["a"]).tolist() == []


def test_bm25_weights_must_match_the_query() -> None:
    with pytest.raises(ValueError):
        BM25(DOCS).scores(["a", "b"], [1.0])
