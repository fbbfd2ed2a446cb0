"""Tests for :mod:`assistant.search.domain`: which model answers, when the domain model counts as
missing, ready or outdated, and the background training that swaps it in."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.errors import SettingError
from assistant.search import domain
from assistant.search.embedding import HashingEmbedder, SentenceTransformerEmbedder


def test_the_tune_setting_is_on_or_off() -> None:
    assert domain.enabled("on") is True and domain.enabled("off") is False
    with pytest.raises(SettingError, match="Unknown tune setting 'yes'. Set ASSISTANT_TUNE"):
        domain.enabled("yes")


def test_only_a_model_on_disk_can_be_tuned() -> None:
    assert domain.tunable(SentenceTransformerEmbedder()) is True  # the bundled folder
    assert domain.tunable(HashingEmbedder()) is False


def fake_domain_model(index: Path, base, learned: str) -> Path:
    """A trained-looking folder and the pointer naming it, without training anything."""
    folder = index / "models" / "tuned-0123456789abcdef"
    folder.mkdir(parents=True)
    (folder / "tuning.json").write_text("{}")
    pointer = {
        "folder": folder.name,
        "base_fingerprint": base.fingerprint(),
        "learned_from": learned,
    }
    (index / "models" / domain.POINTER).write_text(json.dumps(pointer))
    return folder


def test_missing_ready_and_outdated(hashing_bot, tmp_path: Path) -> None:
    base = SentenceTransformerEmbedder()
    with_bank = replace(
        hashing_bot.snapshot, bank=((), ("Which jets?",), *hashing_bot.snapshot.bank[2:])
    )

    assert domain.state(tmp_path, HashingEmbedder(), with_bank) == "off"
    assert domain.state(tmp_path, base, hashing_bot.snapshot) == "no bank"
    assert domain.state(tmp_path, base, with_bank) == "missing"
    assert domain.choose(tmp_path, base, tune=True) is base

    folder = fake_domain_model(tmp_path, base, domain.learned_from(with_bank))
    assert domain.state(tmp_path, base, with_bank) == "ready"
    chosen = domain.choose(tmp_path, base, tune=True)
    assert chosen.path() == folder and chosen.model_id == f"all-MiniLM-L6-v2 + domain {folder.name}"
    assert domain.choose(tmp_path, base, tune=False) is base

    other = replace(with_bank, bank=((), ("Which planes?",), *with_bank.bank[2:]))
    assert domain.state(tmp_path, base, other) == "outdated"  # another bank: retrain


def test_a_model_trained_from_another_base_is_not_used(tmp_path: Path) -> None:
    base = SentenceTransformerEmbedder()
    fake_domain_model(tmp_path, HashingEmbedder(), "x")

    assert domain.latest(tmp_path, base) is None


def test_background_training_runs_a_build_then_swaps(tiny_corpus: Path, tmp_path: Path) -> None:
    said: list[str] = []
    ready: list[bool] = []
    # The fake model cannot be tuned, so the child's build only builds: quick, and the same path.
    training = domain.BackgroundTraining(
        tiny_corpus, tmp_path / "index", "hashing-64", lambda: ready.append(True), said.append
    )
    training.start()
    assert "training in the background" in training.note

    assert training.done.wait(120)
    assert training.returncode == 0 and ready == [True] and training.note == ""
    assert said[-1] == "Domain model: ready; answers now use it."
    assert (tmp_path / "index" / "CURRENT").is_file()


def test_a_failed_training_keeps_serving_and_says_so(tmp_path: Path) -> None:
    said: list[str] = []
    training = domain.BackgroundTraining(
        tmp_path / "no-such-corpus", tmp_path / "index", "hashing-64", lambda: None, said.append
    )
    training.start().done.wait(120)

    assert training.returncode == 1 and training.note == ""
    assert said[-1].startswith("Domain model: training failed (exit 1: Error: Corpus '")
    assert said[-1].endswith("answers keep the bundled model. Run: python -m assistant build")
