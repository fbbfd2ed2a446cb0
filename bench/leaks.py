"""The leak report: every bank question within cosine 0.95 (bundled MiniLM) of a dev or
validation question. Not a failure: the bank was written blind, and a newcomer's question can
happen to be one a writer also thought of; but a held-half figure that rests on such a question is
flattered, so ``bench.quality`` reports the held half with them left out too.

    .venv/bin/python -m bench.leaks          # writes bench/results/leaks.json, prints the pairs
"""

from __future__ import annotations

import json

from bench.quality import question_sets
from bench.run import RESULTS

LEAK_COSINE = 0.95


def leaks(threshold: float = LEAK_COSINE) -> list[dict]:
    """(question set, id, question, agreement, bank question, cosine) above ``threshold``;
    bank questions are compared with the questions about their own agreement."""
    from assistant.bank import FOLDER, read_entries
    from assistant.search.embedding import SentenceTransformerEmbedder

    model = SentenceTransformerEmbedder()
    banked: dict[str, list[str]] = {}
    for path in sorted(FOLDER.glob("*.jsonl")):
        banked[path.stem] = [q for e in read_entries(path) for q in e.questions]
    found = []
    for set_name, questions in question_sets().items():
        for doc in sorted({q["doc"] for q in questions}):
            mine = [q for q in questions if q["doc"] == doc]
            bank = banked.get(doc, [])
            if not bank:
                continue
            cosines = model.encode([q["q"] for q in mine]) @ model.encode(bank).T
            for row, q in enumerate(mine):
                for col in (cosines[row] >= threshold).nonzero()[0]:
                    found.append(
                        {
                            "set": set_name,
                            "id": q["id"],
                            "question": q["q"],
                            "doc": doc,
                            "bank question": bank[col],
                            "cosine": round(float(cosines[row, col]), 3),
                        }
                    )
    return found


def main() -> list[dict]:
    found = leaks()
    (RESULTS / "leaks.json").write_text(
        json.dumps({"threshold": LEAK_COSINE, "pairs": found}, indent=1)
    )
    for row in found:
        pair = f"{row['question']}  ~  {row['bank question']}"
        print(f"{row['set']:<10} {row['id']:<6} {row['cosine']}  {pair}")
    print(f"{len(found)} pairs, {len({r['id'] for r in found})} questions")
    return found


if __name__ == "__main__":
    main()
