"""Every setting in one typed table, each with help text and an ``ASSISTANT_*`` variable.

The README documents each row (a test checks that it does). Command-line options override the
environment, which overrides the defaults below.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

DEFAULT_MODEL = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "corpus",
        "ASSISTANT_CORPUS",
        "corpus",
        "Folder (or single file) of agreement texts: .txt .md .docx .pdf .html.",
    ),
    Setting("index", "ASSISTANT_INDEX", "index", "Folder that holds the built index."),
    Setting(
        "model",
        "ASSISTANT_MODEL",
        DEFAULT_MODEL,
        "Sentence-transformers model: the bundled default, 'mpnet' once installed "
        "(python -m assistant models install mpnet), or a local model folder.",
    ),
    Setting(
        "query_precision",
        "ASSISTANT_QUERY_PRECISION",
        "int8",
        "How questions are encoded: 'int8' (a quantised copy of the model, about 1.5x faster) "
        "or 'float32' (the model exactly). Passages are always encoded in float32.",
    ),
    Setting(
        "bank",
        "ASSISTANT_BANK",
        "on",
        "The question bank (assistant/bank/): 'on' searches each passage's bank questions too; "
        "'off' answers as if no agreement had a bank (for comparison).",
    ),
    Setting(
        "tune",
        "ASSISTANT_TUNE",
        "on",
        "The domain model: 'on' answers with the model fine-tuned on the question bank once it "
        "is trained (build trains it; serve trains it in the background); 'off' keeps the model "
        "setting's model as it is.",
    ),
    Setting(
        "rerank",
        "ASSISTANT_RERANK",
        "off",
        "The second stage: 'on' re-scores the best 8 passages with a cross-encoder trained on "
        "the question bank (build trains it; answers then load torch); 'off' (measured: it does "
        "not pay, see the README).",
    ),
    Setting("k", "ASSISTANT_K", "5", "How many passages an answer quotes."),
    Setting(
        "primary",
        "ASSISTANT_PRIMARY",
        "canada",
        "With several agreements loaded, the one a question that names none is about "
        "(ignored when not indexed; empty: search them all).",
    ),
    Setting(
        "max_question_chars",
        "ASSISTANT_MAX_QUESTION_CHARS",
        "1000",
        "Longer questions are refused with a message.",
    ),
    Setting(
        "data_dir",
        "ASSISTANT_DATA_DIR",
        "data",
        "Folder for data the app writes (feedback database).",
    ),
    Setting("host", "ASSISTANT_HOST", "127.0.0.1", "Address the app binds to."),
    Setting("port", "ASSISTANT_PORT", "7860", "Port the app listens on."),
    Setting(
        "auth",
        "ASSISTANT_AUTH",
        "",
        "Optional 'user:password' for the app's built-in login (prefer SSO at a proxy).",
    ),
    Setting(
        "allowed_origins",
        "ASSISTANT_ALLOWED_ORIGINS",
        "",
        "Comma-separated origins granted CORS by the app (none by default).",
    ),
    Setting(
        "allowed_hosts",
        "ASSISTANT_ALLOWED_HOSTS",
        "",
        "Comma-separated host names the app answers to (empty: this machine's names when bound "
        "to 127.0.0.1, any otherwise; '*' for any).",
    ),
    Setting(
        "backend",
        "ASSISTANT_BACKEND",
        "faiss",
        "Vector store: 'faiss' (default, in process) or 'milvus'.",
    ),
    Setting(
        "milvus_uri",
        "ASSISTANT_MILVUS_URI",
        "",
        "Milvus server URI or milvus-lite file for the 'milvus' backend.",
    ),
)


@dataclass(frozen=True)
class Settings:
    """Resolved settings; build with :meth:`from_env`, change with :meth:`with_`."""

    corpus: Path
    index: Path
    model: str
    query_precision: str
    bank: str
    tune: str
    rerank: str
    k: int
    primary: str
    max_question_chars: int
    data_dir: Path
    host: str
    port: int
    auth: str
    allowed_origins: str
    allowed_hosts: str
    backend: str
    milvus_uri: str

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        raw = {s.name: env.get(s.env, s.default) for s in SETTINGS}
        raw.update({k: v for k, v in overrides.items() if v is not None})
        types = {f.name: f.type for f in fields(cls)}
        converters = {"Path": Path, "int": int, "str": str}
        return cls(**{k: converters[types[k]](v) for k, v in raw.items()})

    def with_(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
