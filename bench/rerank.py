"""The second stage, measured: a cross-encoder from the bundled MiniLM trained on the bank's
pairs, re-scoring the first stage's top passages, on the dev set and the tune half with the bank
in; and what the stage costs per question (p50 / p95 ms on this machine).

    .venv/bin/python -m bench.rerank --index /tmp/idx-all     # an index of all 28 (domain model)

Writes ``bench/results/rerank.json`` and prints the rows.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from bench.fusion import evaluate
from bench.measure import load_average, summary_ms, table
from bench.quality import question_sets
from bench.run import CORPUS, RESULTS

WEIGHTS = (0.05, 0.1, 0.2, 0.5)
CANDIDATES = (5, 8, 10)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    options = parser.parse_args(argv)
    from assistant import Assistant
    from assistant.search import domain
    from assistant.search.embedding import SentenceTransformerEmbedder
    from assistant.search.rerank import Reranker, RerankOptions, train
    from assistant.search.retrieve import Retriever
    from assistant.search.tuning import bank_pairs
    from assistant.settings import Settings

    settings = Settings.from_env(environ={}).with_(corpus=CORPUS, index=options.index)
    bot = Assistant.open(settings=settings, report=print)
    base = SentenceTransformerEmbedder()
    snapshot = bot.snapshot
    texts, asked = domain.base_vectors(options.index, base, snapshot)
    pairs = bank_pairs(snapshot.passages, snapshot.bank, texts, asked)
    started = time.perf_counter()
    folder = train(options.index, base.path(), base.fingerprint(), pairs, report=print)
    train_seconds = round(time.perf_counter() - started, 1)
    sets = {k: v for k, v in question_sets().items() if k != "held half"}
    first = bot.retriever
    rows = [{"setting": "first stage only", "train s": 0, **evaluate(first, sets)}]
    print(table(rows, list(rows[0])), flush=True)
    for candidates in CANDIDATES:
        for weight in WEIGHTS:
            reranker = Reranker(
                folder, replace(RerankOptions(), candidates=candidates, weight=weight)
            )
            retriever = Retriever(snapshot, first.embedder, fusion=first.fusion, reranker=reranker)
            row = {"setting": f"top {candidates}, weight {weight}", "train s": train_seconds}
            row.update(evaluate(retriever, sets))
            if weight == WEIGHTS[0]:  # the stage's cost: the same for every weight
                seconds = []
                for q in sets["tune half"]:
                    hits = first.search(q["q"], k=candidates)
                    texts = [h.passage.text for h in hits]
                    begun = time.perf_counter()
                    reranker.scores(q["q"], texts)
                    seconds.append(time.perf_counter() - begun)
                cost = summary_ms(seconds)
                row["stage p50 ms"], row["stage p95 ms"] = (
                    cost["p50_ms"],
                    round(sorted(seconds)[int(0.95 * len(seconds))] * 1000, 1),
                )
            rows.append(row)
            print(table(rows[-1:], list(rows[-1])), flush=True)
    out = {"load": load_average(), "folder": folder.name, "rows": rows}
    (RESULTS / "rerank.json").write_text(json.dumps(out, indent=1))
    print(table(rows, list(rows[1])))
    return rows


if __name__ == "__main__":
    main()
