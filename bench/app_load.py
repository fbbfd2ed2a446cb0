"""Concurrent users through the app: N real HTTP clients (gradio_client, one per thread) put the
dev questions to a served app on loopback for a bounded number of rounds.

    .venv/bin/python -m bench.app_load [--clients 1,2,4,8] [--rounds 3]

Serves the official Canada agreement in a child process (`python -m assistant serve`, see
:func:`served`, which ``bench.soak`` uses too), so the server pays its own queueing and
serialisation as in production. Results go to
bench/results/app_load.json. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.measure import REPO, summary_ms

CANADA = REPO.parent / "shared" / "corpus" / "canada.docx"
QUESTIONS = REPO.parent / "shared" / "eval" / "dev_questions.jsonl"
RESULTS = REPO / "bench" / "results" / "app_load.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, timeout: float = 120.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the app at {url} did not start in {timeout:.0f} s")


def load(url: str, clients: int, questions: list[str], rounds: int) -> dict:
    """Each client asks every question ``rounds`` times; returns latency, throughput, errors."""
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def user(offset: int) -> None:
        client = Client(url, verbose=False, analytics_enabled=False)
        for r in range(rounds):
            for q in questions[offset:] + questions[:offset]:
                started = time.perf_counter()
                try:
                    client.predict(f"{q} ({r})", None, 5, api_name="/ask")
                    with lock:
                        latencies.append(time.perf_counter() - started)
                except Exception as exc:  # every failure is counted, none hides
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}"[:200])

    threads = [threading.Thread(target=user, args=(i * 3,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": len(latencies) + len(errors),
        "errors": len(errors),
        "first_errors": errors[:3],
        "per_second": round(len(latencies) / wall, 1),
        **summary_ms(latencies),
    }


@dataclass(frozen=True)
class Served:
    """An app served from a child process: its address, process id and start-up time."""

    url: str
    pid: int
    ready_s: float


@contextmanager
def served(corpus: Path = CANADA, model: str | None = None) -> Iterator[Served]:
    """Build an index of ``corpus`` (one agreement file, or a folder of them) in a temporary
    folder, then serve it with ``python -m assistant serve`` on a free loopback port.

    ``model`` is an ``ASSISTANT_MODEL`` value (``hashing-256`` for the instant test fake); the
    bundled model by default. The index build is not part of ``ready_s``.
    """
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        if corpus.is_dir():
            folder = corpus
        else:
            folder = Path(tmp) / "corpus"
            folder.mkdir()
            (folder / corpus.name).symlink_to(corpus.resolve())
        env = {
            **os.environ,
            "ASSISTANT_CORPUS": str(folder),
            "ASSISTANT_INDEX": f"{tmp}/index",
            "ASSISTANT_DATA_DIR": f"{tmp}/data",
            "ASSISTANT_HOST": "127.0.0.1",
            "ASSISTANT_PORT": str(port),
        }
        if model:
            env["ASSISTANT_MODEL"] = model
        built = subprocess.run(
            [sys.executable, "-m", "assistant", "build"], env=env, capture_output=True, text=True
        )
        if built.returncode != 0:
            raise RuntimeError(f"building the index failed: {built.stderr.strip()[-500:]}")
        server = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}/"
            yield Served(url, server.pid, wait_ready(url))
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,2,4,8")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    questions = [json.loads(line)["q"] for line in QUESTIONS.read_text().splitlines()][:30]
    with served(CANADA) as server:
        ready = server.ready_s
        rows = [load(server.url, int(n), questions, args.rounds) for n in args.clients.split(",")]
    result = {"server_ready_s": round(ready, 2), "load": rows, "load_average": os.getloadavg()}
    RESULTS.write_text(json.dumps(result, indent=1))
    print(f"server ready in {ready:.2f} s (index built)")
    print(f"{'clients':>8} {'req':>5} {'err':>4} {'q/s':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for r in rows:
        print(
            f"{r['clients']:>8} {r['requests']:>5} {r['errors']:>4} {r['per_second']:>6} "
            f"{r['p50_ms']:>8} {r['p99_ms']:>8}"
        )


if __name__ == "__main__":
    main()
