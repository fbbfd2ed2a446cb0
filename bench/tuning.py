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
    """The bank pairs of the agreements in ``docs`` (all when None), hard negatives chosen with
    the bundled model's vectors (whatever model built ``bot``'s index)."""
    import numpy as np

    from assistant.search import domain
    from assistant.search.embedding import SentenceTransformerEmbedder
    from assistant.search.tuning import bank_pairs

    snapshot = bot.snapshot
    texts, asked = domain.base_vectors(bot.settings.index, SentenceTransformerEmbedder(), snapshot)
    keep = [docs is None or p.doc in docs for p in snapshot.passages]
    questions = [qs if k else () for qs, k in zip(snapshot.bank, keep, strict=True)]
    owned = np.repeat(keep, [len(qs) for qs in snapshot.bank])  # each question's passage kept
    return bank_pairs(snapshot.passages, questions, texts, asked[owned])


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


def leave_out_fold(bot, fold: int, work: Path, config: dict) -> dict:
    """One fold of the leave-out: a model trained on the other folds' banks (a user adding
    agreements that have no bank), scoring this fold's validation questions, both halves, with
    and without their bank. ``bot`` is any assistant over all 28 agreements."""
    docs = sorted(bot.documents)
    inside = {d for d in docs if fold_of(d, docs) == fold}
    folder, seconds = train(work / "index", pairs_of(bot, set(docs) - inside), config)
    corpus = work / f"fold-{fold}-corpus"
    if not corpus.exists():
        corpus_farm(corpus, [p.name for p in CORPUS.iterdir() if p.stem in inside])
    validation = question_sets()
    questions = validation["tune half"] + validation["held half"]
    sets = {"validation": [q for q in questions if q["doc"] in inside]}
    tuned = open_bot(corpus, work / f"fold-{fold}-{folder.name}", str(folder))
    return {"fold": fold, "agreements": sorted(inside), "train s": seconds, **scored(tuned, sets)}


def run_leave_out(base_index: Path, config: dict) -> list[dict]:
    """Every fold (:func:`leave_out_fold`), the bundled model beside each."""
    base = open_bot(CORPUS, base_index)
    docs = sorted(base.documents)
    validation = question_sets()
    questions = validation["tune half"] + validation["held half"]
    rows = []
    for fold in range(FOLDS):
        row = leave_out_fold(base, fold, base_index.parent, config)
        sets = {"validation": [q for q in questions if fold_of(q["doc"], docs) == fold]}
        rows.append({**row, "model": "tuned"})
        rows.append({"fold": fold, "model": "bundled", **scored(base, sets)})
        print(table(rows[-2:], list(rows[-2])), flush=True)
    return rows


def combined(rows: list[dict]) -> list[dict]:
    """The leave-out over all folds: each fold's figures weighted by its questions."""
    validation = question_sets()
    questions = validation["tune half"] + validation["held half"]
    docs = sorted(p.stem for p in CORPUS.iterdir() if p.suffix in (".docx", ".pdf"))
    out = []
    for model in ("tuned", "bundled"):
        row = {"model": model}
        for bank in ("bank", "no bank"):
            for metric in ("R@1", "R@5", "MRR"):
                total = weight = 0.0
                for r in (r for r in rows if r["model"] == model):
                    for group in ("canada", "others"):
                        n = sum(
                            fold_of(q["doc"], docs) == r["fold"]
                            and (q["doc"] == "canada") == (group == "canada")
                            for q in questions
                        )
                        key = f"{bank}: validation {group} {metric}"
                        if key in r:
                            total += r[key] * n
                            weight += n
                row[f"{bank} {metric}"] = round(total / weight, 3) if weight else None
        row["questions"] = int(weight)
        out.append(row)
    return out


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
        started["combined"] = combined(rows)
        print(table(started["combined"], list(started["combined"][0])))
        out = RESULTS / "leave_out.json"
    out.write_text(json.dumps({**started, "rows": rows, "load_after": load_average()}, indent=1))
    print(table(rows, list(rows[0])))


if __name__ == "__main__":
    main()
