"""The page in a real browser (Debian's chromium through Playwright): asking by keyboard, the
citation and the reader pane, a reload, a phone-sized window, feedback, the other tabs, and
payloads in the corpus and in a question that must stay inert.

Screenshots go to bench/screenshots/. Skipped, with the reason, when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from conftest import REPO, write_tiny_corpus

from assistant.search.embedding import HashingEmbedder
from bench.screenshot import BOX as QUESTION_BOX
from bench.screenshot import CHROMIUM_ARGS

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "bench" / "screenshots"
DELAY = 0.8  # seconds each answer takes, so the working state can be seen

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"needs Debian chromium at {CHROMIUM}"),
]

PAYLOAD_TXT = r"""Agreement on rendering safety between Ukraine and Testland

Part I. Payloads

1. The zebra clause holds <script>window.__pwned=1</script> as plain text.

2. The quartz clause holds <img src=x onerror="window.__pwned=2"> and
![t](http://127.0.0.1:9/x.png) as plain text.

3. The walrus clause holds $$\alpha$$ and ${window.__pwned=3} and
{{constructor.constructor('window.__pwned=4')()}} as plain text.

4. The mermaid clause holds
```mermaid
graph TD; A-->B
```
as plain text.

Signed in Testville on 1 May 2024.
"""
PAYLOAD_QUESTION = (
    "zebra quartz walrus mermaid clause <script>window.__pwned=5</script> "
    "<img src=y onerror=window.__pwned=6> ![q](http://127.0.0.1:9/q.png) $$\\beta$$"
)


class SlowConversation:
    """The engine's conversation, answering after ``DELAY`` seconds."""

    def __init__(self, conversation):
        self.conversation = conversation

    def ask(self, question, k=5, doc=None):
        time.sleep(DELAY)
        return self.conversation.ask(question, k=k, doc=doc)

    def reset(self):
        self.conversation.reset()


class SlowAssistant:
    """The real assistant whose chat answers take ``DELAY`` seconds (everything else as is)."""

    def __init__(self, bot):
        self.bot = bot

    def __getattr__(self, name):
        return getattr(self.bot, name)

    def conversation(self):
        if hasattr(self.bot, "conversation"):
            return SlowConversation(self.bot.conversation())
        return SlowConversation(self.bot)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    """(url, assistant, data folder) of the app over the tiny corpus plus a payload agreement."""
    from assistant.ui.server import BackgroundServer, create_app
    from bench.measure import open_assistant

    folder = tmp_path_factory.mktemp("browser")
    corpus = write_tiny_corpus(folder / "corpus")
    (corpus / "testland.txt").write_text(PAYLOAD_TXT, encoding="utf-8")
    bot = open_assistant(folder, corpus, HashingEmbedder())
    with BackgroundServer(create_app(SlowAssistant(bot), bot.settings)) as url:
        yield url, bot, bot.settings.data_dir


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, served):
    """A fresh page that records every request it makes."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    page.goto(served[0])
    page.locator(QUESTION_BOX).wait_for()
    yield page
    context.close()


def ask(page, question: str) -> None:
    box = page.locator(QUESTION_BOX)
    box.focus()
    page.keyboard.type(question)
    page.keyboard.press("Enter")
    page.locator(".cq-status.cq-working").wait_for(timeout=5000)
    page.locator(".cq-status.cq-working").wait_for(state="detached", timeout=20000)


def test_keyboard_ask_cite_read_and_reload(page, served) -> None:
    url, bot, _ = served
    question = "How long is the agreement with the Netherlands valid?"
    expected = bot.ask(question).passages[0]
    # Keyboard only: the question box has focus on arrival; from the top, Tab goes through
    # the tabs, the agreement selector, the question box, then Ask.
    focused = "(document.activeElement.closest('[id]') || {}).id || ''"
    name = "document.activeElement.getAttribute('aria-label') || document.activeElement.innerText"
    page.wait_for_function(f"{focused} === 'cq-question'", timeout=5000)
    page.locator(".cq-intro h1").click()  # the top of the page: where Tab starts from
    order = []
    for _ in range(40):
        page.keyboard.press("Tab")
        order.append(page.evaluate(f"{focused} || {name}"))
        if order[-1] == "cq-ask":
            break
    assert order[-4:] == ["Get started", "Agreement to search", "cq-question", "cq-ask"], order
    ask(page, question)
    chat = page.locator(".cq-answer").last
    assert expected.citation in chat.inner_text()
    assert f"relevance {expected.score:.2f}" in chat.inner_text()
    current = page.locator("#cq-reader .cq-current")
    assert current.inner_text() == expected.text
    assert current.locator("mark").inner_text() == expected.highlight
    assert re.search(r"[?&]doc=netherlands&p=\d+", page.url)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.keyboard.press("Escape")
    page.locator(".cq-intro h1").click()  # close any open selector before the picture
    page.screenshot(path=str(SCREENSHOTS / "desktop.png"), full_page=True)

    page.reload()
    page.locator("#cq-reader .cq-current").wait_for(timeout=20000)
    assert page.locator("#cq-reader .cq-current").inner_text() == expected.text
    assert page.locator("#cq-reader .cq-current mark").inner_text() == expected.highlight
    assert {u.split("/")[2] for u in page.requests} == {url.split("/")[2]}


def test_quotes_of_earlier_turns_reopen_in_the_reader(page, served) -> None:
    _, bot, _ = served
    first = bot.ask("What is GSOIA?").passages
    ask(page, "What is GSOIA?")
    ask(page, "Who trains Ukrainian pilots?")
    page.locator("#cq-pick input").click()
    page.keyboard.press("Control+a")  # the box holds the current choice; filter afresh
    page.keyboard.type(f"Q1 [2] {first[1].citation}")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "text => document.querySelector('#cq-reader .cq-current')?.innerText === text",
        arg=first[1].text,
        timeout=10000,
    )
    assert re.search(rf"[?&]doc={first[1].doc}&p=\d+", page.url)


def test_payloads_in_corpus_and_question_stay_inert(page, served) -> None:
    ask(page, PAYLOAD_QUESTION)
    chat = page.locator(".cq-answer").last.inner_text()
    question = page.locator(".cq-question").last.inner_text()
    assert "<script>window.__pwned=1</script>" in chat
    assert '<img src=x onerror="window.__pwned=2"> and ![t](http://127.0.0.1:9/x.png)' in chat
    assert "$$\\alpha$$ and ${window.__pwned=3} and {{constructor" in chat
    assert "```mermaid graph TD; A-->B ```" in chat
    assert question == PAYLOAD_QUESTION
    page.wait_for_timeout(500)  # give any injected handler its chance to run
    assert page.evaluate("typeof window.__pwned") == "undefined"
    for selector in ("img", "script", ".katex", ".mermaid", "svg[id^='mermaid']"):
        assert page.locator(f".cq-answer {selector}, .cq-question {selector}").count() == 0
        assert page.locator(f"#cq-reader {selector}").count() == 0
    assert not [u for u in page.requests if ":9/" in u]


def test_phone_width_working_state_and_feedback(browser, served) -> None:
    from assistant.feedback import FeedbackStore

    url, _, data = served
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    phone.goto(url)
    phone.locator(QUESTION_BOX).wait_for()
    ask(phone, "What does the agreement say about cyber attacks?")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_text("Rate the latest answer").click()
    phone.get_by_label("Helpful", exact=True).check()
    phone.get_by_role("button", name="Send feedback").click()
    phone.get_by_text("Thank you: your feedback was recorded.").wait_for(timeout=10000)
    phone.screenshot(path=str(SCREENSHOTS / "phone.png"), full_page=True)
    (row,) = FeedbackStore.in_folder(data).rows()
    assert (row.rating, row.question) == (
        "helpful",
        "What does the agreement say about cyber attacks?",
    )
    assert row.passages and row.index_version != "unknown"
    context.close()


def test_other_tabs(page, served) -> None:
    _, bot, _ = served
    page.get_by_role("tab", name="Compare").click()
    # The fake embedder matches words, not meaning: the question shares the clause's words.
    page.get_by_label("Question", exact=True).fill("For how many years is the agreement valid?")
    page.get_by_role("button", name="Compare").click()
    if hasattr(bot, "compare"):
        page.locator(".cq-table").wait_for(timeout=10000)
        assert (
            "Netherlands-Ukraine Agreement, Part II, para. 1"
            in page.locator(".cq-table").inner_text()
        )
    page.get_by_role("tab", name="Verify").click()
    page.get_by_label("Claim").fill("The agreement with the Netherlands is valid for five years.")
    page.get_by_role("button", name="Verify").click()
    if hasattr(bot, "verify"):
        page.locator(".cq-verdict").wait_for(timeout=10000)
        assert "duration" in page.locator(".cq-mismatches").inner_text()
    page.get_by_role("tab", name="Get started").click()
    page.get_by_role("button", name="Show the introduction").click()
    page.locator("#cq-tour :is(.cq-tour, .cq-status)").wait_for(timeout=10000)
    if hasattr(bot, "tour"):
        assert page.locator("#cq-tour h3").count() >= 2
    if page.get_by_role("button", name="Check my answers").is_visible():
        page.get_by_role("radiogroup").first.get_by_role("radio").first.check()
        page.get_by_role("button", name="Check my answers").click()
        page.get_by_text(re.compile(r"You scored \d out of \d")).wait_for(timeout=10000)
    page.screenshot(path=str(SCREENSHOTS / "get-started.png"), full_page=True)
