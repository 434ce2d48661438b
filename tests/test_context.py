from __future__ import annotations

import logging
from contextlib import aclosing
from typing import Any

import anyio
import anyio.lowlevel
import anyio.to_thread
import pytest
from pydantic import BaseModel

from ai_stream import (
    ClientDisconnectedError,
    StreamClosedError,
    StreamContext,
    StreamRecord,
    StreamStateError,
    TextDeltaChunk,
    UnsupportedByClientError,
)
from ai_stream._outbox import running_trio
from ai_stream.testing import collect_stream, parse_sse_json
from tests.conformance.client import replay
from tests.helpers import make_context, transcript


async def test_quick_start_transcript() -> None:
    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.write_text("Hello ")
        await ctx.write_text("world!")

    assert await transcript(work) == [
        {"type": "start", "messageId": "id-1"},
        {"type": "start-step"},
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "Hello "},
        {"type": "text-delta", "id": "text-1", "delta": "world!"},
        {"type": "text-end", "id": "text-1"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
    ]


async def test_typical_agent_transcript() -> None:
    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.write_reasoning("Checking the weather.")
        call = await ctx.start_tool_input("getWeather", tool_call_id="call-1")
        await ctx.stream_tool_input_delta(call.tool_call_id, '{"city":"Paris"}')
        await ctx.finish_tool_input(call.tool_call_id)
        await ctx.complete_tool_call(call.tool_call_id, {"city": "Paris", "tempC": 21})
        await ctx.new_step()
        await ctx.write_source("src-1", "https://example.com/weather", "Weather")
        await ctx.write_text("It is 21°C.")

    assert await transcript(work) == [
        {"type": "start", "messageId": "id-1"},
        {"type": "start-step"},
        {"type": "reasoning-start", "id": "reasoning-1"},
        {"type": "reasoning-delta", "id": "reasoning-1", "delta": "Checking the weather."},
        {"type": "reasoning-end", "id": "reasoning-1"},
        {"type": "tool-input-start", "toolCallId": "call-1", "toolName": "getWeather"},
        {"type": "tool-input-delta", "toolCallId": "call-1", "inputTextDelta": '{"city":"Paris"}'},
        {
            "type": "tool-input-available",
            "toolCallId": "call-1",
            "toolName": "getWeather",
            "input": {"city": "Paris"},
        },
        {
            "type": "tool-output-available",
            "toolCallId": "call-1",
            "output": {"city": "Paris", "tempC": 21},
        },
        {"type": "finish-step"},
        {"type": "start-step"},
        {
            "type": "source-url",
            "sourceId": "src-1",
            "url": "https://example.com/weather",
            "title": "Weather",
        },
        {"type": "text-start", "id": "text-2"},
        {"type": "text-delta", "id": "text-2", "delta": "It is 21°C."},
        {"type": "text-end", "id": "text-2"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
    ]


async def test_sse_bytes_are_exact() -> None:
    ctx = make_context()

    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.write_text("Hé")

    await ctx.run(work)
    assert await collect_stream(ctx) == (
        b'data: {"type":"start","messageId":"id-1"}\n\n'
        b'data: {"type":"start-step"}\n\n'
        b'data: {"type":"text-start","id":"text-1"}\n\n'
        + 'data: {"type":"text-delta","id":"text-1","delta":"Hé"}\n\n'.encode()
        + b'data: {"type":"text-end","id":"text-1"}\n\n'
        b'data: {"type":"finish-step"}\n\n'
        b'data: {"type":"finish","finishReason":"stop"}\n\n'
        b"data: [DONE]\n\n"
    )


@pytest.mark.parametrize(
    ("sdk_version", "finish", "abort"),
    [
        (5, {"type": "finish"}, {"type": "abort"}),
        ("5.0.60", {"type": "finish"}, {"type": "abort"}),
        ("5.0.277", {"type": "finish", "finishReason": "length"}, {"type": "abort"}),
        (6, {"type": "finish", "finishReason": "length"}, {"type": "abort"}),
        ("6.0.326", {"type": "finish", "finishReason": "length"}, {"type": "abort", "reason": "r"}),
        (7, {"type": "finish", "finishReason": "length"}, {"type": "abort", "reason": "r"}),
    ],
)
async def test_fields_the_target_does_not_know_are_dropped(
    sdk_version: int | str, finish: dict[str, Any], abort: dict[str, Any]
) -> None:
    async def finishing(ctx: StreamContext[Any]) -> None:
        await ctx.finish("length")

    async def aborting(ctx: StreamContext[Any]) -> None:
        await ctx.abort("r")

    assert (await transcript(finishing, sdk_version=sdk_version))[-1] == finish
    assert (await transcript(aborting, sdk_version=sdk_version))[-1] == abort


@pytest.mark.parametrize(
    ("sdk_version", "chunk"),
    [
        (5, {"type": "tool-approval-request", "approvalId": "a", "toolCallId": "c"}),
        (5, {"type": "tool-output-denied", "toolCallId": "c"}),
        (6, {"type": "reset-step"}),
        (6, {"type": "custom", "kind": "x.y"}),
        (7, {"type": "steering-message", "id": "s", "parts": []}),
        ("7.0.0", {"type": "reset-step"}),
    ],
)
async def test_chunk_types_the_target_lacks_raise_at_the_write_call(
    sdk_version: int | str, chunk: dict[str, Any]
) -> None:
    ctx = make_context(sdk_version=sdk_version)
    with pytest.raises(UnsupportedByClientError, match=repr(chunk["type"])):
        await ctx.write(chunk)


async def test_tool_input_error_needs_a_client_that_has_it() -> None:
    ctx = make_context(sdk_version=5)
    call = await ctx.start_tool_input("t")
    with pytest.raises(UnsupportedByClientError, match="5.0.7"):
        await ctx.fail_tool_input(call.tool_call_id, "bad")


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("tool_calls", "tool-calls"),
        ("content_filter", "content-filter"),
        ("length", "length"),
        ("end_turn", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool-calls"),
        ("stop_sequence", "stop"),
        ("STOP", "stop"),
        ("interrupted", "other"),
        ("unknown", "other"),
    ],
)
async def test_finish_reasons_are_mapped_to_the_protocol_enum(given: str, sent: str) -> None:
    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.finish(given)

    assert (await transcript(work, sdk_version=6))[-1] == {"type": "finish", "finishReason": sent}


@pytest.mark.parametrize("version", [5, 6, 7])
async def test_the_record_has_the_finish_reason_also_where_the_wire_does_not(version: int) -> None:
    """ai 5.0.0–5.0.91 (``sdk_version=5``) are not sent ``finishReason``; the record still says
    why the message ended, as for the other releases (a masked error: ``error``)."""
    ctx = make_context(sdk_version=version, collect=True)

    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.write_text("Half")
        raise RuntimeError("boom")

    await ctx.run(work)
    finish = parse_sse_json(await collect_stream(ctx))[-1]
    assert finish == ({"type": "finish"} if version == 5 else
                      {"type": "finish", "finishReason": "error"})  # fmt: skip
    assert ctx.record is not None and ctx.record.finish_reason == "error"


async def test_unknown_finish_reason_raises() -> None:
    ctx = make_context()
    with pytest.raises(ValueError, match="Unknown finish reason 'done'"):
        await ctx.finish("done")
    assert not ctx.is_finished


async def test_v7_keeps_interrupted_and_v5_keeps_unknown() -> None:
    async def interrupted(ctx: StreamContext[Any]) -> None:
        await ctx.finish("interrupted")

    async def unknown(ctx: StreamContext[Any]) -> None:
        await ctx.finish("unknown")

    assert (await transcript(interrupted, sdk_version="7.0.173"))[-1][
        "finishReason"
    ] == "interrupted"
    assert (await transcript(unknown, sdk_version="5.0.277"))[-1]["finishReason"] == "unknown"


async def test_pending_client_tool_call_finishes_with_tool_calls() -> None:
    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.begin_tool_call("getLocation", {}, tool_call_id="c1")

    assert (await transcript(work))[-3:] == [
        {
            "type": "tool-input-available",
            "toolCallId": "c1",
            "toolName": "getLocation",
            "input": {},
        },
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "tool-calls"},
    ]


async def test_run_masks_errors_closes_parts_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.write_reasoning("Thinking")
        await ctx.write_text("Part")
        raise RuntimeError("password=hunter2")

    with caplog.at_level(logging.ERROR, logger="ai_stream"):
        chunks = await transcript(work)
    assert chunks[-5:] == [
        {"type": "text-delta", "id": "text-2", "delta": "Part"},
        {"type": "text-end", "id": "text-2"},
        {"type": "error", "errorText": "An error occurred."},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "error"},
    ]
    assert "hunter2" not in str(chunks)
    assert "hunter2" in caplog.text


async def test_on_error_chooses_the_text() -> None:
    async def work(ctx: StreamContext[Any]) -> None:
        raise KeyError("k")

    chunks = await transcript(work, on_error=lambda exc: f"failed: {type(exc).__name__}")
    assert {"type": "error", "errorText": "failed: KeyError"} in chunks


async def test_write_after_finish_raises_and_double_finish_is_a_no_op() -> None:
    ctx = make_context()
    await ctx.write_text("x")
    await ctx.finish()
    await ctx.finish()
    assert ctx.is_finished
    with pytest.raises(StreamClosedError):
        await ctx.write_text("late")
    with pytest.raises(StreamClosedError):
        await ctx.write_reasoning("late")
    with pytest.raises(StreamClosedError):
        await ctx.begin_tool_call("t", {})
    chunks = parse_sse_json(await collect_stream(ctx))
    assert [c["type"] for c in chunks].count("finish") == 1


async def test_misordered_low_level_chunks_raise_before_reaching_the_client() -> None:
    ctx = make_context(sdk_version=6)
    with pytest.raises(StreamStateError, match="not open"):
        await ctx.write({"type": "text-end", "id": "nope"})
    await ctx.write({"type": "text-start", "id": "t"})
    await ctx.write({"type": "finish-step"})  # v6: closes t first
    with pytest.raises(StreamStateError, match="not open"):
        await ctx.write({"type": "reasoning-end", "id": "t"})
    with pytest.raises(StreamStateError, match="Unknown tool call id"):
        await ctx.complete_tool_call("missing", 1)
    with pytest.raises(StreamStateError, match="input is not streaming"):
        call = await ctx.begin_tool_call("t", {})
        await ctx.stream_tool_input_delta(call.tool_call_id, "{")
    with pytest.raises(StreamStateError, match="Unknown approval id"):
        await make_context(sdk_version=7).write(
            {"type": "tool-approval-response", "approvalId": "x", "approved": True}
        )


async def test_a_hand_written_delta_for_a_new_id_opens_its_part() -> None:
    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.write(TextDeltaChunk(id="my-id", delta="raw"))  # as in the seed's README

    assert (await transcript(work))[1:5] == [
        {"type": "start-step"},
        {"type": "text-start", "id": "my-id"},
        {"type": "text-delta", "id": "my-id", "delta": "raw"},
        {"type": "text-end", "id": "my-id"},
    ]


async def test_a_text_part_spans_steps_only_where_every_release_keeps_it() -> None:
    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.write({"type": "text-start", "id": "t"})
        await ctx.write({"type": "finish-step"})
        await ctx.write({"type": "text-delta", "id": "t", "delta": "still open"})

    # ai 7.0.79+ keep open parts across finish-step
    types = [c["type"] for c in await transcript(work, sdk_version="7.0.79")]
    assert types == [
        "start", "start-step", "text-start", "finish-step", "start-step",
        "text-delta", "text-end", "finish-step", "finish",
    ]  # fmt: skip
    # sdk_version=7 covers 7.0.0-7.0.78, which forget them: the part is closed and reopened
    types = [c["type"] for c in await transcript(work, sdk_version=7)]
    assert types == [
        "start", "start-step", "text-start", "text-end", "finish-step", "start-step",
        "text-start", "text-delta", "text-end", "finish-step", "finish",
    ]  # fmt: skip


async def test_dynamic_tool_outputs_carry_the_dynamic_flag() -> None:
    async def work(ctx: StreamContext[Any]) -> None:
        call = await ctx.begin_tool_call("mcp", {}, dynamic=True, tool_call_id="c")
        await ctx.complete_tool_call(call.tool_call_id, 1)

    chunks = await transcript(work, sdk_version=5)
    assert {
        "type": "tool-output-available",
        "toolCallId": "c",
        "output": 1,
        "dynamic": True,
    } in chunks


class RequestInfo(BaseModel, frozen=True):
    user_id: str
    rate_limit: int


async def test_info_is_typed_and_read_only() -> None:
    ctx: StreamContext[RequestInfo] = StreamContext(
        custom_information=RequestInfo(user_id="u_42", rate_limit=100)
    )
    assert ctx.info is not None
    assert ctx.info.user_id == "u_42"
    assert ctx.custom_information is ctx.info
    with pytest.raises(AttributeError):
        ctx.info = None  # type: ignore[misc]
    assert StreamContext().info is None


async def test_read_only_properties() -> None:
    ctx = make_context(headers={"x-extra": "1"}, message_id="m-1")
    assert ctx.message_id == "m-1"
    assert ctx.response_headers["x-vercel-ai-ui-message-stream"] == "v1"
    assert ctx.response_headers["x-extra"] == "1"
    assert ctx.current_text_id is None
    await ctx.write_text("a")
    assert ctx.current_text_id == "text-1"
    await ctx.write_reasoning("b")
    assert (ctx.current_text_id, ctx.current_reasoning_id) == (None, "reasoning-2")
    assert not ctx.is_finished
    assert ctx.target.major == 6


async def test_record_has_the_seed_fields_and_the_ui_message() -> None:
    records: list[StreamRecord] = []

    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.write_reasoning("Let me think…")
        call = await ctx.begin_tool_call("search", {"q": "hello"}, tool_call_id="c1")
        await ctx.complete_tool_call(call.tool_call_id, {"results": [1]})
        await ctx.write_text("Here is the answer.")
        await ctx.write_source("s1", "https://example.com", "My Doc")

    ctx = make_context(on_finish=records.append)
    await ctx.run(work)
    await collect_stream(ctx)
    record = ctx.record
    assert record is not None
    assert records == [record]
    assert (record.text, record.reasoning, record.finish_reason, record.step_count) == (
        "Here is the answer.",
        "Let me think…",
        "stop",
        1,
    )
    assert [(c.tool_name, c.input, c.output) for c in record.tool_calls] == [
        ("search", {"q": "hello"}, {"results": [1]})
    ]
    assert [(s.source_id, s.url, s.title) for s in record.sources] == [
        ("s1", "https://example.com", "My Doc")
    ]
    assert not record.aborted
    message = record.to_ui_message()
    assert message["id"] == ctx.message_id
    assert [p["type"] for p in message["parts"]] == [
        "step-start", "reasoning", "tool-search", "text", "source-url",
    ]  # fmt: skip
    summary = record.to_dict()
    assert summary["text"] == "Here is the answer." and summary["message"] == message


async def test_collect_is_off_by_default() -> None:
    assert StreamContext().record is None


async def test_async_on_finish_runs_once() -> None:
    seen: list[bool] = []

    async def on_finish(record: StreamRecord) -> None:
        await anyio.lowlevel.checkpoint()
        seen.append(record.aborted)

    ctx = make_context(on_finish=on_finish)
    await ctx.write_text("x")
    await ctx.finish()
    await ctx.finish()
    assert seen == [False]


async def test_stream_can_only_be_read_once() -> None:
    ctx = make_context()
    await ctx.finish()
    await collect_stream(ctx)
    with pytest.raises(StreamStateError, match="already being read"):
        await collect_stream(ctx)


async def test_run_twice_raises() -> None:
    async def work(ctx: StreamContext[Any]) -> None:
        pass

    ctx = make_context()
    await ctx.run(work)
    with pytest.raises(StreamStateError, match="already called"):
        await ctx.run(work)


async def test_run_passes_extra_arguments() -> None:
    async def work(ctx: StreamContext[Any], greeting: str, name: str) -> None:
        await ctx.write_text(f"{greeting}, {name}")

    ctx = make_context()
    await ctx.run(work, "Hi", "Bob")
    assert {"type": "text-delta", "id": "text-1", "delta": "Hi, Bob"} in parse_sse_json(
        await collect_stream(ctx)
    )


async def test_writes_coalesce_and_a_lone_chunk_goes_out_at_once() -> None:
    ctx = make_context()
    bodies: list[bytes] = []
    step = anyio.Event()

    async def producer() -> None:
        for i in range(100):
            await ctx.write_text(f"{i} ")  # no await that yields: all coalesce
        await step.wait()
        await ctx.write_text("lone")
        await anyio.sleep(0.05)
        await ctx.finish()

    async with anyio.create_task_group() as group:
        group.start_soon(producer)
        async for body in ctx.stream():
            bodies.append(body)
            if b"99 " in body:
                step.set()
    assert len(bodies) <= 4
    assert any(b'"delta":"lone"' in b and b"finish" not in b for b in bodies)


async def test_backpressure_bounds_memory_for_a_slow_reader() -> None:
    buffer = 8 * 1024
    ctx = make_context(buffer_size=buffer)
    high_water = 0
    writes = 0

    async def producer() -> None:
        nonlocal high_water, writes
        for _ in range(20_000):
            await ctx.write_text("tok ")
            writes += 1
            high_water = max(high_water, ctx.buffered_bytes)
        await ctx.finish()

    total = 0
    largest = 0
    async with anyio.create_task_group() as group:
        group.start_soon(producer)
        async with aclosing(ctx.stream()) as stream:
            async for body in stream:
                total += len(body)
                largest = max(largest, len(body))
                await anyio.sleep(0.0005)  # a slow client
    # Pending frames never exceed the buffer; at most one batch waits in the channel and one
    # in the writer, so the reader never holds more than three buffers' worth at once.
    assert high_water <= buffer + 64
    assert largest <= 3 * buffer + 256
    assert writes == 20_000 and total > 20_000 * 40


async def test_closing_the_stream_cancels_the_work_and_finalises_the_record() -> None:
    cancelled = anyio.Event()
    records: list[StreamRecord] = []

    async def work(ctx: StreamContext[Any]) -> None:
        try:
            for i in range(1000):
                await ctx.write_text(f"{i} ")
                await anyio.sleep(0.001)
        except anyio.get_cancelled_exc_class():
            cancelled.set()
            raise

    ctx = make_context(on_finish=records.append)
    await ctx.run(work)
    stream = ctx.stream()
    async for body in stream:
        if b"text-delta" in body:
            break
    await stream.aclose()
    with anyio.fail_after(2):
        await cancelled.wait()
        while not records:
            await anyio.sleep(0.001)
    assert records[0].aborted and records[0].abort_reason == "client-disconnected"
    assert ctx.is_disconnected and ctx.is_finished


async def test_writes_after_the_reader_left_raise_client_disconnected() -> None:
    ctx = make_context()
    await ctx.write_text("x")
    stream = ctx.stream()
    await stream.__anext__()
    await stream.aclose()
    with pytest.raises(ClientDisconnectedError):
        await ctx.write_text("y")


async def test_write_event_to_stream_is_synchronous() -> None:
    ctx = make_context()
    await ctx.write_text("a")
    assert ctx.current_text_id is not None
    ctx.write_event_to_stream(TextDeltaChunk(id=ctx.current_text_id, delta="b"))
    with pytest.raises(StreamStateError, match="cannot send 'finish'"):
        ctx.write_event_to_stream({"type": "finish"})
    await ctx.finish()
    deltas = [c["delta"] for c in parse_sse_json(await collect_stream(ctx)) if "delta" in c]
    assert deltas == ["a", "b"]


async def test_write_rejects_non_chunks() -> None:
    ctx = make_context()
    with pytest.raises(TypeError, match="chunk model"):
        await ctx.write(42)
    with pytest.raises(TypeError, match="str delta"):
        await ctx.write_text(42)  # type: ignore[arg-type]


def test_invalid_constructor_arguments() -> None:
    with pytest.raises(ValueError, match="buffer_size"):
        StreamContext(buffer_size=0)
    with pytest.raises(ValueError, match="not supported"):
        StreamContext(sdk_version=3)
    with pytest.raises(ValueError, match="not a release"):
        StreamContext(sdk_version="6.x")


class _FinishFailsOnce(StreamContext[Any]):
    """A context whose first ``finish()`` raises, as a bad metadata value or a bug would."""

    failed = False

    async def finish(self, finish_reason: str | None = None, *, metadata: Any = None) -> None:
        if not type(self).failed:
            type(self).failed = True
            raise RuntimeError("finish failed: secret detail")
        await super().finish(finish_reason, metadata=metadata)


async def test_run_reports_a_failure_of_its_own_finish(caplog: pytest.LogCaptureFixture) -> None:
    """run() finishes the work's stream itself; when that finish raises, the client sees the
    masked error and a finish("error"), not a quiet truncation, and the exception is logged."""
    _FinishFailsOnce.failed = False
    ctx = _FinishFailsOnce(id_generator=iter(f"id-{n}" for n in range(1, 9)).__next__, collect=True)

    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.write_text("Hi")

    with caplog.at_level(logging.ERROR, "ai_stream"):
        await ctx.run(work)
        chunks = parse_sse_json(await collect_stream(ctx))
    assert chunks == [
        {"type": "start", "messageId": "id-1"},
        {"type": "start-step"},
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "Hi"},
        {"type": "text-end", "id": "text-1"},
        {"type": "error", "errorText": "An error occurred."},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "error"},
    ]
    logged = [repr(r.exc_info[1]) for r in caplog.records if r.exc_info]
    assert logged == ["RuntimeError('finish failed: secret detail')"]
    assert ctx.record is not None and ctx.record.finish_reason == "error"


# --- pump: the body into a send, which trickling writers call themselves ---------------------


async def _trickle(ctx: StreamContext[Any]) -> None:
    await ctx.write_reasoning("hm")
    for token in ["Hel", "lo", " wörld", "\ud800"]:
        await anyio.sleep(0.003)  # longer than LEND_GAP: the writer sends (on asyncio)
        await ctx.write_text(token)
    await ctx.write_data("row", {"i": 1})
    await anyio.sleep(0.003)
    await ctx.write_text("!")


async def test_pump_sends_the_same_body_as_stream() -> None:
    streamed = make_context()
    await streamed.run(_trickle)
    expected = b"".join([piece async for piece in streamed.stream()])

    pumped = make_context()
    await pumped.run(_trickle)
    pieces: list[bytes] = []
    callers: set[object] = set()

    async def send(piece: bytes) -> None:
        callers.add(anyio.get_current_task().id)
        pieces.append(piece)

    with anyio.fail_after(5):
        await pumped.pump(send)
    assert b"".join(pieces) == expected
    assert parse_sse_json(expected)[-1] == {"type": "finish", "finishReason": "stop"}
    me = anyio.get_current_task().id
    if running_trio():  # no lending on trio: the reader sends every piece
        assert callers == {me}
    else:  # the work's task sent the trickled tokens
        assert len(callers) == 2 and me in callers
    with pytest.raises(StreamStateError, match="already being read"):
        await pumped.pump(send)


async def test_a_write_that_cannot_wait_reaches_a_pumping_reader() -> None:
    """write_event_to_stream() is synchronous: it wakes the parked reader (nobody else sends)."""
    ctx = make_context()
    arrived = anyio.Event()
    pieces: list[bytes] = []

    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.write_text("a")
        await anyio.sleep(0.003)
        ctx.write_event_to_stream(TextDeltaChunk(id=ctx.current_text_id, delta="b"))
        await arrived.wait()  # no other write until the delta went out

    async def send(piece: bytes) -> None:
        pieces.append(piece)
        if b'"delta":"b"' in piece:
            arrived.set()

    await ctx.run(work)
    with anyio.fail_after(2):
        await ctx.pump(send)
    assert [c.get("delta") for c in parse_sse_json(b"".join(pieces))].count("b") == 1


async def test_a_producer_that_never_waits_lets_the_event_loop_run() -> None:
    """A tight write loop and a send that returns at once (a server's send for a gone client):
    the writer still yields once per buffer, so other tasks (the disconnect listener) run."""
    ctx = make_context(buffer_size=1024)
    ticked = anyio.Event()
    writes = 0
    starved = False

    async def work(ctx: StreamContext[Any]) -> None:
        nonlocal writes, starved
        while True:  # never waits by itself
            await ctx.write_text("fast producer ")
            writes += 1
            if writes > 100_000 and not ticked.is_set():
                starved = True  # (an exception would become the stream's error chunk)
                return

    async def send(piece: bytes) -> None:
        pass

    async def tick() -> None:
        await anyio.lowlevel.checkpoint()
        ticked.set()

    await ctx.run(work)
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(ctx.pump, send)
            group.start_soon(tick)
            await ticked.wait()
            group.cancel_scope.cancel()
    assert not starved, "the event loop never ran another task"


# --- stop: what a stop button asks for ---------------------------------------------------------


async def test_stop_cancels_the_work_closes_the_parts_and_aborts() -> None:
    records: list[StreamRecord] = []
    cancelled = anyio.Event()
    writing = anyio.Event()

    async def work(ctx: StreamContext[Any]) -> None:
        try:
            await ctx.write_reasoning("Let me think.")
            await ctx.write_text("Half an ans")
            writing.set()
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            cancelled.set()
            raise

    ctx = make_context(on_finish=records.append)
    await ctx.run(work)
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            bodies: list[bytes] = []

            async def drain() -> None:
                bodies.append(await collect_stream(ctx))

            group.start_soon(drain)
            await writing.wait()
            await ctx.stop()
            await ctx.stop()  # a second stop does nothing
    assert cancelled.is_set()
    chunks = parse_sse_json(bodies[0])
    assert [c["type"] for c in chunks[-2:]] == ["text-end", "abort"]
    assert {c["type"] for c in chunks} >= {"reasoning-end", "text-end"}
    (record,) = records
    assert (record.aborted, record.abort_reason, record.text) == (True, "stopped", "Half an ans")
    case = {"name": "stop", "body": bodies[0].decode(), "versions": ["6.0.326", "7.0.173"]}
    results = await anyio.to_thread.run_sync(replay, [case])
    assert {
        version: (r["chunkErrors"], r["chat"]["status"], r["chunks"][-1]["type"])
        for version, r in results["stop"].items()
    } == {version: ([], "ready", "abort") for version in case["versions"]}


async def test_stop_before_the_work_started_ends_the_stream_at_once() -> None:
    started: list[bool] = []

    async def work(ctx: StreamContext[Any]) -> None:
        started.append(True)

    ctx = make_context(collect=True)
    await ctx.run(work)
    await ctx.stop("user pressed stop")
    with anyio.fail_after(5):
        body = await collect_stream(ctx)
    assert [c["type"] for c in parse_sse_json(body)] == ["start", "abort"]
    assert started == []
    assert ctx.record is not None and ctx.record.abort_reason == "user pressed stop"


@pytest.mark.parametrize("version", [7, "7.0.185", "7.99.0"])
async def test_values_over_the_event_limit_are_refused_before_anything_is_sent(
    version: int | str,
) -> None:
    """ai 7.0.182+ drop a stream at an event over 64 Mi characters: such a write raises and
    sends nothing (not even the ``start`` it would open); the stream goes on."""
    from ai_stream import EventTooLargeError
    from ai_stream.protocol._behaviours import MAX_EVENT_SIZE

    ctx = make_context(sdk_version=version, collect=True)
    big = "x" * MAX_EVENT_SIZE
    with pytest.raises(EventTooLargeError, match="over the") as info:
        await ctx.write_file("data:text/plain," + big, "text/plain")
    assert info.value.size > info.value.limit
    assert ctx.buffered_bytes == 0
    with pytest.raises(EventTooLargeError):
        await ctx.write_data("table", [big[:1000]] * (MAX_EVENT_SIZE // 1000))
    await ctx.write_text("a")
    with pytest.raises(EventTooLargeError):
        await ctx.write_text(big)  # (the open part's fast path hands large deltas over)
    call = await ctx.begin_tool_call("t", {})
    with pytest.raises(EventTooLargeError):
        await ctx.complete_tool_call(call.tool_call_id, {"rows": big})
    await ctx.complete_tool_call(call.tool_call_id, {"rows": 1})
    await ctx.finish()
    chunks = parse_sse_json(await collect_stream(ctx))
    assert [c["type"] for c in chunks] == ["start", "start-step", "text-start", "text-delta",
        "text-end", "tool-input-available", "tool-output-available",
        "finish-step", "finish"]  # fmt: skip


async def test_older_targets_have_no_event_limit() -> None:
    from ai_stream.protocol import ClientTarget

    assert ClientTarget.parse("7.0.173").max_event_size is None
    assert ClientTarget.parse(6).max_event_size is None
    assert ClientTarget.parse(7).max_event_size == 64 * 1024 * 1024
