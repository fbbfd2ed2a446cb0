"""What a second stage that reads question and passage together would cost per question.

A cross-encoder of MiniLM's size runs the same transformer over "question [SEP] passage" for each
candidate. No such model ships here, but its cost does not depend on the weights: this runs the
bundled model's ONNX exports (float32 and int8) over the pairs a real search returns, 5 and 20
candidates, and reports the median milliseconds per question beside the budget (half the
common recipe's warm query, ``bench/results/bench.json``). Writes ``bench/results/pair_cost.json``.

    .venv/bin/python -m bench.pair_cost     # about a minute; needs ../shared/corpus
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from bench.run import CORPUS, DEV, RESULTS, corpus_farm


def main() -> dict:
    from assistant import Assistant
    from assistant.search.embedding import load_embedder
    from assistant.search.encoder import query_embedder

    questions = [json.loads(line)["q"] for line in DEV.read_text().splitlines() if line.strip()]
    rows = {}
    with tempfile.TemporaryDirectory(prefix="pair-cost-") as tmp:
        work = Path(tmp)
        bot = Assistant.open(
            corpus=corpus_farm(work / "c", ["canada.docx"]), index=work / "i", report=print
        )
        for precision in ("float32", "int8"):
            encoder = query_embedder(work / "i", load_embedder(bot.settings.model), precision)
            for candidates in (5, 20):
                times = []
                for question in questions:
                    hits = bot.retriever.search(question, k=candidates)
                    pairs = [f"{question} [SEP] {h.passage.text}" for h in hits]
                    started = time.perf_counter()
                    encoder.encode(pairs)
                    times.append(time.perf_counter() - started)
                rows[f"{precision}, {candidates} candidates"] = round(
                    statistics.median(times) * 1000, 1
                )
    recipe = json.loads((RESULTS / "bench.json").read_text())["latency"]["common recipe"]
    result = {"ms_per_question": rows, "budget_ms": round(recipe["p50_ms"] / 2, 1)}
    (RESULTS / "pair_cost.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    assert CORPUS.is_dir(), f"the shared corpus is not at {CORPUS}"
    main()
