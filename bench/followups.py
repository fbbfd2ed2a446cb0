"""How often the second turn of a two-turn dialogue finds its clause, with and without
follow-up resolution.

    .venv/bin/python bench/followups.py [--dialogues bench/questions/dialogues.jsonl]
        [--corpus ../shared/corpus/canada.docx] [--index /tmp/followups-index] [--json]

Builds (once; reused while the corpus is unchanged) an index with the real model over a folder
holding only a link to the Canada agreement, then asks each dialogue's two turns through a
:class:`~assistant.conversation.Conversation` per strategy and reports whether the second
turn's top-1 and top-5 passages contain one of its gold phrases.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.conversation import Conversation, is_follow_up  # noqa: E402
from assistant.evaluation import first_relevant  # noqa: E402

# (label, Conversation keyword arguments)
VARIANTS = [
    ("no resolution (turn 2 alone)", {"strategy": "none"}),
    ("carry topic words", {"strategy": "carry"}),
    ("fuse alone + carried, w=0.5", {"strategy": "fuse", "carried_weight": 0.5}),
    ("fuse alone + carried, w=1.0", {"strategy": "fuse", "carried_weight": 1.0}),
]


def read_dialogues(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def open_bot(corpus_file: Path, index: Path):
    from assistant import Assistant
    from assistant.settings import DEFAULT_MODEL, Settings

    if not corpus_file.is_file():
        raise SystemExit(f"No agreement at '{corpus_file}'. Pass --corpus PATH/canada.docx.")
    folder = index / "corpus"
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / corpus_file.name
    if not link.exists():
        link.symlink_to(corpus_file.resolve())
    return Assistant.open(
        corpus=folder,
        index=index / "index",
        model=DEFAULT_MODEL,
        settings=Settings.from_env(environ={}),
        report=lambda message: print(message, file=sys.stderr),
    )


def score(bot, dialogues: list[dict], options: dict) -> dict:
    """Top-1 and top-5 hit counts of the second turns, and the ids missed at top 5."""
    top1 = top5 = 0
    missed = []
    for row in dialogues:
        chat = Conversation(bot, **options)
        first, second = row["turns"]
        chat.ask(first, k=5)
        rank = first_relevant(chat.ask(second, k=5).passages, row["doc"], row["gold"])
        top1 += rank == 1
        top5 += rank is not None and rank <= 5
        if rank != 1:
            missed.append(f"{row['id']}:{rank}")
    return {"top1": top1, "top5": top5, "n": len(dialogues), "not_first": missed}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dialogues", type=Path, default=REPO / "bench/questions/dialogues.jsonl")
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared/corpus/canada.docx")
    parser.add_argument("--index", type=Path, default=Path(tempfile.gettempdir()) / "followups")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args(argv)
    dialogues = read_dialogues(args.dialogues)
    bot = open_bot(args.corpus, args.index)
    detected = sum(is_follow_up(row["turns"][1]) for row in dialogues)
    started = time.perf_counter()
    rows = [(label, score(bot, dialogues, options)) for label, options in VARIANTS]
    seconds = time.perf_counter() - started
    if args.json:
        print(json.dumps({"detected": detected, "variants": dict(rows)}, indent=1))
        return
    print(f"{len(dialogues)} dialogues; turn 2 detected as a follow-up in {detected}")
    print(f"{'strategy':<32} {'top-1':>7} {'top-5':>7}  not first (id:rank)")
    for label, r in rows:
        print(
            f"{label:<32} {r['top1']:>3}/{r['n']:<3} {r['top5']:>3}/{r['n']:<3}  "
            f"{' '.join(r['not_first'])}"
        )
    print(f"({seconds:.1f} s for {len(rows) * len(dialogues) * 2} questions)")


if __name__ == "__main__":
    main()
