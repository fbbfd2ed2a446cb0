"""Tests for :mod:`assistant.search.views`: a passage scores the best of its views."""

from __future__ import annotations

import numpy as np

from assistant.ingest.structure import Passage
from assistant.search.views import Views, context_view, sentence_texts


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_best_takes_the_highest_view_per_passage() -> None:
    # Passage 0 has two sentences, passage 1 one (no sentence rows), passage 2 three.
    context = np.stack([unit(1, 0, 0), unit(0, 1, 0), unit(0, 0, 1)])
    text = np.stack([unit(0, 1, 0), unit(1, 1, 0), unit(0, 1, 1)])
    sentences = np.stack(
        [unit(0, 0, 1), unit(1, 0, 1), unit(0, 1, 0), unit(1, 0, 0), unit(0, 0, 1)]
    )
    views = Views(context, text, sentences, [2, 0, 3])
    query = unit(1, 0, 0)

    best = views.best(query)

    np.testing.assert_allclose(best, [1.0, 0.70710677, 1.0], rtol=1e-6)
    assert views.sentence_rows(0) == (0, 2)
    assert views.sentence_rows(1) is None
    assert views.sentence_rows(2) == (2, 5)


def test_best_uses_given_context_scores() -> None:
    views = Views(
        np.eye(2, dtype=np.float32), np.eye(2, dtype=np.float32), np.zeros((0, 2)), [0, 0]
    )

    np.testing.assert_allclose(views.best(unit(1, 0), np.array([0.0, 0.9])), [1.0, 0.9])


def test_views_of_an_item_and_of_a_one_sentence_passage() -> None:
    item = Passage(
        "canada", 7, ("Part IV", "F. Humanitarian Demining"), "9(vi)", "item", 0, 40,
        "(vi) develop combat demining capabilities.", "Canada will: " + "x" * 500,
    )  # fmt: skip

    assert context_view(item).startswith("Part IV > F. Humanitarian Demining | Canada will: x")
    assert context_view(item).endswith(" | (vi) develop combat demining capabilities.")
    assert len(context_view(item)) < 40 + 400 + 60  # the long lead-in is cut
    assert sentence_texts(item) == []
    two = Passage("x", 1, (), None, "text", 0, 20, "First one. Second one.")
    assert sentence_texts(two) == ["First one.", "Second one."]
