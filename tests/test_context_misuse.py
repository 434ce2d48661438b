"""Misuse is loud within a second, never a silent hang (asyncio and trio).

The three ways a first app got a stream that never ends: returning the response without
``ctx.run(work)``, awaiting the work in the handler before returning the response, and the same
with more output than the buffer holds (the handler then waits for a reader that starts only
once it returns). A context written by a task of the application's own keeps working.
"""

from __future__ import annotations

import time
from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ai_stream import StreamContext, StreamStateError, UIMessageStreamResponse
from ai_stream._session import INLINE_WORK_MESSAGE, NO_WORK_MESSAGE, UNREAD_MESSAGE
from ai_stream.testing import parse_sse_json

pytestmark = pytest.mark.anyio

ERROR = {"type": "error", "errorText": "An error occurred."}
FINISH = {"type": "finish", "finishReason": "error"}


async def no_run(request: Request) -> Response:
    ctx: StreamContext[None] = StreamContext(sdk_version=7, message_id="m")
    return UIMessageStreamResponse(ctx)


async def inline(request: Request) -> Response:
    ctx: StreamContext[None] = StreamContext(sdk_version=7, message_id="m")
    size = int(request.query_params["size"])
    await ctx.write_text("x" * size)
    return UIMessageStreamResponse(ctx)


async def own_task(request: Request) -> Response:
    """Work in a task the handler starts itself: slow to begin, then well-behaved."""
    ctx: StreamContext[None] = StreamContext(sdk_version=7, message_id="m")

    async def work() -> None:
        await anyio.sleep(0.3)
        await ctx.write_text("late but fine")
        await ctx.finish()

    request.app.state.group.start_soon(work)
    return UIMessageStreamResponse(ctx)


def app(group: anyio.abc.TaskGroup) -> Starlette:
    routes = [Route(f"/{f.__name__}", f, methods=["POST"]) for f in (no_run, inline, own_task)]
    application = Starlette(routes=routes)
    application.state.group = group
    return application


async def post(path: str) -> tuple[float, int, list[dict[str, Any]]]:
    started = time.monotonic()
    async with anyio.create_task_group() as group:
        transport = httpx.ASGITransport(app=app(group), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            with anyio.fail_after(5):  # (a hang fails the test instead of blocking it)
                response = await client.post(path)
    chunks = parse_sse_json(response.content) if response.status_code == 200 else []
    return time.monotonic() - started, response.status_code, chunks


async def test_a_response_without_run_ends_within_a_second(
    caplog: pytest.LogCaptureFixture,
) -> None:
    elapsed, status, chunks = await post("/no_run")
    assert (status, chunks) == (200, [{"type": "start", "messageId": "m"}, ERROR, FINISH])
    assert 0.9 <= elapsed < 2
    assert NO_WORK_MESSAGE in caplog.text


async def test_work_awaited_in_the_handler_ends_at_once(caplog: pytest.LogCaptureFixture) -> None:
    elapsed, status, chunks = await post("/inline?size=10")
    assert (status, chunks) == (200, [
        {"type": "start", "messageId": "m"},
        {"type": "start-step"},
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "x" * 10},
        {"type": "text-end", "id": "text-1"},
        ERROR,
        {"type": "finish-step"},
        FINISH,
    ])  # fmt: skip
    assert elapsed < 1
    assert INLINE_WORK_MESSAGE in caplog.text


async def test_more_output_than_the_buffer_in_the_handler_raises_there() -> None:
    """The handler's write raises (the server answers 500 and logs it): no deadlock that
    outlives the client and blocks the server's shutdown."""
    started = time.monotonic()
    async with anyio.create_task_group() as group:
        transport = httpx.ASGITransport(app=app(group))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            with anyio.fail_after(5), pytest.raises(StreamStateError) as info:
                await client.post("/inline?size=100000")
    assert str(info.value) == UNREAD_MESSAGE
    assert 0.9 <= time.monotonic() - started < 2


async def test_the_buffer_guard_raises_at_the_write() -> None:
    ctx: StreamContext[None] = StreamContext(sdk_version=7)
    with anyio.fail_after(3), pytest.raises(StreamStateError, match="Nothing reads the stream"):
        await ctx.write_text("x" * 100_000)


async def test_work_in_a_task_of_the_application_keeps_working() -> None:
    elapsed, status, chunks = await post("/own_task")
    assert status == 200 and chunks[-1] == {"type": "finish", "finishReason": "stop"}
    assert {"type": "text-delta", "id": "text-1", "delta": "late but fine"} in chunks
