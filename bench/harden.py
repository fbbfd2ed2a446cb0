"""Every hardening figure from one command: ``make harden`` (or ``python -m bench.harden``).

Runs, in turn, each campaign at full size and writes ``bench/results/harden.json``:

==============  ====================================================================
fuzz            :mod:`bench.fuzz`: hostile and generated inputs through API, CLI, HTTP
hostile files   :mod:`bench.hostile`: broken, huge and binary corpus files
index kills     :mod:`bench.crash`: SIGKILL at points of every build stage
feedback kills  :mod:`bench.feedback_crash`: SIGKILL during rating writes; a full disk
soak            :mod:`bench.soak`: 50 clients for 5 minutes, then a burst of 200
offline         :mod:`bench.offline`: build, ask, serve and a browser session, no network
==============  ====================================================================

    .venv/bin/python -m bench.harden                 # everything (about 7 minutes)
    .venv/bin/python -m bench.harden --only fuzz crash
    .venv/bin/python -m bench.harden --quick         # smaller campaigns (about 2 minutes)
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench.measure import REPO, load_average

RESULTS = REPO / "bench" / "results"
CANADA = REPO.parent / "shared" / "corpus" / "canada.docx"


def _fuzz(quick: bool) -> dict:
    from bench import fuzz
    from bench.measure import open_assistant

    with tempfile.TemporaryDirectory() as tmp:  # the real model over the full Canada text
        return fuzz.run(open_assistant(Path(tmp), CANADA), examples=150 if quick else 700)


def _hostile(quick: bool) -> dict:
    from bench import hostile

    result = hostile.run(CANADA)
    result.pop("warnings")
    return result


def _crash(quick: bool) -> dict:
    from bench import crash

    with tempfile.TemporaryDirectory() as tmp:
        corpus = crash.copy_corpus(Path(tmp) / "corpus")
        return crash.run(corpus, per_stage=4 if quick else 10, timed=3 if quick else 10)


def _feedback(quick: bool) -> dict:
    from bench import feedback_crash

    return feedback_crash.run(rounds=5 if quick else 20)


def _soak(quick: bool) -> dict:
    from bench import soak

    return soak.run(clients=50, seconds=30 if quick else 300, burst=200)


def _offline(quick: bool) -> dict:
    from bench import offline

    return offline.run()


CAMPAIGNS = {
    "fuzz": _fuzz,
    "hostile": _hostile,
    "crash": _crash,
    "feedback": _feedback,
    "soak": _soak,
    "offline": _offline,
}


def headline(results: dict) -> dict:
    """The figures the README's reliability table reports, from the campaigns' results."""
    pick = {
        "fuzz": ("inputs", "tracebacks", "http_5xx"),
        "hostile": ("files", "skipped_with_reason", "build_seconds", "peak_rss_mb"),
        "crash": ("kills", "survived", "unfinished_after_next_build"),
        "feedback": ("kills", "acknowledged", "lost"),
        "offline": ("outbound_attempts", "foreign_requests"),
    }
    out = {
        f"{name}.{key}": results[name].get(key)
        for name, keys in pick.items()
        if name in results
        for key in keys
    }
    if "soak" in results:
        soak = results["soak"]
        out.update(
            {
                "soak.clients": soak["clients"],
                "soak.requests": soak["requests"],
                "soak.errors": soak["errors"],
                "soak.p50_ms": soak["latency"]["p50_ms"],
                "soak.p99_ms": soak["latency"]["p99_ms"],
                "soak.rss_start_mb": soak["server_rss_mb"]["start"],
                "soak.rss_end_mb": soak["server_rss_mb"]["end"],
                "soak.rss_growth_pct": soak["server_rss_mb"]["growth_pct"],
                "soak.burst_refused_at_once": soak["burst"]["refused_at_once"],
                "soak.burst_refusal_max_ms": soak["burst"]["refusal_max_ms"],
                "soak.burst_errors": soak["burst"]["errors"],
                "soak.goals_met": all(soak["goals"].values()),
            }
        )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", choices=sorted(CAMPAIGNS), help="these campaigns")
    parser.add_argument("--quick", action="store_true", help="smaller campaigns")
    args = parser.parse_args(argv)
    results: dict = {"load_average_before": load_average(), "quick": args.quick}
    for name in args.only or CAMPAIGNS:
        started = time.perf_counter()
        print(f"[harden] {name} ...", flush=True)
        results[name] = CAMPAIGNS[name](args.quick)
        results[name]["campaign_seconds"] = round(time.perf_counter() - started, 1)
        print(f"[harden] {name} done in {results[name]['campaign_seconds']} s", flush=True)
    results["headline"] = headline(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "harden.json").write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results["headline"], indent=1))


if __name__ == "__main__":
    main()
