"""A :class:`~assistant.search.vectors.VectorStore` on Milvus, for serving from a shared
vector engine.

The build folder stays the source of truth (its ``vectors.faiss`` is always written). Milvus holds a
mirror of one build in a collection named after the build, created on first use by whichever
replica gets there first, then shared by all. The collection uses an exact ``FLAT`` index with
inner product, so it answers exactly as FAISS does.

``uri`` is a Milvus server (``http://milvus:19530``) or a milvus-lite file (``/data/milvus.db``;
same client API, one local process, for tests and single machines).
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import numpy as np

from assistant.errors import AssistantError, IndexMismatchError
from assistant.search.vectors import FLOOR, VectorStore

log = logging.getLogger(__name__)
MAX_LIMIT = 16_384  # Milvus' largest top-k: scores() returns FLOOR for rows ranked beyond
PREFIX = "assistant_"


def collection_name(build: Path, fingerprint: str) -> str:
    """A valid, unique collection name for a build: letters, digits and underscores.

    >>> collection_name(Path("index/builds/20240101-000000-7-ab12cd"), "0f3a")
    'assistant_0f3a_20240101_000000_7_ab12cd'
    """
    return re.sub(r"\W", "_", f"{PREFIX}{fingerprint}_{build.name}")


class MilvusStore:
    """Search a Milvus collection holding one build's vectors (row id = passage row)."""

    def __init__(self, client, collection: str, dimension: int, size: int):
        self._client = client
        self.collection = collection
        self.dimension = dimension
        self._size = size
        self._lock = threading.Lock()

    @classmethod
    def mirror(cls, uri: str, collection: str, source: VectorStore) -> MilvusStore:
        """Connect to ``uri`` and make sure ``collection`` holds ``source``'s vectors."""
        from pymilvus import DataType, MilvusClient

        client = MilvusClient(uri=uri)
        try:
            if client.has_collection(collection):
                client.load_collection(collection)
                stored = client.query(collection, filter="", output_fields=["count(*)"])
                if stored[0]["count(*)"] == len(source):
                    return cls(client, collection, source.dimension, len(source))
                client.drop_collection(collection)  # a replica died while mirroring
            schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("id", DataType.INT64, is_primary=True)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=source.dimension)
            index = client.prepare_index_params()
            index.add_index("vector", index_type="FLAT", metric_type="IP")
            client.create_collection(collection, schema=schema, index_params=index)
            vectors = source.vectors()
            for start in range(0, len(vectors), 2_000):
                batch = vectors[start : start + 2_000]
                client.insert(
                    collection,
                    [{"id": start + i, "vector": v.tolist()} for i, v in enumerate(batch)],
                )
            client.flush(collection)
            client.load_collection(collection)
            log.info("Mirrored %d vectors into Milvus collection %s", len(vectors), collection)
            return cls(client, collection, source.dimension, len(source))
        except BaseException:
            client.close()
            raise

    def __len__(self) -> int:
        return self._size

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best (scores, row ids), best first (at most 16,384)."""
        k = min(k, self._size, MAX_LIMIT)
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        vector = np.asarray(query, dtype=np.float32).reshape(-1).tolist()
        with self._lock:  # one client, one request at a time: simple and safe
            found = self._client.search(
                self.collection,
                data=[vector],
                limit=k,
                output_fields=["id"],
                search_params={"metric_type": "IP"},
            )[0]
        ids = np.array([hit["id"] for hit in found], dtype=np.int64)
        scores = np.array([hit["distance"] for hit in found], dtype=np.float32)
        return scores, ids

    def scores(self, query: np.ndarray) -> np.ndarray:
        """Similarity to every stored vector; rows beyond Milvus' top-k limit get FLOOR."""
        out = np.full(self._size, FLOOR, dtype=np.float32)
        scores, ids = self.search(query, self._size)
        out[ids] = scores
        return out

    def vectors(self) -> np.ndarray:
        out = np.zeros((self._size, self.dimension), dtype=np.float32)
        with self._lock:
            rows = self._client.query(
                self.collection, filter="id >= 0", output_fields=["id", "vector"], limit=16_384
            )
        for row in rows:
            out[row["id"]] = row["vector"]
        return out

    def save(self, path: Path) -> None:
        raise NotImplementedError("the build folder's vectors.faiss is what gets saved")

    def close(self) -> None:
        """Close the connection (and stop milvus-lite's local server when it was the last one)."""
        self._client.close()

    def drop_others(self, keep: set[str]) -> list[str]:
        """Drop this model's collections other than ``keep`` and this one; return their names.

        Not automatic: other indexes may share the server. Run it when retiring old builds.
        """
        with self._lock:
            names = [
                n
                for n in self._client.list_collections()
                if n.startswith(PREFIX) and n not in keep and n != self.collection
            ]
            for name in names:
                self._client.drop_collection(name)
        return names


def open_store(
    backend: str, uri: str, build: Path, manifest: dict, source: VectorStore
) -> VectorStore:
    """The vector store for ``backend``: Milvus mirroring ``source``, with clear errors."""
    if backend != "milvus":
        raise IndexMismatchError(
            f"Unknown vector backend '{backend}'. Set ASSISTANT_BACKEND to 'faiss' or 'milvus'."
        )
    if not uri:
        raise IndexMismatchError(
            "The 'milvus' backend needs ASSISTANT_MILVUS_URI (a server such as "
            "http://localhost:19530, or a milvus-lite file such as data/milvus.db)."
        )
    collection = collection_name(build, manifest["model"]["fingerprint"])
    try:
        return MilvusStore.mirror(uri, collection, source)
    except Exception as exc:  # pymilvus raises its own MilvusException and connection errors
        raise AssistantError(
            f"Cannot use Milvus at '{uri}' ({type(exc).__name__}: {str(exc)[:200]}). Check "
            "ASSISTANT_MILVUS_URI, or set ASSISTANT_BACKEND=faiss."
        ) from exc
