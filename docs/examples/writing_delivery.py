"""Delivery: what a disconnect does, how backpressure and coalescing work, and the record.

Run it: ``python docs/examples/writing_delivery.py`` serves the app to an in-process "browser"
that leaves in the middle of the answer, then checks that the work was cancelled and the
partial answer reached ``on_finish``; then checks backpressure, coalescing and ``ctx.record``.
"""

from collections.abc import MutableMapping
from typing import Any

import anyio

# --8<-- [start:disconnect]
from fastapi import FastAPI

from ai_stream import StreamContext, UIMessageStreamResponse
from ai_stream.record import StreamRecord

app = FastAPI()
SAVED: list[StreamRecord] = []


async def save(record: StreamRecord) -> None:
    SAVED.append(record)  # e.g. store record.to_ui_message(), see the persistence guide


@app.post("/api/chat")
async def chat() -> UIMessageStreamResponse:
    ctx = StreamContext(on_finish=save)

    async def work(ctx: StreamContext[None]) -> None:
        for n in range(1000):  # a long answer
            await ctx.write_text(f"token{n} ")
            await anyio.sleep(0.01)  # (a model producing tokens)

    await ctx.run(work)
    return UIMessageStreamResponse(ctx)


# --8<-- [end:disconnect]


async def post_and_leave(pieces: int) -> list[bytes]:
    """POST /api/chat over ASGI, read ``pieces`` body pieces, then close the connection."""
    received: list[bytes] = []
    requested = False
    enough = anyio.Event()

    async def receive() -> MutableMapping[str, Any]:
        nonlocal requested
        if not requested:  # (the request body first)
            requested = True
            return {"type": "http.request", "body": b"{}", "more_body": False}
        await enough.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.body" and message["body"]:
            received.append(message["body"])
            if len(received) >= pieces:
                enough.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/chat",
        "raw_path": b"/api/chat",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    with anyio.fail_after(5):
        await app(scope, receive, send)
    return received


async def check_disconnect() -> None:
    # --8<-- [start:disconnect-check]
    started = anyio.current_time()
    body = b"".join(await post_and_leave(pieces=5))  # the browser leaves after 5 pieces
    assert anyio.current_time() - started < 1  # not the 10 s the whole answer takes
    assert b'"type":"finish"' not in body

    [record] = SAVED  # on_finish ran once, with what was sent before the disconnect
    assert record.aborted and record.abort_reason == "client-disconnected"
    assert record.text.startswith("token0 token1 ")
    assert record.to_ui_message()["parts"][-1]["state"] == "streaming"
    # --8<-- [end:disconnect-check]


async def check_backpressure() -> None:
    # --8<-- [start:backpressure]
    ctx = StreamContext(buffer_size=4096)  # bytes of encoded chunks (default: 16 KiB)
    most = 0

    async def fast_producer(ctx: StreamContext[None]) -> None:
        nonlocal most
        for _ in range(2000):
            await ctx.write_text("x" * 100)  # waits while the reader is behind
            most = max(most, ctx.buffered_bytes)

    await ctx.run(fast_producer)
    async for _piece in ctx.stream():
        await anyio.sleep(0.001)  # a slow client
    assert most <= 2 * 4096  # not the 200 kB the producer wrote
    # --8<-- [end:backpressure]


async def check_coalescing() -> None:
    # --8<-- [start:coalescing]
    ctx = StreamContext()

    async def work(ctx: StreamContext[None]) -> None:
        for _ in range(100):
            await ctx.write_text("a")  # a burst: queued, no task switch
        await anyio.sleep(0.05)
        await ctx.write_text("b")  # a lone delta after a pause
        await anyio.sleep(0.05)

    await ctx.run(work)
    pieces = [piece async for piece in ctx.stream()]
    events = [piece.count(b"data: ") for piece in pieces]
    assert events == [103, 1, 4]  # start + start-step + text-start + 100 deltas in one write;
    # the lone delta at once; then text-end, finish-step, finish and [DONE]
    # --8<-- [end:coalescing]


async def check_record() -> None:
    # --8<-- [start:record]
    ctx = StreamContext(collect=True)

    async def work(ctx: StreamContext[None]) -> None:
        handle = await ctx.begin_tool_call("getWeather", {"city": "Paris"})
        await ctx.complete_tool_call(handle.tool_call_id, {"tempC": 21})
        await ctx.new_step()
        await ctx.write_text("It is 21 °C.")

    await ctx.run(work)
    async for _piece in ctx.stream():  # (as a response would; collect_stream in tests)
        pass

    record = ctx.record  # everything sent, as the browser understood it
    assert record is not None
    assert record.text == "It is 21 °C."
    assert record.finish_reason == "stop" and record.step_count == 2 and not record.aborted
    [call] = record.tool_calls
    assert (call.tool_name, call.output, call.state) == (
        "getWeather",
        {"tempC": 21},
        "output-available",
    )
    message = record.to_ui_message()  # the UIMessage useChat shows: store this one
    assert [part["type"] for part in message["parts"]] == [
        "step-start",
        "tool-getWeather",
        "step-start",
        "text",
    ]
    # --8<-- [end:record]


async def all_checks() -> None:
    await check_disconnect()
    await check_backpressure()
    await check_coalescing()
    await check_record()


def main() -> None:
    anyio.run(all_checks)


if __name__ == "__main__":
    main()
