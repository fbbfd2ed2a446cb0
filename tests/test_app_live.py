"""The app served for real (uvicorn in a thread, the tiny corpus, the hashing embedder), driven
over HTTP and through ``gradio_client``: the API, refusals, uploads, CORS, monitoring, login."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
from conftest import CLEAN_SETTINGS, write_tiny_corpus

from assistant.search.embedding import HashingEmbedder

LISTED_ORIGIN = "http://intranet.example"
HUGE = "x" * 1_000_000


def open_bot(folder: Path, **settings: object):
    from assistant import Assistant

    corpus = write_tiny_corpus(folder / "corpus")
    return Assistant.open(
        corpus=corpus,
        index=folder / "index",
        embedder=HashingEmbedder(),
        settings=CLEAN_SETTINGS.with_(data_dir=folder / "data", **settings),
        report=lambda message: None,
    )


def serve_in_thread(bot):
    from assistant.ui.server import BackgroundServer, create_app

    app = create_app(bot, bot.settings)
    return app, BackgroundServer(app, "127.0.0.1", 0)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    """(url, assistant, FastAPI app) of a server that lists one CORS origin."""
    bot = open_bot(tmp_path_factory.mktemp("live"), allowed_origins=LISTED_ORIGIN)
    app, server = serve_in_thread(bot)
    with server as url:
        yield url, bot, app


@pytest.fixture(scope="module")
def client(live):
    from gradio_client import Client

    return Client(live[0], verbose=False, analytics_enabled=False, download_files=False)


def test_ask_returns_the_engines_json(client, live) -> None:
    _, bot, _ = live
    got = client.predict("What is GSOIA?", "", 3, api_name="/ask")
    assert got == bot.ask("What is GSOIA?", k=3).to_dict()
    assert got["passages"][0]["citation"] == "United Kingdom-Ukraine Agreement, Part I, para. 1"


def test_ask_can_be_scoped_to_one_agreement(client) -> None:
    got = client.predict("How long does it last?", "netherlands", 2, api_name="/ask")
    assert {p["doc"] for p in got["passages"]} == {"netherlands"}


def test_only_ask_compare_and_verify_are_listed(client, live) -> None:
    info = client.view_api(print_info=False, return_format="dict")
    assert sorted(info["named_endpoints"]) == ["/ask", "/compare", "/verify"]
    assert info["unnamed_endpoints"] == {}
    raw = httpx.get(f"{live[0]}/gradio_api/info").json()
    assert sorted(raw["named_endpoints"]) == ["/ask", "/compare", "/verify"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((HUGE, "", 5), "The question has 1000000 characters; the limit is 1000."),
        (("  ", "", 5), "Please type a question (it was empty)."),
        (("GSOIA?", "mars", 5), "Unknown agreement 'mars'."),
        (("GSOIA?", "", 500), "k must be a whole number from 1 to 20."),
    ],
)
def test_bad_requests_get_a_clear_refusal_and_the_server_stays_healthy(
    client, live, args, message
) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=message.replace("(", r"\(").replace(")", r"\)")):
        client.predict(*args, api_name="/ask")
    assert client.predict("What is GSOIA?", "", 1, api_name="/ask")["passages"]
    assert httpx.get(live[0] + "/").status_code == 200


def run_private_event(url: str, app, name: str, data: list) -> dict:
    """Call a page event the API does not list, the way a hostile client could: by fn_index;
    return the completion message."""
    blocks = app.routes[-1].app.get_blocks()
    index = next(i for i, fn in blocks.fns.items() if getattr(fn.fn, "__name__", "") == name)
    session = uuid.uuid4().hex
    body = {"data": data, "fn_index": index, "session_hash": session, "event_data": None}
    assert httpx.post(f"{url}/gradio_api/queue/join", json=body, timeout=30).status_code == 200
    with httpx.stream(
        "GET", f"{url}/gradio_api/queue/data", params={"session_hash": session}, timeout=30
    ) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError("the event never completed")


def chat_status(message: dict) -> str:
    assert message["success"], message
    return next(o for o in message["output"]["data"] if isinstance(o, str) and "cq-status" in o)


def test_private_chat_event_called_directly_refuses_a_huge_question(live) -> None:
    url, _, app = live
    status = chat_status(run_private_event(url, app, "on_ask", [None, HUGE, ""]))
    assert "cq-error" in status and "the limit is 1000" in status
    assert httpx.get(url + "/").status_code == 200


@pytest.mark.parametrize("question", [42, ["a", "b"], {"q": 1}])
def test_private_chat_event_survives_other_types(live, question) -> None:
    # Gradio's Textbox turns any JSON value into a string before our handler sees it.
    url, _, app = live
    assert chat_status(run_private_event(url, app, "on_ask", [None, question, ""]))
    assert httpx.get(url + "/").status_code == 200


def test_private_chat_event_refuses_a_scope_not_offered(live) -> None:
    url, _, app = live
    message = run_private_event(url, app, "on_ask", [None, "GSOIA?", "<b>mars</b>"])
    assert not message["success"]
    assert "is not in the list of choices" in message["output"]["error"]


def test_compare_live(client, live) -> None:
    if not hasattr(live[1], "compare"):
        pytest.skip("Assistant.compare has not landed in the engine yet")
    got = client.predict("How long does the agreement last?", None, api_name="/compare")
    assert got["question"] == "How long does the agreement last?"
    assert {r["doc"] for r in got["results"]} == set(live[1].documents)
    assert got == live[1].compare("How long does the agreement last?").to_dict()


def test_verify_live(client, live) -> None:
    if not hasattr(live[1], "verify"):
        pytest.skip("Assistant.verify has not landed in the engine yet")
    claim = "The agreement with the Netherlands is valid for ten years."
    got = client.predict(claim, api_name="/verify")
    assert got["claim"] == claim
    assert got["verdict"] in ("supported", "partial", "unsupported")
    assert got == live[1].verify(claim).to_dict()


def test_uploads_are_refused(live) -> None:
    url = live[0]
    files = {"files": ("big.bin", b"\0" * 3_000_000, "application/octet-stream")}
    response = httpx.post(f"{url}/gradio_api/upload", files=files, timeout=30)
    assert response.status_code == 413
    tiny = httpx.post(f"{url}/gradio_api/upload", files={"files": ("a.txt", b"ab")}, timeout=30)
    assert tiny.status_code == 413


def test_monitoring_is_off(live) -> None:
    for path in ("/monitoring", "/gradio_api/monitoring", "/monitoring/summary"):
        assert httpx.get(live[0] + path).status_code in (403, 404), path


@pytest.mark.parametrize("host", [None, "192.168.1.20:7860", "assistant.lan"])
def test_a_foreign_origin_is_not_granted_cors(live, host) -> None:
    headers = {"Origin": "http://evil.example"} | ({"Host": host} if host else {})
    for path in ("/config", "/gradio_api/info"):
        response = httpx.get(live[0] + path, headers=headers)
        assert "access-control-allow-origin" not in response.headers, path
    preflight = httpx.options(
        live[0] + "/gradio_api/queue/join",
        headers=headers | {"Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_a_listed_origin_is_granted_cors(live) -> None:
    response = httpx.get(live[0] + "/config", headers={"Origin": LISTED_ORIGIN})
    assert response.headers["access-control-allow-origin"] == LISTED_ORIGIN


@pytest.fixture(scope="module")
def with_login(tmp_path_factory: pytest.TempPathFactory):
    bot = open_bot(tmp_path_factory.mktemp("login"), auth="staff:s3cret")
    _, server = serve_in_thread(bot)
    with server as url:
        yield url


def test_login_is_required_when_auth_is_set(with_login) -> None:
    from gradio_client import Client

    for path in ("/config", "/gradio_api/info"):
        assert httpx.get(with_login + path).status_code == 401, path
    call = httpx.post(f"{with_login}/gradio_api/call/ask", json={"data": ["GSOIA?", "", 1]})
    assert call.status_code == 401
    bad = httpx.post(f"{with_login}/login", data={"username": "staff", "password": "no"})
    assert bad.status_code == 400
    client = Client(
        with_login,
        auth=("staff", "s3cret"),
        verbose=False,
        analytics_enabled=False,
        download_files=False,
    )
    assert client.predict("What is GSOIA?", "", 1, api_name="/ask")["passages"]
