"""Command line: ``python -m assistant {build,ask,chat,docs,eval,serve}``.

Only click and the settings load at import, so ``--help`` is instant; the model, numpy and FAISS
load when a command needs them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from assistant.errors import AssistantError
from assistant.settings import Settings


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
@click.pass_context
def build(ctx: click.Context, force: bool) -> None:
    """Build the index for the corpus (a no-op when nothing changed)."""
    from assistant.embedding import load_embedder
    from assistant.index import build as build_index

    settings = _settings(ctx)
    build_index(
        settings.corpus, settings.index, load_embedder(settings.model), report=_report, force=force
    )


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
        from assistant.evaluation import read_questions

        for row in read_questions(questions):
            try:
                click.echo(
                    json.dumps(bot.ask(row["q"], k=k, doc=doc).to_dict(), ensure_ascii=False)
                )
            except AssistantError as exc:
                click.echo(json.dumps({"question": row["q"], "error": str(exc)}))
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
    click.echo("Ask about the agreement. Empty line or Ctrl-D quits.")
    while True:
        try:
            question = input("\n? ")
        except (EOFError, KeyboardInterrupt):
            break
        if not question.strip():
            break
        try:
            click.echo(format_answer(bot.ask(question, k=3)))
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
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Start the assistant (a terminal chat until the web app lands)."""
    ctx.invoke(chat)


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
