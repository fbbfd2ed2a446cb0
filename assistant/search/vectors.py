"""Vector stores: the :class:`VectorStore` interface and its FAISS implementation.

Vectors are L2-normalised float32, so inner product is cosine similarity. Which FAISS index holds
them depends on how many there are (:func:`choose_index`): an exact flat index up to
``FLAT_LIMIT`` vectors (every real corpus here: ~3k passages), an inverted file over 8-bit scalar
quantised codes beyond (a quarter of the memory, a few percent of the vectors scanned).

Stored with ``faiss.write_index`` (FAISS' own binary format, no pickle). Another engine can stand
behind the same interface: see :mod:`assistant.search.milvus`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

FLAT_LIMIT = 50_000  # exact search of 50k x 384 takes a few ms on one core; beyond, approximate
FLOOR = -1.0  # the score of rows an approximate search did not return (cosine's minimum)


class VectorStore(Protocol):
    """What retrieval needs from a vector engine."""

    dimension: int

    def __len__(self) -> int: ...

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Similarity of the query to every stored vector, in storage order."""
        ...

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best (scores, row ids), best first."""
        ...

    def vectors(self) -> np.ndarray:
        """All stored vectors in storage order (used to reuse them across builds)."""
        ...

    def save(self, path: Path) -> None: ...


@dataclass(frozen=True)
class IndexChoice:
    """A FAISS index description: ``factory`` for ``faiss.index_factory`` plus search effort."""

    factory: str
    nprobe: int = 0  # inverted lists visited per query (IVF only)

    @property
    def exact(self) -> bool:
        return self.factory == "Flat"


def choose_index(n: int, dimension: int) -> IndexChoice:
    """The index for ``n`` vectors of ``dimension``: exact when small, IVF + SQ8 when large.

    >>> choose_index(3_000, 384)
    IndexChoice(factory='Flat', nprobe=0)
    >>> choose_index(1_000_000, 384)
    IndexChoice(factory='IVF1024,SQ8', nprobe=16)
    """
    if n <= FLAT_LIMIT:
        return IndexChoice("Flat")
    # About sqrt(n) lists (a power of two): k-means training stays under a minute on 2 cores at
    # 1M, where visiting 16 of 1024 lists keeps recall@10 at 0.98 (bench/scale.py). Coarser
    # lists (fewer vectors) need more visits: 64 of 256 at 100k.
    lists = 2 ** round(math.log2(math.sqrt(n)))
    return IndexChoice(f"IVF{lists},SQ8", nprobe=max(16, 16_384 // lists))


class FaissStore:
    """A FAISS index over normalised vectors, chosen by size unless ``choice`` says otherwise."""

    def __init__(self, vectors: np.ndarray, choice: IndexChoice | None = None, train: int = 0):
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.dimension = int(vectors.shape[1]) if vectors.ndim == 2 else 0
        self.choice = choice or choose_index(len(vectors), self.dimension)
        self._index = faiss.index_factory(
            self.dimension, self.choice.factory, faiss.METRIC_INNER_PRODUCT
        )
        if not self._index.is_trained:
            # A sample trains the quantisers about as well as all vectors would, far faster.
            sample = train or min(len(vectors), 64 * self._lists())
            rows = np.random.default_rng(0).choice(len(vectors), sample, replace=False)
            self._index.train(vectors[np.sort(rows)])
        if len(vectors):
            self._index.add(vectors)
        self._configure()
        self._matrix: np.ndarray | None = None

    def _lists(self) -> int:
        import faiss

        return faiss.extract_index_ivf(self._index).nlist

    def _configure(self) -> None:
        if self.choice.nprobe:
            import faiss

            faiss.extract_index_ivf(self._index).nprobe = self.choice.nprobe

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def memory_bytes(self) -> int:
        """Bytes the stored vectors take (codes only, excluding FAISS' small fixed overhead)."""
        import faiss

        if self.choice.exact:
            return len(self) * self.dimension * 4
        ivf = faiss.extract_index_ivf(self._index)
        return len(self) * (ivf.code_size + 8) + ivf.nlist * self.dimension * 4

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Cosine similarity of the (normalised) query to every vector, in storage order.

        Exact stores compute all of them (one matrix-vector product); approximate ones score the
        best 1000 and give the rest :data:`FLOOR`.
        """
        if not len(self):
            return np.zeros(0, dtype=np.float32)
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        if self.choice.exact:
            if self._matrix is None:
                self._matrix = self.vectors()  # read-only after this; safe to share
            return self._matrix @ query
        found, ids = self.search(query, min(1000, len(self)))
        out = np.full(len(self), FLOOR, dtype=np.float32)
        out[ids] = found
        return out

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best (scores, row ids) for one query, best first."""
        k = min(k, len(self))
        if self.choice.exact and k:
            # One matrix-vector product in numpy: FAISS' flat search spreads one query over
            # OpenMP threads, which spin and stall when the machine is busy.
            scores = self.scores(query)
            ids = np.argpartition(-scores, k - 1)[:k]
            ids = ids[np.lexsort((ids, -scores[ids]))]
            return scores[ids], ids
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        found, ids = self._index.search(query, k)
        keep = ids[0] >= 0
        return found[0][keep], ids[0][keep]

    def vectors(self) -> np.ndarray:
        if not len(self):
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.choice.exact:
            return self._index.reconstruct_n(0, len(self))
        # IVF stores vectors by list; rebuild the storage order from the direct map.
        import faiss

        faiss.extract_index_ivf(self._index).make_direct_map()
        return self._index.reconstruct_n(0, len(self))

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, dimension: int) -> FaissStore:
        import faiss

        index = faiss.read_index(str(path))
        if index.d != dimension:
            raise ValueError(f"vector file has dimension {index.d}, manifest says {dimension}")
        store = cls.__new__(cls)
        store.dimension, store._index, store._matrix = dimension, index, None
        try:
            ivf = faiss.extract_index_ivf(index)
        except RuntimeError:
            store.choice = IndexChoice("Flat")
        else:
            code = "SQ8" if ivf.code_size == dimension else f"code{ivf.code_size}"
            store.choice = IndexChoice(f"IVF{ivf.nlist},{code}", nprobe=ivf.nprobe)
        store._configure()
        return store
