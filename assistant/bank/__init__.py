"""The question bank: for each passage of each agreement, the questions newcomers ask that the
passage answers best, written by people (or writers briefed like people) who saw only that
agreement's passages and ``BRIEF.md``.

The engine never sees what users ask about a clause; the bank tells it. A passage's bank
questions become one more view of the passage (embedded, best of views) and a BM25 field, and
they are the training pairs of the domain model (:mod:`assistant.search.tuning`).

Files: ``assistant/bank/<doc>.jsonl``, one entry a line::

    {"doc": "canada", "key": "3f2a...", "citation": "Canada-Ukraine Agreement, Part II, para. 3",
     "questions": ["...", "..."], "brief": 1}

``key`` is :func:`passage_key` of the passage's text, so an entry follows its passage whatever
its position; when the text changes, the key stops matching and the entry is *stale* (the build
and ``python -m assistant bank status`` say so). ``citation`` is for human readers only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import AssistantError, SettingError
from assistant.search.lexical import normalise

FOLDER = Path(__file__).resolve().parent
BRIEF_VERSION = 1
MAX_QUESTION_CHARS = 200


class BankError(AssistantError):
    """A bank file that cannot be read: not JSON, or an entry without its fields."""


@dataclass(frozen=True)
class Entry:
    """The bank's questions for one passage of one agreement."""

    doc: str
    key: str
    citation: str
    questions: tuple[str, ...]
    brief: int


def enabled(setting: str) -> bool:
    """The ``bank`` setting as a flag: 'on' or 'off', anything else a :class:`SettingError`."""
    if setting not in ("on", "off"):
        raise SettingError(
            f"Unknown bank setting '{setting}'. Set ASSISTANT_BANK to 'on' or 'off'."
        )
    return setting == "on"


def passage_key(text: str) -> str:
    """The key of a passage: a hash of its text with case, quotes, dashes and spacing folded,
    so re-typing the same clause keeps its key.

    >>> passage_key("The  Participants will:") == passage_key("the participants will:")
    True
    """
    folded = " ".join(normalise(text).split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:16]


def bank_file(doc: str, folder: Path | None = None) -> Path:
    """Where ``doc``'s bank lives: ``folder`` (default :data:`FOLDER`, read at call time)."""
    return (folder or FOLDER) / f"{doc}.jsonl"


def read_entries(path: Path) -> list[Entry]:
    """The entries of one bank file; :class:`BankError` names the line that is wrong."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BankError(f"Cannot read the question bank '{path}': {exc}") from exc
    entries = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            entry = Entry(
                str(row["doc"]),
                str(row["key"]),
                str(row.get("citation", "")),
                tuple(str(q) for q in row["questions"]),
                int(row.get("brief", 0)),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise BankError(
                f"Line {number} of the question bank '{path}' is not a bank entry ({exc!r}). "
                "Each line needs doc, key and questions; see assistant/bank/README.md."
            ) from exc
        entries.append(entry)
    return entries


def questions_by_key(doc: str, folder: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Key -> questions for ``doc`` (empty when it has no bank); empty questions dropped."""
    path = bank_file(doc, folder)
    if not path.is_file():
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for entry in read_entries(path):
        kept = tuple(q.strip() for q in entry.questions if q.strip())
        out[entry.key] = out.get(entry.key, ()) + kept
    return out


def fingerprint(docs: Iterable[str], folder: Path | None = None) -> dict[str, str]:
    """Doc -> sha256 of its bank file, for the docs that have one: what a build depends on."""
    return {
        doc: hashlib.sha256(bank_file(doc, folder).read_bytes()).hexdigest()
        for doc in sorted(docs)
        if bank_file(doc, folder).is_file()
    }


@dataclass(frozen=True)
class Coverage:
    """How much of one agreement the bank covers."""

    doc: str
    passages: int  # distinct passage texts (keys) of the agreement
    covered: int  # of them, with at least one bank question
    stale: int  # bank entries whose key matches no passage (the text changed)
    questions: int  # bank questions on passages of the agreement

    @property
    def missing(self) -> int:
        return self.passages - self.covered

    @property
    def state(self) -> str:
        if self.covered == 0 and self.stale == 0:
            return "no bank"
        if self.missing or self.stale:
            return "partial"
        return "covered"


def coverage(doc: str, texts: Iterable[str], folder: Path | None = None) -> Coverage:
    """Coverage of the agreement ``doc`` whose passages have ``texts``."""
    keys = {passage_key(t) for t in texts}
    bank = questions_by_key(doc, folder)
    covered = {k for k, qs in bank.items() if qs and k in keys}
    questions = sum(len(qs) for k, qs in bank.items() if k in keys)
    return Coverage(doc, len(keys), len(covered), len(bank.keys() - keys), questions)


def export_rows(doc: str, passages: Iterable, citations: Mapping[str, str]) -> list[dict]:
    """What a bank writer sees of one agreement: each distinct passage once, in document order,
    with its key, citation, kind, heading path, lead-in and text. ``citations`` maps passage id
    to its citation."""
    rows, seen = [], set()
    for p in passages:
        key = passage_key(p.text)
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            {
                "doc": doc,
                "key": key,
                "citation": citations[p.id],
                "kind": "lead-in" if p.text.rstrip().endswith(":") else p.kind,
                "section": " > ".join(p.section),
                "lead_in": p.context,
                "text": p.text,
            }
        )
    return rows
