"""Tests for :mod:`assistant.search.vectors`: the size-based index choice and the FAISS store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.search.vectors import FLAT_LIMIT, FLOOR, FaissStore, IndexChoice, choose_index
from bench.synthetic import clustered_vectors, exact_neighbours, queries, recall_at


def test_flat_up_to_the_limit_then_ivf_with_scalar_quantisation() -> None:
    assert choose_index(0, 384) == IndexChoice("Flat")
    assert choose_index(3_010, 384) == IndexChoice("Flat")
    assert choose_index(FLAT_LIMIT, 384) == IndexChoice("Flat")
    assert choose_index(FLAT_LIMIT + 1, 384) == IndexChoice("IVF256,SQ8", nprobe=64)
    assert choose_index(1_000_000, 384) == IndexChoice("IVF1024,SQ8", nprobe=16)
    assert choose_index(10_000_000, 384) == IndexChoice("IVF4096,SQ8", nprobe=16)


def test_flat_store_scores_every_vector_exactly() -> None:
    vectors = clustered_vectors(500, dim=32, clusters=5)
    store = FaissStore(vectors)
    query = vectors[7]

    assert store.choice.exact
    assert len(store) == 500
    np.testing.assert_allclose(store.scores(query), vectors @ query, rtol=0, atol=1e-6)
    scores, ids = store.search(query, 3)
    assert ids[0] == 7
    np.testing.assert_array_equal(ids, np.argsort(-(vectors @ query), kind="stable")[:3])
    assert store.memory_bytes() == 500 * 32 * 4


def test_ivf_store_at_2k_vectors_finds_the_true_neighbours(tmp_path: Path) -> None:
    vectors = clustered_vectors(2_000, dim=64, clusters=20)
    probe = queries(50, dim=64, clusters=20)
    store = FaissStore(vectors, IndexChoice("IVF16,SQ8", nprobe=4))
    found = np.array([store.search(q, 10)[1] for q in probe])

    assert recall_at(found, exact_neighbours(vectors, probe)) >= 0.9
    assert store.memory_bytes() == 2_000 * (64 + 8) + 16 * 64 * 4  # a quarter of float32 + ids
    # Rows an approximate search does not return score FLOOR; returned ones their similarity.
    scores = store.scores(probe[0])
    assert scores.shape == (2_000,)
    _, returned = store.search(probe[0], 1_000)  # the 4 visited lists hold fewer than 1000
    assert sorted(np.flatnonzero(scores != FLOOR)) == sorted(returned)
    # Saved and loaded, it keeps its kind and its search effort, and returns vectors in row order.
    store.save(tmp_path / "v.faiss")
    loaded = FaissStore.load(tmp_path / "v.faiss", 64)
    assert loaded.choice == IndexChoice("IVF16,SQ8", nprobe=4)
    np.testing.assert_array_equal(loaded.search(probe[0], 10)[1], store.search(probe[0], 10)[1])
    error = np.abs(loaded.vectors() - vectors)  # 8-bit codes: small, clipped at the trained range
    assert error.mean() < 0.005
    assert error.max() < 0.1


def test_load_checks_the_dimension(tmp_path: Path) -> None:
    FaissStore(np.eye(4, dtype=np.float32)).save(tmp_path / "v.faiss")

    with pytest.raises(ValueError, match="vector file has dimension 4, manifest says 8"):
        FaissStore.load(tmp_path / "v.faiss", 8)


def test_empty_store() -> None:
    store = FaissStore(np.zeros((0, 8), dtype=np.float32))

    assert len(store) == 0
    assert store.scores(np.ones(8)).shape == (0,)
    assert store.vectors().shape == (0, 8)
