"""Redis faults and floods against a uvicorn worker process on a private redis-server.

* Redis is killed mid-answer (20 live streams, each with two readers) and started again: every
  reader ends cleanly (open parts closed, ``abort``, ``[DONE]``), no request hangs, requests
  while Redis is down get 503 JSON, and once it is back every new chat is answered (0 x 500).
* Redis is down when the worker starts: 503 JSON, then answers as soon as Redis is up.
* 200 anonymous readers wait on idle streams with a small pool: new chats are still answered.
* 1000 POSTs that hang up at once: at most ``max_streams`` answers run, the others get the 429
  JSON error, and the worker's memory is back within 10% of its baseline after the ttl.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from ai_stream.testing import parse_sse_json, read_ui_message
from tests.integrations._redis_server import restartable_redis
from tests.reliability.conftest import Figures
from tests.reliability.test_multiworker import Worker, worker
from tests.test_resume import BODY

LIVE = 20
STORE_DOWN = {
    "error": {
        "type": "store_unavailable",
        "message": "The store of resumable streams is unavailable; try again in a moment.",
        "path": None,
    }
}


@pytest.fixture
def logs() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        yield directory


def base(w: Worker) -> str:
    return w.url.rsplit("/api/chat", 1)[0]


async def wait_listening(w: Worker) -> None:
    async with httpx.AsyncClient() as client:
        with anyio.fail_after(30):
            while True:
                try:
                    await client.get(f"{base(w)}/debug/running")
                    return
                except httpx.TransportError:
                    await anyio.sleep(0.05)


def rss_kib(w: Worker) -> int:
    for line in Path(f"/proc/{w.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")  # pragma: no cover


def ends_cleanly(body: bytes) -> bool:
    """``abort`` then ``[DONE]`` last, and no part left streaming."""
    if not body.endswith(b"data: [DONE]\n\n"):
        return False
    chunks = parse_sse_json(body)
    message = read_ui_message(chunks)
    parts: list[dict[str, Any]] = message["parts"] if message else []
    return chunks[-1] == {"type": "abort"} and all(p.get("state") != "streaming" for p in parts)


async def complete_chats(client: httpx.AsyncClient, w: Worker, prefix: str, n: int) -> list[int]:
    """Post ``n`` short chats, read each to its end: their statuses (200 only when finished)."""
    statuses: list[int] = []

    async def one(i: int) -> None:
        response = await client.post(w.url, json={**BODY, "id": f"{prefix}{i}"})
        finished = response.status_code == 200 and b'"type":"finish"' in response.content
        statuses.append(response.status_code if finished or response.status_code != 200 else 0)

    async with anyio.create_task_group() as group:
        for i in range(n):
            group.start_soon(one, i)
    return statuses


async def test_redis_killed_and_restarted_mid_stream(logs: str, figures: Figures) -> None:
    with restartable_redis() as redis, worker(redis.url, "f:", logs, "a") as a:
        await wait_listening(a)
        bodies: dict[str, bytes] = {}
        flowing = {f"long-{i}": anyio.Event() for i in range(LIVE)}
        ended_after: list[float] = []
        killed_at = 0.0
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200)) as c:

            async def read(name: str, method: str, url: str, body: Any = None) -> None:
                async with c.stream(method, url, json=body) as response:
                    assert response.status_code == 200
                    received = b""
                    async for piece in response.aiter_raw():
                        received += piece
                        if received.count(b"text-delta") >= 2 and name.endswith(":post"):
                            flowing[name.split(":")[0]].set()
                bodies[name] = received
                ended_after.append(time.perf_counter() - killed_at)

            with anyio.fail_after(30):  # 0 hangs
                async with anyio.create_task_group() as group:
                    for chat_id in flowing:
                        group.start_soon(read, f"{chat_id}:post", "POST", a.url,
                                         {**BODY, "id": chat_id})  # fmt: skip
                    for chat_id, event in flowing.items():
                        await event.wait()
                        group.start_soon(read, f"{chat_id}:get", "GET", f"{a.url}/{chat_id}/stream")
                    await anyio.sleep(0.3)
                    killed_at = time.perf_counter()
                    redis.kill()
                down = [
                    await c.post(a.url, json={**BODY, "id": "while-down"}),
                    await c.get(f"{a.url}/long-0/stream"),
                    await c.post(f"{a.url}/long-0/stop"),
                ]
                redis.start()  # the same port, empty
                after = await complete_chats(c, a, "after-", LIVE)
                resumed = await c.get(f"{a.url}/after-0/stream")
        alive = a.process.poll() is None
    clean = sum(ends_cleanly(body) for body in bodies.values())
    figures.record(
        "redis killed mid-stream and restarted",
        live_streams=LIVE,
        readers=len(bodies),
        clean_ends=clean,
        reader_end_after_kill_s_max=round(max(ended_after), 3),
        answers_while_down=sorted({r.status_code for r in down}),
        new_chats_after=len(after),
        answered_after=after.count(200),
    )
    assert clean == 2 * LIVE, {k: v[-200:] for k, v in bodies.items() if not ends_cleanly(v)}
    assert [(r.status_code, r.json()) for r in down] == [(503, STORE_DOWN)] * 3
    assert after == [200] * LIVE and resumed.status_code == 204 and alive


async def test_redis_down_at_startup_answers_503_then_works(logs: str) -> None:
    with restartable_redis(started=False) as redis, worker(redis.url, "s:", logs, "a") as a:
        await wait_listening(a)
        async with httpx.AsyncClient(timeout=30) as client:
            refused = await client.post(a.url, json={**BODY, "id": "early"})
            redis.start()
            statuses = await complete_chats(client, a, "later-", 5)
    assert (refused.status_code, refused.json()) == (503, STORE_DOWN)
    assert refused.headers["retry-after"] == "1"
    assert statuses == [200] * 5


async def test_idle_anonymous_readers_do_not_take_the_pool(logs: str, figures: Figures) -> None:
    """A pool of 40 connections; 25 idle answers with 8 anonymous readers each (200 readers
    waiting for data): new chats are answered, and a 9th reader of one stream gets 429."""
    with (
        restartable_redis() as redis,
        worker(redis.url, "p:", logs, "a", "--max-connections", "40") as a,
    ):
        await wait_listening(a)
        opened = 0
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=400)) as c:
            async with anyio.create_task_group() as group:
                ready = anyio.Event()

                async def hold(method: str, url: str, body: Any = None) -> None:
                    nonlocal opened
                    async with c.stream(method, url, json=body) as response:
                        assert response.status_code == 200
                        opened += 1
                        if opened == 200:
                            ready.set()
                        async for _ in response.aiter_raw():
                            pass

                for i in range(25):
                    group.start_soon(hold, "POST", a.url, {**BODY, "id": f"idle-{i}"})
                with anyio.fail_after(30):
                    while opened < 25:
                        await anyio.sleep(0.02)
                    for i in range(25):  # the POST's own reader + 7 anonymous ones
                        for _ in range(7):
                            group.start_soon(hold, "GET", f"{a.url}/idle-{i}/stream")
                    await ready.wait()
                    ninth = await c.get(f"{a.url}/idle-0/stream")
                    await anyio.sleep(1.0)  # every reader waits for data now
                    started = time.perf_counter()
                    statuses = await complete_chats(c, a, "new-", 20)
                    took = time.perf_counter() - started
                group.cancel_scope.cancel()
    figures.record(
        "pool: 200 idle readers, pool of 40",
        readers=opened,
        ninth_reader_status=ninth.status_code,
        new_chats=len(statuses),
        answered=statuses.count(200),
        new_chats_s=round(took, 3),
    )
    assert ninth.status_code == 429 and ninth.json()["error"]["type"] == "too_many_streams"
    assert statuses == [200] * 20


async def test_a_flood_of_posts_that_hang_up(logs: str, figures: Figures) -> None:
    """1000 POSTs that hang up at once against max_streams=50 (grace 0.5 s, ttl 3 s): at most
    50 answers run, the others get 429 JSON, and memory returns to its baseline (measured
    after a first flood, which grows the allocator's arenas once; a leak grows every flood)."""
    with (
        restartable_redis() as redis,
        worker(redis.url, "fl:", logs, "a", "--max-streams", "50", "--grace", "0.5",
               "--ttl", "3") as a,
    ):  # fmt: skip
        await wait_listening(a)
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            statuses: list[int] = []
            limited: list[Any] = []

            async def post_and_hang_up(prefix: str, i: int) -> None:
                body = {**BODY, "id": f"{prefix}{i}"}
                async with client.stream("POST", a.url, json=body) as response:
                    statuses.append(response.status_code)
                    if response.status_code == 429:
                        limited.append(json.loads(await response.aread()))

            async def flood(prefix: str, n: int) -> None:
                async with anyio.create_task_group() as group:
                    for i in range(n):
                        group.start_soon(post_and_hang_up, prefix, i)

            async def settle() -> None:
                while (await client.get(f"{base(a)}/debug/running")).json()["running"]:
                    await anyio.sleep(0.1)
                await anyio.sleep(3.5)  # the ttl

            with anyio.fail_after(120):
                cold = rss_kib(a)
                await flood("warm-", 1000)  # warm up: imports, pools, the allocator's arenas
                await settle()
                baseline = rss_kib(a)
                statuses.clear()
                limited.clear()
                await flood("flood-", 1000)
                peak_rss = rss_kib(a)
                peak = (await client.get(f"{base(a)}/debug/running")).json()["peak"]
                await settle()
                after = rss_kib(a)
            later = await complete_chats(client, a, "after-flood-", 5)
    figures.record(
        "flood: 1000 POSTs that hang up (max_streams=50)",
        answered=statuses.count(200),
        refused_429=statuses.count(429),
        other=len(statuses) - statuses.count(200) - statuses.count(429),
        most_running=peak,
        rss_before_first_flood_mib=round(cold / 1024, 1),
        rss_baseline_mib=round(baseline / 1024, 1),
        rss_peak_mib=round(peak_rss / 1024, 1),
        rss_after_ttl_mib=round(after / 1024, 1),
    )
    assert len(statuses) == 1000 and set(statuses) <= {200, 429} and peak <= 50
    assert statuses.count(429) > 0
    assert all(error["error"]["type"] == "too_many_streams" for error in limited)
    assert after <= baseline * 1.10, (baseline, peak_rss, after)
    assert later == [200] * 5
