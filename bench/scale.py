"""Vector search at scale: 10k, 100k and 1M synthetic passages (see :mod:`bench.synthetic`).

For each size, the index :func:`assistant.search.vectors.choose_index` picks, and exact flat search
for comparison: build time, vector memory, single-query search latency (p50/p99) and recall@10
against exact search. Writes ``bench/results/scale.json`` and ``scale.png`` (size vs latency vs
memory).

    .venv/bin/python -m bench.scale                    # 10k, 100k, 1M (~3 minutes on 2 cores)
    .venv/bin/python -m bench.scale --sizes 2000 20000  # quick
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from bench.measure import REPO, load_average, summary_ms, table
from bench.synthetic import DIMENSION, clustered_vectors, exact_neighbours, queries, recall_at

RESULTS = REPO / "bench" / "results"


def measure(vectors: np.ndarray, probe: np.ndarray, truth: np.ndarray, choice=None) -> dict:
    """Build a :class:`~assistant.search.vectors.FaissStore` and time single-query top-10
    searches."""
    from assistant.search.vectors import FaissStore

    started = time.perf_counter()
    store = FaissStore(vectors, choice)
    built = time.perf_counter() - started
    seconds, found = [], []
    for query in probe:
        started = time.perf_counter()
        _, ids = store.search(query, 10)
        seconds.append(time.perf_counter() - started)
        found.append(np.pad(ids, (0, 10 - len(ids)), constant_values=-1))
    return {
        "index": store.choice.factory
        + (f" nprobe={store.choice.nprobe}" if store.choice.nprobe else ""),
        "build_s": round(built, 1),
        "vector_mb": round(store.memory_bytes() / 1e6, 1),
        **summary_ms(seconds),
        "recall@10": round(recall_at(np.array(found), truth), 4),
    }


def main(argv: list[str] | None = None) -> list[dict]:
    from assistant.search.vectors import IndexChoice, choose_index

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--out", type=Path, default=RESULTS / "scale.json")
    options = parser.parse_args(argv)
    rows = []
    probe = queries(options.queries)
    for n in options.sizes:
        vectors = clustered_vectors(n)
        truth = exact_neighbours(vectors, probe)
        chosen = choose_index(n, DIMENSION)
        rows.append({"passages": n, "chosen": True, **measure(vectors, probe, truth)})
        if not chosen.exact:
            rows.append(
                {
                    "passages": n,
                    "chosen": False,
                    **measure(vectors, probe, truth, IndexChoice("Flat")),
                }
            )
        del vectors
    result = {"rows": rows, "dimension": DIMENSION, "load": load_average()}
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(result, indent=1))
    plot(rows, options.out.with_suffix(".png"))
    print(
        table(
            rows,
            [
                "passages",
                "index",
                "chosen",
                "build_s",
                "vector_mb",
                "p50_ms",
                "p99_ms",
                "recall@10",
            ],
        )
    )
    return rows


def plot(rows: list[dict], path: Path) -> None:
    """Latency and memory against size, chosen index and exact flat, log-log (matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for chosen, label in ((True, "chosen index"), (False, "exact flat")):
        points = [r for r in rows if r["chosen"] == chosen or (not chosen and "Flat" in r["index"])]
        sizes = [r["passages"] for r in points]
        left.plot(sizes, [r["p50_ms"] for r in points], "o-", label=f"{label} p50")
        left.plot(sizes, [r["p99_ms"] for r in points], "x--", label=f"{label} p99")
        right.plot(sizes, [r["vector_mb"] for r in points], "o-", label=label)
    for axis, title in ((left, "search latency (ms)"), (right, "vector memory (MB)")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("passages (384-d)")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


if __name__ == "__main__":
    main()
