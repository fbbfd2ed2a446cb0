"""The experiment harness for fusion choices: one index over all 28 agreements, many
:class:`~assistant.search.retrieve.Fusion` settings, R@1 / R@5 / MRR on the dev set and the tune
half (never the held half: choices are made here).

Canada questions are searched in Canada's agreement alone (as on the Canada-only corpus: BM25
takes one agreement's statistics either way), the others in the agreements they name.

    .venv/bin/python -m bench.fusion --index /tmp/idx-all            # the grid below
    .venv/bin/python -m bench.fusion --index /tmp/idx-all --model <tuned folder>

Prints one row per setting; writes nothing.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace
from pathlib import Path

from bench.measure import table
from bench.quality import question_sets
from bench.run import CORPUS


def ranks(retriever, questions: list[dict], k: int = 10) -> dict[str, int | None]:
    """Rank of the first relevant passage per question (None beyond ``k``)."""
    from assistant.evaluation import first_relevant

    out = {}
    for row in questions:
        docs = ["canada"] if row["doc"] == "canada" else retriever.scope(row["q"])
        hits = retriever.search(row["q"], k=k, docs=docs)
        quoted = [_Quoted(rank, h.passage.doc, h.passage.text) for rank, h in enumerate(hits, 1)]
        out[row["id"]] = first_relevant(quoted, row["doc"], row.get("gold", []))
    return out


class _Quoted:
    def __init__(self, rank: int, doc: str, text: str) -> None:
        self.rank, self.doc, self.text = rank, doc, text


def summary(found: dict[str, int | None]) -> dict[str, float]:
    n = len(found) or 1
    return {
        "R@1": round(sum(r == 1 for r in found.values()) / n, 3),
        "R@5": round(sum(r is not None and r <= 5 for r in found.values()) / n, 3),
        "MRR": round(sum(1 / r for r in found.values() if r) / n, 3),
    }


def evaluate(retriever, sets: dict[str, list[dict]]) -> dict[str, float]:
    """One row: each set split into Canada and other agreements."""
    row: dict[str, float] = {}
    for name, questions in sets.items():
        for group, qs in (
            ("canada", [q for q in questions if q["doc"] == "canada"]),
            ("others", [q for q in questions if q["doc"] != "canada"]),
        ):
            if qs:
                for metric, value in summary(ranks(retriever, qs)).items():
                    row[f"{name} {group} {metric}"] = value
    return row


GRID = {
    "bank": [True],
    "bank_lexical": [0.25],
    "near": [0.9],
    "lead_ins": ["item after"],
    "lead_in_weight": [0.0, 0.25, 0.5, 0.75, 1.0],
}


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="Index folder (kept, reused).")
    parser.add_argument("--model", default=None, help="Model setting (default: the bundled).")
    parser.add_argument("--held", action="store_true", help="Also the held half (report only).")
    options = parser.parse_args(argv)
    from assistant import Assistant
    from assistant.search.retrieve import Fusion, Retriever
    from assistant.settings import Settings

    settings = Settings.from_env(environ={}).with_(
        corpus=CORPUS, index=options.index, model=options.model
    )
    bot = Assistant.open(settings=settings, report=print)
    sets = {k: v for k, v in question_sets().items() if options.held or k != "held half"}
    rows = []
    for values in itertools.product(*GRID.values()):
        setting = dict(zip(GRID, values, strict=True))
        if not setting["bank"] and (setting["bank_lexical"] or setting["near"] < 1):
            continue
        fusion = replace(Fusion(), **setting)
        retriever = Retriever(bot.snapshot, bot.retriever.embedder, fusion=fusion)
        name = " ".join(f"{k}={v}" for k, v in setting.items())
        rows.append({"setting": name, **evaluate(retriever, sets)})
        print(table(rows[-1:], list(rows[-1])), flush=True)
    columns = ["setting", *[c for c in rows[0] if c != "setting" and not c.endswith("MRR")]]
    print(table(rows, columns))
    return rows


if __name__ == "__main__":
    main()
