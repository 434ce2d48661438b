"""Two uvicorn worker processes share one redis-server (``RedisStreamStore``).

(a) A client posts a chat to worker A, drops the connection mid-answer and resumes on worker B:
    B serves the whole answer, the same message as an uninterrupted stream (100 of 100).
(b) Worker A is killed (SIGKILL) mid-answer while a reader follows on worker B: the reader gets
    what was produced, closed cleanly (open parts ended, ``abort``, ``[DONE]``) within the lease
    plus one XREAD block, and the chat has no active stream any more (204).
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from ai_stream import ChatRequest
from ai_stream.integrations.redis import RedisStreamStore
from ai_stream.testing import collect_stream, parse_sse_json, read_ui_message
from tests.integrations._redis_server import redis_server
from tests.reliability.conftest import Figures
from tests.reliability.multiworker_app import answer, deltas, make_context
from tests.test_resume import BODY

ROOT = Path(__file__).parents[2]
LEASE = 1.0  # seconds; the readers' XREAD blocks half of it
RUNS = 100
CONCURRENCY = 20
KILLS = 3
DETECT_LIMIT = 3.0  # seconds from SIGKILL to the reader's [DONE]: lease + block + slack


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@contextmanager
def worker(redis_url: str, prefix: str, log_dir: str, name: str, *options: str) -> Iterator[Worker]:
    """A worker process running ``multiworker_app``; stopped (or killed) at the end."""
    log = Path(log_dir, f"{name}.log")
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.multiworker_app", "--redis", redis_url,
             "--prefix", prefix, "--lease", str(LEASE), *options],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr,
        )  # fmt: skip
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        line = os.read(process.stdout.fileno(), 100).decode() if ready else ""
        assert line.startswith("port "), f"worker {name} did not start: {log.read_text()}"
        yield Worker(process, f"http://127.0.0.1:{int(line.split()[1])}/api/chat", log)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()


async def wait_ready(*workers: Worker) -> None:
    async with httpx.AsyncClient() as client:
        for w in workers:
            with anyio.fail_after(30):
                while True:
                    try:
                        response = await client.get(f"{w.url}/nobody/stream")
                    except httpx.TransportError:
                        await anyio.sleep(0.05)
                        continue
                    assert response.status_code == 204
                    break


@pytest.fixture
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


async def post_and_drop(client: httpx.AsyncClient, url: str, chat_id: str, keep: int) -> bytes:
    """POST a new chat, read ``keep`` body pieces, then drop the connection."""
    received = b""
    async with client.stream("POST", url, json={**BODY, "id": chat_id}) as response:
        assert response.status_code == 200
        async for piece in response.aiter_raw():
            received += piece
            keep -= 1
            if keep <= 0:
                break
    return received


async def expected_message(chat_id: str) -> dict[str, Any]:
    """The message of an uninterrupted stream (the app's context, run in this process)."""
    ctx = make_context(ChatRequest.parse({**BODY, "id": chat_id}))
    await ctx.run(answer, chat_id, 0.0)
    message = read_ui_message(parse_sse_json(await collect_stream(ctx)))
    assert message is not None
    return message


async def test_resume_on_the_other_worker(redis_url: str, figures: Figures) -> None:
    outcomes: dict[str, str] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as logs, ExitStack() as stack:
        a = stack.enter_context(worker(redis_url, "mw:", logs, "a"))
        b = stack.enter_context(worker(redis_url, "mw:", logs, "b"))
        await wait_ready(a, b)
        limiter = anyio.CapacityLimiter(CONCURRENCY)
        async with httpx.AsyncClient(
            timeout=10, limits=httpx.Limits(max_connections=100)
        ) as client:
            # the in-process reference equals a stream served uninterrupted by a worker
            reference = (await client.post(a.url, json={**BODY, "id": "reference"})).content
            assert read_ui_message(parse_sse_json(reference)) == await expected_message("reference")

            async def one(index: int) -> None:
                chat_id = f"chat-{index}"
                async with limiter:
                    partial = await post_and_drop(client, a.url, chat_id, keep=1 + index % 12)
                    resumed = await client.get(f"{b.url}/{chat_id}/stream")
                    after = await client.get(f"{a.url}/{chat_id}/stream")
                body = resumed.content
                if resumed.status_code != 200 or not body.startswith(partial) or body == partial:
                    outcomes[chat_id] = f"status {resumed.status_code}, or not a continuation"
                elif read_ui_message(parse_sse_json(body)) != await expected_message(chat_id):
                    outcomes[chat_id] = "message differs"
                elif after.status_code != 204:
                    outcomes[chat_id] = f"still active after the answer: {after.status_code}"
                else:
                    outcomes[chat_id] = "match"

            phase = time.perf_counter()
            with anyio.fail_after(60):
                async with anyio.create_task_group() as group:
                    for index in range(RUNS):
                        group.start_soon(one, index)
            phase = time.perf_counter() - phase
        logs_a, logs_b = a.log_tail(), b.log_tail()
    wall = time.perf_counter() - started
    matches = sum(1 for outcome in outcomes.values() if outcome == "match")
    figures.record(
        "multiworker resume (redis, 2 processes)",
        runs=RUNS,
        matches=matches,
        concurrency=CONCURRENCY,
        runs_s=round(phase, 3),
        wall_s_with_worker_start=round(wall, 3),
    )
    failures = {chat: outcome for chat, outcome in outcomes.items() if outcome != "match"}
    assert matches == RUNS, (failures, logs_a, logs_b)


async def test_killed_producer_is_closed_by_a_reader(redis_url: str, figures: Figures) -> None:
    detect: list[float] = []
    clean = 0
    with tempfile.TemporaryDirectory() as logs, worker(redis_url, "kill:", logs, "b") as b:
        async with RedisStreamStore(redis_url, prefix="kill:") as store:
            for run in range(KILLS):
                chat_id = f"slow-{run}"
                with worker(redis_url, "kill:", logs, f"a{run}") as a:
                    await wait_ready(a, b)
                    seconds, stream_id, body = await _kill_mid_stream(a, b, store, chat_id)
                assert a.process.returncode == -signal.SIGKILL
                detect.append(seconds)
                chunks = parse_sse_json(body)  # ends with [DONE]
                message = read_ui_message(chunks)
                assert message is not None
                text = "".join(p["text"] for p in message["parts"] if p["type"] == "text")
                full = "".join(deltas(chat_id))
                stored = b"".join([data async for data in store.read(stream_id)])
                async with httpx.AsyncClient() as client:
                    later = await client.get(f"{b.url}/{chat_id}/stream")
                assert chunks[-1] == {"type": "abort"}, chunks[-3:]
                assert all(part.get("state") != "streaming" for part in message["parts"]), message
                assert text and full.startswith(text) and len(text) < len(full), text
                assert stored == body  # the reader that closed it stored the same closing frames
                assert await store.active_stream(chat_id) is None and later.status_code == 204
                clean += 1
    figures.record(
        "multiworker producer killed (redis)",
        kills=KILLS,
        clean_closes=clean,
        lease_s=LEASE,
        detect_s_min=round(min(detect), 3),
        detect_s_max=round(max(detect), 3),
    )
    assert max(detect) < DETECT_LIMIT, detect


async def _kill_mid_stream(
    a: Worker, b: Worker, store: RedisStreamStore, chat_id: str
) -> tuple[float, str, bytes]:
    """Post to A, follow on B, SIGKILL A mid-answer.

    Returns:
        Seconds from the kill to the end of B's body, the stream id, B's body.
    """
    received = b""
    enough = anyio.Event()
    finished_at = 0.0

    async def post() -> None:
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                async with client.stream("POST", a.url, json={**BODY, "id": chat_id}) as response:
                    async for _ in response.aiter_raw():
                        pass
        except httpx.TransportError:
            pass  # A was killed

    async def follow() -> None:
        nonlocal received, finished_at
        async with httpx.AsyncClient(timeout=10) as client:
            async with client.stream("GET", f"{b.url}/{chat_id}/stream") as response:
                assert response.status_code == 200
                async for piece in response.aiter_raw():
                    received += piece
                    if received.count(b'"text-delta"') >= 8:
                        enough.set()
        finished_at = time.perf_counter()

    with anyio.fail_after(20):
        async with anyio.create_task_group() as group:
            group.start_soon(post)
            stream_id = None
            while stream_id is None:
                await anyio.sleep(0.01)
                stream_id = await store.active_stream(chat_id)
            group.start_soon(follow)
            await enough.wait()
            a.process.send_signal(signal.SIGKILL)
            killed_at = time.perf_counter()
    assert stream_id is not None
    return finished_at - killed_at, stream_id, received
