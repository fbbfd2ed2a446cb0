"""Soak and overload: many clients for minutes against the served app, then a burst beyond its
queue.

    .venv/bin/python -m bench.soak [--clients 50] [--seconds 300] [--burst 200] [--corpus PATH]
        [--think 0.5] [--model MODEL]

The app is served from a child process (:func:`bench.app_load.served`, the real model over the
Canada agreement by default). Each client is one browser tab or API user, speaking Gradio's
queue protocol over loopback (``queue/join``, then the ``queue/data`` event stream) with its own
session: a mix of the page's chat (two-turn dialogues from ``bench/questions/dialogues.jsonl``,
so follow-ups are resolved against the conversation held in the session, then "New
conversation") and the API endpoints ``/ask``, ``/compare`` and ``/verify``. Between requests a
client waits a random time, ``think`` seconds on average; every question carries a counter, so
no answer comes from a cache.

After the soak, ``burst`` requests are sent at once, each as a new user on its own connection
(bare sockets, so that the client's own cost does not inflate the times): the queue
(``QUEUE_MAX_SIZE`` in ``assistant/ui/app.py``) takes what it can hold, and the rest must be
refused at once (within ``AT_ONCE_S``) with a clear message, never left hanging. The figures
(requests, errors, latency percentiles, the server's resident memory over time, the burst's
refusals and how fast they came) go to ``bench/results/soak.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.app_load import CANADA, QUESTIONS, served
from bench.measure import REPO, load_average, percentile, summary_ms

RESULTS = REPO / "bench" / "results" / "soak.json"
DIALOGUES = REPO / "bench" / "questions" / "dialogues.jsonl"
REQUEST_TIMEOUT_S = 60.0  # a request unanswered by then is a hang, counted as an error
AT_ONCE_S = 1.0  # a refusal slower than this was not "at once"
RSS_EVERY_S = 5.0
WARM_UP_ROUNDS = 2
# How often a client picks each action; a chat is a whole dialogue (two questions and a reset).
MIX = {"chat": 0.4, "ask": 0.3, "compare": 0.15, "verify": 0.15}
CLAIMS = (
    "The agreement is valid for ten years.",
    "Either Participant may terminate the agreement with six months' notice.",
    "Canada will help Ukraine defend itself against cyber attacks.",
    "The agreement was signed in Kyiv.",
    "Canada will provide fighter aircraft to Ukraine.",
    "The Participants will consult within 24 hours of a future armed attack.",
)
GOALS = {"p99_s": 2.0, "rss_growth_pct": 10.0}


@dataclass(frozen=True)
class Outcome:
    """One request: ``ok``, ``error`` or ``refused`` (the queue was full), and how long it took
    (to the answer, or to the refusal)."""

    endpoint: str
    kind: str
    seconds: float
    started: float  # seconds since the soak began
    message: str = ""


class Endpoints:
    """The queue's function indexes, read from the served page's ``/config``.

    ``chat`` is the page's question box (private: the page calls it by index, as here) and
    ``restart`` its "New conversation" button: the event whose only input is the session and
    whose outputs are the chat's.
    """

    def __init__(self, config: dict):
        deps = config["dependencies"]
        named = {d["api_name"]: d for d in deps if d.get("backend_fn")}
        chat = named["on_ask"]
        restart = next(
            d
            for d in deps
            if d.get("backend_fn")
            and d["inputs"] == chat["inputs"][:1]
            and d["outputs"] == chat["outputs"]
        )
        self.index = {
            "chat": chat["id"],
            "restart": restart["id"],
            **{name: named[name]["id"] for name in ("ask", "compare", "verify")},
        }


async def call(http, url: str, endpoint: int, data: list, session: str, name: str, t0: float):
    """One request through Gradio's queue, as the page and ``gradio_client`` make it."""
    started = time.perf_counter()
    at = started - t0
    try:
        return await asyncio.wait_for(
            _call(http, url, endpoint, data, session, name, started, at), REQUEST_TIMEOUT_S
        )
    except TimeoutError:
        return Outcome(name, "error", time.perf_counter() - started, at, "no answer (a hang)")
    except Exception as exc:  # every failure is counted, none hides
        message = f"{type(exc).__name__}: {exc}"[:200]
        return Outcome(name, "error", time.perf_counter() - started, at, message)


async def _call(http, url, endpoint, data, session, name, started, at) -> Outcome:
    body = {"data": data, "fn_index": endpoint, "session_hash": session, "event_data": None}
    joined = await http.post(f"{url}gradio_api/queue/join", json=body)
    if joined.status_code == 503:  # the queue is full
        detail = joined.json().get("detail", joined.text)
        return Outcome(name, "refused", time.perf_counter() - started, at, str(detail))
    if joined.status_code != 200:
        return Outcome(name, "error", time.perf_counter() - started, at, joined.text[:200])
    event = joined.json()["event_id"]
    params = {"session_hash": session}
    async with http.stream("GET", f"{url}gradio_api/queue/data", params=params) as stream:
        async for line in stream.aiter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            if message.get("event_id") == event and message.get("msg") == "process_completed":
                seconds = time.perf_counter() - started
                problem = _problem(name, message)
                kind = "error" if problem else "ok"
                return Outcome(name, kind, seconds, at, problem)
            if message.get("msg") == "unexpected_error":
                return Outcome(name, "error", time.perf_counter() - started, at, str(message))
    return Outcome(name, "error", time.perf_counter() - started, at, "the event stream ended")


def _problem(name: str, message: dict) -> str:
    """What is wrong with a completed event ('' when nothing): a refusal or a missing field."""
    output = message.get("output") or {}
    if not message.get("success"):
        return str(output.get("error") or output)[:200]
    data = output.get("data") or [None]
    if name in ("chat", "restart"):
        status = next((d for d in data if isinstance(d, str) and "cq-status" in d), "")
        return status[:200] if "cq-error" in status else ""
    needs = {"ask": "passages", "compare": "results", "verify": "verdict"}[name]
    return (
        "" if isinstance(data[0], dict) and needs in data[0] else f"no {needs!r} in {data!r}"[:200]
    )


class Workload:
    """What the clients ask: dev questions, two-turn dialogues and claims, each made unique."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.questions = [json.loads(line)["q"] for line in QUESTIONS.read_text().splitlines()]
        self.dialogues = [
            json.loads(line)["turns"] for line in DIALOGUES.read_text().splitlines() if line.strip()
        ]
        self.count = 0

    def unique(self, text: str) -> str:
        self.count += 1
        return f"{text} ({self.count})"

    def requests(self, action: str | None = None) -> list[tuple[str, list]]:
        """The next action of a client (drawn from :data:`MIX` unless given): (endpoint,
        inputs) pairs to send one after the other."""
        action = action or self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        if action == "chat":
            turns = self.rng.choice(self.dialogues)
            return [("chat", [None, self.unique(t), ""]) for t in turns] + [("restart", [None])]
        if action == "ask":
            return [("ask", [self.unique(self.rng.choice(self.questions)), "", 5])]
        if action == "compare":
            return [("compare", [self.unique(self.rng.choice(self.questions)), None])]
        return [("verify", [self.unique(self.rng.choice(CLAIMS))])]


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MiB (psutil when installed, else /proc)."""
    try:
        import psutil
    except ImportError:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmRSS for process {pid}") from None
    return psutil.Process(pid).memory_info().rss / 2**20


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _soak(
    url: str, pid: int, clients: int, seconds: float, burst: int, think: float, seed: int
) -> dict:
    import httpx

    url = url.rstrip("/") + "/"
    limits = httpx.Limits(max_connections=2 * clients + burst + 10, max_keepalive_connections=None)
    timeout = httpx.Timeout(REQUEST_TIMEOUT_S)
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as http:
        config = (await http.get(f"{url}config")).json()
        index = Endpoints(config).index
        work = Workload(seed)
        rss_ready = rss_mb(pid)
        t0 = time.perf_counter()
        for _ in range(WARM_UP_ROUNDS):  # the model's first calls, the first session
            for action in MIX:
                for name, data in work.requests(action):
                    done = await call(http, url, index[name], data, "warm-up", name, t0)
                    if done.kind != "ok":
                        raise RuntimeError(f"the warm-up {name} failed: {done.message}")
        rss_start, cpu_start = rss_mb(pid), cpu_seconds(pid)
        client_cpu_start = _own_cpu()
        outcomes: list[Outcome] = []
        rss_series: list[tuple[float, float]] = [(0.0, rss_start)]
        t0 = time.perf_counter()
        end = t0 + seconds

        async def user(n: int) -> None:
            session = f"soak-{n}-{uuid.uuid4().hex[:8]}"
            rng = random.Random(seed * 1000 + n)
            await asyncio.sleep(rng.uniform(0, min(1.0, think or 1.0)))  # no lockstep start
            while time.perf_counter() < end:
                for name, data in work.requests():
                    outcomes.append(await call(http, url, index[name], data, session, name, t0))
                    if think:
                        await asyncio.sleep(rng.expovariate(1 / think))

        async def sample() -> None:
            while True:
                await asyncio.sleep(RSS_EVERY_S)
                rss_series.append((round(time.perf_counter() - t0, 1), round(rss_mb(pid), 1)))

        sampler = asyncio.create_task(sample())
        await asyncio.gather(*(user(n) for n in range(clients)))
        sampler.cancel()
        wall = time.perf_counter() - t0
        rss_end, cpu_end = rss_mb(pid), cpu_seconds(pid)
        halfway = next((r for t, r in rss_series if t >= wall / 2), rss_end)
        client_cpu = _own_cpu() - client_cpu_start
        overload = await _burst(url, index["ask"], burst, work)
        question = [work.unique("What is the CUSSP?"), "", 5]
        after = await call(http, url, index["ask"], question, "after", "ask", time.perf_counter())
    return {
        **_soak_figures(outcomes, wall, clients, think),
        "server_rss_mb": {
            "ready": round(rss_ready, 1),
            "start": round(rss_start, 1),
            "end": round(rss_end, 1),
            "max": round(max(r for _, r in rss_series + [(0, rss_end)]), 1),
            "growth_pct": round(100 * (rss_end - rss_start) / rss_start, 2),
            # Still growing in the second half, or levelling off (bounded caches filling)?
            "growth_second_half_pct": round(100 * (rss_end - halfway) / halfway, 2),
            "series": rss_series,
        },
        "server_cpu_s": round(cpu_end - cpu_start, 1),
        "client_cpu_s": round(client_cpu, 1),
        "burst": overload,
        "answers_after_burst": after.kind == "ok",
    }


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _soak_figures(outcomes: list[Outcome], wall: float, clients: int, think: float) -> dict:
    ok = [o.seconds for o in outcomes if o.kind == "ok"]
    failed = [o for o in outcomes if o.kind != "ok"]
    minutes = int(wall // 60) + 1
    return {
        "clients": clients,
        "think_s": think,
        "seconds": round(wall, 1),
        "requests": len(outcomes),
        "errors": sum(o.kind == "error" for o in outcomes),
        "refused": sum(o.kind == "refused" for o in outcomes),
        "first_errors": [f"{o.endpoint}: {o.message}" for o in failed[:5]],
        "per_second": round(len(outcomes) / wall, 1),
        "latency": summary_ms(ok),
        "by_endpoint": {
            name: {
                "requests": sum(o.endpoint == name for o in outcomes),
                **summary_ms(
                    [o.seconds for o in outcomes if o.endpoint == name and o.kind == "ok"]
                ),
            }
            for name in ("chat", "restart", "ask", "compare", "verify")
        },
        "p99_ms_by_minute": [
            round(
                percentile(
                    [o.seconds for o in outcomes if o.kind == "ok" and int(o.started // 60) == m],
                    99,
                )
                * 1000
            )
            for m in range(minutes)
        ],
    }


async def _burst(url: str, ask: int, size: int, work: Workload) -> dict:
    """``size`` questions at once, each from a new user; who was taken, who refused, how fast.

    Sent on bare sockets (:func:`raw_call`): 200 new connections through httpx cost this
    process about as much CPU as they cost the server, which on two cores would double the
    refusal times measured.
    """
    asks = [[work.unique("How long does the agreement last?"), "", 5] for _ in range(size)]
    users = [f"burst-{i}-{uuid.uuid4().hex[:8]}" for i in range(size)]
    t0 = time.perf_counter()
    outcomes = await asyncio.gather(
        *(raw_call(url, ask, data, user, "ask", t0) for data, user in zip(asks, users, strict=True))
    )
    wall = time.perf_counter() - t0
    refused = [o for o in outcomes if o.kind == "refused"]
    answered = [o.seconds for o in outcomes if o.kind == "ok"]
    return {
        "requests": size,
        "answered": len(answered),
        "refused": len(refused),
        "errors": sum(o.kind == "error" for o in outcomes),
        "first_errors": [o.message for o in outcomes if o.kind == "error"][:3],
        "refused_at_once": sum(o.seconds <= AT_ONCE_S for o in refused),
        "refusal_max_ms": round(max((o.seconds for o in refused), default=0) * 1000, 1),
        "refusal_p50_ms": round(percentile([o.seconds for o in refused], 50) * 1000, 1),
        "refusal_message": refused[0].message if refused else "",
        "answered_max_ms": round(max(answered, default=0) * 1000, 1),
        "wall_s": round(wall, 2),
    }


async def raw_call(url: str, endpoint: int, data: list, session: str, name: str, t0: float):
    """:func:`call` on bare sockets, one connection per step (``Connection: close``)."""
    started = time.perf_counter()
    at = started - t0
    try:
        return await asyncio.wait_for(
            _raw_call(url, endpoint, data, session, name, started, at), REQUEST_TIMEOUT_S
        )
    except TimeoutError:
        return Outcome(name, "error", time.perf_counter() - started, at, "no answer (a hang)")
    except Exception as exc:  # every failure is counted, none hides
        message = f"{type(exc).__name__}: {exc}"[:200]
        return Outcome(name, "error", time.perf_counter() - started, at, message)


async def _raw_call(url, endpoint, data, session, name, started, at) -> Outcome:
    address = urlsplit(url)
    body = json.dumps(
        {"data": data, "fn_index": endpoint, "session_hash": session, "event_data": None}
    ).encode()
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        writer.write(
            f"POST /gradio_api/queue/join HTTP/1.1\r\nHost: {address.netloc}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        head, _, answer = (await reader.read()).partition(b"\r\n\r\n")
    finally:
        writer.close()
    status = int(head.split(b" ", 2)[1])
    if status == 503:
        detail = json.loads(answer).get("detail", answer.decode())
        return Outcome(name, "refused", time.perf_counter() - started, at, str(detail))
    if status != 200:
        return Outcome(name, "error", time.perf_counter() - started, at, answer.decode()[:200])
    event = json.loads(answer)["event_id"]
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        writer.write(
            f"GET /gradio_api/queue/data?session_hash={session} HTTP/1.1\r\n"
            f"Host: {address.netloc}\r\nConnection: close\r\n\r\n".encode()
        )
        seen = b""
        while chunk := await reader.read(65536):
            seen += chunk
            # Each event-stream message arrives as one chunk, so its line is whole.
            for line in seen.split(b"\n"):
                if line.startswith(b"data:") and b"process_completed" in line:
                    message = json.loads(line[5:])
                    if message.get("event_id") == event:
                        problem = _problem(name, message)
                        seconds = time.perf_counter() - started
                        return Outcome(name, "error" if problem else "ok", seconds, at, problem)
    finally:
        writer.close()
    return Outcome(name, "error", time.perf_counter() - started, at, "the event stream ended")


def goals(result: dict) -> dict[str, bool]:
    """Each goal of the soak and whether this run met it."""
    burst = result["burst"]
    return {
        "no_errors_below_the_queue_limit": result["errors"] == 0 and result["refused"] == 0,
        "p99_within_2_s": result["latency"]["p99_ms"] <= GOALS["p99_s"] * 1000,
        "rss_growth_under_10_pct": result["server_rss_mb"]["growth_pct"] < GOALS["rss_growth_pct"],
        "overload_refused_at_once": burst["refused"] > 0
        and burst["refused_at_once"] == burst["refused"]
        and burst["errors"] == 0
        and "Queue is full" in burst["refusal_message"]
        and result["answers_after_burst"],
    }


def run(
    clients: int = 50,
    seconds: float = 300,
    burst: int = 200,
    corpus: Path = CANADA,
    think: float = 0.5,
    model: str | None = None,
    seed: int = 0,
) -> dict:
    """Serve ``corpus``, soak it with ``clients`` for ``seconds``, then send ``burst`` at once.

    Returns the figures (see the module docstring) with ``goals``: each goal and whether it was
    met. ``model`` is an ``ASSISTANT_MODEL`` value (``hashing-256``: the instant fake embedder).
    """
    with served(Path(corpus), model) as server:
        result = asyncio.run(_soak(server.url, server.pid, clients, seconds, burst, think, seed))
    result = {
        "corpus": str(corpus),
        "model": model or "default",
        "server_ready_s": round(server.ready_s, 2),
        "queue_max_size": _queue_max_size(),
        **result,
        "load_average": load_average(),
        "cpus": os.cpu_count(),
    }
    return {**result, "goals": goals(result)}


def _queue_max_size() -> int:
    from assistant.ui.app import QUEUE_MAX_SIZE

    return QUEUE_MAX_SIZE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--corpus", type=Path, default=CANADA, help="an agreement or a folder")
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between requests")
    parser.add_argument("--model", default=None, help="ASSISTANT_MODEL (hashing-256: the fake)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    result = run(
        args.clients, args.seconds, args.burst, args.corpus, args.think, args.model, args.seed
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    latency, rss, burst = result["latency"], result["server_rss_mb"], result["burst"]
    print(
        f"{result['clients']} clients, {result['seconds']} s: {result['requests']} requests "
        f"({result['per_second']}/s), {result['errors']} errors, {result['refused']} refused; "
        f"p50 {latency['p50_ms']} ms, p99 {latency['p99_ms']} ms"
    )
    print(f"server RSS {rss['start']} -> {rss['end']} MiB ({rss['growth_pct']:+} %)")
    print(
        f"burst of {burst['requests']}: {burst['answered']} answered, {burst['refused']} refused "
        f"({burst['refused_at_once']} within {AT_ONCE_S:.0f} s, slowest {burst['refusal_max_ms']}"
        f" ms): {burst['refusal_message']!r}"
    )
    print(
        "goals: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in result["goals"].items())
    )
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
