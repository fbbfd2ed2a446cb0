"""Serving the app: FastAPI with our own CORS allow-list, the safe mount options, security
headers, uvicorn.

``create_app`` mounts the page of :func:`assistant.ui.app.build_ui` at ``/`` with
``MOUNT_OPTIONS`` (see SECURITY.md) behind :class:`Hardening` (response headers, and Gradio routes
this app never uses refused); ``serve`` runs it on ``settings.host:settings.port``;
``BackgroundServer`` runs it from a thread for tests and benchmarks.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from assistant.errors import AssistantError
from assistant.feedback import FeedbackStore

log = logging.getLogger(__name__)

# Launch options that make the app safe by default (SECURITY.md). ``share`` is not among them:
# mounting in FastAPI never opens a share tunnel, and no option here is read from the environment.
MOUNT_OPTIONS: dict[str, Any] = {
    "ssr_mode": False,  # no Node server-side rendering (forged Host header advisory)
    "enable_monitoring": False,  # no /monitoring dashboard
    "max_file_size": 1,  # bytes: the upload route refuses every file; the app takes none
    "show_error": False,  # unexpected exceptions stay in the server log
    "footer_links": ["api"],  # the API page documents /ask, /compare and /verify
    "run_history": False,  # nothing is recorded in the browser
    "mcp_server": False,
    "pwa": False,
    "allowed_paths": [],
}


# Sent with every response (issue 9, item 7). Gradio 6.31 sends none of these itself.
SECURITY_HEADERS: dict[str, str] = {
    # Every kind of resource from this server only, so nothing the page does (nor a payload that
    # slipped through escaping) can reach another host. Gradio needs 'unsafe-inline' for the
    # config <script> it writes into the page (else violations, each load) and 'unsafe-eval' for
    # the ``js=`` handlers it compiles (else the page never answers: checked in Chromium);
    # escaping server-side is what keeps scripts out of answers.
    "Content-Security-Policy": "; ".join(
        (
            "default-src 'self'",
            "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
            "style-src 'self' 'unsafe-inline'",  # Gradio sets styles inline (theme, layout)
            "img-src 'self' data: blob:",  # icons inlined as data: URLs
            "font-src 'self' data:",
            "connect-src 'self'",  # the queue's event streams and the API, nothing else
            "object-src 'none'",
            "base-uri 'self'",  # the page's <base href> may not point elsewhere
            "form-action 'self'",  # the login form posts here only
            "frame-ancestors 'none'",  # no other site may frame the page (clickjacking)
        )
    ),
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",  # a file served as text is never run as script
    # The address holds the passage being read (?doc=...&p=...): never send it to anyone.
    "Referrer-Policy": "no-referrer",
}
_HEADER_NAMES = {name.lower().encode() for name in SECURITY_HEADERS}
_HEADER_ITEMS = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

# Gradio routes this app never uses, answered 404 before Gradio sees them.
REFUSED_PREFIXES: tuple[str, ...] = (
    "/openapi.json",  # the schema of Gradio's internal routes (ours is /gradio_api/info)
    "/gradio_api/deep_link",  # snapshots the state of any session whose id is known
    "/gradio_api/dev/",  # the hot-reload watcher: an event stream polled 20 times a second
    "/gradio_api/process_recording",  # screen recordings, run through ffmpeg
    "/gradio_api/vibe-",  # the in-browser code editor (off: 403 today)
    "/gradio_api/undo-vibe-edit",
    "/gradio_api/proxy=",  # proxies Spaces loaded with gr.load (none here)
    "/gradio_api/custom_component/",  # files of custom components (none here)
    "/gradio_api/stream/",  # media streams, readable by anyone holding a session id
    "/gradio_api/mcp",  # the MCP server (off)
)
# The app takes no file, yet Gradio's upload route stores any file of at most ``max_file_size``
# bytes: with 1, still an endless stream of empty files into its cache. Refused outright, with
# the status Gradio gives a file over the limit.
UPLOAD_PREFIX = "/gradio_api/upload"  # and /gradio_api/upload_progress
# ``/gradio_api/file=<http(s) URL>`` makes the server resolve and fetch any public URL: traffic
# leaving the machine at a client's request. The page only asks for files in Gradio's cache.
# (Two letters or more before the colon, so a Windows drive letter is still a path.)
_REMOTE_FILE = re.compile(r"^/gradio_api/file[=/](?:[a-zA-Z][a-zA-Z0-9+.-]+:|//|\\\\)")


class Hardening:
    """Pure ASGI middleware: :data:`SECURITY_HEADERS` on every response (replacing any value
    Gradio set, or reflected from the request as its ranged file responses do), 404 for
    :data:`REFUSED_PREFIXES` and remote ``file=`` URLs, 413 for uploads.

    ``session_open(id)`` says whether a browser session has events queued: Gradio answers an
    event stream for any other id by raising inside the stream it already started (a traceback
    in the log and a dropped connection per forged id); this answers 404 first.
    ``event_inputs(fn_index)`` is the number of inputs of the page's event ``fn_index`` (None:
    no such event). Gradio takes a queue join for an unknown event, with the wrong number of
    values or without a session id as far as a KeyError or ValueError: HTTP 500, a dropped
    connection, a traceback in the log (found by the fuzzing). Such joins get 404 or 422 here.
    """

    def __init__(
        self,
        app: Any,
        session_open: Callable[[str], bool] | None = None,
        event_inputs: Callable[[int], int | None] | None = None,
    ) -> None:
        self.app = app
        self.session_open = session_open
        self.event_inputs = event_inputs

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k not in _HEADER_NAMES]
                message = {**message, "headers": kept + _HEADER_ITEMS}
            await send(message)

        path = scope["path"].removeprefix(scope.get("root_path", ""))  # behind a proxy's prefix
        if path.startswith(REFUSED_PREFIXES) or _REMOTE_FILE.match(path):
            status, body = 404, b'{"detail":"Not Found"}'
        elif path.startswith(UPLOAD_PREFIX):
            status, body = 413, b'{"detail":"This app accepts no uploads."}'
        elif path == "/gradio_api/queue/data" and not self._open(scope):
            status, body = 404, b'{"detail":"No events for this session."}'
        elif path == "/gradio_api/queue/join" and self.event_inputs is not None:
            request, receive = await _read_body(receive)
            refusal = self._bad_join(request)
            if refusal is None:
                await self.app(scope, receive, send_with_headers)
                return
            status, body = refusal
        else:
            await self.app(scope, receive, send_with_headers)
            return
        await send_with_headers(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _bad_join(self, request: bytes) -> tuple[int, bytes] | None:
        """Why a queue join cannot be taken, as (status, body), or None to pass it on. A body
        that is not a JSON object is left to Gradio, which refuses it cleanly (422)."""
        try:
            join = json.loads(request)
        except (ValueError, RecursionError):
            return None
        if not isinstance(join, dict):
            return None
        index, data, session = join.get("fn_index"), join.get("data"), join.get("session_hash")
        wanted = None
        if isinstance(index, int) and not isinstance(index, bool):
            wanted = self.event_inputs(index)
        if wanted is None:
            return 404, b'{"detail":"No such event."}'
        if not isinstance(data, list) or len(data) != wanted:
            return 422, b'{"detail":"The event takes %d values."}' % wanted
        if not isinstance(session, str) or not 0 < len(session) <= 128:
            return 422, b'{"detail":"A session id (1 to 128 characters) is required."}'
        return None

    def _open(self, scope: dict) -> bool:
        if self.session_open is None:
            return True
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        return self.session_open(query.get("session_hash", [""])[0])


def _inputs_of(event: Any) -> int | None:
    """How many values a queue join for ``event`` carries; None when no server function runs it
    (no such event, or one the browser runs alone in JavaScript)."""
    return None if event is None or event.fn is None else len(event.inputs)


async def _read_body(receive: Any) -> tuple[bytes, Any]:
    """The request's body, and a ``receive`` that hands it on to the app as if unread."""
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            return b"", receive
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body, handed = b"".join(chunks), False

    async def replay() -> dict:
        nonlocal handed
        if handed:
            return await receive()
        handed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


def parse_auth(value: str) -> tuple[str, str] | None:
    """``"user:password"`` as a pair; ``""`` as no login."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not (sep and user and password):
        raise AssistantError(
            "ASSISTANT_AUTH must look like 'user:password' (both non-empty). "
            "Leave it empty to run without the built-in login."
        )
    return user, password


def parse_origins(value: str) -> list[str]:
    """The comma-separated CORS allow-list; ``*`` is refused (it would grant every site)."""
    origins = [o.strip().rstrip("/") for o in value.split(",") if o.strip()]
    for origin in origins:
        if not origin.startswith(("http://", "https://")):
            raise AssistantError(
                f"ASSISTANT_ALLOWED_ORIGINS entry {origin!r} is not an origin. "
                "List full origins such as 'https://intranet.example'."
            )
    return origins


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def parse_hosts(value: str, bound_to: str) -> list[str]:
    """The host names to answer: those listed, else this machine's own names when bound to
    loopback (a site that rebinds its domain to 127.0.0.1 is then refused), else any."""
    hosts = [h.strip().lower() for h in value.split(",") if h.strip()]
    if hosts:
        return hosts
    return ["127.0.0.1", "localhost", "[::1]", "::1"] if bound_to in LOOPBACK else ["*"]


def create_app(assistant: Any, settings: Any, feedback: FeedbackStore | None = None):
    """A FastAPI app serving the page at ``/``, with CORS granted only to listed origins."""
    import gradio as gr
    from fastapi import FastAPI
    from starlette.middleware.cors import CORSMiddleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    from assistant.ui.app import CSS, build_ui, in_running_loop, theme

    demo = build_ui(assistant, settings, feedback)
    server = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    server.state.assistant_app = demo.assistant_app
    # With our own CORSMiddleware Gradio adds no CORS headers of its own (it would reflect any
    # Origin when reached by LAN address); this list is then the whole policy.
    server.add_middleware(
        CORSMiddleware,
        allow_origins=parse_origins(settings.allowed_origins),
        allow_credentials=True,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "Authorization"],
    )
    server.add_middleware(
        TrustedHostMiddleware, allowed_hosts=parse_hosts(settings.allowed_hosts, settings.host)
    )
    # Added last: outermost, so CORS answers get the headers too.
    server.add_middleware(
        Hardening,
        session_open=lambda id: id in demo._queue.pending_messages_per_session,
        event_inputs=lambda index: _inputs_of(demo.fns.get(index)),
    )
    return in_running_loop(
        lambda: gr.mount_gradio_app(
            server,
            demo,
            path="/",
            server_name=settings.host,
            server_port=settings.port,
            auth=parse_auth(settings.auth),
            css=CSS,
            theme=theme(),
            **MOUNT_OPTIONS,
        )
    )


def serve(
    assistant: Any,
    settings: Any,
    feedback: FeedbackStore | None = None,
    reopen: Any = None,
    report: Any = log.info,
) -> None:
    """Serve the app on ``settings.host:settings.port`` (127.0.0.1:7860 by default) until
    interrupted.

    When the domain model is missing or outdated and ``reopen`` (a function returning a fresh
    assistant) is given, it is trained in the background and the app switches to it when the
    index built with it is ready (:class:`assistant.search.domain.BackgroundTraining`).
    """
    import uvicorn

    app = create_app(assistant, settings, feedback)
    if reopen is not None and getattr(assistant, "domain", "off") in ("missing", "outdated"):
        from assistant.search.domain import BackgroundTraining

        state = app.state.assistant_app
        state.training = BackgroundTraining(
            settings.corpus,
            settings.index,
            settings.model,
            on_ready=lambda: state.swap(reopen()),
            report=report,
        ).start()
    if settings.host not in LOOPBACK and not settings.auth:
        log.warning(
            "Serving on %s without a login: anyone who can reach this address can use the app. "
            "Put it behind your single sign-on proxy, or set ASSISTANT_AUTH.",
            settings.host,
        )
    log.info("Serving on http://%s:%s", settings.host, settings.port)
    uvicorn.run(
        app, host=settings.host, port=settings.port, log_level="warning", server_header=False
    )


class BackgroundServer:
    """The app served from a thread (tests, notebooks, load benchmarks).

    >>> with BackgroundServer(create_app(bot, settings), "127.0.0.1", 0) as url:  # doctest: +SKIP
    ...     Client(url).predict("What is GSOIA?", api_name="/ask")
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0):
        import uvicorn

        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=1,
            server_header=False,  # as in serve: no "server: uvicorn" version banner
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("The app server did not start; see the log above.")
            time.sleep(0.02)
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=3)
        if self.thread.is_alive():  # clients holding event streams open
            self.server.force_exit = True
            self.thread.join(timeout=5)
