"""Tests for :mod:`assistant.cli`, run as users run it: ``python -m assistant`` in a subprocess
with the hashing embedder (``ASSISTANT_MODEL=hashing-256``) over the tiny corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ANSWER_KEYS, PASSAGE_KEYS

from assistant.cli import main

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "gradio", "sentence_transformers", "faiss", "transformers")


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory, tiny_corpus_session: Path) -> dict[str, str]:
    """Environment for the subprocesses; the index is built once for the module."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_MODEL="hashing-256",
        ASSISTANT_CORPUS=str(tiny_corpus_session),
        ASSISTANT_INDEX=str(tmp_path_factory.mktemp("cli-index")),
        PYTHONPATH=str(REPO),
    )
    result = run(env, "build")
    assert result.returncode == 0, result.stderr
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import json, sys\nfrom assistant.cli import main\ntry:\n    main(['--help'])\n"
        "except SystemExit:\n    pass\nprint('MODULES=' + json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )

    assert result.returncode == 0, result.stderr
    assert "Usage: python -m assistant" in result.stdout
    modules = json.loads(result.stdout.split("MODULES=")[1])
    assert [m for m in modules if m.split(".")[0] in HEAVY] == []


def test_help_lists_the_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0
    for command in ("build", "ask", "chat", "docs", "eval", "serve"):
        assert f"\n  {command} " in result.stdout


def test_second_build_is_up_to_date(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "build")

    assert result.returncode == 0
    assert result.stderr == "Index is up to date.\n"
    assert result.stdout == ""


def test_empty_question_is_one_line_and_exit_1(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "ask", "  ")

    assert result.returncode == 1
    assert result.stderr == "Error: Please type a question (it was empty).\n"
    assert result.stdout == ""


def test_question_and_questions_file_are_exclusive(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "ask")

    assert result.returncode == 2
    assert "Give either a QUESTION or --questions FILE." in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_document_is_named(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "ask", "--doc", "nope", "What is GSOIA?")

    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "Error: No document 'nope' in the index. Known: netherlands, united-kingdom, united-states."
    )
    assert "Traceback" not in result.stderr


def test_missing_corpus_folder_is_named(cli_env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "no-such-corpus"
    result = run(
        cli_env,
        "--corpus",
        str(missing),
        "--index",
        str(tmp_path / "index"),
        "ask",
        "What is GSOIA?",
    )

    assert result.returncode == 1
    last = result.stderr.splitlines()[-1]
    assert last.startswith(f"Error: Corpus '{missing}' does not exist.")
    assert "Traceback" not in result.stderr


def test_ask_json_follows_the_contract(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "ask", "--json", "--k", "2", "What is GSOIA?")

    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == ANSWER_KEYS
    assert out["question"] == "What is GSOIA?"
    assert [p["rank"] for p in out["passages"]] == [1, 2]
    assert set(out["passages"][0]) == PASSAGE_KEYS
    assert out["passages"][0]["citation"] == "United Kingdom-Ukraine Agreement, Part I, para. 1"


def test_ask_prints_the_answer_and_citations(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "ask", "--k", "1", "What is GSOIA?")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("“The Participants will seek to conclude a General Security")
    assert lines[2].startswith("[1] United Kingdom-Ukraine Agreement, Part I, para. 1  (score ")


def test_questions_file_prints_one_json_line_per_question_in_order(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    questions = ["What is GSOIA?", "Who trains pilots?", "", "How long does it last?"]
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps({"q": q}) + "\n" for q in questions))
    result = run(cli_env, "ask", "--questions", str(path), "--json", "--k", "1")

    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["question"] for r in rows] == questions
    assert [r["line"] for r in rows] == [1, 2, 3, 4]
    assert rows[2] == {"line": 3, "question": "", "error": "Please type a question (it was empty)."}
    assert [len(r["passages"]) for r in rows if "passages" in r] == [1, 1, 1]


def test_docs_json_lists_documents_with_passage_counts(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "docs", "--json")

    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["doc"], r["file"], r["passages"]) for r in rows] == [
        ("netherlands", "netherlands.txt", 8),
        ("united-kingdom", "united-kingdom.md", 5),
        ("united-states", "united-states.docx", 7),
    ]
    assert rows[0] == {
        **rows[0],
        "partners": ["Netherlands"],
        "language": "en",
        "signed_place": "Kharkiv",
        "signed_date": "1 March 2024",
    }


def test_a_million_character_question_is_refused_quickly(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # In process: one argument this long exceeds the operating system's limit for a subprocess.
    for key, value in cli_env.items():
        monkeypatch.setenv(key, value)
    started = time.perf_counter()
    with pytest.raises(SystemExit) as exit_:
        main(["ask", "x" * 1_000_000])

    assert time.perf_counter() - started < 5
    assert exit_.value.code == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines()[-1] == (
        "Error: The question has 1000000 characters; the limit is 1000. Please shorten it."
    )
    assert captured.out == ""


def test_tune_refuses_a_model_without_a_folder_in_one_line(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "models", "tune", "--max-pairs", "4")

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: Model 'hashing-256' has no local folder to fine-tune."
    )


def test_bank_export_shows_a_writer_each_passage_once(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "bank", "export", "netherlands")

    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0, result.stderr
    assert {tuple(r) for r in rows} == {
        ("doc", "key", "citation", "kind", "section", "lead_in", "text")
    }
    assert len(rows) == 8 and len({r["key"] for r in rows}) == 8
    item = next(r for r in rows if r["text"] == "(a) train Ukrainian pilots;")
    assert item["kind"] == "item" and item["lead_in"] == "2. The Participants will cooperate to:"
    assert next(r for r in rows if r["text"].endswith("cooperate to:"))["kind"] == "lead-in"


def test_bank_export_of_an_unknown_document_names_the_known_ones(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "bank", "export", "atlantis")

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: No document 'atlantis' in the corpus. Known: netherlands, united-kingdom, "
        "united-states."
    )


def test_bank_status_lists_coverage_per_agreement(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "bank", "status", "--json")

    rows = {r["doc"]: r for r in json.loads(result.stdout)}
    assert result.returncode == 0, result.stderr
    # The shipped bank covers the real agreements; the tiny corpus shares only their titles.
    netherlands = rows["netherlands"]
    assert netherlands["passages"] == 8 and netherlands["state"] == "partial"
    assert netherlands["covered"] + netherlands["missing"] == 8
    assert netherlands["stale"] > 100  # the real agreement's other passages


def test_an_unknown_bank_or_tune_setting_is_one_line(cli_env: dict[str, str]) -> None:
    for variable, value, message in (
        ("ASSISTANT_BANK", "maybe", "Error: Unknown bank setting 'maybe'. Set ASSISTANT_BANK to"),
        ("ASSISTANT_TUNE", "yes", "Error: Unknown tune setting 'yes'. Set ASSISTANT_TUNE to"),
    ):
        result = run({**cli_env, variable: value}, "ask", "What is GSOIA?")
        assert result.returncode == 1
        assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
