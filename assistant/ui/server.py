"""Serving the app: FastAPI with our own CORS allow-list, the safe mount options, uvicorn.

``create_app`` mounts the page of :func:`assistant.ui.app.build_ui` at ``/`` with
``MOUNT_OPTIONS`` (see SECURITY.md); ``serve`` runs it on ``settings.host:settings.port``;
``BackgroundServer`` runs it from a thread for tests and benchmarks.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

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


def create_app(assistant: Any, settings: Any, feedback: FeedbackStore | None = None):
    """A FastAPI app serving the page at ``/``, with CORS granted only to listed origins."""
    import gradio as gr
    from fastapi import FastAPI
    from starlette.middleware.cors import CORSMiddleware

    from assistant.ui.app import CSS, build_ui, in_running_loop, theme

    demo = build_ui(assistant, settings, feedback)
    server = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    # With our own CORSMiddleware Gradio adds no CORS headers of its own (it would reflect any
    # Origin when reached by LAN address); this list is then the whole policy.
    server.add_middleware(
        CORSMiddleware,
        allow_origins=parse_origins(settings.allowed_origins),
        allow_credentials=True,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "Authorization"],
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


def serve(assistant: Any, settings: Any, feedback: FeedbackStore | None = None) -> None:
    """Serve the app on ``settings.host:settings.port`` (127.0.0.1:7860 by default) until
    interrupted."""
    import uvicorn

    app = create_app(assistant, settings, feedback)
    if settings.host not in ("127.0.0.1", "localhost", "::1") and not settings.auth:
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
            app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=1
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
