"""The domain model, measured: fine-tunes of MiniLM on the bank's (question, passage) pairs, each
trained once (cached by key) and scored through the retriever on the dev set and the tune half,
with the bank view on and off; and the leave-agreements-out folds.

    .venv/bin/python -m bench.tuning --base-index /tmp/idx-all table      # the pairs/epochs table
    .venv/bin/python -m bench.tuning --base-index /tmp/idx-all leave-out  # 4 folds by agreement

``--base-index`` is an index of all 28 agreements built with the bundled model (bench.fusion makes
one); tuned models and their indexes go beside it. Writes ``bench/results/tuning.json`` (table)
or ``bench/results/leave_out.json``, and prints the rows.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, replace
from pathlib import Path

from bench.fusion import evaluate
from bench.measure import load_average, table
from bench.quality import question_sets
from bench.run import CORPUS, RESULTS, corpus_farm

FOLDS = 4
# Pairs, epochs, training length and learning rate of each row of the table.
CONFIGS = [
    {"max_pairs": 1000, "epochs": 1, "max_tokens": 64, "learning_rate": 5e-5},
    {"max_pairs": 2000, "epochs": 1, "max_tokens": 64, "learning_rate": 5e-5},
    {"max_pairs": 4000, "epochs": 1, "max_tokens": 64, "learning_rate": 5e-5},
    {"max_pairs": 2000, "epochs": 1, "max_tokens": 128, "learning_rate": 5e-5},
    {"max_pairs": 2000, "epochs": 1, "max_tokens": 64, "learning_rate": 2e-5},
]


def fold_of(doc: str, docs: list[str]) -> int:
    """The leave-out fold of an agreement: its place in alphabetical order, modulo 4."""
    return sorted(docs).index(doc) % FOLDS


def open_bot(corpus: Path, index: Path, model: str | None = None):
    from assistant import Assistant
    from assistant.settings import Settings

    settings = Settings.from_env(environ={}).with_(corpus=corpus, index=index, model=model)
    return Assistant.open(settings=settings, report=lambda message: None)


def pairs_of(bot, docs: set[str] | None = None):
    """The bank pairs of the agreements in ``docs`` (all when None)."""
    from assistant.search.tuning import bank_pairs

    snapshot = bot.snapshot
    keep = [docs is None or p.doc in docs for p in snapshot.passages]
    questions = [qs if k else () for qs, k in zip(snapshot.bank, keep, strict=True)]
    return bank_pairs(
        snapshot.passages, questions, snapshot.views.text, snapshot.views.bank.vectors
    )


def train(base_index: Path, pairs, config: dict) -> tuple[Path, float]:
    from assistant.search.embedding import SentenceTransformerEmbedder
    from assistant.search.tuning import Options, fine_tune

    started = time.perf_counter()
    options = replace(Options(), **config)
    folder = fine_tune(base_index.parent / "tuned", SentenceTransformerEmbedder(), pairs, options)
    return folder, round(time.perf_counter() - started, 1)


def scored(bot, sets) -> dict:
    from assistant.search.retrieve import Fusion, Retriever

    row = {}
    for bank in (True, False):
        retriever = Retriever(
            bot.snapshot, bot.retriever.embedder, fusion=replace(Fusion(), bank=bank)
        )
        for name, value in evaluate(retriever, sets).items():
            row[f"{'bank' if bank else 'no bank'}: {name}"] = value
    return row


def run_table(base_index: Path) -> list[dict]:
    base = open_bot(CORPUS, base_index)
    pairs = pairs_of(base)
    sets = {k: v for k, v in question_sets().items() if k != "held half"}
    rows = [{"model": "bundled MiniLM", "train s": 0, **scored(base, sets)}]
    print(table(rows, list(rows[0])), flush=True)
    for config in CONFIGS:
        folder, seconds = train(base_index, pairs, config)
        started = time.perf_counter()
        bot = open_bot(CORPUS, base_index.parent / f"index-{folder.name}", str(folder))
        embed = round(time.perf_counter() - started, 1)
        rows.append(
            {"model": json.dumps(config), "train s": seconds, "embed s": embed, **scored(bot, sets)}
        )
        print(table(rows[-1:], list(rows[-1])), flush=True)
    return rows


def run_leave_out(base_index: Path, config: dict) -> list[dict]:
    """Per fold: train on the other folds' banks, score this fold's validation questions (both
    halves) with and without their bank; the bundled model beside it."""
    base = open_bot(CORPUS, base_index)
    docs = sorted(base.documents)
    validation = question_sets()
    questions = validation["tune half"] + validation["held half"]
    rows = []
    for fold in range(FOLDS):
        inside = {d for d in docs if fold_of(d, docs) == fold}
        folder, seconds = train(base_index, pairs_of(base, set(docs) - inside), config)
        corpus = (
            corpus_farm(
                base_index.parent / f"fold-{fold}-corpus",
                [p.name for p in CORPUS.iterdir() if p.stem in inside],
            )
            if not (base_index.parent / f"fold-{fold}-corpus").exists()
            else (base_index.parent / f"fold-{fold}-corpus")
        )
        sets = {"validation": [q for q in questions if q["doc"] in inside]}
        tuned = open_bot(corpus, base_index.parent / f"fold-{fold}-{folder.name}", str(folder))
        rows.append({"fold": fold, "model": "tuned", "train s": seconds, **scored(tuned, sets)})
        rows.append({"fold": fold, "model": "bundled", **scored(base, sets)})
        print(table(rows[-2:], list(rows[-2])), flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-index", type=Path, required=True)
    parser.add_argument("what", choices=["table", "leave-out"])
    parser.add_argument("--config", default=None, help="JSON options for leave-out.")
    options = parser.parse_args(argv)
    started = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "load_before": load_average()}
    if options.what == "table":
        rows = run_table(options.base_index)
        out = RESULTS / "tuning.json"
    else:
        from assistant.search.domain import OPTIONS

        config = json.loads(options.config) if options.config else asdict(OPTIONS)
        rows = run_leave_out(options.base_index, config)
        out = RESULTS / "leave_out.json"
    out.write_text(json.dumps({**started, "rows": rows, "load_after": load_average()}, indent=1))
    print(table(rows, list(rows[0])))


if __name__ == "__main__":
    main()
