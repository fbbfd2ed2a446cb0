"""Nothing leaves the machine, end to end (SECURITY.md, first row; issue 9, item 6).

    .venv/bin/python -m bench.offline        (needs /usr/bin/chromium; prints the figures as JSON)

Runs ``build``, ``ask`` and ``serve`` from the command line, each in a child process whose
sockets refuse, and record, every connection attempt and name lookup not aimed at loopback
(:data:`GUARD`). The child gets none of the developer's ``HF_*``, ``GRADIO_*`` or ``ASSISTANT_*``
variables, so the proof covers the defaults the package sets for itself. While ``serve`` runs,
headless Chromium loads the page, asks, opens a quote in the reader, rates the answer and
downloads the export; every request the page makes is logged, and so is every Content-Security-
Policy violation. ``tests/test_offline.py`` asserts on the same figures; ``bench/harden.py``
imports :func:`run`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.feedback import FeedbackStore
from bench.screenshot import CHROMIUM_ARGS  # headless, without Chromium's own background traffic

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"  # the small agreement overview that ships with the repository
CHROMIUM = Path("/usr/bin/chromium")
QUESTION = "How long is the CUSSP effective?"

# Patches the socket module so that any connection, datagram or name lookup for a host that is
# not loopback is refused and appended, one JSON string a line, to $NETWORK_GUARD_LOG (written at
# once: a killed server leaves it). Python code only: a child process it started is not covered.
GUARD_PRELUDE = textwrap.dedent(
    """
    import errno, ipaddress, json, os, socket, sys

    LOG = os.environ["NETWORK_GUARD_LOG"]

    def local(host):
        if host is None or host in ("localhost", b"localhost"):
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False

    def refuse(what, error=OSError):
        with open(LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps(what) + "\\n")
        if error is OSError:
            raise OSError(errno.ENETUNREACH, "network blocked by the offline proof")
        raise error("network blocked by the offline proof")

    def guard_address(name, real, address_at):
        def guarded(self, *args):
            address = args[address_at]
            if isinstance(address, tuple) and not local(address[0]):
                refuse(f"{name} {address!r}")
            return real(self, *args)
        return guarded

    def guard_lookup(name, real):
        def guarded(host, *args, **kwargs):
            if not local(host):
                refuse(f"{name} {host!r}", socket.gaierror)
            return real(host, *args, **kwargs)
        return guarded

    socket.socket.connect = guard_address("connect", socket.socket.connect, 0)
    socket.socket.connect_ex = guard_address("connect_ex", socket.socket.connect_ex, 0)
    socket.socket.sendto = guard_address("sendto", socket.socket.sendto, -1)
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        setattr(socket, name, guard_lookup(name, getattr(socket, name)))
    """
)
# ``python -c GUARD *args`` is ``python -m assistant *args`` under the guard.
GUARD = GUARD_PRELUDE + "from assistant.cli import main\nmain(sys.argv[1:])\n"


def child_env(data_dir: Path, log: Path) -> dict[str, str]:
    """The environment of a guarded child: none of the developer's HF_*, GRADIO_* or ASSISTANT_*
    settings (the package must set its offline defaults itself), this repository importable."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("HF_", "GRADIO_", "ASSISTANT_"))
    }
    env |= {
        "PYTHONPATH": str(REPO),
        "NETWORK_GUARD_LOG": str(log),
        "ASSISTANT_DATA_DIR": str(data_dir),
    }
    return env


def attempts(log: Path) -> list[str]:
    """The connection attempts a guarded child recorded."""
    if not log.is_file():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def run_cli(args: list[str], work: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m assistant *args`` under :data:`GUARD`; attempts go to ``work/guard.log``."""
    return subprocess.run(
        [sys.executable, "-c", GUARD, *args],
        capture_output=True,
        text=True,
        env=child_env(work / "data", work / "guard.log"),
        cwd=work,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def guarded_server(args: list[str], work: Path, timeout: float = 120) -> Iterator[str]:
    """``python -m assistant *args serve`` under :data:`GUARD` on a free loopback port; yields
    its URL once it answers, and stops it with Ctrl-C (SIGINT) on exit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    with open(work / "serve.log", "w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", GUARD, *args, *serve],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=child_env(work / "data", work / "guard.log"),
            cwd=work,
        )
        try:
            _wait_ready(url, process, work / "serve.log", timeout)
            yield url
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"The server exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/config", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"The server did not answer within {timeout:.0f} s:\n{log.read_text()}")


def http_status(url: str) -> int:
    """The status code of a GET (errors included), without following redirects."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def browser_session(url: str, question: str = QUESTION) -> dict[str, Any]:
    """Drive the page in headless Chromium: load, ask, open a quote, rate, export.

    Returns the URL of every request the page made, every CSP violation, what the page showed
    at each step, and how long each step took.
    """
    from playwright.sync_api import sync_playwright

    steps: list[dict[str, Any]] = []
    requests: list[str] = []
    violations: list[str] = []
    shown: dict[str, Any] = {}

    def step(name: str, action: Callable[[], Any]) -> None:
        started = time.monotonic()
        shown[name] = action()
        steps.append({"step": name, "seconds": round(time.monotonic() - started, 2)})

    def console(message) -> None:
        if "Content Security Policy" in message.text or "CSP violation" in message.text:
            violations.append(message.text)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            page.on("request", lambda request: requests.append(request.url))
            # Violations of the policy are reported both as events and in the console.
            page.add_init_script(
                "document.addEventListener('securitypolicyviolation', e => console.error("
                "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
            )
            page.on("console", console)
            step("load", lambda: _load(page, url))
            step("ask", lambda: _ask(page, question))
            step("open a quote", lambda: _open_quote(page))
            step("rate", lambda: _rate(page))
            step("export", lambda: _export(page))
        finally:
            browser.close()
    return {"requests": requests, "csp_violations": violations, "steps": steps, "shown": shown}


BOX = "#cq-question :is(input, textarea)"


def _load(page, url: str) -> str:
    page.goto(url)
    page.locator(BOX).wait_for(timeout=30000)
    return page.title()


def _ask(page, question: str) -> str:
    page.locator(BOX).fill(question)
    page.keyboard.press("Enter")
    page.locator(".cq-status.cq-working").wait_for(timeout=10000)
    page.locator(".cq-status.cq-working").wait_for(state="detached", timeout=30000)
    return page.locator(".cq-answer").last.inner_text()


def _open_quote(page) -> str:
    """Choose the second quote of the answer in "Open a quote"; return what the reader shows."""
    before = page.locator("#cq-reader .cq-current").inner_text()
    page.locator("#cq-pick input").click()
    options = page.locator("#cq-pick [role='option']")
    options.nth(1).click()
    page.wait_for_function(
        "old => { const c = document.querySelector('#cq-reader .cq-current');"
        " return c && c.innerText !== old; }",
        arg=before,
        timeout=10000,
    )
    return page.locator("#cq-reader .cq-current").inner_text()


def _rate(page) -> str:
    page.get_by_text("Rate the latest answer").click()
    page.get_by_label("Helpful", exact=True).check()
    page.get_by_role("button", name="Send feedback").click()
    thanks = page.get_by_text("Thank you: your feedback was recorded.")
    thanks.wait_for(timeout=10000)
    return thanks.inner_text()


def _export(page) -> str:
    """Open the export, download the Markdown file; return the file's text."""
    page.get_by_text("Copy or export the conversation").click()
    with page.expect_download(timeout=10000) as download:
        page.get_by_role("button", name="Download as Markdown").click()
    return Path(download.value.path()).read_text(encoding="utf-8")


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL (``data:`` and ``blob:`` URLs have none: ``''``)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest else ""


def foreign(requests: list[str], own: str) -> list[str]:
    """The requests to any origin but ``own`` (in-page ``data:``/``blob:`` URLs are not sent)."""
    return [u for u in requests if not u.startswith(("data:", "blob:")) and origin(u) != own]


def run(corpus: Path = CORPUS, question: str = QUESTION) -> dict[str, Any]:
    """Build, ask, serve and drive the page in Chromium, all guarded; return the figures.

    ``outbound_attempts`` counts what the guarded processes tried to reach beyond loopback;
    ``foreign_requests`` what the page asked of any origin but the app's own.
    """
    started = time.monotonic()
    steps: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="offline-proof-") as tmp:
        work = Path(tmp)
        base = ["--corpus", str(corpus), "--index", str(work / "index")]

        def cli(name: str, args: list[str]) -> subprocess.CompletedProcess:
            begun = time.monotonic()
            result = run_cli(base + args, work)
            if result.returncode != 0:
                raise RuntimeError(f"{name} failed ({result.returncode}):\n{result.stderr[-2000:]}")
            steps.append({"step": name, "seconds": round(time.monotonic() - begun, 2)})
            return result

        cli("build", ["build"])
        answer = json.loads(cli("ask", ["ask", question, "--json"]).stdout)
        begun = time.monotonic()
        with guarded_server(base, work) as url:
            steps.append({"step": "serve", "seconds": round(time.monotonic() - begun, 2)})
            # Gradio fetches any public http(s) URL given to its file route; it must refuse.
            remote_file = http_status(url + "/gradio_api/file=https://example.com/x.png")
            session = browser_session(url, question)
        tried = attempts(work / "guard.log")
        feedback = [(r.rating, r.question) for r in FeedbackStore.in_folder(work / "data").rows()]
    steps += [{"step": f"browser: {s['step']}", "seconds": s["seconds"]} for s in session["steps"]]
    return {
        "outbound_attempts": len(tried),
        "attempts": tried,
        "foreign_requests": len(foreign(session["requests"], url)),
        "foreign": foreign(session["requests"], url),
        "browser_requests": len(session["requests"]),
        "csp_violations": session["csp_violations"],
        "remote_file_status": remote_file,
        "cli_citations": [p["citation"] for p in answer["passages"]],
        "feedback": feedback,
        "shown": session["shown"],
        "steps": steps,
        "seconds": round(time.monotonic() - started, 2),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=1, ensure_ascii=False))
