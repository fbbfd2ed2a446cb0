"""Nothing leaves the machine: build and ask with the real model while every outbound
connection attempt is refused and recorded (SECURITY.md, first row)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

GUARD = textwrap.dedent(
    """
    import atexit, json, socket, sys
    attempts = []
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else str(address)
        if isinstance(address, tuple) and host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(repr(address))
            raise OSError("network blocked by test")
        return real_connect(self, address)

    def no_dns(*args, **kwargs):
        attempts.append("getaddrinfo " + repr(args[:2]))
        raise socket.gaierror("DNS blocked by test")

    socket.socket.connect = guarded
    socket.getaddrinfo = no_dns
    atexit.register(lambda: print("ATTEMPTS=" + json.dumps(attempts), file=sys.stderr))
    from assistant.cli import main
    main(sys.argv[1:])
    """
)


@pytest.mark.model
@pytest.mark.corpus
def test_build_and_ask_make_no_network_attempt(tmp_path: Path, shared_corpus: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "canada.docx").symlink_to(shared_corpus / "canada.docx")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "ASSISTANT_"))}
    env["PYTHONPATH"] = str(REPO)
    args = ["--corpus", str(corpus), "--index", str(tmp_path / "index")]

    result = subprocess.run(
        [sys.executable, "-c", GUARD, *args, "ask", "What is GSOIA?", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    attempts = json.loads(result.stderr.rsplit("ATTEMPTS=", 1)[1].strip())
    assert attempts == []
    answer = json.loads(result.stdout)
    assert "General Security of Information Agreement (GSOIA)" in answer["passages"][0]["text"]
