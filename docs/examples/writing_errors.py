"""What the browser sees when the work fails, and the mistakes ai_stream refuses loudly.

Run it: ``python docs/examples/writing_errors.py`` runs failing work offline, checks the masked
error the browser gets and the real exception in the server log, then posts to three broken
endpoints and checks that each ends (or raises) within a second instead of hanging.
"""

# ruff: noqa: E402  (each section holds its own imports: the guide shows them with the code)

import logging
import time
from typing import Any

from ai_stream.testing import collect_stream, parse_sse_json


class LogRecords(logging.Handler):
    """Keeps what the ``ai_stream`` logger logs, to check it."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


LOG = LogRecords()


def logged_error() -> str:
    """The text of the exception logged last."""
    exc_info = LOG.records[-1].exc_info
    assert exc_info is not None
    return str(exc_info[1])


logging.getLogger("ai_stream").addHandler(LOG)
logging.getLogger("ai_stream").propagate = False  # (keep the expected tracebacks off stderr)


# --8<-- [start:masked]
from ai_stream import StreamContext


class RateLimitedError(Exception):
    pass


async def work(ctx: StreamContext[None]) -> None:
    await ctx.write_text("Let me check")
    raise RateLimitedError("429 from https://internal.example/v1?key=sk-secret")


# --8<-- [end:masked]


async def check_masked() -> None:
    # --8<-- [start:masked-check]
    ctx = StreamContext(message_id="msg-1")
    await ctx.run(work)
    chunks = parse_sse_json(await collect_stream(ctx))
    assert chunks[-4:] == [
        {"type": "text-end", "id": "text-1"},  # the open part is closed first
        {"type": "error", "errorText": "An error occurred."},  # DEFAULT_ERROR_TEXT
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "error"},
    ]
    logged = LOG.records[-1]  # the real exception, on the "ai_stream" logger
    assert logged.exc_info is not None and isinstance(logged.exc_info[1], RateLimitedError)
    # --8<-- [end:masked-check]


# --8<-- [start:on-error]
def error_text(exc: BaseException) -> str:
    if isinstance(exc, RateLimitedError):
        return "Too many requests: try again in a minute."
    return "An error occurred."


# --8<-- [end:on-error]


async def check_on_error() -> None:
    # --8<-- [start:on-error-check]
    ctx = StreamContext(on_error=error_text, collect=True)
    await ctx.run(work)
    chunks = parse_sse_json(await collect_stream(ctx))
    assert {"type": "error", "errorText": "Too many requests: try again in a minute."} in chunks
    assert ctx.record is not None and ctx.record.finish_reason == "error"
    # --8<-- [end:on-error-check]


# --8<-- [start:tool-error]
async def lookup(order_id: str) -> dict[str, Any]:
    raise ConnectionError("db-7.internal refused the connection")


async def tool_work(ctx: StreamContext[None]) -> None:
    handle = await ctx.begin_tool_call("lookupOrder", {"orderId": "A-17"})
    try:
        await ctx.complete_tool_call(handle.tool_call_id, await lookup("A-17"))
    except ConnectionError as exc:  # logged; the browser (and the model) get the masked text
        await ctx.fail_tool_call(handle.tool_call_id, ctx.error_text(exc))
    await ctx.new_step()
    await ctx.write_text("I could not reach the order database.")


# --8<-- [end:tool-error]


async def check_tool_error() -> None:
    ctx = StreamContext(on_error=error_text)
    await ctx.run(tool_work)
    chunks = parse_sse_json(await collect_stream(ctx))
    failed = next(c for c in chunks if c["type"] == "tool-output-error")
    assert failed["errorText"] == "An error occurred."
    assert chunks[-1] == {"type": "finish", "finishReason": "stop"}


async def check_guards() -> None:
    # --8<-- [start:guards]
    from ai_stream import StreamClosedError, StreamStateError

    ctx = StreamContext()
    try:
        await ctx.complete_tool_call("call-that-never-began", {"ok": True})
    except StreamStateError:
        pass  # refused before anything was sent: the stream is unchanged
    await ctx.write_text("Still fine.")
    await ctx.finish()
    await ctx.finish()  # a second finish does nothing
    try:
        await ctx.write_text("Too late.")
    except StreamClosedError:
        pass
    # --8<-- [end:guards]
    chunks = parse_sse_json(await collect_stream(ctx))
    assert [c["type"] for c in chunks][:3] == ["start", "start-step", "text-start"]


# --8<-- [start:mistakes]
from fastapi import FastAPI

from ai_stream import UIMessageStreamResponse

app = FastAPI()


@app.post("/no-run")
async def no_run() -> UIMessageStreamResponse:
    ctx = StreamContext()  # WRONG: nothing ever writes to it, nothing ever finishes it
    return UIMessageStreamResponse(ctx)


@app.post("/inline")
async def inline() -> UIMessageStreamResponse:
    ctx = StreamContext()
    await ctx.write_text("Hello")  # WRONG: the work is awaited here, outside ctx.run()
    return UIMessageStreamResponse(ctx)


@app.post("/inline-long")
async def inline_long() -> UIMessageStreamResponse:
    ctx = StreamContext()
    for _ in range(1000):  # WRONG, and more than the buffer holds: nothing reads it yet
        await ctx.write_text("lorem ipsum " * 10)
    return UIMessageStreamResponse(ctx)


# --8<-- [end:mistakes]


def check_mistakes() -> None:
    # --8<-- [start:mistakes-check]
    from fastapi.testclient import TestClient

    from ai_stream import StreamStateError

    masked_end = [
        {"type": "error", "errorText": "An error occurred."},
        {"type": "finish", "finishReason": "error"},
    ]
    with TestClient(app) as client:
        started = time.monotonic()
        chunks = parse_sse_json(client.post("/no-run").content)
        assert chunks[1:] == masked_end  # after one second, not never
        assert 0.9 < time.monotonic() - started < 3
        assert "ctx.run(work) was not called" in logged_error()

        chunks = parse_sse_json(client.post("/inline").content)  # at once
        assert {"type": "error", "errorText": "An error occurred."} in chunks
        assert "Do not await the work in the request handler" in logged_error()

        try:
            client.post("/inline-long")  # the handler's write raises after one second: a 500
        except StreamStateError as exc:
            assert "Nothing reads the stream of this context yet" in str(exc)
        else:
            raise AssertionError("expected StreamStateError")
    # --8<-- [end:mistakes-check]


async def all_async_checks() -> None:
    await check_masked()
    await check_on_error()
    await check_tool_error()
    await check_guards()


def main() -> None:
    import anyio

    anyio.run(all_async_checks)
    check_mistakes()


if __name__ == "__main__":
    main()
