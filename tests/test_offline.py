"""Nothing leaves the machine: build, ask and serve with the real model while every outbound
connection attempt is refused and recorded, and a real Chromium session on the served page asks
nothing of any other origin (SECURITY.md, first row). The guard and the session live in
:mod:`bench.offline`, which ``python -m bench.offline`` also runs."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench import offline


def test_the_guard_records_and_refuses_an_outbound_attempt(tmp_path: Path) -> None:
    # A proof whose guard saw nothing must mean nothing was tried, not that the guard is off.
    probe = textwrap.dedent(
        """
        import socket, urllib.request
        try:
            urllib.request.urlopen("http://example.com/", timeout=1)
        except OSError as error:
            print(type(error).__name__)
        for address in (("192.0.2.1", 9), ("127.0.0.1", 9)):  # loopback goes through
            with socket.socket() as s:
                try:
                    s.connect(address)
                except OSError as error:
                    print(type(error).__name__)
        """
    )
    log = tmp_path / "guard.log"
    result = subprocess.run(
        [sys.executable, "-c", offline.GUARD_PRELUDE + probe],
        capture_output=True,
        text=True,
        env=offline.child_env(tmp_path, log),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["URLError", "OSError", "ConnectionRefusedError"]
    assert offline.attempts(log) == ["getaddrinfo 'example.com'", "connect ('192.0.2.1', 9)"]


@pytest.mark.model
@pytest.mark.corpus
def test_build_and_ask_make_no_network_attempt(tmp_path: Path, shared_corpus: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "canada.docx").symlink_to(shared_corpus / "canada.docx")
    args = ["--corpus", str(corpus), "--index", str(tmp_path / "index")]

    result = offline.run_cli([*args, "ask", "What is GSOIA?", "--json"], tmp_path, timeout=600)

    assert result.returncode == 0, result.stderr[-2000:]
    assert offline.attempts(tmp_path / "guard.log") == []
    answer = json.loads(result.stdout)
    assert "General Security of Information Agreement (GSOIA)" in answer["passages"][0]["text"]


@pytest.mark.model
@pytest.mark.browser
@pytest.mark.skipif(not offline.CHROMIUM.is_file(), reason=f"needs {offline.CHROMIUM}")
def test_build_ask_serve_and_a_browser_session_stay_on_the_machine() -> None:
    figures = offline.run()

    assert figures["attempts"] == [] and figures["outbound_attempts"] == 0
    assert figures["foreign"] == [] and figures["foreign_requests"] == 0
    assert figures["csp_violations"] == []
    assert figures["remote_file_status"] == 404  # refused, not fetched: no lookup recorded
    assert figures["browser_requests"] > 20  # the page's own scripts, queue and download
    shown = figures["shown"]
    assert shown["load"] == "Agreement assistant"
    assert "The CUSSP, effective for a decade" in shown["ask"]
    assert figures["cli_citations"][0] in shown["ask"]  # the page and the CLI agree
    assert shown["open a quote"] and shown["open a quote"] in shown["ask"]
    assert figures["feedback"] == [("helpful", offline.QUESTION)]
    assert shown["export"].startswith("# Conversation with the agreement assistant")
    assert f"## Q1. {offline.QUESTION}" in shown["export"]
    assert [s["step"] for s in figures["steps"]] == [
        "build",
        "ask",
        "serve",
        "browser: load",
        "browser: ask",
        "browser: open a quote",
        "browser: rate",
        "browser: export",
    ]
