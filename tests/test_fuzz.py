"""Fuzzing every entry point (bench.fuzz): hostile strings, values that are not text, malformed
batch lines and HTTP bodies, and Hypothesis-generated Unicode. No traceback, no 5xx, verbatim."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_tiny_corpus

from assistant.search.embedding import HashingEmbedder
from bench import fuzz
from bench.measure import open_assistant


@pytest.fixture(scope="module")
def fuzz_bot(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("fuzz")
    return open_assistant(folder, write_tiny_corpus(folder / "corpus"), HashingEmbedder())


def test_a_thousand_inputs_through_every_entry_point_raise_no_traceback(fuzz_bot) -> None:
    result = fuzz.run(fuzz_bot, examples=150)

    assert result["problems"] == []
    assert (result["tracebacks"], result["http_5xx"], result["other_problems"]) == (0, 0, 0)
    assert result["inputs"] >= 1000
    assert set(result["by_entry_point"]) == {
        *(f"api.{n}" for n in ("ask", "compare", "verify", "conversation")),
        "cli.ask", "cli.compare", "cli.verify", "cli.ask --questions", "cli.verify --claims",
        *(f"http.{way} /{n}" for way in ("client", "raw") for n in ("ask", "compare", "verify")),
        "http.raw /queue/join",
    }  # fmt: skip
    assert result["refused_cleanly"] > 100  # the hostile set holds many refusals: they count


@pytest.mark.model
@pytest.mark.corpus
def test_the_real_model_takes_the_hostile_set_and_generated_text(real_bot) -> None:
    tally = fuzz.Tally()
    for value in [*fuzz.HOSTILE, *fuzz.NOT_TEXT]:
        fuzz.fuzz_api(real_bot, value, tally)
    fuzz.fuzz_generated(real_bot, 60, tally)

    assert tally.problems == []
    assert sum(tally.inputs.values()) >= 4 * (len(fuzz.HOSTILE) + 60)


def test_a_bad_batch_line_gets_its_own_error_and_the_others_are_answered(
    fuzz_bot, tmp_path: Path
) -> None:
    path = tmp_path / "q.jsonl"
    path.write_bytes(
        b'{"q": "What is GSOIA?"}\nnot json\n\n{"x": 1}\n{"q": 7}\n\xff\n{"q": "GSOIA"}\n'
    )
    code, out, err, crash = fuzz.run_cli(fuzz_bot, ["ask", "--questions", str(path)])

    assert (code, err, crash) == (0, "", None)
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 4, 5, 6, 7]
    assert rows[1] == {"line": 2, "error": "Line 2 is not JSON (Expecting value at column 1)."}
    assert rows[2] == {"line": 4, "error": 'Line 4 has no "q" field.'}
    assert rows[3] == {"line": 5, "question": None, "error": "The question must be text, not int."}
    assert rows[4] == {"line": 6, "error": "Line 6 is not UTF-8 text."}
    assert rows[0]["passages"] and rows[5]["passages"]


def test_a_lone_surrogate_reaches_stdout_as_valid_utf8(fuzz_bot) -> None:
    code, out, err, crash = fuzz.run_cli(fuzz_bot, ["ask", "What is GSOIA\ud800?", "--json"])

    assert (code, crash) == (0, None)
    assert '"question": "What is GSOIA\ufffd?"' in out


def test_the_harness_reports_a_crash_it_is_shown(fuzz_bot, monkeypatch) -> None:
    def broken(question, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(fuzz_bot, "ask", broken)
    tally = fuzz.Tally()
    fuzz.fuzz_api(fuzz_bot, "What is GSOIA?", tally)

    assert tally.summary()["tracebacks"] == 1
    assert "KeyError: 'boom'" in tally.problems[0]
