"""Tests for :mod:`assistant.settings`: one typed table, environment variables, the README."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from assistant.settings import DEFAULT_MODEL, SETTINGS, Settings

REPO = Path(__file__).resolve().parents[1]


def test_defaults() -> None:
    assert Settings.from_env(environ={}) == Settings(
        corpus=Path("corpus"),
        index=Path("index"),
        model=DEFAULT_MODEL,
        query_precision="int8",
        bank="on",
        tune="on",
        rerank="off",
        k=5,
        primary="canada",
        max_question_chars=1000,
        data_dir=Path("data"),
        host="127.0.0.1",
        port=7860,
        auth="",
        allowed_origins="",
        allowed_hosts="",
        backend="faiss",
        milvus_uri="",
    )


def test_environment_overrides_defaults_and_options_override_the_environment() -> None:
    env = {
        "ASSISTANT_CORPUS": "/agreements",
        "ASSISTANT_K": "7",
        "ASSISTANT_PORT": "9000",
        "ASSISTANT_MODEL": "hashing-64",
        "UNRELATED": "x",
    }
    settings = Settings.from_env(environ=env, k=3, corpus=None)

    assert (settings.corpus, settings.k, settings.port, settings.model) == (
        Path("/agreements"),
        3,
        9000,
        "hashing-64",
    )


def test_with_changes_only_what_is_given() -> None:
    base = Settings.from_env(environ={})
    changed = base.with_(k=9, index=None, model="hashing-8")

    assert (changed.k, changed.index, changed.model) == (9, Path("index"), "hashing-8")
    assert base.k == 5


def test_a_non_numeric_number_is_refused() -> None:
    with pytest.raises(ValueError):
        Settings.from_env(environ={"ASSISTANT_K": "five"})


def test_the_table_and_the_dataclass_agree() -> None:
    assert [s.name for s in SETTINGS] == [f.name for f in fields(Settings)]
    assert all(s.env == f"ASSISTANT_{s.name.upper()}" for s in SETTINGS)
    assert all(s.help for s in SETTINGS)


def test_readme_documents_every_setting() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [s.env for s in SETTINGS if s.env not in readme]
    assert missing == []
    # Each setting's table row names its variable and its default.
    rows = [line for line in readme.splitlines() if line.startswith("|")]
    undocumented = [
        s.env
        for s in SETTINGS
        if not any(
            re.search(
                rf"`{s.env}`.*" + (f"`{re.escape(s.default)}`" if s.default else r"\(none\)"), r
            )
            for r in rows
        )
    ]
    assert undocumented == []
