"""The web app: a thin Gradio adapter over the :class:`~assistant.assistant.Assistant` facade.

    render      escaped HTML and Markdown for answers, quotes, the reader, tables (no Gradio)
    handlers    what each user action does, as plain functions (no Gradio)
    app         build_ui(): the page, and the API endpoints (imports gradio)
    server      create_app(), serve(), BackgroundServer: FastAPI, CORS, safe mount options

Importing this package is cheap; gradio loads when ``build_ui``/``create_app``/``serve`` run.
"""

from __future__ import annotations

__all__ = ["build_ui", "create_app", "serve"]


def __getattr__(name: str):
    if name == "build_ui":
        from assistant.ui.app import build_ui

        return build_ui
    if name in ("create_app", "serve"):
        from assistant.ui import server

        return getattr(server, name)
    raise AttributeError(name)
