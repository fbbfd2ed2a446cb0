"""Tests for :mod:`assistant.ui`: the handlers and renderers as plain functions over a fake
assistant (no server, no browser), the page's API surface and the safe serving options."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import CLEAN_SETTINGS, REPO

from assistant.answer import NOT_ADDRESSED, Answer, QuotedPassage
from assistant.citations import citation
from assistant.errors import AssistantError, QuestionError
from assistant.feedback import FeedbackStore
from assistant.ingest.documents import Document
from assistant.ingest.metadata import DocumentInfo
from assistant.ingest.structure import Passage
from assistant.ui import handlers, render
from assistant.ui.handlers import App

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=2">'
MD_IMAGE = "![t](http://127.0.0.1:9/x.png)"
LATEX = "$$\\alpha$$"
MERMAID = "```mermaid\ngraph TD; A-->B\n```"
PAYLOAD = f"{SCRIPT} {IMG} {MD_IMAGE} {LATEX} {MERMAID}"


# --- A fake assistant implementing the facade's contract ------------------------------------------


def make_document(doc: str, title: str, blocks: list[tuple[tuple[str, ...], str | None, str]]):
    """A Document whose canonical text is ``blocks`` joined by blank lines, one passage each."""
    texts = [text for _, _, text in blocks]
    full, passages, offset = "\n\n".join(texts), [], 0
    for ordinal, (section, number, text) in enumerate(blocks):
        kind = "paragraph" if number else "text"
        passages.append(
            Passage(doc, ordinal, section, number, kind, offset, offset + len(text), text)
        )
        offset += len(text) + 2
    info = DocumentInfo(doc, title, (doc.title(),), "en", None, None)
    return Document(info, f"{doc}.txt", "0" * 64, full, tuple(passages))


PART_I = ("Part I. Defence",)
PART_II = ("Part II. Final Provisions",)
TESTLAND = make_document(
    "testland",
    "Agreement between Ukraine and Testland",
    [
        ((), None, "Agreement between Ukraine and Testland"),
        (PART_I, "1", "1. Testland will train pilots. It will also train mechanics."),
        (PART_I, "2", f"2. The Participants note {PAYLOAD} here."),
        (PART_II, "1", "1. This Agreement is valid for ten years."),
    ],
)
OTHERLAND = make_document(
    "otherland",
    "Agreement between Ukraine and Otherland",
    [((), None, "Agreement between Ukraine and Otherland"), (PART_I, "1", "1. Otherland helps.")],
)


def quoted(document: Document, ordinal: int, rank: int, score: float, highlight: str | None = None):
    p = document.passages[ordinal]
    return QuotedPassage(
        rank,
        p.doc,
        document.info.title,
        p.section,
        p.number,
        citation(document.info, p),
        p.text,
        highlight or p.text,
        p.start,
        p.end,
        score,
    )


@dataclasses.dataclass
class Result:
    """Stands in for Comparison, Verdict, tour stops ...: anything with ``to_dict``."""

    data: dict

    def to_dict(self) -> dict:
        return self.data


class FakeConversation:
    def __init__(self, bot: FakeAssistant):
        self.bot, self.asked, self.resets = bot, [], 0

    def ask(self, question: str, k: int = 5, doc: str | None = None) -> Answer:
        self.asked.append((question, k, doc))
        return self.bot.ask(question, k=k, doc=doc)

    def reset(self) -> None:
        self.resets += 1
        self.asked.clear()


class FakeAssistant:
    """The facade's contract with canned answers; ``answers`` maps a question to its passages."""

    def __init__(self, documents=(TESTLAND, OTHERLAND)):
        self.documents = {d.info.doc: d for d in documents}
        self.settings = CLEAN_SETTINGS
        self.calls: list[tuple] = []
        self.conversations: list[FakeConversation] = []
        self.answers = {
            "train": (
                quoted(TESTLAND, 1, 1, 0.91, "It will also train mechanics."),
                quoted(TESTLAND, 3, 2, 0.52),
            ),
            "payload": (quoted(TESTLAND, 2, 1, 0.88),),
            "weak": (quoted(OTHERLAND, 1, 1, 0.30),),
        }

    def ask(self, question: str, k: int = 5, doc: str | None = None) -> Answer:
        self.calls.append(("ask", question, k, doc))
        key = next((key for key in self.answers if key in question), None)
        if key is None:
            return Answer(question, True, NOT_ADDRESSED, (quoted(OTHERLAND, 1, 1, 0.1),))
        passages = self.answers[key][:k]
        best = passages[0]
        return Answer(question, False, f"“{best.highlight}” ({best.citation})", passages)

    def conversation(self) -> FakeConversation:
        self.conversations.append(FakeConversation(self))
        return self.conversations[-1]

    def compare(self, question: str, docs: list[str] | None = None) -> Result:
        self.calls.append(("compare", question, docs))
        passage = dataclasses.asdict(quoted(TESTLAND, 2, 1, 0.7))
        return Result(
            {
                "question": question,
                "results": [
                    {
                        "doc": "testland",
                        "title": TESTLAND.info.title,
                        "partner": "Testland",
                        "passage": passage,
                        "note": "",
                    },
                    {
                        "doc": "otherland",
                        "title": OTHERLAND.info.title,
                        "partner": "Otherland",
                        "passage": None,
                        "note": f"Not addressed {SCRIPT}",
                    },
                ],
            }
        )

    def verify(self, claim: str) -> Result:
        self.calls.append(("verify", claim))
        passage = dataclasses.asdict(quoted(TESTLAND, 3, 1, 0.8))
        return Result(
            {
                "claim": claim,
                "verdict": "partial",
                "passages": [passage],
                "mismatches": [{"kind": "duration", "claim": "five years", "found": "ten years"}],
                "absent": ["$5"],
            }
        )

    def tour(self, doc: str | None = None) -> list[Result]:
        quote = {
            "text": "Testland will train pilots.",
            "doc": "testland",
            "start": 40,
            "end": 67,
            "citation": "Testland-Ukraine Agreement, Part I, para. 1",
        }
        return [
            Result(
                {
                    "doc": "testland",
                    "section": list(PART_I),
                    "title": f"Defence {MD_IMAGE}",
                    "paragraphs": 2,
                    "key_sentences": [quote],
                    "questions": ["Who trains pilots?"],
                }
            )
        ]

    def glossary(self, doc: str | None = None) -> list[Result]:
        return [
            Result(
                {
                    "term": "GSOIA",
                    "expansion": "General Security of Information Agreement",
                    "doc": "testland",
                    "citation": "Testland-Ukraine Agreement, Part I",
                }
            )
        ]

    def facts(self, doc: str | None = None) -> list[Result]:
        return [
            Result(
                {
                    "kind": "duration",
                    "value": "ten years",
                    "sentence": LATEX,
                    "doc": "testland",
                    "citation": "Part II, para. 1",
                    "start": 0,
                    "end": 1,
                }
            )
        ]

    def quiz(self, n: int = 5, doc: str | None = None, seed: int = 0) -> list[Result]:
        items = [
            {
                "question": "How long?",
                "choices": ["five years", "ten years"],
                "answer": "ten years",
                "passage": {"citation": "Testland-Ukraine Agreement, Part II, para. 1"},
            },
            {
                "question": "Who trains?",
                "choices": ["Testland", "Otherland"],
                "answer": "Testland",
                "passage": {"citation": "Testland-Ukraine Agreement, Part I, para. 1"},
            },
        ]
        return [Result(item) for item in items][:n]


class BareAssistant(FakeAssistant):
    """Only ``ask`` and ``documents``: the engine before conversation/compare/verify landed."""

    conversation = compare = verify = tour = glossary = facts = quiz = None


@pytest.fixture
def bot() -> FakeAssistant:
    return FakeAssistant()


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore.in_folder(tmp_path / "data")


@pytest.fixture
def app(bot: FakeAssistant, store: FeedbackStore) -> App:
    return App(bot, CLEAN_SETTINGS, store)


class Tags(HTMLParser):
    """Every tag and attribute in a fragment, to prove only our own markup is there."""

    def __init__(self, fragment: str):
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.feed(fragment)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


OUR_TAGS = {
    "p",
    "div",
    "span",
    "mark",
    "ol",
    "ul",
    "li",
    "blockquote",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "h3",
    "strong",
    "br",
}


def assert_inert(fragment: str) -> None:
    parsed = Tags(fragment)
    assert parsed.tags <= OUR_TAGS
    assert parsed.attributes <= {"class", "role", "href", "scope"}
    for raw in ("<script", "<img", "![", "[t]", "$$", "```", "${", "{{"):
        assert raw not in fragment


# --- Rendering ------------------------------------------------------------------------------------


def test_esc_makes_every_payload_literal() -> None:
    assert render.esc(SCRIPT) == "&lt;script&gt;window.&#95;&#95;pwned=1&lt;/script&gt;"
    assert render.esc(MD_IMAGE) == "&#33;&#91;t&#93;(http://127.0.0.1:9/x.png)"
    assert render.esc(LATEX) == "&#36;&#36;&#92;alpha&#36;&#36;"
    assert render.esc(
        MERMAID
    ) == "&#96;&#96;&#96;mermaid\ngraph TD; A-->B\n&#96;&#96;&#96;".replace("->", "-&gt;")
    assert render.esc("${x} {{y}} 'q' \"d\" &amp;") == (
        "&#36;&#123;x&#125; &#123;&#123;y&#125;&#125; &#39;q&#39; &quot;d&quot; &amp;amp;"
    )


def test_answer_html_exact() -> None:
    answer = FakeAssistant().ask("train").to_dict()
    answer["passages"] = answer["passages"][:1]
    assert render.answer_html(answer, 2) == (
        '<div class="cq-answer"><p class="cq-best"><mark>It will also train mechanics.</mark> '
        '<span class="cq-cite">(Testland-Ukraine Agreement, Part I, para. 1)</span></p>'
        '<ol class="cq-quotes"><li class="cq-quote"><span class="cq-num">Q2 &#91;1&#93;</span> '
        '<span class="cq-cite">Testland-Ukraine Agreement, Part I, para. 1</span> '
        '<span class="cq-score cq-strong">relevance 0.91 (strong)</span>'
        '<blockquote class="cq-text">1. Testland will train pilots. '
        "<mark>It will also train mechanics.</mark></blockquote></li></ol>"
        '<p class="cq-hint">To read a quote in its place, choose “Q2 [n]” under “Open a quote” '
        "in the reader.</p></div>"
    )


def test_answer_html_names_the_other_agreements_that_address_the_question() -> None:
    answer = FakeAssistant().ask("train").to_dict()
    answer["also"] = ["france", "united-kingdom"]

    html = render.answer_html(answer, 1)

    assert html.endswith(
        '<p class="cq-also">Also addressed in 2 other agreements (france, united-kingdom): '
        "ask it in the Compare tab to see each one's clause.</p></div>"
    )
    assert_inert(html)


def test_payload_in_a_passage_is_escaped(bot: FakeAssistant) -> None:
    html = render.answer_html(bot.ask("payload").to_dict(), 1)
    assert_inert(html)
    assert "&lt;script&gt;window.&#95;&#95;pwned=1&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;window.&#95;&#95;pwned=2&quot;&gt;" in html
    assert "&#36;&#36;&#92;alpha&#36;&#36;" in html


def test_weak_and_abstained_answers_say_so(bot: FakeAssistant) -> None:
    weak = render.answer_html(bot.ask("weak").to_dict(), 1)
    assert f'<p class="cq-notice cq-weak">{render.esc(render.WEAK_NOTICE)}</p>' in weak
    assert "relevance 0.30 (weak)" in weak
    off = render.answer_html(bot.ask("cake recipes").to_dict(), 1)
    assert off.startswith(
        f'<div class="cq-answer"><p class="cq-notice cq-abstain">{render.esc(NOT_ADDRESSED)}</p>'
    )
    assert "cq-best" not in off


def test_relevance_bands() -> None:
    assert [render.relevance(s) for s in (0.95, 0.9, 0.8, 0.75, 0.74)] == [
        "strong",
        "strong",
        "moderate",
        "moderate",
        "weak",
    ]


# --- Chat -----------------------------------------------------------------------------------------


def test_respond_renders_the_question_and_answer(app: App, bot: FakeAssistant) -> None:
    reply = handlers.respond(app, None, "Who will train pilots?", "")
    assert [m["role"] for m in reply.messages] == ["user", "assistant"]
    assert reply.messages[0]["content"] == '<p class="cq-question">Who will train pilots?</p>'
    assert reply.messages[1]["content"] == render.answer_html(bot.ask("train").to_dict(), 1)
    assert reply.status == '<p class="cq-status cq-ok" role="status">Answered with 2 quotes.</p>'
    assert reply.quote_choices == [
        ("Q1 [1] Testland-Ukraine Agreement, Part I, para. 1", "1:1"),
        ("Q1 [2] Testland-Ukraine Agreement, Part II, para. 1", "1:2"),
    ]
    assert reply.quote == "1:1"
    assert reply.reader.query == "doc=testland&p=1&h=31-60"
    assert reply.question == ""


def test_respond_escapes_a_payload_question(app: App) -> None:
    reply = handlers.respond(app, None, f"payload {PAYLOAD}", "")
    for message in reply.messages:
        assert_inert(message["content"])
    assert reply.messages[0]["content"].startswith('<p class="cq-question">payload &lt;script&gt;')


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("x" * 1_000_000, "The question has 1000000 characters; the limit is 1000."),
        ("y " * 600, "The question has 1200 characters; the limit is 1000."),
        ("   ", "Please type a question (it was empty)."),
        (42, "The question must be text, not int."),
        (None, "The question must be text, not NoneType."),
        (["a"], "The question must be text, not list."),
    ],
)
def test_respond_refuses_bad_questions_before_any_work(
    app: App, bot: FakeAssistant, question: object, message: str
) -> None:
    reply = handlers.respond(app, None, question, "")
    assert render.esc(message) in reply.status
    assert 'class="cq-status cq-error"' in reply.status
    assert bot.calls == [] and bot.conversations[0].asked == []
    assert reply.messages == []
    # A refused question stays in the box for editing, unless it is far too big to be one.
    assert reply.question == (question if question in ("   ", "y " * 600) else "")


def test_respond_refuses_an_unknown_scope(app: App, bot: FakeAssistant) -> None:
    reply = handlers.respond(app, None, "train", "<b>nowhere</b>")
    assert "Unknown agreement &#39;&lt;b&gt;nowhere&lt;/b&gt;&#39;" in reply.status
    assert bot.calls == []


def test_scope_is_passed_to_the_engine(app: App, bot: FakeAssistant) -> None:
    handlers.respond(app, None, "train", "otherland")
    assert bot.calls == [("ask", "train", 5, "otherland")]


def test_follow_ups_use_one_conversation_per_session(app: App, bot: FakeAssistant) -> None:
    first = handlers.respond(app, None, "Who will train pilots?", "")
    second = handlers.respond(app, first.session, "And for how long? weak", "")
    assert second.session is first.session
    assert len(bot.conversations) == 1
    assert bot.conversations[0].asked == [
        ("Who will train pilots?", 5, None),
        ("And for how long? weak", 5, None),
    ]
    assert [m["role"] for m in second.messages] == ["user", "assistant"] * 2
    # Newest turn first, every quote of every turn still selectable.
    assert [key for _, key in second.quote_choices] == ["2:1", "1:1", "1:2"]
    assert second.status == (
        f'<p class="cq-status cq-info" role="status">{render.esc(render.WEAK_NOTICE)}</p>'
    )
    other = handlers.respond(app, None, "train", "")
    assert other.session is not first.session and len(bot.conversations) == 2


def test_new_conversation_resets_follow_ups(app: App, bot: FakeAssistant) -> None:
    first = handlers.respond(app, None, "train", "")
    reply = handlers.new_conversation(app, first.session)
    assert bot.conversations[0].resets == 1
    assert reply.messages == [] and reply.quote_choices == [] and reply.export == ""


def test_without_conversations_each_question_stands_alone(store: FeedbackStore) -> None:
    bare = BareAssistant()
    app = App(bare, CLEAN_SETTINGS, store)
    reply = handlers.respond(app, None, "train", "")
    handlers.respond(app, reply.session, "weak", "")
    assert [c[1] for c in bare.calls] == ["train", "weak"]


def test_turns_per_session_are_bounded(app: App) -> None:
    reply = handlers.respond(app, None, "train", "")
    for _ in range(handlers.MAX_TURNS - 1):
        reply = handlers.respond(app, reply.session, "train", "")
    refused = handlers.respond(app, reply.session, "train", "")
    assert "the most one can hold" in refused.status
    assert len(refused.session.turns) == handlers.MAX_TURNS


# --- Reader ---------------------------------------------------------------------------------------


def test_reader_shows_the_passage_in_its_section_between_neighbours(app: App) -> None:
    reply = handlers.respond(app, None, "train", "")
    assert reply.reader.html == (
        '<div class="cq-reader"><p class="cq-doc">Agreement between Ukraine and Testland</p>'
        '<p class="cq-cite">Testland-Ukraine Agreement, Part I, para. 1</p>'
        '<div class="cq-passage cq-neighbour">Agreement between Ukraine and Testland</div>'
        '<p class="cq-heading cq-level-1">Part I. Defence</p>'
        '<div class="cq-passage cq-current">1. Testland will train pilots. '
        "<mark>It will also train mechanics.</mark></div>"
        f'<div class="cq-passage cq-neighbour">{render.esc(TESTLAND.passages[2].text)}</div>'
        '<p class="cq-heading cq-level-1">Part II. Final Provisions</p>'
        '<div class="cq-passage cq-neighbour">1. This Agreement is valid for ten years.</div>'
        '<p class="cq-link"><a href="?doc=testland&amp;p=1&amp;h=31-60">'
        "Link to this passage</a></p></div>"
    )
    assert_inert(reply.reader.html)


def test_quotes_of_earlier_turns_stay_open_able(app: App) -> None:
    first = handlers.respond(app, None, "train", "")
    later = handlers.respond(app, first.session, "payload", "")
    reader = handlers.open_quote(app, later.session, "1:2")
    assert reader.query == "doc=testland&p=3&h=0-41"
    assert '<div class="cq-passage cq-current"><mark>1. This Agreement is valid' in reader.html
    assert handlers.open_quote(app, later.session, "9:9").html == render.reader_placeholder()
    assert handlers.open_quote(app, later.session, ["1:1"]).html == render.reader_placeholder()


def test_reader_reopens_from_the_address_bar(app: App) -> None:
    found = handlers.reader_from_query(app, {"doc": "testland", "p": "1", "h": "31-60"})
    assert found.html == handlers.respond(app, None, "train", "").reader.html
    whole = handlers.reader_from_query(app, {"doc": "testland", "p": "3"})
    assert whole.query == "doc=testland&p=3"
    assert "<mark>1. This Agreement is valid for ten years.</mark>" in whole.html


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"doc": "nowhere", "p": "1"},
        {"doc": "testland", "p": "-1"},
        {"doc": "testland", "p": "99"},
        {"doc": "testland", "p": "9" * 500},
        {"doc": "testland", "p": "<script>"},
    ],
)
def test_reader_ignores_bad_addresses(app: App, params: dict) -> None:
    assert handlers.reader_from_query(app, params) == handlers.Reader(
        render.reader_placeholder(), ""
    )


@pytest.mark.parametrize("span", ["50-10", "0-9999", "x-3", "1-" + "9" * 40])
def test_reader_ignores_a_bad_highlight(app: App, span: str) -> None:
    found = handlers.reader_from_query(app, {"doc": "testland", "p": "1", "h": span})
    assert found.query == "doc=testland&p=1"


# --- Export ---------------------------------------------------------------------------------------


def test_export_is_markdown_with_citations(app: App) -> None:
    first = handlers.respond(app, None, "Who will *train* pilots?", "")
    reply = handlers.respond(app, first.session, "payload", "")
    assert reply.export.startswith(
        "# Conversation with the agreement assistant\n\nIndex: unknown\n\n"
        "## Q1. Who will \\*train\\* pilots?\n\n"
        "**Answer:** “It will also train mechanics.” (Testland-Ukraine Agreement, Part I, para. 1)"
        "\n\n1. Testland-Ukraine Agreement, Part I, para. 1 (relevance 0.91)\n"
        "   > 1. Testland will train pilots. It will also train mechanics.\n\n"
        "2. Testland-Ukraine Agreement, Part II, para. 1 (relevance 0.52)\n"
    )
    assert (
        "\\!\\[t\\](http://127.0.0.1:9/x.png) \\$\\$\\\\alpha\\$\\$ \\`\\`\\`mermaid"
        in reply.export
    )


# --- Feedback -------------------------------------------------------------------------------------


def test_feedback_is_stored_with_the_answer_shown(app: App, store: FeedbackStore) -> None:
    reply = handlers.respond(app, None, "train", "")
    status = handlers.submit_feedback(app, reply.session, "Wrong citation", "para 2 is better")
    assert status == (
        '<p class="cq-status cq-ok" role="status">Thank you: your feedback was recorded.</p>'
    )
    (row,) = store.rows()
    assert (row.rating, row.comment, row.question, row.index_version, row.session) == (
        "wrong_citation",
        "para 2 is better",
        "train",
        "unknown",
        reply.session.id,
    )
    assert [(p.id, p.citation) for p in row.passages] == [
        ("testland:1", "Testland-Ukraine Agreement, Part I, para. 1"),
        ("testland:3", "Testland-Ukraine Agreement, Part II, para. 1"),
    ]


@pytest.mark.parametrize(
    ("rating", "comment", "message"),
    [
        ("Great", "", "Choose Helpful, Not helpful or Wrong citation."),
        (None, "", "Choose Helpful, Not helpful or Wrong citation."),
        ("Helpful", "c" * 2001, "The comment has 2001 characters; the limit is 2000."),
        ("Helpful", ["x"], "The comment has list characters"),
    ],
)
def test_bad_feedback_is_refused(
    app: App, store: FeedbackStore, rating: object, comment: object, message: str
) -> None:
    reply = handlers.respond(app, None, "train", "")
    assert message in handlers.submit_feedback(app, reply.session, rating, comment)
    assert store.count() == 0


def test_feedback_needs_an_answer(app: App, store: FeedbackStore) -> None:
    assert "Ask a question first" in handlers.submit_feedback(app, None, "Helpful", "")
    assert store.count() == 0


# --- Compare, verify, onboarding ------------------------------------------------------------------


def test_compare_page_is_a_table_of_quotes(app: App, bot: FakeAssistant) -> None:
    html = handlers.compare_page(app, "Who trains pilots?", ["testland", "otherland"])
    assert bot.calls == [("compare", "Who trains pilots?", ["testland", "otherland"])]
    assert html.startswith(
        '<table class="cq-table"><thead><tr><th scope="col">Agreement</th>'
        '<th scope="col">Citation</th><th scope="col">Quote</th></tr></thead><tbody>'
        "<tr><td>Testland</td><td>Testland-Ukraine Agreement, Part I, para. 2</td>"
    )
    assert "<tr><td>Otherland</td><td>—</td>" in html
    assert "Not addressed &lt;script&gt;" in html
    assert_inert(html)


def test_compare_refuses_bad_input(app: App, bot: FakeAssistant) -> None:
    assert "Unknown agreement" in handlers.compare_page(app, "q", ["testland", "mars"])
    assert "Choose agreements from the list." in handlers.compare_page(app, "q", "testland")
    assert "the limit is 1000" in handlers.compare_page(app, "q" * 5000, None)
    assert bot.calls == []


def test_verify_page_names_the_mismatches(app: App) -> None:
    html = handlers.verify_page(app, "The agreement lasts five years.")
    assert html.startswith(
        '<div class="cq-verdict cq-partial"><p class="cq-verdict-label">Partly supported: some '
        'details differ</p><ul class="cq-mismatches"><li><strong>duration</strong>: the claim '
        "says “five years”, the agreement says “ten years”.</li></ul>"
        '<p class="cq-absent">No clause states: “&#36;5”.</p><p>Evidence:</p>'
    )
    assert "Testland-Ukraine Agreement, Part II, para. 1" in html


def test_missing_engine_features_are_explained(store: FeedbackStore) -> None:
    app = App(BareAssistant(), CLEAN_SETTINGS, store)
    assert "Comparing agreements is not available" in handlers.compare_page(app, "q")
    assert "Checking a claim is not available" in handlers.verify_page(app, "c")
    with pytest.raises(AssistantError, match="Comparing agreements is not available"):
        handlers.compare(app, "q")
    session, found = handlers.onboarding(app, None, "")
    assert "not available" in found.tour and found.quiz == []
    assert "Load the introduction first" in handlers.check_quiz(app, session, [])


def test_onboarding_and_quiz_scoring(app: App) -> None:
    session, found = handlers.onboarding(app, None, "testland")
    assert found.tour == (
        '<div class="cq-tour"><h3>1. Defence &#33;&#91;t&#93;(http://127.0.0.1:9/x.png)</h3>'
        '<p class="cq-hint">2 paragraphs</p><blockquote class="cq-text">Testland will train '
        'pilots.</blockquote><p class="cq-cite">Testland-Ukraine Agreement, Part I, para. 1</p>'
        '<p>Questions to try:</p><ul class="cq-try"><li>Who trains pilots?</li></ul></div>'
    )
    assert "<td>GSOIA</td><td>General Security of Information Agreement</td>" in found.glossary
    assert "<td>&#36;&#36;&#92;alpha&#36;&#36;</td>" in found.facts
    assert [q["question"] for q in found.quiz] == ["How long?", "Who trains?"]
    result = handlers.check_quiz(app, session, ["ten years", "Otherland", "extra"])
    assert result.startswith('<p class="cq-score-total">You scored 1 out of 2.</p>')
    assert "Not quite: the answer is “Testland” (Testland-Ukraine Agreement, Part I" in result
    assert "You scored 0 out of 2." in handlers.check_quiz(app, session, [None, {"x": 1}])


def test_onboarding_refuses_an_unknown_scope(app: App) -> None:
    _, found = handlers.onboarding(app, None, "mars")
    assert "Unknown agreement" in found.tour and found.quiz == []


# --- The page and how it is served ----------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    from assistant.ui.app import build_ui

    settings = CLEAN_SETTINGS.with_(data_dir=tmp_path_factory.mktemp("data"))
    return build_ui(FakeAssistant(), settings)


def test_only_the_api_endpoints_are_public(demo) -> None:
    public = sorted(f"/{fn.api_name}" for fn in demo.fns.values() if fn.api_visibility != "private")
    assert public == ["/ask", "/compare", "/verify"]
    assert sorted(demo.get_api_info()["named_endpoints"]) == ["/ask", "/compare", "/verify"]


def test_the_unused_monitoring_summary_is_never_recomputed(demo) -> None:
    assert demo._queue.ANAYLTICS_CACHE_FREQUENCY == sys.maxsize


def test_the_chat_renders_no_markdown_latex_or_raw_html(demo) -> None:
    import gradio as gr

    (chat,) = [b for b in demo.blocks.values() if isinstance(b, gr.Chatbot)]
    assert (chat.render_markdown, chat.sanitize_html, chat.latex_delimiters) == (False, True, [])
    assert chat.allow_tags is False


def test_mount_options_are_safe() -> None:
    from assistant.ui.server import MOUNT_OPTIONS

    assert MOUNT_OPTIONS == {
        "ssr_mode": False,
        "enable_monitoring": False,
        "max_file_size": 1,
        "show_error": False,
        "footer_links": ["api"],
        "run_history": False,
        "mcp_server": False,
        "pwa": False,
        "allowed_paths": [],
    }
    assert "share" not in MOUNT_OPTIONS


def test_default_settings_bind_to_localhost() -> None:
    assert (CLEAN_SETTINGS.host, CLEAN_SETTINGS.port) == ("127.0.0.1", 7860)


def test_auth_and_origins_are_parsed_strictly() -> None:
    from assistant.ui.server import parse_auth, parse_origins

    assert parse_auth("") is None
    assert parse_auth("staff:pa:ss") == ("staff", "pa:ss")
    for bad in ("staff", ":secret", "staff:"):
        with pytest.raises(AssistantError, match="must look like 'user:password'"):
            parse_auth(bad)
    assert parse_origins(" https://a.example/, http://b.example:8080 ,") == [
        "https://a.example",
        "http://b.example:8080",
    ]
    for bad in ("*", "intranet.example"):
        with pytest.raises(AssistantError, match="is not an origin"):
            parse_origins(bad)


def test_importing_the_ui_package_does_not_load_gradio() -> None:
    code = "import sys, assistant.ui, assistant.ui.handlers; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.stdout.strip() == "False", out.stderr


def test_question_error_is_an_assistant_error() -> None:
    # The handlers rely on this to turn every refusal into a message, never a traceback.
    assert issubclass(QuestionError, AssistantError)


def test_serve_runs_on_the_configured_address_and_warns_without_login(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import uvicorn
    from fastapi import FastAPI

    from assistant.ui import server

    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options, app=app))
    settings = CLEAN_SETTINGS.with_(data_dir=tmp_path, host="0.0.0.0", port=8123)
    server.serve(FakeAssistant(), settings)
    assert (seen["host"], seen["port"], type(seen["app"])) == ("0.0.0.0", 8123, FastAPI)
    assert "Serving on 0.0.0.0 without a login" in caplog.text


def test_no_chat_event_answers_with_a_skip_or_an_update_of_the_reader(demo) -> None:
    # Gradio 6.31 keeps a component for every gr.skip()/gr.update() in the session's config for
    # the session's life: the soak found RSS +30% in 5 minutes from the reader's skips.
    fns = {getattr(fn.fn, "__name__", ""): fn for fn in demo.fns.values() if fn.fn}
    [reader] = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "cq-reader"]
    restart = next(fn for fn in demo.fns.values() if fn.fn and fn.fn.__name__ == "<lambda>"
                   and reader in fn.outputs and len(fn.outputs) == 9)  # fmt: skip
    after_ask = fns["on_ask"].fn(None, "What is GSOIA?", None)
    after_restart = restart.fn(after_ask[0])

    where = restart.outputs.index(reader)
    for outputs in (after_ask, after_restart):
        assert isinstance(outputs[where], str) and isinstance(outputs[where + 1], str)
    assert after_restart[where] == after_ask[where]  # the reader stays as it was


def test_a_verdict_shows_each_part_checked_and_the_one_that_decided() -> None:
    verdict = {
        "verdict": "unsupported",
        "decided_by": "who",
        "checks": [
            {"part": "who", "status": "contradicted", "claim": "Ukraine", "clause": "Canada"},
            {"part": "how firmly", "status": "ok", "claim": "will", "clause": "will"},
            {"part": "figures", "status": "not stated", "claim": "", "clause": ""},
        ],
    }

    html = render.verdict_html(verdict)

    assert html.startswith(
        '<div class="cq-verdict cq-unsupported"><p class="cq-verdict-label">Not supported by the '
        'agreement</p><p class="cq-decided-by">decided by: who</p><table class="cq-checks">'
    )
    assert (
        '<tr class="cq-check-contradicted cq-decided"><th scope="row">who</th><td>Ukraine</td>'
        "<td>Canada</td><td>contradicted</td></tr>"
    ) in html
    assert '<tr class="cq-check-ok"><th scope="row">how firmly</th>' in html
    assert "<td>—</td><td>—</td><td>not stated</td>" in html
    assert "every part matches" in render.verdict_html(
        {"verdict": "supported", "decided_by": "all parts"}
    )


def test_a_swapped_engine_answers_the_next_question_of_an_open_conversation(
    store: FeedbackStore,
) -> None:
    class OneTurn(FakeAssistant):
        conversation = None  # the app falls back to one turn at a time, holding the engine

    old, new = OneTurn(), OneTurn()
    app = App(old, CLEAN_SETTINGS, store)
    first = handlers.respond(app, None, "train")
    app.swap(new)

    second = handlers.respond(app, first.session, "train")

    assert [c[1] for c in old.calls] == ["train"] and [c[1] for c in new.calls] == ["train"]
    assert second.session is first.session and len(second.session.turns) == 2
    assert app.assistant is new


def test_the_status_says_while_the_domain_model_trains(app: App) -> None:
    class Training:
        note = "The domain model is training in the background (step 3 of 63)."

    assert render.engine_note_html(app.note()) == ""
    app.training = Training()

    reply = handlers.respond(app, None, "train")

    assert "Answered with 2 quotes. The domain model is training" in reply.status
    assert render.engine_note_html(app.note()) == (
        '<p class="cq-status cq-info" role="status">The domain model is training in the '
        "background (step 3 of 63).</p>"
    )
