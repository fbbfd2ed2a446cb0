"""The claim checker, measured: ``verify`` on our validation claims (``bench/claims``), tune half
and held half, with the full Canada text; true claims supported ("partial" counting half),
false claims not called supported, each kind of false claim refused, and the part that decided.

    .venv/bin/python -m bench.claims --index /tmp/idx-canada     # --held to report the held half

Writes ``bench/results/claims.json`` (with --held) and prints the table.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from bench.measure import REPO, summary_ms, table
from bench.run import RESULTS, corpus_farm

CLAIMS = REPO / "bench" / "claims" / "validation.jsonl"
HELD2 = REPO / "bench" / "claims" / "held2.jsonl"
TUNE_LINES = 48
KINDS = ("parties", "negation", "modality", "invented", "figures", "dates_places")


def halves() -> dict[str, list[dict]]:
    from assistant.evaluation import read_jsonl

    rows = read_jsonl(CLAIMS, "claim", "claims")
    return {
        "tune half": rows[:TUNE_LINES],
        "held half": rows[TUNE_LINES:],
        "second held set": read_jsonl(HELD2, "claim", "claims"),
    }


def score(bot, claims: list[dict]) -> tuple[dict, list[dict]]:
    """The figures of one set, and each claim's verdict (for reading the misses)."""
    seen, seconds = [], []
    for row in claims:
        started = time.perf_counter()
        verdict = bot.verify(row["claim"])
        seconds.append(time.perf_counter() - started)
        seen.append({**row, "verdict": verdict.verdict, "decided_by": verdict.decided_by})
    true = [r for r in seen if r["truth"]]
    false = [r for r in seen if not r["truth"]]
    credit = {"supported": 1.0, "partial": 0.5}
    out = {
        "true supported": round(sum(credit.get(r["verdict"], 0) for r in true) / len(true), 3),
        "false not supported": round(
            sum(r["verdict"] != "supported" for r in false) / len(false), 3
        ),
    }
    for kind in KINDS:
        mine = [r for r in false if r["kind"] == kind]
        if mine:
            out[f"{kind} refused"] = round(
                sum(r["verdict"] != "supported" for r in mine) / len(mine), 2
            )
    out["p50 ms"] = summary_ms(seconds)["p50_ms"]
    out["decided by"] = dict(Counter(r["decided_by"] for r in seen))
    return out, seen


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="Index folder (kept, reused).")
    parser.add_argument("--held", action="store_true", help="Also the held half (report it).")
    parser.add_argument("--misses", action="store_true", help="Print the tune half's misses.")
    options = parser.parse_args(argv)
    from assistant import Assistant
    from assistant.settings import Settings

    corpus = options.index.parent / "canada-corpus"
    if not corpus.exists():
        corpus_farm(corpus, ["canada.docx"])
    settings = Settings.from_env(environ={}).with_(corpus=corpus, index=options.index)
    bot = Assistant.open(settings=settings, report=print, train=True)
    result, rows = {}, []
    for name, claims in halves().items():
        if name != "tune half" and not options.held:
            continue
        result[name], seen = score(bot, claims)
        rows.append({"set": name, **{k: v for k, v in result[name].items() if k != "decided by"}})
        if options.misses and name == "tune half":
            for r in seen:
                wrong = (r["verdict"] != "supported") if r["truth"] else r["verdict"] == "supported"
                if wrong:
                    how = f"{r['verdict']:<11} by {r['decided_by']:<10}"
                    print(f"  {r['kind']:<12} {how} {r['claim']}")
    print(table(rows, list(rows[0])))
    if options.held:
        (RESULTS / "claims.json").write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
