"""Retrieval quality by the rule of ``shared/eval/README.md``: a passage is relevant when it
comes from the question's document and contains one of its gold phrases (after normalising)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import AssistantError
from assistant.search.lexical import normalise as fold


def normalise(text: str) -> str:
    """NFKC, straight quotes, hyphens for dashes, collapsed whitespace, lower case."""
    return " ".join(fold(text).split())


@dataclass
class Report:
    """Recall@1/3/5/10, MRR@10 and mean passage length over the evaluated questions."""

    ranks: dict[str, int | None] = field(default_factory=dict)
    lengths: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def recall(self, k: int) -> float:
        hits = [r for r in self.ranks.values() if r is not None and r <= k]
        return len(hits) / len(self.ranks) if self.ranks else 0.0

    def mrr(self) -> float:
        return sum(1 / r for r in self.ranks.values() if r) / len(self.ranks) if self.ranks else 0.0

    def summary(self) -> dict:
        return {
            "questions": len(self.ranks),
            "skipped": len(self.skipped),
            **{f"recall@{k}": round(self.recall(k), 4) for k in (1, 3, 5, 10)},
            "mrr@10": round(self.mrr(), 4),
            "mean_passage_chars": round(sum(self.lengths) / len(self.lengths), 1)
            if self.lengths
            else 0.0,
            "misses": {q: r for q, r in self.ranks.items() if r != 1},
        }


def read_jsonl(path: Path, field: str, what: str) -> list[dict]:
    """Objects from a JSON-lines file, each with ``field``; ``what`` names them in messages."""
    try:
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    except (OSError, json.JSONDecodeError) as exc:
        raise AssistantError(f"Cannot read {what} from '{path}': {exc}") from exc
    bad = [i for i, r in enumerate(rows, 1) if not isinstance(r, dict) or field not in r]
    if bad:
        raise AssistantError(f"'{path}' line {bad[0]} has no \"{field}\" field.")
    return rows


def read_questions(path: Path) -> list[dict]:
    """Questions from a JSON-lines file; each line needs at least a ``q`` field."""
    return read_jsonl(path, "q", "questions")


def first_relevant(passages, doc: str, gold: list[str]) -> int | None:
    phrases = [normalise(g) for g in gold]
    for p in passages:
        if p.doc == doc and any(g in normalise(p.text) for g in phrases):
            return p.rank
    return None


def evaluate(assistant, questions: list[dict], k: int = 10) -> Report:
    """Ask each question whose document is in the index; skip (and list) the others."""
    report = Report()
    for row in questions:
        qid = str(row.get("id", row["q"]))
        if row.get("doc") not in assistant.documents:
            report.skipped.append(qid)
            continue
        answer = assistant.ask(row["q"], k=k)
        report.ranks[qid] = first_relevant(answer.passages, row["doc"], row.get("gold", []))
        report.lengths += [len(p.text) for p in answer.passages[:5]]
    return report
