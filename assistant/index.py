"""The on-disk index: build into a new folder, verify, then switch a pointer atomically.

Layout::

    index/CURRENT                 name of the build being served (replaced atomically)
    index/builds/<name>/manifest.json
                       /documents.jsonl   metadata and canonical text, one document a line
                       /passages.jsonl    one passage a line, offsets into its document's text
                       /vectors.faiss     FAISS index (flat when small), one row per passage:
                                          its context view (heading path, lead-in, text)
                       /texts.faiss       FAISS flat index, one row per passage: its own text
                       /sentences.faiss   FAISS flat index, one row per sentence of each
                                          multi-sentence passage (a view, and the highlight)
                       /bank.jsonl        the question bank's questions of each passage, one
                                          line per passage (see assistant.bank)
                       /bank.faiss        FAISS flat index, one row per bank question (a view)
    index/models/<fingerprint>/           the model exported to ONNX (see assistant.search.encoder)

    index/build.lock                      held (flock) by the one build running; the kernel
                                          releases it when that process dies, even by SIGKILL

A crash mid-build leaves CURRENT pointing at the previous build; the next build removes the
unfinished folders it left. No pickle anywhere.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from assistant import __version__, answer, bank
from assistant.errors import IndexBusyError, IndexMismatchError, IndexNotBuiltError
from assistant.ingest.documents import Document, corpus_files, file_hashes, read_corpus
from assistant.ingest.metadata import DocumentInfo
from assistant.ingest.structure import Passage
from assistant.search.embedding import Embedder
from assistant.search.vectors import FaissStore, IndexChoice, VectorStore
from assistant.search.views import Views, context_view, sentence_texts, text_view

log = logging.getLogger(__name__)
FORMAT_VERSION = 3  # 2: passage views (texts.faiss); 3: the question bank view


def _builder_version() -> str:
    """The package version plus a hash of the code that shapes an index (readers, structure,
    metadata, this module), so any change to parsing or embedded text triggers a rebuild."""
    import hashlib

    here = Path(__file__).resolve().parent
    sources = sorted(
        [
            *(here / "ingest").rglob("*.py"),
            here / "search" / "views.py",
            here / "index.py",
            here / "bank" / "__init__.py",
        ]
    )
    # The sentence splitter decides which sentence vectors a build stores.
    splitter = inspect.getsource(answer.sentences) + answer._SENTENCE_END.pattern
    digest = hashlib.sha256(
        b"".join(p.read_bytes() for p in sources) + splitter.encode()
    ).hexdigest()[:12]
    return f"{__version__}+{digest}"


BUILDER_VERSION = _builder_version()
KEEP_BUILDS = 2
BUILD_WAIT_SECONDS = 900.0  # a second build waits this long for the running one, then gives up

Report = Callable[[str], None]


@dataclass(frozen=True)
class Snapshot:
    """One immutable, loaded build: what every query reads."""

    path: Path
    manifest: dict
    documents: dict[str, Document]
    passages: tuple[Passage, ...]
    vectors: VectorStore  # the context view, one row per passage
    views: Views  # every view's vectors, numpy in memory
    rows: dict[str, int] = field(default_factory=dict)  # passage id -> row
    bank: tuple[tuple[str, ...], ...] = ()  # each passage's bank questions, by row

    def sentence_vectors(self, passage: Passage) -> np.ndarray | None:
        """The stored vectors of ``passage``'s sentences (``answer.sentences`` order), or None."""
        rows = self.views.sentence_rows(self.rows[passage.id])
        return None if rows is None else self.views.sentences[rows[0] : rows[1]]


def current_build(index_dir: Path) -> Path | None:
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        return None
    build = index_dir / "builds" / pointer.read_text().strip()
    return build if (build / "manifest.json").is_file() else None


def staleness(corpus: Path, index_dir: Path, embedder: Embedder) -> str | None:
    """Why the index must be (re)built, or None when it is current."""
    build = current_build(index_dir)
    if build is None:
        return f"no index in '{index_dir}'"
    manifest = json.loads((build / "manifest.json").read_text())
    if manifest.get("format_version") != FORMAT_VERSION:
        return "index format changed"
    if manifest.get("builder_version") != BUILDER_VERSION:
        return "builder version changed"
    if (manifest["model"]["id"], manifest["model"]["fingerprint"]) != (
        embedder.model_id,
        embedder.fingerprint(),
    ):
        return f"index was built with model '{manifest['model']['id']}'"
    files = file_hashes(corpus_files(corpus))
    if files != manifest["files"]:
        return "corpus files changed"
    if bank.fingerprint(_doc_ids(files)) != manifest.get("bank", {}).get("files"):
        return "question bank changed"
    return None


def _doc_ids(files: dict[str, str]) -> list[str]:
    return [Path(name).stem for name in files]


def build(
    corpus: Path,
    index_dir: Path,
    embedder: Embedder,
    report: Report = log.info,
    force: bool = False,
    wait: float = BUILD_WAIT_SECONDS,
) -> Path:
    """Build the index unless it is current; return the build folder being served.

    One build runs at a time: a second one waits up to ``wait`` seconds for the build lock (then
    raises :class:`IndexBusyError`) and builds only if the index is still stale once it has it.
    """
    from assistant.search.encoder import build_embedder

    if not force and staleness(corpus, index_dir, embedder) is None:  # the common case: no lock
        build_embedder(index_dir, embedder, report)  # an index from before ONNX gets its export
        report("Index is up to date.")
        return current_build(index_dir)
    with build_lock(index_dir, report, wait):
        _remove_unfinished(index_dir, report)
        reason = "forced" if force else staleness(corpus, index_dir, embedder)
        if reason is None:  # built by the process we waited for
            report("Index is up to date.")
            return current_build(index_dir)
        return _build(corpus, index_dir, embedder, report, reason)


@contextmanager
def build_lock(index_dir: Path, report: Report, wait: float) -> Iterator[None]:
    """Hold ``index/build.lock`` (an advisory ``flock``) for the duration of a build."""
    import fcntl

    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / "build.lock"
    with path.open("a+") as handle:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                if time.monotonic() >= deadline:
                    raise IndexBusyError(
                        f"Another build of '{index_dir}' is running ({holder}). Wait for it to "
                        "finish, or stop it, then run: python -m assistant build"
                    ) from None
                if not told:
                    report(f"Another build of '{index_dir}' is running ({holder}); waiting ...")
                    told = True
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_unfinished(index_dir: Path, report: Report) -> None:
    """Remove what a killed build left behind (called under the build lock, so none is live):
    half-written build folders, pointer files never moved into place, half-exported models."""
    leftovers = [
        *(index_dir / "builds").glob(".*.tmp"),
        *index_dir.glob(".CURRENT.*"),
        *(index_dir / "models").glob(".*.tmp"),
    ]
    for path in leftovers:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if leftovers:
        report(f"Removed {len(leftovers)} unfinished file(s) left by an interrupted build.")


def _build(corpus: Path, index_dir: Path, embedder: Embedder, report: Report, reason: str) -> Path:
    from assistant.search.encoder import build_embedder

    report(f"Building index ({reason}) ...")
    started = time.time()
    documents = read_corpus(corpus, warn=report)
    passages = [p for d in documents for p in d.passages]
    encoder = build_embedder(index_dir, embedder, report)
    questions, bank_summary = _bank_questions(documents, report)
    views = _vectors_for(passages, questions, index_dir, encoder, report)
    name = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}-{secrets.token_hex(3)}"
    tmp = index_dir / "builds" / f".{name}.tmp"
    tmp.mkdir(parents=True)
    manifest = {
        "format_version": FORMAT_VERSION,
        "builder_version": BUILDER_VERSION,
        "model": {
            "id": embedder.model_id,
            "fingerprint": embedder.fingerprint(),
            "dimension": int(views.context.shape[1]),
        },
        "files": {d.file: d.sha256 for d in documents},
        "documents": len(documents),
        "passages": len(passages),
        "sentences": len(views.sentences),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    # Skipped files count too, so an unchanged broken file does not trigger endless rebuilds.
    listed = file_hashes(corpus_files(corpus))
    manifest["skipped"] = sorted(listed.keys() - manifest["files"].keys())
    manifest["files"] = {**listed, **manifest["files"]}
    manifest["bank"] = {**bank_summary, "files": bank.fingerprint(_doc_ids(listed))}
    try:
        _write_build(tmp, manifest, documents, passages, views, questions)
        final = tmp.parent / name
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # the previous build keeps serving
        raise
    _switch(index_dir, name)
    _prune(index_dir, keep=name)
    report(
        f"Indexed {len(passages)} passages from {len(documents)} documents "
        f"in {time.time() - started:.1f}s."
    )
    return final


def _bank_questions(
    documents: list[Document], report: Report
) -> tuple[list[tuple[str, ...]], dict[str, int]]:
    """Each passage's bank questions (in passage order) and what the build says of the bank:
    passages covered, questions, entries that no longer match a passage (stale)."""
    questions: list[tuple[str, ...]] = []
    summary = {"passages": 0, "covered": 0, "questions": 0, "stale": 0}
    for document in documents:
        by_key = bank.questions_by_key(document.id)
        used = set()
        for p in document.passages:
            key = bank.passage_key(p.text)
            questions.append(by_key.get(key, ()))
            used.add(key)
        summary["passages"] += len(document.passages)
        summary["covered"] += sum(bool(q) for q in questions[-len(document.passages) :])
        summary["stale"] += len(by_key.keys() - used)
    summary["questions"] = sum(len(q) for q in questions)
    if summary["questions"]:
        report(
            f"Question bank: {summary['covered']} of {summary['passages']} passages covered, "
            f"{summary['questions']} questions."
        )
    if summary["stale"]:
        entries = (
            "1 entry no longer matches"
            if summary["stale"] == 1
            else (f"{summary['stale']} entries no longer match")
        )
        report(
            f"Question bank: {entries} a passage (its text changed). "
            "See: python -m assistant bank status"
        )
    return questions, summary


def _vectors_for(
    passages: list[Passage],
    questions: list[tuple[str, ...]],
    index_dir: Path,
    embedder: Embedder,
    report: Report,
) -> Views:
    """Every view's vectors, reusing the current build's vector of any text it already embedded
    (a vector depends on the text and the model alone). All new texts are encoded in one call."""
    split = [sentence_texts(p) for p in passages]
    wanted = {
        "context": [context_view(p) for p in passages],
        "text": [text_view(p) for p in passages],
        "sentences": [t for texts in split for t in texts],
        "bank": [q for qs in questions for q in qs],
    }
    known = _reusable(index_dir, embedder)
    todo = sorted({t for texts in wanted.values() for t in texts} - known.keys())
    if todo:
        report(f"Embedding {len(todo)} texts ({len(known)} reused), {len(passages)} passages ...")

        def progress(done: int, total: int) -> None:
            report(f"  embedded {done}/{total}")

        known.update(zip(todo, embedder.encode(todo, progress=progress), strict=True))
    # From a stored vector when there is one: asking the model would load it for nothing.
    dimension = len(next(iter(known.values()))) if known else embedder.dimension

    def matrix(texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = known[text]
        return out

    counts = [len(texts) for texts in split]
    return Views(
        *(matrix(wanted[v]) for v in ("context", "text", "sentences")),
        counts,
        matrix(wanted["bank"]),
        [len(qs) for qs in questions],
    )


def _reusable(index_dir: Path, embedder: Embedder) -> dict[str, np.ndarray]:
    """Text -> vector for every view text of the current build (empty when there is none)."""
    if current_build(index_dir) is None:
        return {}
    try:
        snapshot = load(index_dir, embedder)
    except (IndexMismatchError, IndexNotBuiltError, ValueError, KeyError, OSError):
        return {}
    views = snapshot.views
    known: dict[str, np.ndarray] = {}
    for row, p in enumerate(snapshot.passages):
        known[context_view(p)] = views.context[row]
        known[text_view(p)] = views.text[row]
        stored = snapshot.sentence_vectors(p)
        if stored is not None:
            known.update(zip(sentence_texts(p), stored, strict=True))
        rows = views.bank.rows(row)
        if rows is not None:
            known.update(
                zip(snapshot.bank[row], views.bank.vectors[rows[0] : rows[1]], strict=True)
            )
    return known


def _write_build(
    folder: Path,
    manifest: dict,
    documents: list[Document],
    passages: list[Passage],
    views: Views,
    questions: list[tuple[str, ...]],
) -> None:
    with (folder / "documents.jsonl").open("w", encoding="utf-8") as out:
        for d in documents:
            row = {"info": asdict(d.info), "file": d.file, "sha256": d.sha256, "text": d.text}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (folder / "passages.jsonl").open("w", encoding="utf-8") as out:
        for p in passages:
            out.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
    with (folder / "bank.jsonl").open("w", encoding="utf-8") as out:
        for qs in questions:
            out.write(json.dumps(list(qs), ensure_ascii=False) + "\n")
    FaissStore(views.context).save(folder / "vectors.faiss")
    dimension = views.context.shape[1]
    grouped = (("texts", views.text), ("sentences", views.sentences), ("bank", views.bank.vectors))
    for name, vectors in grouped:
        FaissStore(vectors.reshape(-1, dimension), IndexChoice("Flat")).save(
            folder / f"{name}.faiss"
        )
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    for file in folder.iterdir():  # durable before the pointer moves
        with file.open("rb") as handle:
            os.fsync(handle.fileno())


def _switch(index_dir: Path, name: str) -> None:
    tmp = index_dir / f".CURRENT.{os.getpid()}"
    tmp.write_text(name)
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / "CURRENT")


def _prune(index_dir: Path, keep: str) -> None:
    builds = sorted(
        (p for p in (index_dir / "builds").iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime
    )
    for old in builds[:-KEEP_BUILDS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


def load(
    index_dir: Path, embedder: Embedder, backend: str = "faiss", milvus_uri: str = ""
) -> Snapshot:
    """Load the current build, checking its manifest against the embedder.

    ``backend`` 'milvus' serves the vectors from Milvus at ``milvus_uri`` (mirrored there from the
    build on first use). Damaged or tampered files give :class:`IndexMismatchError` with what to
    do, never a crash.
    """
    try:
        return _load(index_dir, embedder, backend, milvus_uri)
    except (ValueError, KeyError, TypeError, RuntimeError, OSError) as exc:
        # json errors are ValueErrors; FAISS raises RuntimeError on a corrupt vector file
        raise IndexMismatchError(
            f"Index in '{index_dir}' is damaged ({type(exc).__name__}: "
            f"{str(exc)[:200]}). Run: python -m assistant build --force"
        ) from exc


def built_with(index_dir: Path, embedder: Embedder) -> Snapshot | None:
    """The newest complete build of ``index_dir`` made with ``embedder``'s model (served or
    kept from before), or None: its vectors can be reused instead of encoding again."""
    builds = sorted(
        (p for p in (index_dir / "builds").glob("[!.]*") if (p / "manifest.json").is_file()),
        key=lambda p: p.name,
        reverse=True,
    )
    for build in builds:
        try:
            model = json.loads((build / "manifest.json").read_text())["model"]
            if model["fingerprint"] == embedder.fingerprint():
                return _load(index_dir, embedder, "faiss", "", build)
        except (ValueError, KeyError, TypeError, RuntimeError, OSError, IndexMismatchError):
            continue
    return None


def _load(
    index_dir: Path, embedder: Embedder, backend: str, milvus_uri: str, build: Path | None = None
) -> Snapshot:
    build = build or current_build(index_dir)
    if build is None:
        raise IndexNotBuiltError(f"No index in '{index_dir}'. Run: python -m assistant build")
    manifest = json.loads((build / "manifest.json").read_text())
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"Index in '{index_dir}' has format "
            f"{manifest.get('format_version')}, this version reads "
            f"{FORMAT_VERSION}. Run: python -m assistant build"
        )
    model = manifest["model"]
    if (model["id"], model["fingerprint"]) != (embedder.model_id, embedder.fingerprint()):
        raise IndexMismatchError(
            f"Index in '{index_dir}' was built with model '{model['id']}' "
            f"({model['fingerprint']}), but the model setting is '{embedder.model_id}' "
            f"({embedder.fingerprint()}). Run: python -m assistant build  (or set "
            "ASSISTANT_MODEL back)"
        )
    documents = {}
    for line in (build / "documents.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        info = DocumentInfo(**{**row["info"], "partners": tuple(row["info"]["partners"])})
        documents[info.doc] = (info, row)
    passages = tuple(
        Passage(**{**row, "section": tuple(row["section"])})
        for row in map(json.loads, (build / "passages.jsonl").read_text("utf-8").splitlines())
    )
    by_doc: dict[str, list[Passage]] = {}
    for p in passages:
        by_doc.setdefault(p.doc, []).append(p)
    docs = {
        doc: Document(info, row["file"], row["sha256"], row["text"], tuple(by_doc.get(doc, ())))
        for doc, (info, row) in documents.items()
    }
    for p in passages:
        if docs[p.doc].text[p.start : p.end] != p.text:
            raise IndexMismatchError(
                f"Index in '{index_dir}' is damaged: passage {p.id} does "
                "not match its document. Run: python -m assistant build"
            )
    vectors = FaissStore.load(build / "vectors.faiss", model["dimension"])
    if len(vectors) != len(passages):
        raise IndexMismatchError(
            f"Index in '{index_dir}' is damaged ({len(vectors)} vectors, "
            f"{len(passages)} passages). Run: python -m assistant build"
        )
    questions = tuple(
        tuple(json.loads(line)) for line in (build / "bank.jsonl").read_text("utf-8").splitlines()
    )
    views = _load_views(build, passages, vectors, model["dimension"], questions)
    if backend != "faiss":
        from assistant.search.milvus import open_store  # pymilvus only for this backend

        vectors = open_store(backend, milvus_uri, build, manifest, vectors)
    rows = {p.id: row for row, p in enumerate(passages)}
    return Snapshot(build, manifest, docs, passages, vectors, views, rows, questions)


def _load_views(
    build: Path,
    passages: tuple[Passage, ...],
    vectors: FaissStore,
    dimension: int,
    questions: tuple[tuple[str, ...], ...],
) -> Views:
    """The views' vectors, checked against the passages they belong to."""
    texts = FaissStore.load(build / "texts.faiss", dimension).vectors()
    sentences = FaissStore.load(build / "sentences.faiss", dimension).vectors()
    asked = FaissStore.load(build / "bank.faiss", dimension).vectors()
    counts = [len(sentence_texts(p)) for p in passages]
    bank_counts = [len(qs) for qs in questions]
    if (
        len(texts) != len(passages)
        or len(sentences) != sum(counts)
        or len(questions) != len(passages)
        or len(asked) != sum(bank_counts)
    ):
        raise IndexMismatchError(
            f"Index in '{build.parent.parent}' is damaged ({len(texts)} text vectors, "
            f"{len(sentences)} sentence vectors and {len(asked)} bank vectors for "
            f"{len(passages)} passages, {sum(counts)} sentences and {sum(bank_counts)} bank "
            "questions). Run: python -m assistant build --force"
        )
    return Views(vectors.vectors(), texts, sentences, counts, asked, bank_counts)
