"""Heartbeats: ``UIMessageStreamResponse(ctx, keep_alive=0.1)`` with a producer that goes quiet.

While the producer is idle (gaps of ``GAP`` seconds), ``: keep-alive`` comment frames must arrive
every ``INTERVAL`` seconds (measured on the client, as the bytes arrive), and the real ``ai``
clients must ignore them: the body with heartbeats and the same body without them give the same
chat, with no chunk error.
"""

from __future__ import annotations

import time
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from ai_stream import StreamContext, UIMessageStreamResponse
from ai_stream.testing import parse_sse_json
from tests.conformance.client import FIRST_AND_LATEST, replay
from tests.helpers import counter_ids
from tests.reliability._support import fetch, mean, serve
from tests.reliability.conftest import Figures

INTERVAL = 0.1
TOLERANCE = 0.06  # a noisy two-core machine
GAP = 0.5
GAPS = 4
MAJORS = (5, 6, 7)
KEEP_ALIVE = ": keep-alive"
STREAM_OPEN = ": stream-open"


async def slow_model(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("Hello")
    await anyio.sleep(GAP)
    await ctx.write_text(", world.")
    await anyio.sleep(GAP)
    call = await ctx.begin_tool_call("weather", {"city": "Paris"}, tool_call_id="call-1")
    await anyio.sleep(GAP)
    await ctx.complete_tool_call(call.tool_call_id, {"celsius": 21})
    await anyio.sleep(GAP)
    await ctx.write_text("It is 21 °C.")


def _app() -> Starlette:
    async def chat(request: Request) -> UIMessageStreamResponse:
        major = int(request.query_params["v"])
        ctx: StreamContext[Any] = StreamContext(
            sdk_version=major, message_id="msg-1", id_generator=counter_ids()
        )
        await ctx.run(slow_model)
        return UIMessageStreamResponse(ctx, keep_alive=INTERVAL)

    return Starlette(routes=[Route("/chat", chat, methods=["POST"])])


def _events(chunks: list[tuple[float, bytes]]) -> list[tuple[float, str]]:
    """Each SSE event with the time its last byte arrived."""
    events, buffer = [], ""
    for arrived, data in chunks:
        buffer += data.decode()
        while "\n\n" in buffer:
            event, buffer = buffer.split("\n\n", 1)
            events.append((arrived, event))
    assert not buffer
    return events


def _without_comments(body: str) -> str:
    return "".join(f"{e}\n\n" for e in body.split("\n\n")[:-1] if not e.startswith(":"))


async def test_keep_alive_frames_arrive_on_time_and_the_client_ignores_them(
    figures: Figures,
) -> None:
    replies: dict[int, list[tuple[float, bytes]]] = {}
    async with serve(_app()) as live:

        async def one(major: int) -> None:
            reply = await fetch(live.port, "POST", f"/chat?v={major}", keep_chunks=True)
            assert reply.status == 200
            replies[major] = reply.chunks

        start = time.perf_counter()
        with anyio.fail_after(20):
            async with anyio.create_task_group() as group:
                for major in MAJORS:
                    group.start_soon(one, major)
        wall = time.perf_counter() - start

    intervals: list[float] = []
    heartbeats = 0
    bodies: dict[int, str] = {}
    for major, chunks in replies.items():
        events = _events(chunks)
        bodies[major] = "".join(f"{event}\n\n" for _, event in events)
        assert events[0][1] == STREAM_OPEN
        kinds = [event for _, event in events]
        heartbeats += kinds.count(KEEP_ALIVE)
        # Every keep-alive follows the previous frame by one interval: the producer was silent.
        intervals += [
            arrived - events[index - 1][0]
            for index, (arrived, event) in enumerate(events)
            if event == KEEP_ALIVE and index > 0
        ]
        assert kinds.count(KEEP_ALIVE) >= GAPS * (round(GAP / INTERVAL) - 2)
        assert all(e in (KEEP_ALIVE, STREAM_OPEN) or e.startswith("data: ") for e in kinds)

    releases = {major: FIRST_AND_LATEST[major][1] for major in MAJORS}
    cases = []
    for major, body in bodies.items():
        for name, text in (("heartbeats", body), ("plain", _without_comments(body))):
            cases.append({"name": f"{major}-{name}", "body": text, "versions": [releases[major]]})
    results = replay(cases)
    figures.record(
        "heartbeats",
        streams=len(MAJORS),
        keep_alive_s=INTERVAL,
        heartbeats=heartbeats,
        mean_interval_ms=round(mean(intervals) * 1000, 1),
        min_interval_ms=round(min(intervals) * 1000, 1),
        max_interval_ms=round(max(intervals) * 1000, 1),
        replayed_releases=",".join(releases.values()),
        wall_s=round(wall, 3),
    )
    assert all(abs(i - INTERVAL) <= TOLERANCE for i in intervals), intervals
    assert abs(mean(intervals) - INTERVAL) <= TOLERANCE / 3
    for major in MAJORS:
        release = releases[major]
        with_heartbeats = results[f"{major}-heartbeats"][release]
        plain = results[f"{major}-plain"][release]
        assert with_heartbeats["chunkErrors"] == []
        assert with_heartbeats["chat"]["status"] == "ready"
        assert with_heartbeats["read"]["errors"] == []
        assert with_heartbeats["chat"]["messages"] == plain["chat"]["messages"]
        assert with_heartbeats["read"]["message"] == plain["read"]["message"]
        assert with_heartbeats["chunks"] == plain["chunks"]
        assert len(with_heartbeats["chunks"]) == len(parse_sse_json(bodies[major]))
