"""Concurrency: 1000 streams open at once, each with content of its own.

Every stream answers its own request: the text echoes the request's unique text and a tool call
carries a unique input and output. All 1000 are held open together (a server-side barrier) before
they finish. Every body is reduced with the client semantics of its major and must equal the
message the same work produces alone: zero errors, zero cross-talk.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.lowlevel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ai_stream import StreamContext, UIMessageStreamResponse
from ai_stream.exceptions import RequestParseError
from ai_stream.protocol.messages import ChatRequest, TextUIPart
from ai_stream.responses import request_error_response
from ai_stream.testing import collect_stream, parse_sse_json, read_ui_message
from tests.helpers import counter_ids
from tests.reliability._support import fetch, percentile, raise_fd_limit, serve
from tests.reliability.conftest import Figures

STREAMS = 1000
MAJORS = (5, 6, 7)
PAUSE = 0.05  # at most, before a stream goes on once all are open (spreads them out)


async def answer(
    ctx: StreamContext[Any],
    text: str,
    tag: str,
    pause: float,
    barrier: Callable[[], Awaitable[None]],
) -> None:
    await ctx.write_text(text[:6])  # the first bytes go out at once
    await barrier()
    if pause:
        await anyio.sleep(pause)
    for start in range(6, len(text), 7):
        await ctx.write_text(text[start : start + 7])
    call = await ctx.begin_tool_call("lookup", {"tag": tag, "text": text}, tool_call_id=f"c-{tag}")
    await anyio.lowlevel.checkpoint()  # let the other streams interleave
    await ctx.complete_tool_call(call.tool_call_id, {"echo": tag, "length": len(text)})
    await ctx.write_text(f"done {tag}")


def _context(chat: ChatRequest, major: int) -> StreamContext[Any]:
    return StreamContext.for_request(
        chat, sdk_version=major, message_id=f"msg-{chat.id}", id_generator=counter_ids()
    )


def _prompt(chat: ChatRequest) -> str:
    last = chat.last_message
    assert last is not None
    return "".join(p.text for p in last.parts if isinstance(p, TextUIPart))


class Gauge:
    def __init__(self, expected: int) -> None:
        self.open = self.peak = 0
        self.expected = expected
        self.all_open = anyio.Event()

    async def barrier(self) -> None:
        self.open += 1
        self.peak = max(self.peak, self.open)
        if self.open >= self.expected:
            self.all_open.set()
        with anyio.move_on_after(20):
            await self.all_open.wait()


def _app(gauge: Gauge) -> Starlette:
    async def chat(request: Request) -> Response:
        try:
            chat = await ChatRequest.from_request(request)
        except RequestParseError as error:
            return request_error_response(error)
        major = int(request.query_params["v"])
        ctx = _context(chat, major)

        async def work(ctx: StreamContext[Any]) -> None:
            try:
                pause = PAUSE * (hash(chat.id) % 100) / 100
                await answer(ctx, _prompt(chat), chat.id, pause, gauge.barrier)
            finally:
                gauge.open -= 1

        await ctx.run(work)
        return UIMessageStreamResponse(ctx)

    return Starlette(routes=[Route("/chat", chat, methods=["POST"])])


def _request(i: int) -> tuple[int, dict[str, Any]]:
    tag = f"s{i:04d}-{secrets.token_hex(6)}"
    body = {
        "id": tag,
        "messages": [
            {
                "id": f"u-{tag}",
                "role": "user",
                "parts": [{"type": "text", "text": f"Stream {i} says {tag} / {tag[::-1]}."}],
            }
        ],
        "trigger": "submit-message",
    }
    return MAJORS[i % len(MAJORS)], body


async def _expected(major: int, body: dict[str, Any]) -> dict[str, Any]:
    chat = ChatRequest.parse(body)
    ctx = _context(chat, major)

    async def no_barrier() -> None:
        pass

    await ctx.run(answer, _prompt(chat), chat.id, 0.0, no_barrier)
    message = read_ui_message(parse_sse_json(await collect_stream(ctx)), major)
    assert message is not None
    return message


async def test_1000_concurrent_streams_without_cross_talk(figures: Figures) -> None:
    raise_fd_limit(4 * STREAMS + 256)
    setup = time.perf_counter()
    requests = [_request(i) for i in range(STREAMS)]
    expected = [await _expected(major, body) for major, body in requests]
    setup = time.perf_counter() - setup
    gauge = Gauge(STREAMS)
    errors: list[str] = []
    mismatches: list[int] = []
    first_byte: list[float] = []
    durations: list[float] = []
    async with serve(_app(gauge)) as live:

        async def one(i: int) -> None:
            major, body = requests[i]
            try:
                reply = await fetch(
                    live.port,
                    "POST",
                    f"/chat?v={major}",
                    json.dumps(body).encode(),
                    headers=[("content-type", "application/json")],
                )
                if reply.first_body_byte_s is not None:
                    first_byte.append(reply.first_body_byte_s)
                durations.append(reply.total_s)
                if reply.status != 200:
                    errors.append(f"{i}: HTTP {reply.status}")
                    return
                message = read_ui_message(parse_sse_json(reply.body), major)
            except Exception as exc:
                errors.append(f"{i}: {exc!r}")
                return
            if message != expected[i]:
                mismatches.append(i)

        start = time.perf_counter()
        with anyio.fail_after(90):
            async with anyio.create_task_group() as group:
                for i in range(STREAMS):
                    group.start_soon(one, i)
        wall = time.perf_counter() - start
    figures.record(
        "concurrency",
        streams=STREAMS,
        peak_open_on_server=gauge.peak,
        errors=len(errors),
        cross_talk=len(mismatches),
        wall_s=round(wall, 3),
        expected_messages_s=round(setup, 3),
        ttfb_p50_ms=round(percentile(first_byte, 50) * 1000, 1),
        ttfb_p99_ms=round(percentile(first_byte, 99) * 1000, 1),
        duration_p50_ms=round(percentile(durations, 50) * 1000, 1),
        duration_p99_ms=round(percentile(durations, 99) * 1000, 1),
    )
    assert not errors, errors[:10]
    assert not mismatches, mismatches[:10]
    assert gauge.peak == STREAMS  # all of them were open at the same time
    assert len(first_byte) == STREAMS
