"""The vector store: FAISS exact inner product over normalised float32 vectors.

Stored with ``faiss.write_index`` (FAISS' own binary format, no pickle). At this corpus size an
exact flat index is both the fastest and the most accurate choice.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


class VectorStore:
    """Exact inner-product search; ``search`` returns scores for every stored vector."""

    def __init__(self, vectors: np.ndarray):
        import faiss

        self.dimension = int(vectors.shape[1]) if vectors.ndim == 2 else 0
        self._index = faiss.IndexFlatIP(self.dimension)
        if len(vectors):
            self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Cosine similarity of the (normalised) query to every vector, in storage order."""
        if not len(self):
            return np.zeros(0, dtype=np.float32)
        found, ids = self._index.search(query.reshape(1, -1).astype(np.float32), len(self))
        out = np.empty(len(self), dtype=np.float32)
        out[ids[0]] = found[0]
        return out

    def vectors(self) -> np.ndarray:
        return self._index.reconstruct_n(0, len(self)) if len(self) else np.zeros((0, 0))

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, dimension: int) -> VectorStore:
        import faiss

        index = faiss.read_index(str(path))
        if index.d != dimension:
            raise ValueError(f"vector file has dimension {index.d}, manifest says {dimension}")
        store = cls.__new__(cls)
        store.dimension, store._index = dimension, index
        return store
