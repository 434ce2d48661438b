"""StreamContext(stream_protocol="text"): the plain text stream of TextStreamChatTransport and
useCompletion (the real clients read it in tests/conformance/test_text_streams.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from ai_stream import (
    MemoryStreamStore,
    ResumableStreams,
    StreamContext,
    UIMessageStreamResponse,
    UnsupportedByClientError,
    resumable_response,
)
from ai_stream.protocol.versions import ClientTarget
from ai_stream.testing import collect_stream

pytestmark = pytest.mark.anyio

Writer = Callable[[StreamContext], Awaitable[Any]]


def text_context(**options: Any) -> StreamContext:
    return StreamContext(stream_protocol="text", collect=True, **options)


@pytest.mark.parametrize("collect", [True, False])
async def test_deltas_in_one_run_are_one_piece_of_the_body(collect: bool) -> None:
    """A text stream's deltas take the outbox's run path: what one read takes is one piece,
    lone surrogates still show as U+FFFD, a byte order mark that opens the text is kept, and
    empty deltas add nothing (no empty piece, which a reader would send as a keep-alive)."""
    ctx = StreamContext(stream_protocol="text", collect=collect, message_id="m")
    deltas = ["", "", "\ufeffHi", "", " 😀", "\ud83d", "\ude00", "!", "\udfff", "ok"]

    async def work(ctx: StreamContext) -> None:
        for delta in deltas:
            await ctx.write_text(delta)

    await ctx.run(work)
    pieces: list[bytes] = []

    async def send(piece: bytes) -> None:
        pieces.append(piece)

    await ctx.pump(send)
    shown = "\ufeffHi 😀\ufffd\ufffd!\ufffdok"
    assert pieces == [("\ufeff" + shown).encode()]  # (the client's decoder drops one BOM)
    if ctx.record is not None:
        assert ctx.record.text == shown


async def test_one_step_one_text_part_whatever_the_writers_do() -> None:
    ctx = text_context(message_id="m")

    async def work(ctx: StreamContext) -> None:
        await ctx.write_text("Hel")
        await ctx.end_text()
        await ctx.new_step()
        await ctx.write_text("lo \ud800!")

    await ctx.run(work)
    body = await collect_stream(ctx)
    assert ctx.record is not None
    assert (body, ctx.record.to_ui_message(), ctx.record.finish_reason) == (
        "Hello \ufffd!".encode(),
        {
            "id": "m",
            "role": "assistant",
            "parts": [
                {"type": "step-start"},
                {"type": "text", "text": "Hello \ufffd!", "state": "done"},
            ],
        },
        "stop",
    )


async def test_an_empty_answer_is_one_empty_text_part() -> None:
    ctx = text_context(message_id="m")
    await ctx.run(lambda ctx: ctx.finish())
    assert await collect_stream(ctx) == b""
    assert ctx.record is not None
    assert ctx.record.to_ui_message()["parts"] == [
        {"type": "step-start"},
        {"type": "text", "text": "", "state": "done"},
    ]


@pytest.mark.parametrize(
    ("name", "writer"),
    [
        ("reasoning-start", lambda ctx: ctx.write_reasoning("x")),
        ("data-progress", lambda ctx: ctx.write_data("progress", {"p": 1})),
        ("message-metadata", lambda ctx: ctx.write_message_metadata({"a": 1})),
        ("message-metadata", lambda ctx: ctx.finish(metadata={"a": 1})),
        ("tool-input-available", lambda ctx: ctx.begin_tool_call("t", {})),
        ("source-url", lambda ctx: ctx.write_source("s1", "https://example.com")),
    ],
)
async def test_what_is_not_text_is_refused_at_the_call(name: str, writer: Writer) -> None:
    ctx = text_context()
    with pytest.raises(UnsupportedByClientError, match="text stream carries text only") as info:
        await writer(ctx)
    assert name in str(info.value)
    await ctx.write_text("still fine")  # nothing was changed by the refused call
    await ctx.finish()
    assert await collect_stream(ctx) == b"still fine"


async def test_metadata_at_construction_is_refused() -> None:
    with pytest.raises(UnsupportedByClientError):
        StreamContext(stream_protocol="text", message_metadata={"a": 1})
    with pytest.raises(ValueError, match="stream_protocol"):
        StreamContext(stream_protocol="sse")  # type: ignore[arg-type]


async def test_served_as_plain_text_without_heartbeats_or_resume() -> None:
    streams = ResumableStreams(MemoryStreamStore())

    async def endpoint(request: Request) -> Any:
        ctx = StreamContext(stream_protocol="text", sdk_version=request.query_params["v"])

        async def work(ctx: StreamContext) -> None:
            await ctx.write_text("plain ")
            await ctx.write_text("text")

        await ctx.run(work)
        if request.query_params.get("resumable"):
            return await resumable_response(streams, "chat", ctx)
        return UIMessageStreamResponse(ctx, keep_alive=0.01)

    app = Starlette(routes=[Route("/", endpoint, methods=["POST"])])
    async with (
        streams,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        answers = [
            await client.post("/", params={"v": v, **extra})
            for v in ("4", "5", "7")
            for extra in ({}, {"resumable": "1"})
        ]
    assert {(a.status_code, a.headers["content-type"], a.text) for a in answers} == {
        (200, "text/plain; charset=utf-8", "plain text")
    }


def test_text_targets() -> None:
    target = ClientTarget.parse("7.0.185").as_text()
    assert (target.wire, target.text, target.max_event_size, target.as_text() is target) == (
        "text",
        True,
        None,
        True,
    )
    assert target.label == "a text stream (ai 7)"
    assert (ClientTarget.parse(4).wire, ClientTarget.parse(6).wire) == ("data", "sse")
    assert ClientTarget.parse(4).as_text().accepts_chunk("text-delta")
    assert not ClientTarget.parse(4).as_text().accepts_chunk("reasoning-start")
