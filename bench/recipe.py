"""The common recipe we compare against, and BM25 over the same chunks.

The recipe most retrieval tutorials start from: a recursive character splitter (1000 characters,
200 overlap, separators paragraph > line > word > character, as LangChain's default), dense top-k
over the chunks with the same sentence-transformers model, FAISS flat inner product. Written here
in a few lines so the benchmark needs no LangChain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.ingest.documents import Document
from assistant.search.lexical import BM25, tokens

SEPARATORS = ("\n\n", "\n", " ", "")


def split_text(
    text: str, size: int = 1000, overlap: int = 200, separators: Sequence[str] = SEPARATORS
) -> list[str]:
    """Split ``text`` into chunks of at most ``size`` characters, overlapping by up to ``overlap``.

    Splits on the first separator found in the text, merges neighbouring pieces up to ``size``
    and splits longer pieces again with the next separators (LangChain's
    ``RecursiveCharacterTextSplitter`` with its defaults).

    >>> split_text("aaa bbb ccc ddd", size=7, overlap=3)
    ['aaa bbb', 'bbb ccc', 'ccc ddd']
    """
    separator, rest = separators[-1], ()
    for i, candidate in enumerate(separators):
        if candidate == "" or candidate in text:
            separator, rest = candidate, tuple(separators[i + 1 :])
            break
    pieces = text.split(separator) if separator else list(text)
    chunks: list[str] = []
    pending: list[str] = []
    for piece in pieces:
        if not piece:
            continue
        if len(piece) < size:
            pending.append(piece)
            continue
        if pending:
            chunks += _merge(pending, separator, size, overlap)
            pending = []
        chunks += split_text(piece, size, overlap, rest) if rest else [piece]
    if pending:
        chunks += _merge(pending, separator, size, overlap)
    return chunks


def _merge(pieces: list[str], separator: str, size: int, overlap: int) -> list[str]:
    """Join pieces into chunks up to ``size``; each chunk starts with the tail (up to ``overlap``
    characters) of the previous one."""
    chunks: list[str] = []
    current: list[str] = []
    total = 0
    for piece in pieces:
        extra = len(separator) if current else 0
        if current and total + extra + len(piece) > size:
            chunks.append(separator.join(current).strip())
            while current and (total > overlap or total + len(separator) + len(piece) > size):
                total -= len(current[0]) + (len(separator) if len(current) > 1 else 0)
                current.pop(0)
        current.append(piece)
        total += len(piece) + (len(separator) if len(current) > 1 else 0)
    if current:
        chunks.append(separator.join(current).strip())
    return [c for c in chunks if c]


@dataclass(frozen=True)
class Chunk:
    """A chunk of one document, ranked when returned (``rank`` from 1)."""

    doc: str
    text: str
    rank: int = 0


def chunk_documents(documents: Sequence[Document]) -> list[Chunk]:
    """Every document's canonical text split by :func:`split_text`."""
    return [Chunk(d.id, text) for d in documents for text in split_text(d.text)]


class DenseRecipe:
    """Dense top-k over chunks with a FAISS flat inner-product index."""

    def __init__(self, chunks: list[Chunk], vectors: np.ndarray, query_encoder):
        import faiss

        self.chunks = chunks
        self._index = faiss.IndexFlatIP(vectors.shape[1])
        self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self._encode = query_encoder

    def search(self, question: str, k: int = 10) -> list[Chunk]:
        query = np.asarray(self._encode([question]), dtype=np.float32).reshape(1, -1)
        _, ids = self._index.search(query, k)
        return [_ranked(self.chunks[i], r) for r, i in enumerate(ids[0], 1) if i >= 0]


class LexicalRecipe:
    """BM25 over the same chunks (our tokenizer and BM25)."""

    def __init__(self, chunks: list[Chunk]):
        self.chunks = chunks
        self._bm25 = BM25([tokens(c.text) for c in chunks])

    def search(self, question: str, k: int = 10) -> list[Chunk]:
        scores = self._bm25.scores(tokens(question))
        best = np.argsort(-scores, kind="stable")[:k]
        return [_ranked(self.chunks[i], r) for r, i in enumerate(best, 1) if scores[i] > 0]


def _ranked(chunk: Chunk, rank: int) -> Chunk:
    return Chunk(chunk.doc, chunk.text, rank)
