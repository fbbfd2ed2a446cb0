"""Synthetic embeddings for the scale benchmark: clustered like real sentence vectors.

Real passage embeddings are not uniform on the sphere: they bunch by topic. We draw ``clusters``
centres uniformly on the unit sphere, then each vector as its centre plus isotropic Gaussian noise
(``spread`` per dimension, so the noise norm is about ``spread * sqrt(dim)``), normalised back to
unit length. With the defaults a vector's cosine to its own centre is about 0.6 and neighbours
within a cluster are close but distinct, which makes approximate search about as hard as on
MiniLM vectors of real text. Deterministic for a seed; generated in blocks to bound memory.
"""

from __future__ import annotations

import numpy as np

DIMENSION = 384


def centres(clusters: int, dim: int = DIMENSION, seed: int = 0) -> np.ndarray:
    """``clusters`` unit vectors drawn uniformly on the sphere."""
    out = np.random.default_rng(seed).standard_normal((clusters, dim), dtype=np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def clustered_vectors(
    n: int,
    dim: int = DIMENSION,
    clusters: int = 1_000,
    spread: float = 0.07,
    seed: int = 0,
    block: int = 100_000,
) -> np.ndarray:
    """``n`` L2-normalised float32 vectors from a Gaussian mixture around ``clusters`` centres.

    >>> v = clustered_vectors(2_000, dim=16, clusters=10)
    >>> v.shape, v.dtype, bool(np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5))
    ((2000, 16), dtype('float32'), True)
    """
    middle = centres(clusters, dim, seed)
    rng = np.random.default_rng(seed + 1)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, block):
        rows = min(block, n - start)
        chunk = middle[rng.integers(0, clusters, rows)]
        chunk += spread * rng.standard_normal((rows, dim), dtype=np.float32)
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
        out[start : start + rows] = chunk
    return out


def queries(
    count: int, dim: int = DIMENSION, clusters: int = 1_000, spread: float = 0.07, seed: int = 0
) -> np.ndarray:
    """Query vectors from the same mixture as :func:`clustered_vectors`, drawn afresh."""
    middle = centres(clusters, dim, seed)
    rng = np.random.default_rng(seed + 10_007)
    out = middle[rng.integers(0, clusters, count)]
    out += spread * rng.standard_normal((count, dim), dtype=np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def exact_neighbours(vectors: np.ndarray, query: np.ndarray, k: int = 10) -> np.ndarray:
    """Row ids of the ``k`` largest inner products for each query (brute force, in blocks)."""
    best_scores = np.full((len(query), k), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(query), k), dtype=np.int64)
    for start in range(0, len(vectors), 200_000):
        scores = query @ vectors[start : start + 200_000].T
        top = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
        merged_scores = np.hstack([best_scores, np.take_along_axis(scores, top, axis=1)])
        merged_ids = np.hstack([best_ids, top + start])
        keep = np.argsort(-merged_scores, axis=1, kind="stable")[:, :k]
        best_scores = np.take_along_axis(merged_scores, keep, axis=1)
        best_ids = np.take_along_axis(merged_ids, keep, axis=1)
    return best_ids


def recall_at(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of the true ``k`` neighbours found among ``k`` results.

    >>> recall_at(np.array([[1, 2], [3, 9]]), np.array([[2, 1], [3, 4]]))
    0.75
    """
    pairs = zip(found.tolist(), truth.tolist(), strict=True)
    hits = [len(set(f) & set(t)) / len(t) for f, t in pairs]
    return float(np.mean(hits))
