"""Tests for :mod:`assistant.search.encoder`: the ONNX export equals the reference model, and asking
with an exported model never imports torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.search.embedding import HashingEmbedder, SentenceTransformerEmbedder
from assistant.search.encoder import (
    OnnxEmbedder,
    build_embedder,
    exported,
    model_folder,
    query_embedder,
)
from assistant.search.views import context_view, sentence_texts, text_view
from assistant.settings import Settings


def test_without_an_export_queries_use_the_embedder_itself(tmp_path: Path) -> None:
    embedder = HashingEmbedder()

    assert exported(tmp_path, embedder) is None
    assert query_embedder(tmp_path, embedder) is embedder
    assert build_embedder(tmp_path, embedder) is embedder  # nothing to export for a fake
    assert not (tmp_path / "models").exists()


def test_an_incomplete_export_is_not_used(tmp_path: Path) -> None:
    folder = model_folder(tmp_path, "hashing-256")
    folder.mkdir(parents=True)
    (folder / "encoder.json").write_text('{"version": 1, "fingerprint": "hashing-256"}')

    assert exported(tmp_path, HashingEmbedder()) is None  # no model.onnx, no tokenizer.json


@pytest.mark.model
@pytest.mark.corpus
def test_onnx_export_equals_sentence_transformers_on_every_canada_passage(real_bot, canada):
    index_dir = real_bot.snapshot.path.parent.parent
    reference = SentenceTransformerEmbedder()
    folder = exported(index_dir, reference)
    assert folder is not None and folder == model_folder(index_dir, reference.fingerprint())
    onnx = OnnxEmbedder(folder)
    assert (onnx.model_id, onnx.fingerprint(), onnx.dimension) == (
        reference.model_id,
        reference.fingerprint(),
        384,
    )
    texts = [context_view(p) for p in canada.passages] + [text_view(p) for p in canada.passages]
    texts += [t for p in canada.passages for t in sentence_texts(p)]
    texts += ["What is the CUSSP?", "x", "word " * 400]  # a one-token text and a truncated one
    expected = reference.encode(texts)
    found = onnx.encode(texts)

    assert found.shape == expected.shape == (len(texts), 384)
    cosine = (found * expected).sum(axis=1)
    assert cosine.min() >= 0.999
    assert np.abs(found - expected).max() < 1e-4
    # The int8 copy that encodes questions stays close to the reference on the same texts.
    quantised = (OnnxEmbedder(folder, precision="int8").encode(texts) * expected).sum(axis=1)
    assert quantised.min() >= 0.98 and quantised.mean() >= 0.99
    assert 0.999 > quantised.mean()  # it is a different model file, not the float32 one again
    # The assistant answers with the int8 ONNX encoder by default.
    assert isinstance(real_bot.embedder, OnnxEmbedder)
    assert real_bot.embedder.precision == "int8"


def test_an_unknown_query_precision_is_refused_before_any_build(tmp_path: Path) -> None:
    from assistant import Assistant
    from assistant.errors import SettingError

    with pytest.raises(SettingError, match="Unknown query precision 'int4'.*'float32' or 'int8'"):
        Assistant.open(
            corpus=tmp_path / "missing",
            index=tmp_path / "index",
            embedder=HashingEmbedder(),
            settings=Settings.from_env(environ={"ASSISTANT_QUERY_PRECISION": "int4"}),
        )
    assert not (tmp_path / "index").exists()


@pytest.mark.model
@pytest.mark.corpus
def test_asking_with_a_built_index_never_imports_torch(real_bot) -> None:
    index_dir = real_bot.snapshot.path.parent.parent
    script = (
        "import sys; from assistant.cli import main\n"
        f"sys.argv = ['assistant', '--corpus', {str(real_bot.settings.corpus)!r}, "
        f"'--index', {str(index_dir)!r}, 'ask', 'What is the CUSSP?']\n"
        "try:\n    main()\nfinally:\n"
        "    heavy = ('torch', 'transformers', 'sentence_transformers')\n"
        "    print('HEAVY', sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr
    assert "Canada-Ukraine Strategic Security Partnership" in done.stdout
    assert done.stdout.splitlines()[-1] == "HEAVY []"
