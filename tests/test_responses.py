from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route
from starlette.types import Message

from ai_stream import (
    ChatRequest,
    RequestParseError,
    ResumableStreams,
    StreamContext,
    StreamRecord,
    UIMessageStreamResponse,
    chat_routes,
    request_parse_error_handler,
)
from ai_stream._outbox import running_trio
from ai_stream.testing import parse_sse_json
from tests.helpers import make_context, running_tasks, serve


def _scope(**extra: Any) -> dict[str, Any]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "path": "/chat",
        "headers": [],
    }
    scope.update(extra)
    return scope


async def test_response_serves_headers_and_body_over_asgi() -> None:
    async def endpoint(request: Request) -> UIMessageStreamResponse:
        ctx = make_context()

        async def work(ctx: StreamContext[Any]) -> None:
            await ctx.write_text("Hi")

        await ctx.run(work)
        return UIMessageStreamResponse(ctx, headers={"x-extra": "1"})

    app = Starlette(routes=[Route("/chat", endpoint, methods=["POST"])])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        response = await client.post("/chat")
    assert response.status_code == 200
    assert {k: response.headers[k] for k in response.headers if k != "content-length"} == {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        "connection": "keep-alive",
        "x-vercel-ai-ui-message-stream": "v1",
        "x-accel-buffering": "no",
        "x-extra": "1",
    }
    assert [c["type"] for c in parse_sse_json(response.content)] == [
        "start", "start-step", "text-start", "text-delta", "text-end", "finish-step", "finish",
    ]  # fmt: skip


async def test_http2_drops_the_hop_by_hop_connection_header() -> None:
    ctx = make_context()
    await ctx.finish()
    sent: list[Message] = []

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError

    async def send(message: Message) -> None:
        sent.append(message)

    await UIMessageStreamResponse(ctx)(_scope(http_version="2"), receive, send)
    names = [name for name, _ in sent[0]["headers"]]
    assert b"connection" not in names and b"x-vercel-ai-ui-message-stream" in names


class Disconnecting:
    """ASGI receive/send fakes: the client disconnects after ``after`` body messages."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.bodies: list[bytes] = []
        self.gone = anyio.Event()

    async def receive(self) -> Message:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.body":
            self.bodies.append(message["body"])
            if len(self.bodies) >= self.after:
                self.gone.set()


async def test_disconnect_cancels_the_work_and_finalises_an_aborted_record() -> None:
    records: list[StreamRecord] = []
    cancelled = False
    produced = 0

    async def work(ctx: StreamContext[Any]) -> None:
        nonlocal cancelled, produced
        try:
            while True:
                await ctx.write_text("tick ")
                produced += 1
                await anyio.sleep(0.001)
        except anyio.get_cancelled_exc_class():
            cancelled = True
            raise

    ctx = make_context(on_finish=records.append)
    await ctx.run(work)
    client = Disconnecting(after=3)
    before = running_tasks()
    with anyio.move_on_after(2) as scope:
        await UIMessageStreamResponse(ctx)(_scope(), client.receive, client.send)
    assert not scope.cancel_called  # the response stopped by itself
    assert running_tasks() == before  # no task left running
    assert cancelled
    assert len(records) == 1 and records[0].aborted
    assert records[0].abort_reason == "client-disconnected"
    assert records[0].text.startswith("tick ")
    assert ctx.is_disconnected
    written = produced
    await anyio.sleep(0.02)
    assert produced == written  # nothing runs any more


async def test_disconnect_while_the_model_is_idle_is_noticed() -> None:
    records: list[StreamRecord] = []

    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.write_text("thinking…")
        await anyio.sleep_forever()  # a model that sends nothing for a long time

    ctx = make_context(on_finish=records.append)
    await ctx.run(work)
    client = Disconnecting(after=1)
    with anyio.fail_after(2):
        await UIMessageStreamResponse(ctx)(_scope(), client.receive, client.send)
    assert records and records[0].aborted


async def test_a_send_that_blocks_is_stopped_when_the_client_leaves() -> None:
    """A server (or middleware) whose send() never returns once the peer is gone."""
    records: list[StreamRecord] = []
    gone = anyio.Event()

    async def work(ctx: StreamContext[Any]) -> None:
        while True:
            await ctx.write_text("tick ")
            await anyio.sleep(0.001)

    async def receive() -> Message:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            gone.set()
            await anyio.sleep_forever()

    ctx = make_context(on_finish=records.append)
    await ctx.run(work)
    before = running_tasks()
    with anyio.move_on_after(2) as scope:
        await UIMessageStreamResponse(ctx)(_scope(), receive, send)
    assert not scope.cancel_called  # the response returned by itself, quietly
    assert running_tasks() == before
    assert len(records) == 1 and records[0].abort_reason == "client-disconnected"


async def test_cancelling_the_response_from_outside_still_cancels_it() -> None:
    """Server shutdown cancels the request task: that cancellation is not swallowed."""
    records: list[StreamRecord] = []

    async def work(ctx: StreamContext[Any]) -> None:
        while True:
            await ctx.write_text("tick ")
            await anyio.sleep(0.001)

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    ctx = make_context(on_finish=records.append)
    await ctx.run(work)
    before = running_tasks()
    finished = False
    with anyio.move_on_after(0.1):
        await UIMessageStreamResponse(ctx)(_scope(), receive, send)
        finished = True
    assert not finished  # the cancellation reached the caller
    assert running_tasks() == before
    assert len(records) == 1 and records[0].aborted and len(sent) > 2


async def _serve_until_send_fails(
    interval: float, good_sends: int
) -> tuple[list[StreamRecord], list[object], object]:
    """Serve a work writing "x" every ``interval`` s with a send that raises OSError after
    ``good_sends`` calls; return the records, the tasks the OSError was raised in, and the
    response's task."""
    records: list[StreamRecord] = []
    raised_in: list[object] = []
    calls = 0

    async def work(ctx: StreamContext[Any]) -> None:
        while True:
            await ctx.write_text("x")
            await anyio.sleep(interval)

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError

    async def send(message: Message) -> None:
        nonlocal calls
        calls += 1
        if calls > good_sends:
            raised_in.append(anyio.get_current_task().id)
            raise OSError("connection reset")

    ctx = make_context(on_finish=records.append)
    await ctx.run(work)
    with anyio.fail_after(2):
        await UIMessageStreamResponse(ctx)(_scope(), receive, send)
    return records, raised_in, anyio.get_current_task().id


async def test_os_error_from_send_counts_as_a_disconnect() -> None:
    records, _, _ = await _serve_until_send_fails(0.001, 2)
    assert records[0].aborted


async def test_os_error_from_send_in_the_work_counts_as_a_disconnect() -> None:
    """On asyncio a trickling work sends its tokens itself (ctx.pump): the send failing there
    ends the response quietly, like a failure in the response's own task."""
    before = running_tasks()
    records, raised_in, response_task = await _serve_until_send_fails(0.003, 4)
    assert records[0].aborted and records[0].abort_reason == "client-disconnected"
    assert running_tasks() == before
    if not running_trio():
        assert raised_in == [raised_in[0]] and raised_in[0] != response_task


async def test_plain_streaming_response_still_works_and_cancels_on_disconnect() -> None:
    records: list[StreamRecord] = []
    cancelled = anyio.Event()

    async def work(ctx: StreamContext[Any]) -> None:
        try:
            while True:
                await ctx.write_text("x")
                await anyio.sleep(0.001)
        except anyio.get_cancelled_exc_class():
            cancelled.set()
            raise

    ctx = make_context(on_finish=records.append)
    await ctx.run(work)
    response = StreamingResponse(
        ctx.stream(), media_type="text/event-stream", headers=ctx.response_headers
    )
    client = Disconnecting(after=3)
    before = running_tasks()
    with anyio.fail_after(2):
        # ASGI spec 2.3: Starlette listens for the disconnect and cancels the body iteration.
        await response(
            _scope(asgi={"version": "3.0", "spec_version": "2.3"}), client.receive, client.send
        )
        await cancelled.wait()
        while not records or running_tasks() != before:
            await anyio.sleep(0.001)
    assert records[0].aborted


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_uvicorn_end_to_end_with_real_sockets(anyio_backend: str) -> None:
    async def endpoint(request: Request) -> UIMessageStreamResponse:
        ctx = make_context()

        async def work(ctx: StreamContext[Any]) -> None:
            for i in range(200):
                await ctx.write_text(f"{i} ")

        await ctx.run(work)
        return UIMessageStreamResponse(ctx)

    app = Starlette(routes=[Route("/chat", endpoint, methods=["POST"])])
    async with serve(app) as live, httpx.AsyncClient() as client:
        response = await client.post(f"{live.url}/chat")
    text = "".join(c.get("delta", "") for c in parse_sse_json(response.content))
    assert text == "".join(f"{i} " for i in range(200))


async def test_background_task_runs_after_the_body() -> None:
    """``background=`` (Starlette's BackgroundTask) runs once the whole body was sent."""
    sent: list[Message] = []
    seen_by_background: list[Message] = []

    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.write_text("Hi")

    ctx = make_context(message_id="m1")
    await ctx.run(work)

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError

    async def send(message: Message) -> None:
        sent.append(message)

    task = BackgroundTask(lambda: seen_by_background.append(sent[-1]))
    await UIMessageStreamResponse(ctx, background=task)(_scope(), receive, send)
    assert seen_by_background == [{"type": "http.response.body", "body": b"", "more_body": False}]
    assert parse_sse_json(b"".join(m.get("body", b"") for m in sent)) == [
        {"type": "start", "messageId": "m1"},
        {"type": "start-step"},
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "Hi"},
        {"type": "text-end", "id": "text-1"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
    ]


async def test_work_that_outlives_its_stream_is_awaited_when_the_client_leaves() -> None:
    """The work saves after ``finish()``; the client reads the whole body and disconnects at once:
    the response returns only when the work is done (it is not cancelled)."""
    saved = anyio.Event()
    sent: list[Message] = []

    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.write_text("Hi")
        await ctx.finish()
        await anyio.sleep(0.02)  # e.g. saving the answer
        saved.set()

    ctx = make_context(message_id="m1")
    await ctx.run(work)

    async def receive() -> Message:
        while not (sent and sent[-1].get("more_body") is False):
            await anyio.sleep(0.001)
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    with anyio.fail_after(5):
        await UIMessageStreamResponse(ctx)(_scope(), receive, send)
    assert saved.is_set()
    body = b"".join(m.get("body", b"") for m in sent)
    assert [c["type"] for c in parse_sse_json(body)] == [
        "start", "start-step", "text-start", "text-delta", "text-end", "finish-step", "finish",
    ]  # fmt: skip


async def test_many_distinct_header_sets_keep_their_own_headers() -> None:
    """Per-request headers (a request id each): every response carries exactly its own."""
    for n in range(80):
        ctx = make_context()
        await ctx.finish()
        sent: list[Message] = []

        async def receive() -> Message:
            await anyio.sleep_forever()
            raise AssertionError

        async def send(message: Message, sent: list[Message] = sent) -> None:
            sent.append(message)

        await UIMessageStreamResponse(ctx, headers={"x-request-id": f"req-{n}"})(
            _scope(), receive, send
        )
        headers = dict(sent[0]["headers"])
        assert headers[b"x-request-id"] == f"req-{n}".encode()
        assert headers[b"content-type"] == b"text/event-stream"


def bad_bodies_app() -> Starlette:
    """chat_routes, and a FastAPI-style route relying on the registered exception handler."""

    async def answer(chat: ChatRequest, request: Request) -> StreamContext[Any]:
        raise AssertionError("not reached for a bad body")

    async def strict(request: Request) -> JSONResponse:
        chat = await ChatRequest.from_request(request)  # raises RequestParseError
        return JSONResponse({"id": chat.id})

    app = Starlette(
        routes=[
            *chat_routes(answer, streams=ResumableStreams()),
            Route("/strict", strict, methods=["POST"]),
        ]
    )
    app.add_exception_handler(RequestParseError, request_parse_error_handler)
    return app


@pytest.mark.parametrize("path", ["/api/chat", "/strict"])
async def test_bad_bodies_get_their_json_error(path: str) -> None:
    body = {"id": "c1", "messages": [{"id": "u1", "role": "user", "parts": [{"type": "text"}]}]}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=bad_bodies_app()), base_url="http://test"
    ) as client:
        response = await client.post(path, json=body)
        not_json = await client.post(path, content=b"{}", headers={"content-type": "text/plain"})
    assert (response.status_code, response.json()) == (
        422,
        {
            "error": {
                "type": "invalid_request",
                "message": "Invalid chat request at messages[0].parts[0].text: Field required.",
                "path": "messages[0].parts[0].text",
            }
        },
    )
    assert (not_json.status_code, not_json.json()) == (
        415,
        {
            "error": {
                "type": "invalid_request",
                "message": "The request body must be JSON (content-type: application/json).",
                "path": None,
            }
        },
    )
