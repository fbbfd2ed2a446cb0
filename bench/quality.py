"""Retrieval quality on every question set, ours beside the common recipe, in one table.

The sets: the dev questions (``../shared/eval``), and the two halves of our validation set
(``bench/questions/validation.jsonl``: the tune half, lines 1-102, on which choices were made,
and the held half, lines 103-204, the figure we trust). Canada questions are asked of a corpus
holding only the Canada agreement ("full Canada text") and, as a second row, of all 28 with
Canada as the primary agreement; questions about other agreements, which name their partner,
of all 28.

    .venv/bin/python -m bench.quality      # about 3 minutes on 2 cores

Writes ``bench/results/quality.json`` (read by the CI guard in ``tests/test_evaluation.py``)
and prints the table.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench.measure import REPO, load_average, table
from bench.run import CORPUS, DEV, RESULTS, Engines, corpus_farm, merged, score

VALIDATION = REPO / "bench" / "questions" / "validation.jsonl"
LEAKS = REPO / "bench" / "results" / "leaks.json"
TUNE_LINES = 102  # the validation file's first half; the rest is held out
ENGINES = (
    "ours",
    "bank view alone",
    "tuned model alone",
    "today's engine",
    "common recipe",
    "BM25 on the same chunks",
)


def question_sets() -> dict[str, list[dict]]:
    from assistant.evaluation import read_questions

    validation = read_questions(VALIDATION)
    return {
        "dev": read_questions(DEV),
        "tune half": validation[:TUNE_LINES],
        "held half": validation[TUNE_LINES:],
    }


def leaked_ids() -> set[str]:
    """Held-half questions within cosine 0.95 of a bank question (``bench.leaks``)."""
    if not LEAKS.is_file():
        return set()
    return {row["id"] for row in json.loads(LEAKS.read_text())["pairs"]}


def variants(engines: Engines) -> dict:
    """Our engine with parts switched off, over the same corpus: the bank view with the
    bundled model, the domain model without the bank, and the engine before both (bundled
    model, no bank, lead-ins quoted alone). Each searches like ``ask`` (k=10)."""
    from dataclasses import replace

    from assistant import Assistant
    from assistant.index import built_with
    from assistant.search.embedding import load_embedder
    from assistant.search.encoder import query_embedder
    from assistant.search.retrieve import Fusion, Retriever

    bot = engines.bot
    settings = bot.settings
    base = load_embedder(settings.model)
    kept = built_with(settings.index, base)
    base_queries = query_embedder(settings.index, base, settings.query_precision)

    def variant(snapshot, embedder, fusion):
        made = Assistant(snapshot, embedder, settings)
        made.retriever = Retriever(snapshot, embedder, primary=settings.primary, fusion=fusion)
        return lambda q, doc=None: made.ask(q, k=10, doc=doc).passages

    out = {
        "ours": lambda q, doc=None: bot.ask(q, k=10, doc=doc).passages,
        "tuned model alone": variant(bot.snapshot, bot.embedder, replace(Fusion(), bank=False)),
    }
    if kept is not None:
        out["bank view alone"] = variant(kept, base_queries, Fusion())
        out["today's engine"] = variant(kept, base_queries, Fusion(bank=False, lead_ins="alone"))
    return out


ITALY = REPO / "bench" / "questions" / "italy.jsonl"


def italy_rows(everything: Engines) -> list[dict]:
    """English questions about Italy's Ukrainian text, asked with the agreement selected (as a
    user who picked it would), by our engine and its variants."""
    from assistant.evaluation import read_questions

    questions = read_questions(ITALY)
    rows = []
    for engine, search in variants(everything).items():
        found = merged([score(lambda q, s=search: s(q, doc="italy"), questions)])
        rows.append(
            {"set": "italy", "corpus": "Italy selected, all 28 loaded", "engine": engine, **found}
        )
    return rows


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS / "quality.json")
    options = parser.parse_args(argv)
    from assistant.search.embedding import SentenceTransformerEmbedder

    reference = SentenceTransformerEmbedder().encode
    result: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "load_before": load_average()}
    rows = []
    with tempfile.TemporaryDirectory(prefix="quality-") as tmp:
        work = Path(tmp)
        names = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".docx", ".pdf"))
        canada = Engines(corpus_farm(work / "c", ["canada.docx"]), work / "ic", reference)
        everything = Engines(corpus_farm(work / "a", names), work / "ia", reference)
        searches = {}
        for engines in (canada, everything):
            ours = variants(engines)
            ours["ours"] = engines.searches()["ours"]  # the query cache emptied before each ask
            searches[id(engines)] = {**engines.searches(), **ours}
        sets = question_sets()
        leaked = leaked_ids()
        sets["held half, leaks left out"] = [q for q in sets["held half"] if q["id"] not in leaked]
        for set_name, questions in sets.items():
            canada_q = [q for q in questions if q["doc"] == "canada"]
            other_q = [q for q in questions if q["doc"] != "canada"]
            groups = {
                "Canada, full Canada text": (canada, canada_q),
                "Canada, all 28 loaded (primary)": (everything, canada_q),
                "other agreements named, all 28 loaded": (everything, other_q),
            }
            for group, (engines, qs) in groups.items():
                if not qs:
                    continue
                for engine in ENGINES:
                    found = merged([score(searches[id(engines)][engine], qs)])
                    rows.append({"set": set_name, "corpus": group, "engine": engine, **found})
        rows += italy_rows(everything)
    result["rows"] = rows
    result["load_after"] = load_average()
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(result, indent=1))
    print(report(result))
    return result


def figure(result: dict, set_name: str, group: str, engine: str = "ours") -> dict:
    """One row of a quality result: the summary of ``engine`` on ``group`` of ``set_name``."""
    for row in result["rows"]:
        if (row["set"], row["corpus"], row["engine"]) == (set_name, group, engine):
            return row
    raise KeyError((set_name, group, engine))


def report(result: dict) -> str:
    columns = ["set", "corpus", "questions", "engine", "recall@1", "recall@5", "mrr@10"]
    columns += ["mean_passage_chars"]
    return table(result["rows"], columns)


if __name__ == "__main__":
    main()
