"""What a new user sees: serve the official Canada agreement, ask the two questions of the README
in Debian's Chromium, and save the page to bench/screenshots/canada-ask.png.

    .venv/bin/python -m bench.screenshot        (needs /usr/bin/chromium and ../shared/corpus)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from assistant import Assistant
from assistant.settings import Settings
from assistant.ui.server import BackgroundServer, create_app

REPO = Path(__file__).resolve().parents[1]
CANADA = REPO.parent / "shared" / "corpus" / "canada.docx"
OUT = REPO / "bench" / "screenshots" / "canada-ask.png"
# The page's question box, and how Debian's Chromium runs headless here without reaching out to
# the network (tests/test_browser.py uses the same).
BOX = "#cq-question :is(input, textarea)"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def ask(page, question: str) -> None:
    page.locator(BOX).fill(question)
    page.keyboard.press("Enter")
    page.locator(".cq-status.cq-working").wait_for(timeout=10000)
    page.locator(".cq-status.cq-working").wait_for(state="detached", timeout=60000)
    page.wait_for_timeout(500)


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        (corpus / "canada.docx").symlink_to(CANADA)
        settings = Settings.from_env(environ={}).with_(
            corpus=corpus, index=Path(tmp) / "index", data_dir=Path(tmp) / "data"
        )
        bot = Assistant.open(settings=settings)
        with BackgroundServer(create_app(bot, settings)) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(url)
            page.locator(BOX).wait_for()
            ask(page, "How long does the agreement last?")
            ask(page, "and can either side leave earlier?")
            page.screenshot(path=str(OUT), full_page=True)
            browser.close()
    print(f"saved {OUT}")


if __name__ == "__main__":
    main()
