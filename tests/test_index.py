"""Tests for :mod:`assistant.index`: build, load, staleness, reuse and crash safety."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import assistant.bank as bank_module
import assistant.index as index_module
from assistant.errors import CorpusError, IndexMismatchError, IndexNotBuiltError
from assistant.index import FORMAT_VERSION, build, current_build, load, staleness
from assistant.ingest.documents import read_corpus
from assistant.search.embedding import HashingEmbedder
from assistant.search.vectors import FaissStore
from assistant.search.views import context_view, sentence_texts, text_view

EMBEDDER = HashingEmbedder()


@pytest.fixture(autouse=True)
def own_bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty question bank folder for each test (the shipped bank knows the real titles,
    which the tiny corpus reuses); bank tests write entries into it."""
    folder = tmp_path / "bank"
    folder.mkdir()
    monkeypatch.setattr(bank_module, "FOLDER", folder)
    return folder


def write_bank(folder: Path, doc: str, entries: dict[str, list[str]]) -> Path:
    """A bank file for ``doc``: passage text -> questions."""
    lines = [
        json.dumps({"doc": doc, "key": bank_module.passage_key(text), "questions": qs, "brief": 1})
        for text, qs in entries.items()
    ]
    path = folder / f"{doc}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# Passages per file of the tiny corpus (conftest), in corpus order.
PASSAGES = {"netherlands": 8, "united-kingdom": 5, "united-states": 7}
SENTENCES = 12  # six passages split into "1." and their sentence (vectors kept for highlights)


def build_quietly(
    corpus: Path, index: Path, embedder=EMBEDDER, force: bool = False
) -> tuple[Path, list[str]]:
    messages: list[str] = []
    folder = build(corpus, index, embedder, report=messages.append, force=force)
    return folder, messages


def test_layout_and_manifest(tiny_corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    folder, _ = build_quietly(tiny_corpus, index)

    assert (index / "CURRENT").read_text() == folder.name
    assert folder.parent == index / "builds"
    assert current_build(index) == folder
    assert sorted(p.name for p in folder.iterdir()) == [
        "bank.faiss",
        "bank.jsonl",
        "documents.jsonl",
        "manifest.json",
        "passages.jsonl",
        "sentences.faiss",
        "texts.faiss",
        "vectors.faiss",
    ]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"] == {
        "id": "hashing-256",
        "fingerprint": "hashing-256",
        "dimension": 256,
    }
    assert manifest["documents"] == 3
    assert manifest["passages"] == sum(PASSAGES.values())
    assert manifest["sentences"] == SENTENCES
    assert manifest["skipped"] == []
    assert sorted(manifest["files"]) == [
        "netherlands.txt",
        "united-kingdom.md",
        "united-states.docx",
    ]


def test_round_trip_keeps_passages_documents_and_vectors(tiny_corpus: Path, tmp_path: Path) -> None:
    build_quietly(tiny_corpus, tmp_path / "index")
    snapshot = load(tmp_path / "index", EMBEDDER)
    documents = read_corpus(tiny_corpus)

    assert snapshot.passages == tuple(p for d in documents for p in d.passages)
    assert snapshot.documents == {d.id: d for d in documents}
    expected = EMBEDDER.encode([context_view(p) for p in snapshot.passages])
    np.testing.assert_array_equal(snapshot.vectors.vectors(), expected)
    texts = EMBEDDER.encode([text_view(p) for p in snapshot.passages])
    np.testing.assert_array_equal(snapshot.views.text, texts)


def test_second_build_is_a_no_op(tiny_corpus: Path, tmp_path: Path) -> None:
    first, _ = build_quietly(tiny_corpus, tmp_path / "index")
    second, messages = build_quietly(tiny_corpus, tmp_path / "index")

    assert second == first
    assert messages == ["Index is up to date."]
    assert staleness(tiny_corpus, tmp_path / "index", EMBEDDER) is None


def test_changed_file_makes_index_stale_and_rebuild_reuses_unchanged_vectors(
    tiny_corpus: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    first, _ = build_quietly(tiny_corpus, index)
    changed = tiny_corpus / "netherlands.txt"
    changed.write_text(changed.read_text() + "\nAn added closing sentence.\n")

    assert staleness(tiny_corpus, index, EMBEDDER) == "corpus files changed"
    second, messages = build_quietly(tiny_corpus, index)

    # Vectors are reused per text: only the added passage's two views are new.
    assert second != first
    assert messages[:3] == [
        "Building index (corpus files changed) ...",
        "Embedding 2 texts (45 reused), 21 passages ...",
        "  embedded 2/2",
    ]
    assert staleness(tiny_corpus, index, EMBEDDER) is None
    assert load(index, EMBEDDER).passages[8].text == "An added closing sentence."


def test_adding_and_removing_files_make_the_index_stale(tiny_corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_quietly(tiny_corpus, index)
    (tiny_corpus / "united-kingdom.md").unlink()

    assert staleness(tiny_corpus, index, EMBEDDER) == "corpus files changed"
    build_quietly(tiny_corpus, index)
    assert sorted(load(index, EMBEDDER).documents) == ["netherlands", "united-states"]


def test_other_model_makes_the_index_stale(tiny_corpus: Path, tmp_path: Path) -> None:
    build_quietly(tiny_corpus, tmp_path / "index")

    assert staleness(tiny_corpus, tmp_path / "index", HashingEmbedder(128)) == (
        "index was built with model 'hashing-256'"
    )


def test_loading_with_another_model_names_both_models(tiny_corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_quietly(tiny_corpus, index)

    with pytest.raises(IndexMismatchError) as error:
        load(index, HashingEmbedder(128))
    message = str(error.value)
    assert "'hashing-256'" in message
    assert "'hashing-128'" in message
    assert "python -m assistant build" in message


def test_loading_without_an_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexNotBuiltError) as error:
        load(tmp_path / "index", EMBEDDER)
    assert str(error.value) == (
        f"No index in '{tmp_path / 'index'}'. Run: python -m assistant build"
    )


def test_format_version_mismatch(tiny_corpus: Path, tmp_path: Path) -> None:
    folder, _ = build_quietly(tiny_corpus, tmp_path / "index")
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "format_version": 99}))

    assert staleness(tiny_corpus, tmp_path / "index", EMBEDDER) == "index format changed"
    with pytest.raises(
        IndexMismatchError, match=f"has format 99, this version reads {FORMAT_VERSION}"
    ):
        load(tmp_path / "index", EMBEDDER)


def test_damaged_passages_file_is_detected(tiny_corpus: Path, tmp_path: Path) -> None:
    folder, _ = build_quietly(tiny_corpus, tmp_path / "index")
    rows = (folder / "passages.jsonl").read_text().splitlines()
    row = json.loads(rows[2])
    rows[2] = json.dumps({**row, "text": row["text"].upper()})
    (folder / "passages.jsonl").write_text("\n".join(rows) + "\n")

    with pytest.raises(IndexMismatchError, match="is damaged: passage netherlands:2 does not"):
        load(tmp_path / "index", EMBEDDER)


@pytest.mark.parametrize(
    ("target", "name"),
    [(index_module, "_write_build"), (FaissStore, "save")],
)
def test_crash_mid_build_keeps_serving_the_previous_build(
    tiny_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target, name: str
) -> None:
    index = tmp_path / "index"
    first, _ = build_quietly(tiny_corpus, index)
    before = load(index, EMBEDDER)

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(target, name, crash)
    (tiny_corpus / "netherlands.txt").write_text("Changed\n\nA new text.\n")
    with pytest.raises(RuntimeError, match="disk full"):
        build_quietly(tiny_corpus, index)

    assert (index / "CURRENT").read_text() == first.name
    assert current_build(index) == first
    assert load(index, EMBEDDER).passages == before.passages


def test_two_builds_within_one_second_both_succeed(
    tiny_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Freeze the clock so that the two builds certainly fall within the same second.
    class FrozenClock:
        time = staticmethod(lambda: 1_700_000_000.0)
        monotonic = staticmethod(lambda: 0.0)
        strftime = staticmethod(
            lambda fmt, *args: "20240101-000000" if "%H" in fmt else "2024-01-01T00:00:00+0000"
        )

    monkeypatch.setattr(index_module, "time", FrozenClock)
    first, _ = build_quietly(tiny_corpus, tmp_path / "index")
    second, _ = build_quietly(tiny_corpus, tmp_path / "index", force=True)

    assert second != first
    assert current_build(tmp_path / "index") == second


def test_unreadable_file_is_skipped_with_a_warning_naming_it(
    tiny_corpus: Path, tmp_path: Path
) -> None:
    (tiny_corpus / "broken.docx").write_bytes(b"not a zip archive")
    folder, messages = build_quietly(tiny_corpus, tmp_path / "index")

    warnings = [m for m in messages if m.startswith("Skipped")]
    assert len(warnings) == 1
    assert f"'{tiny_corpus / 'broken.docx'}'" in warnings[0]
    assert sorted(load(tmp_path / "index", EMBEDDER).documents) == [
        "netherlands",
        "united-kingdom",
        "united-states",
    ]
    assert json.loads((folder / "manifest.json").read_text())["skipped"] == ["broken.docx"]
    # An unchanged broken file does not make every later build start over.
    assert staleness(tiny_corpus, tmp_path / "index", EMBEDDER) is None


def test_unsupported_files_are_ignored(tiny_corpus: Path, tmp_path: Path) -> None:
    (tiny_corpus / "notes.rtf").write_text("not an agreement")
    (tiny_corpus / ".hidden.txt").write_text("Hidden\n\nText.")
    build_quietly(tiny_corpus, tmp_path / "index")

    assert sorted(load(tmp_path / "index", EMBEDDER).documents) == [
        "netherlands",
        "united-kingdom",
        "united-states",
    ]


def test_two_files_with_one_document_id_keep_the_first(tiny_corpus: Path, tmp_path: Path) -> None:
    (tiny_corpus / "netherlands.md").write_text("# Another\n\nText.\n")
    _, messages = build_quietly(tiny_corpus, tmp_path / "index")

    assert (
        f"Skipped '{tiny_corpus / 'netherlands.txt'}': another file already has the "
        "document id 'netherlands'."
    ) in messages
    assert load(tmp_path / "index", EMBEDDER).documents["netherlands"].file == "netherlands.md"


def test_empty_corpus_folder_raises_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "corpus"
    empty.mkdir()

    with pytest.raises(CorpusError) as error:
        build_quietly(empty, tmp_path / "index")
    assert str(error.value) == (
        f"Corpus '{empty}' has no .txt, .md, .docx, .pdf, .html, .htm files. Add the agreement "
        "text there (see README, 'Adding the official text')."
    )


def test_corpus_of_only_unreadable_files_raises(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "broken.pdf").write_bytes(b"%PDF-garbage")

    with pytest.raises(CorpusError, match=r"^No readable document in corpus '.*corpus'\.$"):
        build_quietly(corpus, tmp_path / "index")
    assert not (tmp_path / "index" / "CURRENT").exists()


def test_missing_corpus_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"^Corpus '.*nowhere' does not exist\."):
        build_quietly(tmp_path / "nowhere", tmp_path / "index")


def test_single_file_corpus(tiny_corpus: Path, tmp_path: Path) -> None:
    build_quietly(tiny_corpus / "united-kingdom.md", tmp_path / "index")

    assert list(load(tmp_path / "index", EMBEDDER).documents) == ["united-kingdom"]


def test_old_builds_are_pruned_and_no_pickle_anywhere(tiny_corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    for _ in range(4):
        build_quietly(tiny_corpus, index, force=True)

    builds = [p for p in (index / "builds").iterdir()]
    assert len(builds) == index_module.KEEP_BUILDS
    assert current_build(index) in builds
    assert [p for p in index.rglob("*") if p.suffix in (".pkl", ".pickle", ".npy", ".joblib")] == []
    vectors = (current_build(index) / "vectors.faiss").read_bytes()
    assert not vectors.startswith(b"\x80")  # the pickle protocol marker


def test_context_view_reads_heading_lead_in_then_passage(hashing_bot) -> None:
    item = next(p for p in hashing_bot.snapshot.passages if p.number == "2(i)")

    assert context_view(item) == (
        "Part I. Purpose | The Participants will: | expand co-production of munitions;"
    )
    assert text_view(item) == "expand co-production of munitions;"


def test_sentence_vectors_are_stored_for_highlighting(tiny_corpus: Path, tmp_path: Path) -> None:
    build_quietly(tiny_corpus, tmp_path / "index")
    snapshot = load(tmp_path / "index", EMBEDDER)

    split = [p for p in snapshot.passages if sentence_texts(p)]
    assert [p.id for p in split] == [
        "netherlands:2",
        "netherlands:3",
        "netherlands:6",
        "united-kingdom:1",
        "united-kingdom:2",
        "united-kingdom:3",
    ]
    for p in snapshot.passages:
        stored = snapshot.sentence_vectors(p)
        if sentence_texts(p):
            np.testing.assert_array_equal(stored, EMBEDDER.encode(sentence_texts(p)))
        else:
            assert stored is None


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, remembering every text it was asked to encode."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def encode(self, texts, progress=None):
        self.seen += list(texts)
        return super().encode(texts, progress)


def view_texts(passages) -> set[str]:
    """Every text a build embeds for ``passages``: both views and the sentences."""
    return {t for p in passages for t in (context_view(p), text_view(p), *sentence_texts(p))}


def test_changing_one_file_encodes_only_that_files_new_texts(
    tiny_corpus: Path, tmp_path: Path
) -> None:
    embedder = CountingEmbedder()
    build_quietly(tiny_corpus, tmp_path / "index", embedder)
    first = load(tmp_path / "index", embedder)
    assert sorted(embedder.seen) == sorted(view_texts(first.passages))  # each text once
    embedder.seen.clear()
    changed = tiny_corpus / "united-kingdom.md"
    changed.write_text(changed.read_text().replace("ten years", "twelve years"))
    build_quietly(tiny_corpus, tmp_path / "index", embedder)
    snapshot = load(tmp_path / "index", embedder)

    new = view_texts(snapshot.passages) - view_texts(first.passages)
    assert sorted(embedder.seen) == sorted(new)
    assert "This Agreement will remain in force for twelve years." in new
    assert {p.doc for p in snapshot.passages if new & view_texts([p])} == {"united-kingdom"}
    np.testing.assert_array_equal(
        snapshot.vectors.vectors(), embedder.encode([context_view(p) for p in snapshot.passages])
    )


F16 = "1. The Netherlands will provide military equipment, including F-16 aircraft, to Ukraine."


def test_bank_questions_are_stored_with_their_passage_and_embedded(
    tiny_corpus: Path, tmp_path: Path, own_bank: Path
) -> None:
    questions = ["Which jets will the Dutch send?", "Will Ukraine get fighter planes?"]
    write_bank(own_bank, "netherlands", {F16: questions})
    folder, messages = build_quietly(tiny_corpus, tmp_path / "index")
    snapshot = load(tmp_path / "index", EMBEDDER)

    row = next(i for i, p in enumerate(snapshot.passages) if p.text == F16)
    assert snapshot.bank[row] == tuple(questions)
    assert sum(map(len, snapshot.bank)) == 2
    start, end = snapshot.views.bank.rows(row)
    np.testing.assert_array_equal(
        snapshot.views.bank.vectors[start:end], EMBEDDER.encode(questions)
    )
    assert "Question bank: 1 of 20 passages covered, 2 questions." in messages
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["bank"]["covered"] == 1 and manifest["bank"]["stale"] == 0
    assert list(manifest["bank"]["files"]) == ["netherlands"]


def test_an_edited_bank_makes_the_index_stale(
    tiny_corpus: Path, tmp_path: Path, own_bank: Path
) -> None:
    build_quietly(tiny_corpus, tmp_path / "index")
    write_bank(own_bank, "netherlands", {F16: ["Which jets will the Dutch send?"]})

    assert staleness(tiny_corpus, tmp_path / "index", EMBEDDER) == "question bank changed"
    build_quietly(tiny_corpus, tmp_path / "index")
    assert staleness(tiny_corpus, tmp_path / "index", EMBEDDER) is None


def test_entries_whose_passage_changed_are_counted_stale(
    tiny_corpus: Path, tmp_path: Path, own_bank: Path
) -> None:
    write_bank(own_bank, "netherlands", {F16: ["Jets?"], "A clause nobody wrote.": ["What?"]})
    folder, messages = build_quietly(tiny_corpus, tmp_path / "index")

    assert json.loads((folder / "manifest.json").read_text())["bank"]["stale"] == 1
    assert any("1 entry no longer matches a passage" in m for m in messages)


def test_a_kept_build_of_another_model_is_found_for_its_vectors(
    tiny_corpus: Path, tmp_path: Path
) -> None:
    from assistant.index import built_with

    index = tmp_path / "index"
    first, _ = build_quietly(tiny_corpus, index)
    other = HashingEmbedder(64)
    build_quietly(tiny_corpus, index, embedder=other)  # now served; the first build is kept

    kept = built_with(index, EMBEDDER)
    assert kept is not None and kept.path == first
    assert kept.views.text.shape == (20, 256)
    assert built_with(index, other).path == current_build(index)
    assert built_with(index, HashingEmbedder(32)) is None
