"""The benchmark: our engine against the common recipe and BM25, in one run on one machine.

Quality: the dev questions scored by :mod:`assistant.evaluation`'s rule (Canada questions on a
Canada-only corpus, the others on all 28 agreements). Speed: index build from scratch, warm query
latency in this process (interleaved, so background load hits every engine alike), one-shot cold
start and peak memory in child processes, and concurrent asks through threads.

    .venv/bin/python -m bench.run                 # everything (~10 minutes on 2 cores)
    .venv/bin/python -m bench.run --canada-only   # skips the 28-agreement index (~2 minutes)

Writes ``bench/results/bench.json`` and prints the tables.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.measure import REPO, load_average, percentile, run, summary_ms, table

SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
DEV = SHARED / "eval" / "dev_questions.jsonl"
RESULTS = REPO / "bench" / "results"
PROBE = "What is the CUSSP?"


def corpus_farm(folder: Path, names: Sequence[str]) -> Path:
    """A corpus folder of symlinks to the shared agreements (the originals stay untouched)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).symlink_to(CORPUS / name)
    return folder


def build_from_scratch(corpus: Path, index: Path) -> dict:
    """``python -m assistant build`` into an empty folder: the bundled model's index (with its
    one-off ONNX export), then the domain model trained and the index rebuilt with it."""
    done = run(
        [sys.executable, "-m", "assistant", "--corpus", str(corpus), "--index", str(index), "build"]
    )
    if done.returncode:
        raise SystemExit(f"build failed:\n{done.stderr}")
    lines = done.stderr.splitlines()
    said = [x for x in lines if x.startswith(("Embedding", "Indexed", "Training the domain"))]
    return {
        "seconds": round(done.seconds, 1),
        "peak_mb": round(done.peak_mb),
        "log": " / ".join(said),
    }


def score(search: Callable[[str], Sequence], questions: list[dict]):
    """An :class:`assistant.evaluation.Report` for any search returning ranked passages."""
    from assistant.evaluation import Report, first_relevant

    report = Report()
    for row in questions:
        found = search(row["q"])
        report.ranks[row["id"]] = first_relevant(found, row["doc"], row.get("gold", []))
        report.lengths += [len(p.text) for p in found[:5]]
    return report


def merged(reports: list) -> dict:
    from assistant.evaluation import Report

    total = Report()
    for r in reports:
        total.ranks.update(r.ranks)
        total.lengths += r.lengths
    out = total.summary()
    out.pop("misses")
    return out


class Engines:
    """Our assistant, the common recipe (torch and ONNX query encoders) and BM25 over one corpus."""

    def __init__(self, corpus: Path, index: Path, reference):
        from assistant import Assistant
        from assistant.search.embedding import load_embedder
        from assistant.search.encoder import query_embedder
        from bench.recipe import DenseRecipe, LexicalRecipe, chunk_documents

        # The default engine: the domain model trained (once, cached in the index) and the bank.
        self.bot = Assistant.open(corpus=corpus, index=index, report=lambda m: None, train=True)
        chunks = chunk_documents(list(self.bot.documents.values()))
        # The float32 ONNX export gives the reference model's vectors (max abs difference ~2e-7).
        exact = query_embedder(index, load_embedder(self.bot.settings.model), "float32")
        started = time.perf_counter()
        vectors = exact.encode([c.text for c in chunks])
        self.recipe_embed_seconds = round(time.perf_counter() - started, 1)
        self.chunks = chunks
        self.vectors = vectors
        self.recipe = DenseRecipe(chunks, vectors, reference)
        self.recipe_onnx = DenseRecipe(chunks, vectors, exact.encode)
        self.bm25 = LexicalRecipe(chunks)

    def fresh_ask(self, question: str):
        """Ask with the query-embedding cache emptied: what a new question costs."""
        self.bot.retriever.clear_cache()
        return self.bot.ask(question, k=10).passages

    def searches(self) -> dict[str, Callable[[str], Sequence]]:
        return {
            "ours": self.fresh_ask,
            "ours (repeated question, cached)": lambda q: self.bot.ask(q, k=10).passages,
            "common recipe": self.recipe.search,
            "common recipe, ONNX query": self.recipe_onnx.search,
            "BM25 on the same chunks": self.bm25.search,
        }


def latency(groups: list[tuple[Engines, list[dict]]], rounds: int) -> dict[str, dict]:
    """Warm per-question latency of every engine, interleaved question by question."""
    times: dict[str, list[float]] = {}
    for engines, questions in groups:  # warm-up: first calls load sessions and caches
        for search in engines.searches().values():
            search(questions[0]["q"])
    for _ in range(rounds):
        for engines, questions in groups:
            for row in questions:
                for name, search in engines.searches().items():
                    started = time.perf_counter()
                    search(row["q"])
                    times.setdefault(name, []).append(time.perf_counter() - started)
    return {name: summary_ms(values) for name, values in times.items()}


def cold_start(corpus: Path, index: Path, repeats: int) -> dict:
    """One-shot ``python -m assistant ask``: median wall time, peak memory, modules loaded."""
    args = [
        sys.executable,
        "-m",
        "assistant",
        "--corpus",
        str(corpus),
        "--index",
        str(index),
        "ask",
        PROBE,
    ]
    runs = [run(args) for _ in range(repeats)]
    probe = (
        "import sys, time; t = time.perf_counter(); from assistant import Assistant; "
        f"b = Assistant.open(corpus={str(corpus)!r}, index={str(index)!r}); "
        "print(round(time.perf_counter() - t, 3)); "
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') "
        "if m in sys.modules))"
    )
    opens = [run([sys.executable, "-c", probe]) for _ in range(repeats)]
    return {
        "ask_median_s": round(percentile([r.seconds for r in runs], 50), 2),
        "ask_runs_s": [round(r.seconds, 2) for r in runs],
        "ask_peak_mb": round(max(r.peak_mb for r in runs)),
        "open_median_s": round(percentile([float(r.stdout.split()[0]) for r in opens], 50), 2),
        "heavy_modules_loaded": opens[0].stdout.splitlines()[-1],
    }


def recipe_cold_start(engines: Engines, folder: Path, repeats: int) -> dict:
    """The recipe's one-shot: load sentence-transformers, a FAISS file and chunks; answer."""
    import faiss
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    index = faiss.IndexFlatIP(engines.vectors.shape[1])
    index.add(np.ascontiguousarray(engines.vectors))
    faiss.write_index(index, str(folder / "chunks.faiss"))
    with (folder / "chunks.jsonl").open("w") as out:
        for c in engines.chunks:
            out.write(json.dumps({"doc": c.doc, "text": c.text}) + "\n")
    args = [sys.executable, "-m", "bench.recipe_cli", str(folder), PROBE]
    runs = [run(args) for _ in range(repeats)]
    return {
        "ask_median_s": round(percentile([r.seconds for r in runs], 50), 2),
        "ask_peak_mb": round(max(r.peak_mb for r in runs)),
    }


def concurrency(engines: Engines, questions: list[dict], threads: Sequence[int]) -> list[dict]:
    """Throughput and latency of concurrent asks; every question unique, so no cache hits."""
    rows = []
    for n in threads:
        asks = [f"{row['q']} #{n}-{i}" for i in range(4) for row in questions]

        def timed(question: str) -> float:
            started = time.perf_counter()
            engines.bot.ask(question, k=10)
            return time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=n) as pool:
            seconds = list(pool.map(timed, asks))
        wall = time.perf_counter() - started
        rows.append(
            {"threads": n, "questions_per_s": round(len(asks) / wall, 1), **summary_ms(seconds)}
        )
    return rows


def with_domain_model_cached(corpus: Path, built: Path, index: Path) -> dict:
    """A build from scratch into an empty index that has only the trained domain model (its
    weights and the DOMAIN record, copied from ``built``): the bank view and every passage are
    embedded with it, its ONNX export made again."""
    import shutil

    (index / "models").mkdir(parents=True)
    record = json.loads((built / "models" / "DOMAIN").read_text())
    shutil.copytree(built / "models" / record["folder"], index / "models" / record["folder"])
    shutil.copy(built / "models" / "DOMAIN", index / "models" / "DOMAIN")
    return build_from_scratch(corpus, index)


def incremental(corpus: Path, index: Path) -> dict:
    """Change one agreement (a paragraph appended) and rebuild: only it is re-embedded."""
    import docx

    target = corpus / "canada.docx"
    document = docx.Document(str(target.resolve()))
    document.add_paragraph("An added closing paragraph for the incremental build benchmark.")
    target.unlink()
    document.save(str(target))
    return build_from_scratch(corpus, index)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="passes over the dev questions")
    parser.add_argument("--cold", type=int, default=5, help="one-shot runs per corpus")
    parser.add_argument("--canada-only", action="store_true", help="skip the 28-agreement index")
    parser.add_argument("--out", type=Path, default=RESULTS / "bench.json")
    options = parser.parse_args(argv)
    from assistant.evaluation import read_questions
    from assistant.search.embedding import SentenceTransformerEmbedder

    questions = read_questions(DEV)
    canada_q = [q for q in questions if q["doc"] == "canada"]
    other_q = [q for q in questions if q["doc"] != "canada"]
    result: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "load_before": load_average()}
    reference_model = SentenceTransformerEmbedder()
    reference = reference_model.encode  # the recipe's query encoder: sentence-transformers
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        canada = corpus_farm(work / "canada", ["canada.docx"])
        names = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".docx", ".pdf"))
        everything = None if options.canada_only else corpus_farm(work / "all", names)
        builds = {"canada": build_from_scratch(canada, work / "index-canada")}
        if everything:
            builds["all 28"] = build_from_scratch(everything, work / "index-all")
            builds["all 28, domain model cached"] = with_domain_model_cached(
                everything, work / "index-all", work / "index-cached"
            )
        groups = [(Engines(canada, work / "index-canada", reference), canada_q)]
        if everything:
            groups.append((Engines(everything, work / "index-all", reference), other_q))
        result["builds"] = builds
        result["recipe_embed_seconds"] = {
            "canada": groups[0][0].recipe_embed_seconds,
            **({"all 28": groups[1][0].recipe_embed_seconds} if everything else {}),
        }
        quality = {}
        for name in groups[0][0].searches():
            if "cached" in name or "ONNX" in name:
                continue
            reports = [score(e.searches()[name], qs) for e, qs in groups]
            quality[name] = merged(reports)
        result["quality"] = quality
        result["latency"] = latency(groups, options.rounds)
        result["cold_start"] = {"canada": cold_start(canada, work / "index-canada", options.cold)}
        result["recipe_cold_start"] = recipe_cold_start(groups[0][0], work / "recipe", options.cold)
        last = groups[-1]
        if everything:
            all_index = work / "index-all"
            result["cold_start"]["all 28"] = cold_start(everything, all_index, options.cold)
        result["concurrency"] = concurrency(last[0], last[1] or canada_q, (1, 2, 4, 8))
        if everything:
            changed = incremental(everything, work / "index-all")
            result["builds"]["all 28, one file changed"] = changed
    result["load_after"] = load_average()
    ours, recipe = result["latency"]["ours"], result["latency"]["common recipe"]
    result["ratios"] = {
        "p50 ours / recipe": round(ours["p50_ms"] / recipe["p50_ms"], 3),
        "p99 ours / recipe": round(ours["p99_ms"] / recipe["p99_ms"], 3),
        "cold start ours / recipe": round(
            result["cold_start"]["canada"]["ask_median_s"]
            / result["recipe_cold_start"]["ask_median_s"],
            3,
        ),
    }
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(result, indent=1))
    print(report(result))
    return result


def report(result: dict) -> str:
    """The benchmark's tables in Markdown."""
    quality = [{"engine": k, **v} for k, v in result["quality"].items()]
    latency = [{"engine": k, **v} for k, v in result["latency"].items()]
    cold = [{"corpus": k, **v} for k, v in result["cold_start"].items()]
    cold.append({"corpus": "canada (common recipe)", **result["recipe_cold_start"]})
    builds = [{"build": k, **v} for k, v in result["builds"].items()]
    parts = [
        "## Quality (dev set)",
        table(
            quality,
            [
                "engine",
                "questions",
                "recall@1",
                "recall@3",
                "recall@5",
                "recall@10",
                "mrr@10",
                "mean_passage_chars",
            ],
        ),
        "## Warm latency per question",
        table(latency, ["engine", "p50_ms", "p90_ms", "p99_ms", "mean_ms", "n"]),
        "## Cold start (one-shot `python -m assistant ask`)",
        table(
            cold, ["corpus", "ask_median_s", "ask_peak_mb", "open_median_s", "heavy_modules_loaded"]
        ),
        "## Index build (from scratch, child process)",
        table(builds, ["build", "seconds", "peak_mb", "log"]),
        "## Concurrent asks (threads, unique questions)",
        table(result["concurrency"], ["threads", "questions_per_s", "p50_ms", "p99_ms"]),
        "## Ratios",
        table([result["ratios"]], list(result["ratios"])),
        f"load average before {result['load_before']}, after {result['load_after']}",
    ]
    return "\n\n".join(parts)


if __name__ == "__main__":
    main()
