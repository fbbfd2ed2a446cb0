"""A corpus folder (or single file) read into documents with passages and metadata."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import CorpusError
from assistant.ingest.metadata import DocumentInfo, describe
from assistant.ingest.readers import SUFFIXES, read_blocks, unopenable
from assistant.ingest.structure import Passage, canonical_text, passages_from_blocks, title_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Document:
    """One agreement: its metadata, canonical text and passages (offsets index ``text``)."""

    info: DocumentInfo
    file: str
    sha256: str
    text: str
    passages: tuple[Passage, ...]

    @property
    def id(self) -> str:
        return self.info.doc


def corpus_files(corpus: Path) -> list[Path]:
    """Supported files of a corpus folder (sorted), or the single file given."""
    if corpus.is_file():
        return [corpus]
    if not corpus.is_dir():
        raise CorpusError(
            f"Corpus '{corpus}' does not exist. Point --corpus or ASSISTANT_CORPUS "
            "at a folder of agreement texts."
        )
    # Symbolic links are listed even when they lead nowhere (broken, or a loop), so that reading
    # them gives a warning naming them instead of a silent gap.
    files = sorted(
        p
        for p in corpus.iterdir()
        if (p.is_file() or p.is_symlink())
        and p.suffix.lower() in SUFFIXES
        and not p.name.startswith(".")
    )
    if not files:
        raise CorpusError(
            f"Corpus '{corpus}' has no {', '.join(SUFFIXES)} files. Add the "
            "agreement text there (see README, 'Adding the official text')."
        )
    return files


def sha256_of(path: Path) -> str:
    """The file's SHA-256; :class:`CorpusError` when it cannot be read (gone, a link loop)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise unopenable(path, exc) from exc


def file_hashes(files: list[Path]) -> dict[str, str]:
    """Name -> SHA-256 of each file, or ``"unreadable"``: what a build is current for. A file
    that cannot be read still counts, so an unchanged broken file does not trigger rebuilds."""
    hashes = {}
    for path in files:
        try:
            hashes[path.name] = sha256_of(path)
        except CorpusError:
            hashes[path.name] = "unreadable"
    return hashes


def read_document(path: Path, sha256: str | None = None) -> Document:
    """Parse one file; raises :class:`CorpusError` naming the file when it cannot be read."""
    sha256 = sha256 or sha256_of(path)  # first: a file that vanishes later fails in the reader
    blocks = read_blocks(path)
    text, _ = canonical_text(blocks)
    doc_id = path.stem
    passages = tuple(passages_from_blocks(doc_id, blocks))
    for p in passages:
        if text[p.start : p.end] != p.text:  # the verbatim invariant, checked at the source
            raise CorpusError(f"Internal error: passage {p.id} of '{path}' is not verbatim.")
    info = describe(doc_id, title_of(blocks), text)
    return Document(info, path.name, sha256, text, passages)


def read_corpus(corpus: Path, warn: Callable[[str], None] = log.warning) -> list[Document]:
    """Read every file, skipping (with a warning naming it and why) those that cannot be read."""
    documents, seen = [], set()
    for path in corpus_files(corpus):
        if path.stem in seen:
            warn(f"Skipped '{path}': another file already has the document id '{path.stem}'.")
            continue
        try:
            documents.append(read_document(path))
            seen.add(path.stem)
        except CorpusError as exc:
            warn(f"Skipped: {exc}")
    if not documents:
        raise CorpusError(f"No readable document in corpus '{corpus}'.")
    return documents
