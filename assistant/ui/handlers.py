"""What the app does when a user acts, as plain functions over an :class:`App` context.

No Gradio here: each handler takes plain values (and the browser session's :class:`Session`)
and returns plain values, so tests call them directly with a fake assistant. Every handler
checks the type and size of what it was given before any work, because any Gradio event, even
one hidden from the API page, can be called over HTTP with arbitrary values.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.errors import AssistantError, QuestionError
from assistant.feedback import RATINGS, FeedbackError, FeedbackStore, ShownPassage
from assistant.ui import render

log = logging.getLogger(__name__)

ALL_DOCUMENTS = ""  # the scope value meaning "every agreement"
RATING_LABELS = {
    "Helpful": "helpful",
    "Not helpful": "not_helpful",
    "Wrong citation": "wrong_citation",
}
MAX_TURNS = 50  # per browser session, so one tab cannot grow server memory without bound
QUIZ_SIZE = 5
EXAMPLES = (
    "How long does the agreement last?",
    "What happens in the event of a future armed attack?",
    "What does the agreement say about cyber security?",
    "Will the partner help train Ukrainian soldiers?",
)


@dataclass(frozen=True)
class QuoteRef:
    """A quote of one turn, enough to reopen it in the reader: ``Q2 [3]`` is turn 2, rank 3."""

    turn: int
    rank: int
    doc: str
    ordinal: int
    span: tuple[int, int]  # the highlighted sentence, offsets into the passage text
    citation: str

    @property
    def key(self) -> str:
        return f"{self.turn}:{self.rank}"

    @property
    def label(self) -> str:
        return f"Q{self.turn} [{self.rank}] {self.citation}"


@dataclass
class Turn:
    question: str
    answer: dict  # Answer.to_dict()
    quotes: tuple[QuoteRef, ...]


@dataclass
class Session:
    """One browser tab's conversation; lives in ``gr.State`` (server side)."""

    conversation: Any
    turns: list[Turn] = field(default_factory=list)
    quiz: list[dict] = field(default_factory=list)
    id: str = field(default_factory=lambda: secrets.token_hex(8))
    reader: Reader | None = None  # what the reader shows, re-sent when a turn leaves it be

    def quote(self, key: object) -> QuoteRef | None:
        return next((q for t in self.turns for q in t.quotes if q.key == key), None)


@dataclass(frozen=True)
class Reader:
    html: str
    query: str  # for the address bar: reopening the page shows the same passage


NO_READER = Reader(render.reader_placeholder(), "")  # before any quote is opened, or a bad one


@dataclass(frozen=True)
class Reply:
    """Everything the chat shows after a question (or a reset)."""

    session: Session
    messages: list[dict]
    status: str
    quote_choices: list[tuple[str, str]]
    quote: str | None
    reader: Reader | None  # None: leave the reader as it is
    export: str
    question: str  # what the question box holds afterwards


class _OneTurnAtATime:
    """Stands in for ``assistant.conversation()`` while the engine lacks it: no follow-ups."""

    def __init__(self, assistant: Any):
        self.assistant = assistant

    def ask(self, question: str, k: int = 5, doc: str | None = None):
        return self.assistant.ask(question, k=k, doc=doc)

    def reset(self) -> None:
        pass


def supports(assistant: Any, feature: str) -> bool:
    """True when the engine offers ``feature`` (``compare``, ``verify``, ``tour`` ...)."""
    return callable(getattr(assistant, feature, None))


def index_version(assistant: Any) -> str:
    """The build folder name and its creation time: which index answered."""
    snapshot = getattr(assistant, "snapshot", None)
    if snapshot is None:
        return "unknown"
    return f"{snapshot.path.name} ({snapshot.manifest.get('created', '?')})"


class App:
    """The assistant, its settings and the feedback store, shared by every session."""

    def __init__(self, assistant: Any, settings: Any, feedback: FeedbackStore | None = None):
        self.assistant = assistant
        self.settings = settings
        self.feedback = feedback
        self.training: Any = None  # a domain.BackgroundTraining while the domain model trains
        self._adopt(assistant)

    def _adopt(self, assistant: Any) -> None:
        self._ordinals = {
            doc: {(p.start, p.end): i for i, p in enumerate(d.passages)}
            for doc, d in assistant.documents.items()
        }
        self.index_version = index_version(assistant)
        self.assistant = assistant  # last: one assignment switches every later question

    def swap(self, assistant: Any) -> None:
        """Answer with ``assistant`` from now on (a new index of the same corpus, built with the
        domain model): new questions, and the next question of every open conversation."""
        self._adopt(assistant)

    def note(self) -> str:
        """What the status line adds while the engine is getting better (the domain model
        training in the background), else ''."""
        return getattr(self.training, "note", "") or ""

    @property
    def documents(self) -> Mapping[str, Any]:
        return self.assistant.documents

    def scope_choices(self) -> list[tuple[str, str]]:
        """(label, value) pairs for the scope selector, "All agreements" first."""
        docs = sorted(self.documents.values(), key=lambda d: d.info.title)
        return [("All agreements", ALL_DOCUMENTS)] + [(d.info.title, d.info.doc) for d in docs]

    def first_document(self) -> str:
        """The agreement the introduction opens on: Canada's when indexed, else the first."""
        return "canada" if "canada" in self.documents else self.scope_choices()[1][1]

    def new_session(self) -> Session:
        make = getattr(self.assistant, "conversation", None)
        return Session(make() if callable(make) else _OneTurnAtATime(self.assistant))

    def session(self, session: object) -> Session:
        if not isinstance(session, Session):
            return self.new_session()
        conversation = session.conversation
        if getattr(conversation, "assistant", self.assistant) is not self.assistant:
            conversation.assistant = self.assistant  # the engine was swapped: keep the turns
        return session

    def text(self, value: object, what: str = "question") -> str:
        """``value`` checked as a question: a string within the length limit, else refused."""
        if not isinstance(value, str):
            raise QuestionError(f"The {what} must be text, not {type(value).__name__}.")
        limit = self.settings.max_question_chars
        # Cheap bound first: a megabyte of text is refused before any other work.
        if len(value) > 4 * limit or len(" ".join(value.split())) > limit:
            raise QuestionError(
                f"The {what} has {len(value)} characters; the limit is {limit}. Please shorten it."
            )
        if not value.strip():
            raise QuestionError(f"Please type a {what} (it was empty).")
        return value

    def scope(self, value: object) -> str | None:
        """A document id from the scope selector, None for all; refuses unknown values."""
        if value in (None, ALL_DOCUMENTS):
            return None
        if isinstance(value, str) and value in self.documents:
            return value
        raise QuestionError(
            f"Unknown agreement {str(value)[:60]!r}. Choose one from the list "
            f"({len(self.documents)} agreements)."
        )

    def passage_index(self, doc: str, start: int, end: int) -> int:
        return self._ordinals[doc][(start, end)]


# --- Chat ---------------------------------------------------------------------------------------


def respond(app: App, session: object, question: object, scope: object = None) -> Reply:
    """Answer ``question`` within ``scope`` as the next turn of the session's conversation."""
    session = app.session(session)
    try:
        question = app.text(question)
        doc = app.scope(scope)
        if len(session.turns) >= MAX_TURNS:
            raise QuestionError(
                f"This conversation has {MAX_TURNS} questions, the most one can hold. "
                "Export it if you need it, then press “New conversation”."
            )
        answer = session.conversation.ask(question, k=app.settings.k, doc=doc)
    except AssistantError as exc:
        status = render.notice_html(str(exc), "error")
        # Give a refused question back for editing, unless it is too big to be one.
        keep = isinstance(question, str) and len(question) <= 4 * app.settings.max_question_chars
        return _reply(app, session, status, None, question if keep else "")
    turn = len(session.turns) + 1
    data = answer.to_dict()
    quotes = tuple(_quote_ref(app, turn, p) for p in data["passages"])
    session.turns.append(Turn(question, data, quotes))
    if data["abstained"]:
        status = render.notice_html(data["answer"], "info")
    elif render.is_weak(data):
        status = render.notice_html(render.WEAK_NOTICE, "info")
    else:
        said = " ".join(filter(None, (f"Answered with {len(quotes)} quotes.", app.note())))
        status = render.notice_html(said, "ok")
    reader = open_quote(app, session, quotes[0].key) if quotes else None
    return _reply(app, session, status, reader, "")


def _quote_ref(app: App, turn: int, p: Mapping) -> QuoteRef:
    index = app.passage_index(p["doc"], p["start"], p["end"])
    ordinal = app.documents[p["doc"]].passages[index].ordinal
    return QuoteRef(turn, p["rank"], p["doc"], ordinal, render.highlight_offsets(p), p["citation"])


def _reply(app: App, session: Session, status: str, reader: Reader | None, question: str) -> Reply:
    choices = [(q.label, q.key) for t in reversed(session.turns) for q in t.quotes]
    selected = session.turns[-1].quotes[0].key if reader and session.turns else None
    return Reply(
        session=session,
        messages=chat_messages(session),
        status=status,
        quote_choices=choices,
        quote=selected,
        reader=reader,
        export=export_markdown(app, session),
        question=question,
    )


def chat_messages(session: Session) -> list[dict]:
    """The transcript in Gradio's messages format, every string already escaped HTML."""
    messages = []
    for number, turn in enumerate(session.turns, start=1):
        messages.append({"role": "user", "content": render.question_html(turn.question)})
        messages.append({"role": "assistant", "content": render.answer_html(turn.answer, number)})
    return messages


def new_conversation(app: App, session: object) -> Reply:
    """Forget the conversation (follow-ups start afresh)."""
    session = app.session(session)
    session.conversation.reset()
    session.turns.clear()
    return _reply(app, session, render.notice_html("New conversation.", "ok"), None, "")


def export_markdown(app: App, session: Session) -> str:
    if not session.turns:
        return ""
    return render.conversation_markdown(
        [(t.question, t.answer) for t in session.turns], app.index_version
    )


# --- Reader -------------------------------------------------------------------------------------


def open_quote(app: App, session: object, key: object) -> Reader:
    """The reader for quote ``key`` (``"turn:rank"``) of any earlier turn."""
    ref = app.session(session).quote(key)
    if ref is None:
        return NO_READER
    return _reader(app, ref.doc, ref.ordinal, ref.span)


def reader_from_query(app: App, params: Mapping[str, str]) -> Reader:
    """The reader for ``?doc=canada&p=42&h=10-80`` (page load); bad values give the placeholder."""
    doc, ordinal, span = params.get("doc"), params.get("p", ""), params.get("h", "")
    if doc not in app.documents or not ordinal.isdigit() or len(ordinal) > 7:
        return NO_READER
    start, _, end = span.partition("-")
    bounds = (
        (int(start), int(end)) if start.isdigit() and end.isdigit() and len(span) < 16 else None
    )
    return _reader(app, doc, int(ordinal), bounds)


def _reader(app: App, doc: str, ordinal: int, span: tuple[int, int] | None) -> Reader:
    from assistant.citations import citation

    document = app.documents[doc]
    index = next((i for i, p in enumerate(document.passages) if p.ordinal == ordinal), None)
    if index is None:
        return NO_READER
    passage = document.passages[index]
    if span and not 0 <= span[0] < span[1] <= len(passage.text):
        span = None
    html = render.reader_html(document, index, span, citation(document.info, passage))
    return Reader(html, render.reader_link(doc, ordinal, span))


# --- Feedback -----------------------------------------------------------------------------------


def submit_feedback(app: App, session: object, rating: object, comment: object = "") -> str:
    """Store a judgement of the latest answer; return the status line to show."""
    session = app.session(session)
    if app.feedback is None:
        return render.notice_html("Feedback is not being collected here.", "error")
    if not session.turns:
        return render.notice_html("Ask a question first, then rate its answer.", "error")
    label = RATING_LABELS.get(rating) if isinstance(rating, str) else None
    if label not in RATINGS:
        return render.notice_html("Choose Helpful, Not helpful or Wrong citation.", "error")
    turn = session.turns[-1]
    shown = [ShownPassage(f"{q.doc}:{q.ordinal}", q.citation) for q in turn.quotes]
    try:
        app.feedback.record(
            label, turn.question, shown, app.index_version, comment or "", session.id
        )
    except FeedbackError as exc:
        return render.notice_html(str(exc), "error")
    return render.notice_html("Thank you: your feedback was recorded.", "ok")


# --- Compare, verify, onboarding ----------------------------------------------------------------

_NOT_YET = "{} is not available in this version of the assistant."


def compare(app: App, question: object, docs: object = None) -> dict:
    """The engine's comparison as JSON (``{"question", "results": [...]}``)."""
    question = app.text(question)
    chosen = None
    if docs:
        if not isinstance(docs, list) or len(docs) > len(app.documents):
            raise QuestionError("Choose agreements from the list.")
        chosen = [d for d in (app.scope(d) for d in docs) if d]
    if not supports(app.assistant, "compare"):
        raise AssistantError(_NOT_YET.format("Comparing agreements"))
    return app.assistant.compare(question, docs=chosen or None).to_dict()


def compare_page(app: App, question: object, docs: object = None) -> str:
    try:
        return render.comparison_html(compare(app, question, docs))
    except AssistantError as exc:
        return render.notice_html(str(exc), "error")


def verify(app: App, claim: object) -> dict:
    """The engine's verdict on ``claim`` as JSON (``{"claim", "verdict", ...}``)."""
    claim = app.text(claim, "claim")
    if not supports(app.assistant, "verify"):
        raise AssistantError(_NOT_YET.format("Checking a claim"))
    return app.assistant.verify(claim).to_dict()


def verify_page(app: App, claim: object) -> str:
    try:
        return render.verdict_html(verify(app, claim))
    except AssistantError as exc:
        return render.notice_html(str(exc), "error")


@dataclass(frozen=True)
class Onboarding:
    tour: str
    glossary: str
    facts: str
    quiz: list[dict]  # {"question", "choices", "answer", "passage"}


def onboarding(app: App, session: object, scope: object = None) -> tuple[Session, Onboarding]:
    """Tour, glossary, key facts and a fresh quiz for one agreement (or all)."""
    session = app.session(session)
    try:
        doc = app.scope(scope)
    except QuestionError as exc:
        error = render.notice_html(str(exc), "error")
        return session, Onboarding(error, "", "", [])
    bot = app.assistant

    def part(feature: str, show, **kwargs) -> tuple[str, list[dict]]:
        if not supports(bot, feature):
            return render.notice_html(_NOT_YET.format("This part of the introduction")), []
        try:
            items = [item.to_dict() for item in getattr(bot, feature)(doc=doc, **kwargs)]
        except AssistantError as exc:
            return render.notice_html(str(exc), "error"), []
        return show(items), items

    tour, _ = part("tour", render.tour_html)
    glossary, _ = part("glossary", render.glossary_html)
    facts, _ = part("facts", render.facts_html)
    seed = secrets.randbelow(10_000)  # a fresh quiz each time
    _, quiz = part("quiz", lambda items: "", n=QUIZ_SIZE, seed=seed)
    session.quiz = quiz[:QUIZ_SIZE]
    return session, Onboarding(tour, glossary, facts, session.quiz)


def check_quiz(app: App, session: object, answers: Sequence[object]) -> str:
    """Score the user's choices against the session's quiz."""
    session = app.session(session)
    if not session.quiz:
        return render.notice_html("Load the introduction first: it makes a quiz.", "error")
    given = [a if isinstance(a, str) and len(a) < 2000 else None for a in answers]
    return render.quiz_result_html(session.quiz, given[: len(session.quiz)])
