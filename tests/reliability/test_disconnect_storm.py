"""Disconnect storm: 300 streams cut at random points by their clients.

Every work task must be cancelled, every partial record finalised as aborted and passed to
``on_finish``, and nothing may be left running on the server afterwards.
"""

from __future__ import annotations

import random
import socket
import struct
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.abc import SocketAttribute
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from ai_stream import StreamContext, StreamRecord, UIMessageStreamResponse
from ai_stream.exceptions import ClientDisconnectedError
from tests.helpers import counter_ids, running_tasks
from tests.reliability._support import serve, settle
from tests.reliability.conftest import Figures

STREAMS = 300
STYLES = ("fast", "paced", "idle", "tool-input")
CUTS = ("no-read", "headers", "bytes", "reset")


@dataclass
class Server:
    started: int = 0
    cancelled: int = 0
    disconnected_error: int = 0
    returned: int = 0
    writes: int = 0
    records: list[StreamRecord] = field(default_factory=list)
    stops: Counter[str] = field(default_factory=Counter)


async def _work(ctx: StreamContext[Any], state: Server, style: str) -> None:
    state.started += 1
    try:
        if style == "fast":  # never yields except for backpressure
            while True:
                await ctx.write_text("fast producer " * 4)
                state.writes += 1
        elif style == "paced":
            step = 0
            while True:
                step += 1
                await ctx.write_reasoning(f"thinking {step} ")
                await ctx.write_text(f"step {step} ")
                if step % 5 == 0:
                    call = await ctx.begin_tool_call("lookup", {"step": step})
                    await ctx.complete_tool_call(call.tool_call_id, {"ok": step})
                state.writes += 1
                await anyio.sleep(0.002)
        elif style == "idle":  # a model that goes quiet: the disconnect must still be noticed
            await ctx.write_text("let me think")
            state.writes += 1
            await anyio.sleep_forever()
        else:
            call = await ctx.start_tool_input("search")
            while True:
                await ctx.stream_tool_input_delta(call.tool_call_id, "a")
                state.writes += 1
                await anyio.sleep(0.001)
    except anyio.get_cancelled_exc_class():
        state.cancelled += 1
        state.stops[f"{style}:cancelled"] += 1
        raise
    except ClientDisconnectedError:
        # A write between the disconnect and the delivery of the cancellation (the task was
        # already scheduled to resume) is refused; run() swallows it and the work stops.
        state.disconnected_error += 1
        state.stops[f"{style}:ClientDisconnectedError"] += 1
        raise
    state.returned += 1  # pragma: no cover - the work never ends by itself


def _app(state: Server) -> Starlette:
    async def chat(request: Request) -> UIMessageStreamResponse:
        ctx: StreamContext[Any] = StreamContext(
            on_finish=state.records.append, id_generator=counter_ids()
        )
        await ctx.run(_work, state, request.query_params["style"])
        return UIMessageStreamResponse(ctx)

    return Starlette(routes=[Route("/chat", chat, methods=["POST"])])


async def _client(
    port: int, style: str, cut: str, limit: int, patience: float, delay: float
) -> int:
    """Open a stream, read up to ``limit`` bytes or for ``patience`` seconds (by ``cut``), then
    go away; return the bytes read."""
    await anyio.sleep(delay)
    body = b'{"id":"c","messages":[],"trigger":"submit-message"}'
    request = (
        f"POST /chat?style={style} HTTP/1.1\r\nhost: 127.0.0.1\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode() + body
    received = 0
    with anyio.fail_after(15):
        stream = await anyio.connect_tcp("127.0.0.1", port)
        try:
            await stream.send(request)
            if cut != "no-read":
                data = b""
                while b"\r\n\r\n" not in data:
                    data += await stream.receive()
                received = len(data)
                with anyio.move_on_after(patience):
                    while cut in ("bytes", "reset") and received < limit:
                        received += len(await stream.receive(min(65536, limit - received)))
            if cut == "reset":  # an abrupt RST instead of a FIN
                raw = stream.extra(SocketAttribute.raw_socket)
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        finally:
            await stream.aclose()
    return received


async def test_disconnect_storm(figures: Figures) -> None:
    rng = random.Random(20250101)
    state = Server()
    plan = [
        (
            rng.choice(STYLES),
            rng.choice(CUTS),
            rng.choice([1, 200, 2_000, 20_000, 100_000]) + rng.randrange(1000),
            rng.random(),
            rng.random() * 0.5,
        )
        for _ in range(STREAMS)
    ]
    received: list[int] = []
    async with serve(_app(state)) as live:
        before = running_tasks()
        start = time.perf_counter()

        async def one(style: str, cut: str, limit: int, patience: float, delay: float) -> None:
            received.append(await _client(live.port, style, cut, limit, patience, delay))

        async with anyio.create_task_group() as group:
            for args in plan:
                group.start_soon(one, *args)
        clients_done = time.perf_counter() - start
        settled = await settle(
            lambda: (
                len(state.records) >= STREAMS
                and live.open_request_tasks() == 0
                and live.open_connections() == 0
                and running_tasks() == before
            ),
            within=10,
        )
        wall = time.perf_counter() - start
        leftover = running_tasks() - before
        writes = state.writes
        await anyio.sleep(0.1)
        writes_after = state.writes - writes
        aborted = sum(1 for r in state.records if r.aborted)
        with_content = sum(1 for r in state.records if r.text or r.tool_calls)
        reasons = Counter(r.abort_reason for r in state.records)
        figures.record(
            "disconnect storm",
            streams=STREAMS,
            work_started=state.started,
            cancelled=state.cancelled,
            stopped_by_disconnected_error=state.disconnected_error,
            aborted_records=aborted,
            records_with_partial_content=with_content,
            on_finish_calls=len(state.records),
            leftover_tasks=len(leftover),
            open_connections=live.open_connections(),
            writes_after_storm=writes_after,
            bytes_read_by_clients=sum(received),
            clients_s=round(clients_done, 3),
            wall_s=round(wall, 3),
            stops=dict(sorted(state.stops.items())),
        )
    assert settled, (len(state.records), leftover, live.open_request_tasks())
    assert state.started == STREAMS
    assert state.cancelled + state.disconnected_error == STREAMS and state.returned == 0
    assert len(state.records) == STREAMS  # on_finish exactly once per stream
    assert aborted == STREAMS
    assert reasons == {"client-disconnected": STREAMS}
    assert not leftover
    assert writes_after == 0
    # The records hold what was produced: every work writes before its first await, so every
    # partial record has content, however early the cut.
    assert with_content == STREAMS
