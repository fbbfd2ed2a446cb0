"""Tests for the benchmark code (no benchmark runs here: timings belong in ``make bench``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bench import scale
from bench.measure import percentile, run, summary_ms, table
from bench.recipe import Chunk, LexicalRecipe, chunk_documents, split_text
from bench.synthetic import clustered_vectors, exact_neighbours, queries, recall_at


def test_splitter_prefers_paragraphs_and_overlaps_words() -> None:
    text = "First paragraph here.\n\nSecond one, a little longer.\n\nThird."

    assert split_text(text, size=30, overlap=0) == [
        "First paragraph here.",
        "Second one, a little longer.",
        "Third.",
    ]
    words = " ".join(f"w{i:02d}" for i in range(40))  # 40 words of 3 characters
    chunks = split_text(words, size=20, overlap=8)
    assert chunks[:2] == ["w00 w01 w02 w03 w04", "w03 w04 w05 w06 w07"]
    assert all(len(c) <= 20 for c in chunks)
    assert chunks[-1].endswith("w39")


def test_splitter_cuts_a_word_longer_than_a_chunk() -> None:
    assert split_text("x" * 25, size=10, overlap=0) == ["x" * 10, "x" * 10, "x" * 5]


def test_recipe_chunks_of_canada_are_at_most_1000_characters(canada) -> None:
    chunks = chunk_documents([canada])

    assert all(len(c.text) <= 1000 for c in chunks)
    assert {c.doc for c in chunks} == {"canada"}
    assert 700 < np.mean([len(c.text) for c in chunks]) <= 1000
    # Overlap is made of whole pieces (paragraphs here), as in LangChain: only chunks that follow
    # a short paragraph start with text the previous chunk ended with.
    overlapping = sum(b.text[:50] in a.text for a, b in zip(chunks, chunks[1:], strict=False))
    assert (len(chunks), overlapping) == (59, 17)


def test_bm25_recipe_ranks_the_chunk_with_the_words() -> None:
    recipe = LexicalRecipe([Chunk("a", "tanks and artillery"), Chunk("b", "energy and grids")])

    assert recipe.search("energy grid", k=10) == [Chunk("b", "energy and grids", rank=1)]


def test_synthetic_vectors_are_deterministic_normalised_and_clustered() -> None:
    a = clustered_vectors(2_000, dim=32, clusters=4, seed=3)

    np.testing.assert_array_equal(a, clustered_vectors(2_000, dim=32, clusters=4, seed=3))
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert a.dtype == np.float32
    # Clustered: a vector's nearest neighbour is much closer than a random other vector.
    sims = a[:100] @ a.T
    np.fill_diagonal(sims[:, :100], -1)
    assert sims.max(axis=1).mean() > sims.mean() + 0.3


def test_exact_neighbours_match_brute_force() -> None:
    vectors = clustered_vectors(2_000, dim=16, clusters=8)
    probe = queries(5, dim=16, clusters=8)
    expected = np.argsort(-(probe @ vectors.T), axis=1, kind="stable")[:, :10]

    np.testing.assert_array_equal(
        np.sort(exact_neighbours(vectors, probe), axis=1), np.sort(expected, axis=1)
    )
    assert recall_at(expected, expected) == 1.0


def test_scale_benchmark_smoke_at_2k_vectors(tmp_path: Path) -> None:
    rows = scale.main(["--sizes", "2000", "--queries", "20", "--out", str(tmp_path / "s.json")])

    assert [(r["passages"], r["index"], r["chosen"], r["recall@10"]) for r in rows] == [
        (2000, "Flat", True, 1.0)
    ]
    assert json.loads((tmp_path / "s.json").read_text())["rows"] == rows
    assert (tmp_path / "s.png").read_bytes().startswith(b"\x89PNG")


def test_measure_helpers() -> None:
    assert percentile([], 50) == 0.0
    assert summary_ms([0.001, 0.003]) == {
        "p50_ms": 2.0,
        "p90_ms": 2.8,
        "p99_ms": 2.98,
        "mean_ms": 2.0,
        "n": 2,
    }
    assert table([{"a": 1}], ["a", "b"]).splitlines()[-1] == "| 1 |  |"


def test_run_reports_the_childs_own_peak_memory() -> None:
    import sys

    done = run([sys.executable, "-c", "import sys; sys.stderr.write('err'); print('out')"])

    assert (done.returncode, done.stdout, done.stderr) == (0, "out\n", "err")
    assert 1 < done.peak_mb < 200


def test_harden_headline_picks_each_campaigns_figures() -> None:
    from bench.harden import headline

    results = {
        "fuzz": {"inputs": 1200, "tracebacks": 0, "http_5xx": 0, "problems": []},
        "crash": {"kills": 41, "survived": 41, "unfinished_after_next_build": 0},
        "soak": {
            "clients": 50,
            "requests": 9,
            "errors": 0,
            "latency": {"p50_ms": 100.0, "p99_ms": 500.0},
            "server_rss_mb": {"start": 400.0, "end": 420.0, "growth_pct": 5.0},
            "burst": {"refused_at_once": 130, "refusal_max_ms": 700.0, "errors": 0},
            "goals": {"p99_within_2_s": True, "rss_growth_under_10_pct": False},
        },
    }
    out = headline(results)

    assert out["fuzz.inputs"] == 1200 and out["crash.survived"] == 41
    assert out["soak.p99_ms"] == 500.0 and out["soak.rss_growth_pct"] == 5.0
    assert out["soak.goals_met"] is False
    assert not any(key.startswith(("hostile.", "feedback.", "offline.")) for key in out)
