"""Measuring helpers for the benchmarks: percentiles, child processes with their peak memory,
and the table printer."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``; 0.0 when empty.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.5
    """
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else 0.0


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p90, p99 and mean in milliseconds, rounded to 0.01 ms."""
    return {
        "p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "p90_ms": round(percentile(seconds, 90) * 1000, 2),
        "p99_ms": round(percentile(seconds, 99) * 1000, 2),
        "mean_ms": round(float(np.mean(seconds)) * 1000, 2) if len(seconds) else 0.0,
        "n": len(seconds),
    }


def open_assistant(folder: Path, corpus: Path, embedder=None, **settings: object):
    """A quiet assistant over ``corpus`` with its index and data in ``folder``, clean settings
    (no ``ASSISTANT_*`` from the environment) plus ``settings``; the real model unless
    ``embedder`` is given (tests and campaigns pass the hashing fake)."""
    from assistant import Assistant
    from assistant.settings import Settings

    clean = Settings.from_env(environ={}).with_(
        corpus=corpus, index=folder / "index", data_dir=folder / "data", **settings
    )
    return Assistant.open(settings=clean, embedder=embedder, report=lambda message: None)


@dataclass(frozen=True)
class Run:
    """A finished child process: wall time, peak resident memory and its output."""

    seconds: float
    peak_mb: float
    returncode: int
    stdout: str
    stderr: str


# A small launcher forks the real child: Linux carries a process' peak RSS across fork and exec,
# so a child forked straight from this (large) process would report our peak, not its own.
_LAUNCHER = (
    "import os, sys\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execvp(sys.argv[1], sys.argv[1:])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "sys.stderr.write(f'\\nPEAK_KB={usage.ru_maxrss}\\n')\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def run(args: Sequence[str], cwd: Path = REPO, env: dict[str, str] | None = None) -> Run:
    """Run ``args`` to completion: wall time, the child's own peak RSS, its output."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *args], cwd=cwd, env=env, capture_output=True
    )
    seconds = time.perf_counter() - started
    stderr, _, peak = done.stderr.decode("utf-8", "replace").rpartition("\nPEAK_KB=")
    return Run(
        seconds,
        int(peak.strip() or 0) / 1024,
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        stderr,
    )


def table(rows: list[dict], columns: list[str]) -> str:
    """A Markdown table of ``rows`` restricted to ``columns`` (missing cells empty).

    >>> print(table([{"a": 1, "b": 0.5}], ["a", "b"]))
    | a | b |
    |---|---|
    | 1 | 0.5 |
    """
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages: other work on the machine skews timings."""
    return [round(x, 2) for x in os.getloadavg()]
