"""Tests for :mod:`assistant.search.milvus`: the Milvus backend answers exactly as FAISS, through
milvus-lite (the same client API as a Milvus cluster), and leaves no server process behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import CLEAN_SETTINGS, DEV_QUESTIONS

from assistant.assistant import Assistant
from assistant.errors import AssistantError, IndexMismatchError
from assistant.evaluation import read_questions
from assistant.search.embedding import HashingEmbedder
from assistant.search.milvus import MilvusStore, collection_name, open_store
from assistant.search.vectors import FaissStore


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and text in (proc / "cmdline").read_bytes().decode(
                errors="ignore"
            ):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _top5(bot: Assistant, questions: list[dict]) -> list[list[str]]:
    return [[p.doc + ":" + str(p.start) for p in bot.ask(q["q"], k=5).passages] for q in questions]


@pytest.fixture(scope="module")
def canada_corpus(tmp_path_factory: pytest.TempPathFactory, shared_corpus: Path) -> Path:
    folder = tmp_path_factory.mktemp("canada-milvus")
    (folder / "canada.docx").symlink_to(shared_corpus / "canada.docx")
    return folder


@pytest.mark.corpus
def test_milvus_backend_gives_the_same_top5_as_faiss_on_every_dev_question(
    canada_corpus: Path, tmp_path: Path
) -> None:
    questions = read_questions(DEV_QUESTIONS)
    index, uri = tmp_path / "index", str(tmp_path / "milvus.db")
    faiss_bot = Assistant.open(
        corpus=canada_corpus,
        index=index,
        embedder=HashingEmbedder(),
        settings=CLEAN_SETTINGS,
        report=lambda m: None,
    )
    milvus_bot = Assistant.open(
        corpus=canada_corpus,
        index=index,
        embedder=HashingEmbedder(),
        settings=CLEAN_SETTINGS.with_(backend="milvus", milvus_uri=uri),
        report=lambda m: None,
    )
    store = milvus_bot.snapshot.vectors
    try:
        assert isinstance(store, MilvusStore)
        assert store.collection == collection_name(faiss_bot.snapshot.path, "hashing-256")
        assert len(store) == len(faiss_bot.snapshot.passages) == 166
        assert _top5(milvus_bot, questions) == _top5(faiss_bot, questions)
        query = faiss_bot.snapshot.vectors.vectors()[3]
        np.testing.assert_allclose(
            store.scores(query), faiss_bot.snapshot.vectors.scores(query), atol=1e-5
        )
        np.testing.assert_allclose(store.vectors(), faiss_bot.snapshot.vectors.vectors(), atol=1e-6)
        assert store.search(query, 1)[1].tolist() == [3]
    finally:
        store.close()
    assert _processes_mentioning(uri) == []


def test_reopening_reuses_the_mirrored_collection(tmp_path: Path) -> None:
    vectors = np.eye(8, dtype=np.float32)
    uri = str(tmp_path / "milvus.db")
    build = tmp_path / "builds" / "20240101-000000-1-abcdef"
    first = open_store("milvus", uri, build, {"model": {"fingerprint": "f"}}, FaissStore(vectors))
    first.close()
    again = MilvusStore.mirror(uri, first.collection, FaissStore(vectors))
    try:
        assert again.collection == "assistant_f_20240101_000000_1_abcdef"
        assert again.search(vectors[5], 2)[1].tolist()[0] == 5
        assert again.drop_others(keep=set()) == []
    finally:
        again.close()
    assert _processes_mentioning(uri) == []


def test_backend_errors_say_what_to_set(tmp_path: Path) -> None:
    store = FaissStore(np.eye(4, dtype=np.float32))
    manifest = {"model": {"fingerprint": "f"}}

    with pytest.raises(IndexMismatchError, match="Unknown vector backend 'qdrant'"):
        open_store("qdrant", "x", tmp_path, manifest, store)
    with pytest.raises(IndexMismatchError, match="needs ASSISTANT_MILVUS_URI"):
        open_store("milvus", "", tmp_path, manifest, store)
    with pytest.raises(AssistantError, match="Cannot use Milvus at 'http://127.0.0.1:9'"):
        open_store("milvus", "http://127.0.0.1:9", tmp_path, manifest, store)
