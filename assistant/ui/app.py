"""The Gradio page: ``build_ui`` wires components to the plain handlers of
:mod:`assistant.ui.handlers` and registers the API endpoints; nothing else lives here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr

from assistant.errors import AssistantError
from assistant.feedback import MAX_COMMENT_CHARS, FeedbackStore
from assistant.ui import handlers, render
from assistant.ui.handlers import App

log = logging.getLogger(__name__)
T = TypeVar("T")

SESSION_TTL_SECONDS = 4 * 3600
QUEUE_MAX_SIZE = 64  # waiting requests beyond this are refused at once instead of hanging
CONCURRENCY = 4  # answers computed at once; the retriever is thread-safe
MAX_K = 20

CSS = """
.cq-answer blockquote, .cq-passage, .cq-text { white-space: pre-wrap; }
.cq-answer blockquote { margin: .3em 0 .6em; padding-left: .7em;
  border-left: 3px solid var(--border-color-primary); }
.cq-answer mark, .cq-reader mark, .cq-table mark { background: rgba(255, 205, 0, .45);
  color: inherit; padding: 0 .1em; }
.cq-intro h1, .cq-reader .cq-doc { font-weight: 600; }
.cq-quote, .cq-best { font-size: 1em; }
.cq-cite, .cq-num { font-weight: 600; }
.cq-quote mark { background: rgba(255, 205, 0, .22); }
.cq-score { font-size: .85em; opacity: .85; }
.cq-score.cq-weak { color: #c2410c; }
.cq-notice { border-left: 4px solid #d97706; background: rgba(217, 119, 6, .1);
  padding: .4em .7em; border-radius: 4px; }
.cq-status { margin: .2em 0; }
.cq-status.cq-error { color: #b91c1c; font-weight: 600; }
.cq-status.cq-working::before { content: "⏳ "; }
.cq-hint { font-size: .85em; opacity: .8; }
.cq-reader { line-height: 1.5; }
.cq-reader .cq-doc { margin-bottom: 0; }
.cq-reader .cq-heading { font-weight: 600; margin: .8em 0 .2em; }
.cq-reader .cq-passage { margin: .4em 0; padding: .3em .6em; }
.cq-reader .cq-neighbour { opacity: .75; }
.cq-reader .cq-current { border-left: 4px solid var(--color-accent); }
.cq-table { width: 100%; border-collapse: collapse; }
.cq-table th, .cq-table td { border: 1px solid var(--border-color-primary); padding: .35em .5em;
  vertical-align: top; text-align: left; }
.cq-verdict-label { font-size: 1.15em; font-weight: 700; }
.cq-supported .cq-verdict-label { color: #15803d; }
.cq-partial .cq-verdict-label { color: #b45309; }
.cq-unsupported .cq-verdict-label { color: #b91c1c; }
.cq-checks { border-collapse: collapse; margin: .4em 0; font-size: .92em; }
.cq-checks th, .cq-checks td { border: 1px solid #d4d4d8; padding: .2em .45em; text-align: left; }
.cq-checks .cq-decided { font-weight: 700; background: #fef3c7; }
@media (max-width: 480px) {
  .cq-table { font-size: .85em; }
  .cq-examples button { flex: 1 1 100%; }
}
"""

INTRO = """<div class="cq-intro">
<h1 style="margin-bottom:.2em">Ask the security agreements</h1>
<p>Type a question in plain words. Every answer quotes the agreement itself, word for word,
with a citation you can paste into a briefing note. Choose a quote to read it in its place.
The assistant never writes its own answer: when the text does not address a question it says so.</p>
</div>"""

WORKING_JS = (
    """() => '<p class="cq-status cq-working" role="status">Searching the agreements…</p>'"""
)
# Mirror the reader's passage into the address bar, so a reload (or a shared link) reopens it.
URL_JS = """(query) => {
  const url = new URL(window.location.href);
  const next = new URLSearchParams(query || "");
  for (const key of ["doc", "p", "h"]) {
    url.searchParams.delete(key);
    if (next.has(key)) url.searchParams.set(key, next.get(key));
  }
  window.history.replaceState(null, "", url);
}"""


def theme() -> gr.themes.Base:
    """Gradio's default theme in the system's own fonts: nothing to fetch, and the look staff
    know from their desktop (the bundled Source Sans semibold draws a stray capital A)."""
    return gr.themes.Default(
        font=("system-ui", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"),
        font_mono=("ui-monospace", "Consolas", "monospace"),
    )


PRIVATE = {"api_visibility": "private"}  # callable by the page only, listed nowhere


def build_ui(assistant: Any, settings: Any, feedback: FeedbackStore | None = None) -> gr.Blocks:
    """The page as a ``gr.Blocks``: chat with a reader pane, Compare, Verify, Get started.

    Every event is private except the three named API endpoints; every handler validates its
    inputs itself (see :mod:`assistant.ui.handlers`).
    """
    app = App(assistant, settings, feedback or FeedbackStore.in_folder(settings.data_dir))
    demo = in_running_loop(lambda: _page(app))
    demo.assistant_app = app  # the server swaps the engine through it (domain model ready)
    return demo


def _page(app: App) -> gr.Blocks:
    with gr.Blocks(
        title="Agreement assistant", analytics_enabled=False, delete_cache=(3600, 7200)
    ) as demo:
        session = gr.State(None, time_to_live=SESSION_TTL_SECONDS)
        gr.HTML(INTRO, js_on_load=None)
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                _chat_tab(app, demo, session)
            with gr.Tab("Compare", id="compare"):
                _compare_tab(app)
            with gr.Tab("Verify", id="verify"):
                _verify_tab(app)
            with gr.Tab("Get started", id="start"):
                _start_tab(app, session)
        _register_api(app)
    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=CONCURRENCY)
    # Monitoring is off, yet Gradio's queue rebuilds a pandas summary of up to 10,000 past events
    # after every event; never refresh it (the /monitoring routes that read it answer 403).
    demo._queue.ANAYLTICS_CACHE_FREQUENCY = sys.maxsize
    _sessions_without_config_snapshots()
    return demo


def _sessions_without_config_snapshots() -> None:
    """New sessions skip Gradio's snapshot of every block's config.

    Gradio's ``SessionState`` copies the config of all 78 blocks of this page for each new
    session (4.6 ms, in the event loop), for ``/gradio_api/deep_link`` only, a route this server
    refuses (``server.REFUSED_PREFIXES``); a block updated by an event still gets its entry,
    which Gradio fills on demand. Measured in ``bench.soak``'s burst of 200 new users: the 68
    accepted joins held the refusals behind them for about 0.3 s of the 0.7 s they took.
    """
    from gradio import state_holder

    if getattr(state_holder.SessionState, "skips_config_snapshot", False):
        return

    class _Blocks:  # what SessionState reads of the Blocks: the config, and no blocks to snapshot
        def __init__(self, blocks: gr.Blocks) -> None:
            self.default_config = blocks.default_config
            self.blocks: dict = {}

    class SessionState(state_holder.SessionState):
        skips_config_snapshot = True

        def __init__(self, blocks: gr.Blocks) -> None:
            super().__init__(_Blocks(blocks))

    state_holder.SessionState = SessionState


def _question_box(app: App, label: str, **options: Any) -> gr.Textbox:
    # max_length only helps the browser; the handlers enforce the limit on the server.
    return gr.Textbox(label=label, max_length=app.settings.max_question_chars, **options)


def _scope_choices(app: App, label: str, **options: Any) -> gr.Dropdown:
    """The agreement selector, shown only when the corpus has more than one agreement."""
    return gr.Dropdown(
        app.scope_choices(),
        value=handlers.ALL_DOCUMENTS,
        label=label,
        visible=len(app.documents) > 1,
        **options,
    )


def _chat_tab(app: App, demo: gr.Blocks, session: gr.State) -> None:
    query = gr.Textbox(visible=False)  # the reader's passage, mirrored into the address bar
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            chat = gr.Chatbot(
                label="Conversation",
                height=520,
                render_markdown=False,  # our HTML, escaped server-side
                sanitize_html=True,
                latex_delimiters=[],
                allow_tags=False,
                feedback_options=None,
                buttons=[],
                placeholder="Answers appear here, quoted from the agreements.",
            )
            status = gr.HTML(render.notice_html("Ready."), elem_id="cq-status", js_on_load=None)
            # At each page load: whether the domain model is still training in the background
            # (its own element, so the load never races the status line of a first question).
            engine = gr.HTML("", elem_id="cq-engine", js_on_load=None)
            demo.load(lambda: render.engine_note_html(app.note()), outputs=engine, **PRIVATE)
            scope = _scope_choices(app, "Agreement to search")
            with gr.Row():
                question = _question_box(
                    app,
                    "Your question",
                    placeholder="e.g. How long does the agreement last?",
                    lines=1,
                    max_lines=1,
                    autofocus=True,
                    scale=5,
                    elem_id="cq-question",
                )
                ask = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="cq-ask")
            gr.Markdown("Not sure where to start? Try one of these:")
            with gr.Row(elem_classes="cq-examples"):
                examples = [gr.Button(t, size="sm") for t in handlers.EXAMPLES]
            restart = gr.Button("New conversation", size="sm")
            with gr.Accordion("Rate the latest answer", open=False):
                rating = gr.Radio(list(handlers.RATING_LABELS), label="Was it right?")
                comment = gr.Textbox(
                    label="Comment (optional)", lines=2, max_length=MAX_COMMENT_CHARS
                )
                send = gr.Button("Send feedback")
                sent = gr.HTML(js_on_load=None)
            with gr.Accordion("Copy or export the conversation", open=False):
                export = gr.Textbox(
                    label="Markdown, with citations",
                    lines=6,
                    max_lines=16,
                    interactive=False,
                    buttons=["copy"],
                )
                download = gr.DownloadButton("Download as Markdown", size="sm")
        with gr.Column(scale=2, min_width=320):
            pick = gr.Dropdown([], value=None, label="Open a quote", elem_id="cq-pick")
            reader = gr.HTML(handlers.NO_READER.html, elem_id="cq-reader", js_on_load=None)

    downloads = Path(tempfile.mkdtemp(prefix="assistant-export-"))

    def show(reply: handlers.Reply) -> tuple:
        # A turn that leaves the reader as it is sends its content again rather than gr.skip():
        # Gradio 6.31 keeps a new component in the session's config for every skip, for the
        # session's life (measured by bench.soak: 4.5 KB a request, RSS +30% in 5 minutes).
        shown = reply.reader or reply.session.reader or handlers.NO_READER
        reply.session.reader = shown
        return (
            reply.session,
            reply.messages,
            reply.status,
            gr.update(choices=reply.quote_choices, value=reply.quote),
            shown.html,
            shown.query,
            reply.export,
            reply.question,
            _export_file(downloads, reply),
        )

    def on_ask(state, text, where):
        return show(handlers.respond(app, state, text, where))

    outputs = [session, chat, status, pick, reader, query, export, question, download]
    asking = {"fn": on_ask, "inputs": [session, question, scope], "outputs": outputs}
    gr.on([question.submit, ask.click], fn=None, js=WORKING_JS, outputs=status, **PRIVATE).then(
        **asking, show_progress="minimal", trigger_mode="once", **PRIVATE
    ).then(fn=None, inputs=query, js=URL_JS, **PRIVATE)
    for button, text in zip(examples, handlers.EXAMPLES, strict=True):
        button.click(fn=None, js=f"() => {json.dumps(text)}", outputs=question, **PRIVATE).then(
            fn=None, js=WORKING_JS, outputs=status, **PRIVATE
        ).then(**asking, show_progress="minimal", **PRIVATE).then(
            fn=None, inputs=query, js=URL_JS, **PRIVATE
        )
    restart.click(
        lambda state: show(handlers.new_conversation(app, state)), session, outputs, **PRIVATE
    )

    def on_pick(state, key):
        state = app.session(state)
        state.reader = handlers.open_quote(app, state, key)
        return state, state.reader.html, state.reader.query

    pick.input(on_pick, [session, pick], [session, reader, query], **PRIVATE).then(
        fn=None, inputs=query, js=URL_JS, **PRIVATE
    )

    def on_load(state, request: gr.Request):
        state = app.session(state)
        state.reader = handlers.reader_from_query(app, dict(request.query_params))
        return state, state.reader.html, state.reader.query

    demo.load(on_load, session, [session, reader, query], **PRIVATE)
    send.click(
        lambda state, chosen, note: handlers.submit_feedback(app, state, chosen, note),
        [session, rating, comment],
        sent,
        **PRIVATE,
    )


def _compare_tab(app: App) -> None:
    gr.Markdown("Put one question to several agreements and see each one's answer.")
    question = _question_box(app, "Question", lines=1, max_lines=1)
    docs = gr.Dropdown(
        app.scope_choices()[1:],
        multiselect=True,
        label="Agreements (all when none is chosen)",
        visible=len(app.documents) > 1,
    )
    go = gr.Button("Compare", variant="primary")
    out = gr.HTML(js_on_load=None)
    gr.on(
        [question.submit, go.click],
        lambda q, d: handlers.compare_page(app, q, d),
        [question, docs],
        out,
        **PRIVATE,
    )


def _verify_tab(app: App) -> None:
    gr.Markdown("Paste a sentence from a draft; see whether the agreement supports it.")
    claim = _question_box(app, "Claim", lines=2)
    go = gr.Button("Verify", variant="primary")
    out = gr.HTML(js_on_load=None)
    gr.on([claim.submit, go.click], lambda c: handlers.verify_page(app, c), claim, out, **PRIVATE)


def _start_tab(app: App, session: gr.State) -> None:
    # The introduction is about one agreement at a time.
    scope = gr.Dropdown(
        app.scope_choices()[1:],
        value=app.first_document(),
        label="Agreement",
        visible=len(app.documents) > 1,
    )
    go = gr.Button("Show the introduction", variant="primary")
    with gr.Accordion("Guided tour", open=True):
        tour = gr.HTML(js_on_load=None, elem_id="cq-tour")
    with gr.Accordion("Glossary", open=False):
        glossary = gr.HTML(js_on_load=None)
    with gr.Accordion("Key facts", open=False):
        facts = gr.HTML(js_on_load=None)
    with gr.Accordion("Quiz", open=True):
        radios = [
            gr.Radio([], label=f"Question {i + 1}", visible=False)
            for i in range(handlers.QUIZ_SIZE)
        ]
        check = gr.Button("Check my answers", visible=False)
        score = gr.HTML(js_on_load=None, elem_id="cq-quiz-score")

    def on_start(state, where):
        state, found = handlers.onboarding(app, state, where)
        quiz = found.quiz
        questions = [
            gr.update(
                visible=True, value=None, label=f"{i + 1}. {q['question']}", choices=q["choices"]
            )
            for i, q in enumerate(quiz)
        ]
        hidden = [gr.update(visible=False, value=None)] * (handlers.QUIZ_SIZE - len(quiz))
        shown = gr.update(visible=bool(quiz))
        empty = "" if quiz else render.notice_html("No quiz questions for this agreement yet.")
        return (state, found.tour, found.glossary, found.facts, *questions, *hidden, shown, empty)

    outputs = [session, tour, glossary, facts, *radios, check, score]
    go.click(on_start, [session, scope], outputs, **PRIVATE)
    check.click(
        lambda state, *chosen: handlers.check_quiz(app, state, chosen),
        [session, *radios],
        score,
        **PRIVATE,
    )


def in_running_loop(call: Callable[[], T]) -> T:
    """``call()`` from inside a running event loop.

    Gradio makes its asyncio locks with a helper that creates and installs a new event loop
    whenever none is running, leaking the previous one (ResourceWarning: unclosed event loop).
    Inside ``asyncio.run`` it finds the running loop instead, and ``asyncio.run`` closes it.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:

        async def run() -> T:
            return call()

        return asyncio.run(run())
    return call()


def _export_file(folder: Path, reply: handlers.Reply):
    """A Markdown file of the conversation for the download button (None when empty)."""
    if not reply.export:
        return None
    path = folder / reply.session.id / "conversation.md"
    try:
        path.parent.mkdir(exist_ok=True)
        path.write_text(reply.export, encoding="utf-8")
    except OSError as exc:  # a full disk costs the download button, never the answer
        log.warning("Could not write the conversation export %s: %s", path, exc)
        return None
    return str(path)


def _register_api(app: App) -> None:
    """The named endpoints API clients may call: ``/ask``, ``/compare``, ``/verify``."""

    def checked(call):
        try:
            return call()
        except AssistantError as exc:  # a clear refusal for the client, nothing else leaks
            raise gr.Error(str(exc), print_exception=False) from None

    def ask(question: str, doc: str = "", k: int = 5) -> dict:
        """Answer a question with verbatim quotes and citations (the engine's JSON)."""

        def run() -> dict:
            text = app.text(question)
            where = app.scope(doc)
            if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
                raise AssistantError(f"k must be a whole number from 1 to {MAX_K}.")
            return app.assistant.ask(text, k=k, doc=where).to_dict()

        return checked(run)

    def compare(question: str, docs: list[str] | None = None) -> dict:
        """Put one question to several agreements (all when ``docs`` is empty)."""
        return checked(lambda: handlers.compare(app, question, docs))

    def verify(claim: str) -> dict:
        """Check a claim against the agreement: supported, partial or unsupported."""
        return checked(lambda: handlers.verify(app, claim))

    for fn in (ask, compare, verify):
        gr.api(fn, api_name=fn.__name__)
