"""The app surface against SECURITY.md, checked on the installed Gradio (issue 9, item 7): the
response headers, Gradio's file routes under path traversal, the Gradio routes that are not
ours, session isolation on the queue, uploads, and the Content-Security-Policy in Chromium.

Served for real (uvicorn in a thread, the tiny corpus, the hashing embedder).
"""

from __future__ import annotations

import http.client
import json
import uuid
from pathlib import Path

import httpx
import pytest

from assistant.ui.server import REFUSED_PREFIXES, SECURITY_HEADERS

CHROMIUM = Path("/usr/bin/chromium")
LISTED_ORIGIN = "http://intranet.example"
SECRET = f"TOPSECRET-{uuid.uuid4().hex}"
browser = pytest.mark.browser
needs_chromium = pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"needs {CHROMIUM}")


@pytest.fixture(scope="module")
def live(hashing_bot, tmp_path_factory: pytest.TempPathFactory):
    """(url, FastAPI app, folder holding a secret file) of the app over the tiny corpus."""
    from assistant.ui.server import BackgroundServer, create_app

    folder = tmp_path_factory.mktemp("security")
    (folder / "secret.txt").write_text(SECRET, encoding="utf-8")
    settings = hashing_bot.settings.with_(data_dir=folder / "data", allowed_origins=LISTED_ORIGIN)
    app = create_app(hashing_bot, settings)
    with BackgroundServer(app) as url:
        yield url, app, folder


@pytest.fixture(scope="module")
def any_host_live(hashing_bot, tmp_path_factory: pytest.TempPathFactory):
    """The app as deployed behind a proxy with no host list (``ASSISTANT_ALLOWED_HOSTS=*``)."""
    from assistant.ui.server import BackgroundServer, create_app

    folder = tmp_path_factory.mktemp("any-host")
    settings = hashing_bot.settings.with_(data_dir=folder / "data", allowed_hosts="*")
    with BackgroundServer(create_app(hashing_bot, settings)) as url:
        yield url


def raw_get(url: str, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    """GET ``path`` exactly as written (httpx would resolve ``../`` before sending)."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def gradio_app(app):
    return app.routes[-1].app


def route_table(routes, found: list | None = None) -> list[tuple[str, frozenset]]:
    """(path, methods) of every route, descending into included routers."""
    found = [] if found is None else found
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI's included router
        if inner is not None:
            route_table(inner.routes, found)
        elif hasattr(route, "path"):
            found.append((route.path, frozenset(getattr(route, "methods", None) or {"GET"})))
    return found


# --- Response headers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/config", 200),
        ("GET", "/gradio_api/info", 200),
        ("GET", "/favicon.ico", 200),
        ("GET", "/theme.css", 200),
        ("GET", "/gradio_api/file=/etc/passwd", 403),  # Gradio's own refusal
        ("GET", "/gradio_api/deep_link?session_hash=x", 404),  # ours
        ("GET", "/no-such-page", 404),
        ("OPTIONS", "/gradio_api/queue/join", 400),  # a CORS preflight from a foreign site
    ],
)
def test_every_response_has_the_security_headers_and_no_server_banner(
    live, method, path, status
) -> None:
    headers = {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    response = httpx.request(method, live[0] + path, headers=headers)
    assert response.status_code == status
    assert "server" not in response.headers
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get_list(name) == [value], name


def test_the_policy_allows_nothing_but_this_server_and_no_framing() -> None:
    directives = SECURITY_HEADERS["Content-Security-Policy"].split(";")
    policy = {d.split()[0]: d.split()[1:] for d in directives}
    assert policy["default-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    sources = {s for values in policy.values() for s in values}
    assert sources <= {"'self'", "'none'", "'unsafe-inline'", "'unsafe-eval'", "data:", "blob:"}
    assert SECURITY_HEADERS["X-Frame-Options"] == "DENY"
    assert SECURITY_HEADERS["X-Content-Type-Options"] == "nosniff"
    assert SECURITY_HEADERS["Referrer-Policy"] == "no-referrer"


def test_headers_a_ranged_file_response_reflects_are_replaced(live) -> None:
    # Gradio copies the request's headers into a ranged file= response: a client's
    # "X-Frame-Options: ALLOWALL" would come back as the response's own.
    from gradio import utils

    cached = Path(utils.get_cache_folder()) / f"test-security-{uuid.uuid4().hex}" / "probe.txt"
    cached.parent.mkdir(parents=True)
    cached.write_text("0123456789", encoding="utf-8")
    try:
        forged = {
            "Range": "bytes=0-3",
            "X-Frame-Options": "ALLOWALL",
            "Content-Security-Policy": "default-src *",
        }
        response = httpx.get(f"{live[0]}/gradio_api/file={cached}", headers=forged)
    finally:
        cached.unlink()
        cached.parent.rmdir()
    assert response.status_code == 206
    assert response.content == b"0123"
    assert response.headers.get_list("x-frame-options") == ["DENY"]
    assert response.headers.get_list("content-security-policy") == [
        SECURITY_HEADERS["Content-Security-Policy"]
    ]


def test_serve_runs_uvicorn_without_a_server_header(hashing_bot, monkeypatch, tmp_path) -> None:
    import uvicorn

    from assistant.ui import server

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    server.serve(hashing_bot, hashing_bot.settings.with_(data_dir=tmp_path))
    assert calls == [
        {"host": "127.0.0.1", "port": 7860, "log_level": "warning", "server_header": False}
    ]
    assert "share" not in server.MOUNT_OPTIONS and server.MOUNT_OPTIONS["ssr_mode"] is False


# --- File routes ---------------------------------------------------------------------------------


def traversal_paths(folder: Path) -> list[str]:
    secret = folder / "secret.txt"
    up = "../" * 12
    return [
        f"/gradio_api/file={secret}",
        f"/gradio_api/file={up}{str(secret).lstrip('/')}",
        f"/gradio_api/file={up.replace('..', '%2e%2e')}{str(secret).lstrip('/')}",
        f"/gradio_api/file={up.replace('/', '%2f')}{str(secret).lstrip('/')}",
        f"/gradio_api/file={up.replace('../', '%252e%252e%252f')}{str(secret).lstrip('/')}",
        f"/gradio_api/file=%2F{str(secret).lstrip('/')}",
        f"/gradio_api/file=/{secret}",
        f"/gradio_api/file={secret.parent}/./secret.txt",
        f"/gradio_api/file=\\{secret}",
        f"/gradio_api/file/{secret}",
        f"/gradio_api/file/{up}{str(secret).lstrip('/')}",
        "/gradio_api/file=/etc/passwd",
        "/gradio_api/file=pyproject.toml",
        "/gradio_api/file=data/feedback.sqlite3",
        f"/static/{up}{str(secret).lstrip('/')}",
        f"/static/{up.replace('/', '%2f')}{str(secret).lstrip('/')}",
        f"/static//{secret}",
        f"/static/%2f{str(secret).lstrip('/')}",
        f"/assets/{up}{str(secret).lstrip('/')}",
        f"/assets/{up.replace('..', '%2e%2e')}{str(secret).lstrip('/')}",
        f"/svelte/{up.replace('/', '%2f')}{str(secret).lstrip('/')}",
        "/static/../../routes.py",
        "/assets/%2e%2e/%2e%2e/routes.py",
        "/gradio_api/custom_component/x/client/../../routes.py",
        "/pwa_icon/../../routes.py",
    ]


def test_file_routes_refuse_traversal_encoded_and_absolute_paths(live) -> None:
    url, _, folder = live
    answered = {}
    for path in traversal_paths(folder):
        status, body = raw_get(url, path)
        answered[path] = status
        assert SECRET.encode() not in body and b"root:" not in body, path
        assert b"def " not in body, path  # no Python source of Gradio's either
    assert set(answered.values()) <= {400, 403, 404, 422}, answered


@pytest.mark.parametrize(
    "target",
    [
        "https://example.com/x.png",
        "http://example.com/x.png",
        "HTTP://example.com/x.png",
        "http%3A%2F%2Fexample.com%2Fx.png",
        "//example.com/x.png",
        "ftp://example.com/x",
    ],
)
@pytest.mark.parametrize("route", ["/gradio_api/file=", "/gradio_api/file/"])
def test_remote_urls_on_the_file_route_are_refused_unfetched(live, monkeypatch, route, target):
    # Gradio 6.31 fetches any public http(s) URL given to its file route (after checking the
    # address is public): traffic leaving the machine at a client's request. Refused before.
    from gradio import route_utils

    looked_up = []

    async def record(host, *args, **kwargs):
        looked_up.append(host)
        raise ValueError("not in this test")

    monkeypatch.setattr(route_utils.safehttpx, "async_validate_url", record)
    status, _ = raw_get(live[0], route + target)
    assert status == 404
    assert looked_up == []


# --- Gradio routes that are not ours -------------------------------------------------------------

# Every route the installed Gradio mounts, as reviewed for this app (issue 9). A Gradio upgrade
# that adds one fails the test below: review it, then list it here or refuse it in server.py.
REVIEWED_ROUTES = {
    # the page: HTML, its configuration and files (path-checked above), login when enabled
    "/", "/config", "/config/", "/theme.css", "/favicon.ico", "/robots.txt", "/manifest.json",
    "/static/{path:path}", "/assets/{path:path}", "/svelte/{path:path}",
    "/pwa_icon", "/pwa_icon/{size}", "/login", "/login/", "/logout",
    "/monitoring", "/monitoring/summary", "/monitoring/{key}",  # 403: enable_monitoring=False
    "/gradio_api/user", "/gradio_api/user/", "/gradio_api/login_check",
    "/gradio_api/login_check/", "/gradio_api/token", "/gradio_api/token/",
    "/gradio_api/app_id", "/gradio_api/app_id/", "/gradio_api/theme.css",
    "/gradio_api/startup-events", "/gradio_api/runs", "/gradio_api/runs/",  # 404: run_history
    # the API page and API clients
    "/gradio_api/info", "/gradio_api/info/", "/gradio_api/openapi.json",
    "/gradio_api/api/{api_name}", "/gradio_api/api/{api_name}/",
    "/gradio_api/run/{api_name}", "/gradio_api/run/{api_name}/",
    "/gradio_api/call/{api_name}", "/gradio_api/call/{api_name}/",
    "/gradio_api/call/{api_name}/{event_id}", "/gradio_api/call/v2/{api_name}",
    "/gradio_api/call/v2/{api_name}/", "/gradio_api/call/v2/{api_name}/{event_id}",
    # the queue (session isolation checked below)
    "/gradio_api/queue/join", "/gradio_api/queue/data", "/gradio_api/queue/status",
    "/gradio_api/heartbeat/{session_hash}", "/gradio_api/cancel", "/gradio_api/reset",
    "/gradio_api/reset/", "/gradio_api/component_server", "/gradio_api/component_server/",
    # the export download, from Gradio's cache only
    "/gradio_api/file={path_or_url:path}", "/gradio_api/file/{path:path}",
}  # fmt: skip


def test_every_gradio_route_is_reviewed_used_or_refused(live) -> None:
    _, app, _ = live
    paths = {path for path, _ in route_table(gradio_app(app).routes)}
    refused = {p for p in paths if p.startswith((*REFUSED_PREFIXES, "/gradio_api/upload"))}
    assert paths - refused == REVIEWED_ROUTES
    assert {"/gradio_api/deep_link", "/gradio_api/proxy={url_path:path}"} <= refused


def test_routes_that_are_not_ours_answer_404(live) -> None:
    url, app, _ = live
    checked = 0
    for path, methods in route_table(gradio_app(app).routes):
        if not path.startswith(REFUSED_PREFIXES):
            continue
        concrete = path.replace("{url_path:path}", "https://x.hf.space/a")
        for key in ("id", "environment", "type", "file_name", "event_id", "session_hash", "run"):
            concrete = concrete.replace("{" + key + "}", "x")
        concrete = concrete.replace("{component_id}", "1").replace("{segment_id}.{ext}", "0.ts")
        for method in methods - {"HEAD"}:
            response = httpx.request(method, url + concrete, json={}, params={"session_hash": "x"})
            assert response.status_code == 404, (method, concrete)
            checked += 1
    assert checked >= 15


@pytest.mark.parametrize("size", [0, 1, 3_000_000])
def test_uploads_of_any_size_are_refused(live, size) -> None:
    # max_file_size=1 still stored empty and one-byte files, without end, in Gradio's cache.
    name = f"{uuid.uuid4().hex}.txt"
    response = httpx.post(
        live[0] + "/gradio_api/upload", files={"files": (name, b"x" * size)}, timeout=30
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "This app accepts no uploads."}
    from gradio import utils

    assert not list(Path(utils.get_cache_folder()).glob(f"*/{name}"))


# --- Sessions ------------------------------------------------------------------------------------


def fn_index(app, name: str) -> int:
    fns = gradio_app(app).get_blocks().fns
    return next(i for i, fn in fns.items() if getattr(fn.fn, "__name__", "") == name)


def join(url: str, app, name: str, data: list, session: str) -> str:
    """Queue the page event ``name`` for ``session``, as a hostile client could; its event id."""
    body = {"data": data, "fn_index": fn_index(app, name), "session_hash": session}
    response = httpx.post(f"{url}/gradio_api/queue/join", json=body | {"event_data": None})
    assert response.status_code == 200, response.text
    return response.json()["event_id"]


def stream(url: str, session: str) -> list[dict]:
    """Every message of ``session``'s event stream until its events have completed."""
    messages = []
    params = {"session_hash": session}
    with httpx.stream("GET", f"{url}/gradio_api/queue/data", params=params, timeout=30) as sse:
        for line in sse.iter_lines():
            if line.startswith("data:"):
                messages.append(json.loads(line[5:]))
                if messages[-1].get("msg") == "close_stream":
                    break
    return messages


def test_a_forged_session_receives_nothing(live) -> None:
    url, app, _ = live
    mine = uuid.uuid4().hex
    event = join(url, app, "on_ask", [None, "What is GSOIA?", ""], mine)
    forged = httpx.get(f"{url}/gradio_api/queue/data", params={"session_hash": uuid.uuid4().hex})
    assert (forged.status_code, forged.json()) == (404, {"detail": "No events for this session."})
    got = stream(url, mine)
    assert {m.get("event_id") for m in got} <= {event, None}
    assert any("GSOIA" in json.dumps(m) for m in got if m.get("msg") == "process_completed")


def test_each_session_receives_only_its_own_results(live) -> None:
    url, app, _ = live
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    event_first = join(url, app, "on_ask", [None, "Who trains Ukrainian pilots?", ""], first)
    event_second = join(url, app, "on_ask", [None, "What is GSOIA?", ""], second)
    got_first, got_second = stream(url, first), stream(url, second)
    assert {m.get("event_id") for m in got_first} <= {event_first, None}
    assert {m.get("event_id") for m in got_second} <= {event_second, None}
    assert "pilots" in json.dumps(got_first) and "GSOIA" not in json.dumps(got_first)
    assert "GSOIA" in json.dumps(got_second) and "pilots" not in json.dumps(got_second)


def test_another_sessions_quotes_and_state_cannot_be_read(live, hashing_bot) -> None:
    url, app, _ = live
    owner, other = uuid.uuid4().hex, uuid.uuid4().hex
    join(url, app, "on_ask", [None, "What is GSOIA?", ""], owner)
    stream(url, owner)
    quote = hashing_bot.ask("What is GSOIA?").passages[1]
    join(url, app, "on_pick", [None, "1:2"], owner)
    opened = json.dumps(stream(url, owner))  # the owner reopens its own second quote
    assert "cq-current" in opened and quote.citation in opened
    join(url, app, "on_pick", [None, "1:2"], other)  # another session asks for the same
    seen = json.dumps(stream(url, other))
    assert "cq-current" not in seen and quote.citation not in seen and quote.doc not in seen
    # Gradio's deep link would snapshot the owner's components (its chat) for anyone holding
    # its session id; the route is refused.
    deep = httpx.get(f"{url}/gradio_api/deep_link", params={"session_hash": owner})
    assert deep.status_code == 404


def test_cors_stays_ours_with_the_hardening_in_front(live) -> None:
    url, app, _ = live
    assert [m.cls.__name__ for m in app.user_middleware] == [
        "Hardening",
        "TrustedHostMiddleware",
        "CORSMiddleware",
    ]
    foreign = httpx.get(url + "/config", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in foreign.headers
    listed = httpx.get(url + "/config", headers={"Origin": LISTED_ORIGIN})
    assert listed.headers["access-control-allow-origin"] == LISTED_ORIGIN
    assert listed.headers["x-frame-options"] == "DENY"


# --- The policy in Chromium ----------------------------------------------------------------------


@browser
@needs_chromium
def test_the_page_works_under_the_policy_with_no_violation(live) -> None:
    from bench.offline import browser_session, foreign

    url = live[0]
    session = browser_session(url, "How long is the agreement with the Netherlands valid?")
    assert session["csp_violations"] == []
    assert foreign(session["requests"], url) == []
    assert "ten (10) years" in session["shown"]["ask"]
    assert session["shown"]["rate"] == "Thank you: your feedback was recorded."
    export = session["shown"]["export"]
    assert "## Q1. How long is the agreement with the Netherlands valid?" in export


@browser
@needs_chromium
@pytest.mark.parametrize("with_policy", [True, False])
def test_a_page_poisoned_through_the_host_header_reaches_nowhere(
    any_host_live, with_policy
) -> None:
    # Gradio writes the request's Host into the page (config root, a script URL): a cache
    # poisoned with "Host: evil.example" would make every browser load script from there and
    # send it the queue. Where any host is answered, the policy refuses it; without the policy
    # (control) it would go out.
    from playwright.sync_api import sync_playwright

    from bench.offline import CHROMIUM_ARGS

    url = any_host_live
    poisoned = httpx.get(url + "/", headers={"Host": "evil.example"})
    assert 'const root = "http://evil.example"' in poisoned.text
    headers = dict(poisoned.headers)
    if not with_policy:
        headers.pop("content-security-policy")
    sent, violations = [], []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = chromium.new_page()
        page.on("console", lambda m: violations.append(m.text))

        def route(request_route) -> None:
            if request_route.request.url.rstrip("/") == url:
                request_route.fulfill(status=200, headers=headers, body=poisoned.content)
            elif "evil.example" in request_route.request.url:
                sent.append(request_route.request.url)
                request_route.abort()
            else:
                request_route.continue_()

        page.route("**/*", route)
        page.goto(url)
        page.wait_for_timeout(1500)
        chromium.close()
    if with_policy:
        assert sent == []
        assert any("evil.example" in v and "Content Security Policy" in v for v in violations)
    else:
        assert any(u.startswith("http://evil.example/static/js/iframeResizer") for u in sent)


@pytest.mark.parametrize("host", ["evil.example", "rebound.attacker.example:7860", "10.0.0.5"])
def test_bound_to_loopback_a_request_for_another_host_name_is_refused(live, host) -> None:
    # DNS rebinding: a site points its own name at 127.0.0.1 and its page calls the app.
    response = httpx.get(live[0] + "/", headers={"Host": host})

    assert response.status_code == 400
    assert "Invalid host header" in response.text
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost:7860", "LOCALHOST"])
def test_this_machines_own_names_are_answered(live, host) -> None:
    assert httpx.get(live[0] + "/", headers={"Host": host}).status_code == 200


def test_host_list_defaults_to_loopback_names_only_when_bound_there() -> None:
    from assistant.ui.server import parse_hosts

    assert "localhost" in parse_hosts("", "127.0.0.1")
    assert "*" not in parse_hosts("", "127.0.0.1")
    assert parse_hosts("", "0.0.0.0") == ["*"]
    assert parse_hosts(" Assistant.Example , other.example", "0.0.0.0") == [
        "assistant.example",
        "other.example",
    ]


@pytest.mark.parametrize("index", [9999, -1, 10**12])
def test_a_queue_join_for_an_event_that_does_not_exist_is_a_clean_404(live, index) -> None:
    # Gradio looks the index up unguarded: a KeyError, HTTP 500 and a traceback in the log.
    body = {"fn_index": index, "data": [], "session_hash": uuid.uuid4().hex}
    response = httpx.post(live[0] + "/gradio_api/queue/join", json=body)

    assert (response.status_code, response.json()) == (404, {"detail": "No such event."})
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_queue_join_for_a_real_event_still_reaches_gradio(live) -> None:
    url, app, _ = live
    fns = gradio_app(app).get_blocks().fns
    index = next(i for i, fn in fns.items() if getattr(fn.fn, "__name__", "") == "on_ask")
    body = {"fn_index": index, "data": [None, "What is GSOIA?", ""], "session_hash": "s1"}
    response = httpx.post(url + "/gradio_api/queue/join", json=body)

    assert response.status_code == 200 and "event_id" in response.json()


@pytest.mark.parametrize(
    ("data", "session", "detail"),
    [
        (["only one value"], "s2", "The event takes 3 values."),
        (None, "s2", "The event takes 3 values."),
        ([None, "What is GSOIA?", ""], "", "A session id (1 to 128 characters) is required."),
        ([None, "What is GSOIA?", ""], 42, "A session id (1 to 128 characters) is required."),
        (
            [None, "What is GSOIA?", ""],
            "0" * 129,
            "A session id (1 to 128 characters) is required.",
        ),
    ],
)
def test_a_malformed_queue_join_is_refused_before_gradio_trips_on_it(
    live, data, session, detail
) -> None:
    url, app, _ = live
    fns = gradio_app(app).get_blocks().fns
    index = next(i for i, fn in fns.items() if getattr(fn.fn, "__name__", "") == "on_ask")
    body = {"fn_index": index, "data": data, "session_hash": session}
    response = httpx.post(url + "/gradio_api/queue/join", json=body)

    assert (response.status_code, response.json()) == (422, {"detail": detail})


def test_a_queue_join_for_an_event_the_browser_runs_alone_is_refused(live) -> None:
    url, app, _ = live
    fns = gradio_app(app).get_blocks().fns
    index = next(i for i, fn in fns.items() if fn.fn is None)  # a js-only step ("Searching…")
    body = {"fn_index": index, "data": [None] * len(fns[index].inputs), "session_hash": "s3"}

    assert httpx.post(url + "/gradio_api/queue/join", json=body).status_code == 404
