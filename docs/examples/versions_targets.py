"""One writer program, targeted at ai 5, 6 and 7: what changes on the wire, and what is refused.

Run it: ``python docs/examples/versions_targets.py`` writes the same answer for several targets
and checks the chunks each one gets, the writes each one refuses, and the release table's answers.
"""

import logging

import anyio

from ai_stream import (
    ClientTarget,
    EventTooLargeError,
    ResetStepChunk,
    StreamContext,
    TextDeltaChunk,
    TextStartChunk,
    UnsupportedByClientError,
)
from ai_stream.testing import collect_stream, parse_sse_json, read_ui_message


# --8<-- [start:writer]
async def answer(ctx: StreamContext) -> None:
    await ctx.write_text("Checking the weather.")
    await ctx.begin_tool_call("getWeather", {"city": "Paris"}, tool_call_id="call-1")
    await ctx.complete_tool_call("call-1", {"tempC": 21})
    await ctx.new_step()
    await ctx.write_text("It is 21°C in Paris.")
    await ctx.finish("end_turn")  # Anthropic's spelling: sent as "stop"


async def produce(sdk_version: int | str) -> list[dict[str, object]]:
    ctx = StreamContext(sdk_version=sdk_version, message_id="msg-1")
    await ctx.run(answer)
    return parse_sse_json(await collect_stream(ctx))


# --8<-- [end:writer]


async def check_writer() -> None:
    # --8<-- [start:finish]
    every_5 = await produce(5)  # ai 5.0.0 … 5.0.277
    recent_5 = await produce("5.0.277")  # exactly that release (and the ones after it)
    every_6 = await produce(6)  # the default
    every_7 = await produce(7)

    # ai 5.0.0–5.0.91 reject finish.finishReason: a stream for "every ai 5" leaves it out.
    assert every_5[-1] == {"type": "finish"}
    assert recent_5[-1] == {"type": "finish", "finishReason": "stop"}
    assert every_6[-1] == every_7[-1] == {"type": "finish", "finishReason": "stop"}
    # Everything else is the same stream, and every client shows the same message.
    assert every_5[:-1] == recent_5[:-1] == every_6[:-1] == every_7[:-1]
    message = read_ui_message(every_6, 6)
    assert message is not None
    assert [part["type"] for part in message["parts"]] == [
        "step-start",
        "text",
        "tool-getWeather",
        "step-start",
        "text",
    ]
    # --8<-- [end:finish]


async def check_abort() -> None:
    # --8<-- [start:abort]
    async def stopped(ctx: StreamContext) -> None:
        await ctx.write_text("Half an ans")
        await ctx.abort("The user pressed stop.")

    bodies = {}
    for target in (6, "6.0.15", 7):
        ctx = StreamContext(sdk_version=target)
        await ctx.run(stopped)
        bodies[target] = parse_sse_json(await collect_stream(ctx))

    assert bodies[6][-1] == {"type": "abort"}  # ai 6.0.0–6.0.14 reject abort.reason
    assert bodies["6.0.15"][-1] == {"type": "abort", "reason": "The user pressed stop."}
    assert bodies[7][-1] == {"type": "abort", "reason": "The user pressed stop."}
    # --8<-- [end:abort]


async def check_unsupported() -> None:
    # --8<-- [start:unsupported]
    ctx = StreamContext(sdk_version=5, chat_id="chat-1", approval_secret="s3cret-for-the-docs")
    await ctx.begin_tool_call("deleteFile", {"path": "notes.txt"}, tool_call_id="call-1")
    try:
        await ctx.request_tool_approval("call-1")
    except UnsupportedByClientError as error:
        assert "Tool approval needs ai 6 or newer" in str(error)
    else:
        raise AssertionError("ai 5 has no tool approvals")

    for target in (6, 7):  # reset-step came with ai 7.0.70: 7.0.0–7.0.69 lack it too
        ctx = StreamContext(sdk_version=target)
        try:
            await ctx.write(ResetStepChunk())
        except UnsupportedByClientError:
            pass
        else:
            raise AssertionError(f"sdk_version={target} does not take reset-step")
        await ctx.abort()
    assert StreamContext(sdk_version="7.0.70").target.accepts_chunk("reset-step")
    # --8<-- [end:unsupported]


async def check_finish_step() -> None:
    # --8<-- [start:finish_step]
    async def two_texts(ctx: StreamContext) -> None:
        await ctx.write(TextStartChunk(id="note"))  # a text part opened by hand ...
        await ctx.write(TextDeltaChunk(id="note", delta="Thinking aloud."))
        await ctx.new_step()  # ... still open when the step ends
        await ctx.write_text("Done.")

    async def ends_of(target: int | str) -> list[object]:
        ctx = StreamContext(sdk_version=target)
        await ctx.run(two_texts)
        chunks = parse_sse_json(await collect_stream(ctx))
        return [c.get("id", c["type"]) for c in chunks if c["type"] in ("text-end", "finish-step")]

    # ai 7.0.0–7.0.78 forget open parts at finish-step: for them, the part is ended first.
    assert await ends_of(7) == ["note", "finish-step", "text-1", "finish-step"]
    # From 7.0.79 on, the part outlives the step and is ended with the message.
    assert await ends_of("7.0.79") == ["finish-step", "text-1", "note", "finish-step"]
    # --8<-- [end:finish_step]


async def check_event_limit() -> None:
    # --8<-- [start:event_limit]
    async def big_file(ctx: StreamContext) -> None:
        huge = "data:image/png;base64," + "A" * (64 * 1024 * 1024)
        try:
            await ctx.write_file(huge, "image/png")
        except EventTooLargeError:  # refused before anything of it was sent
            await ctx.write_text("The image is too large to show.")

    ctx = StreamContext(sdk_version=7, collect=True)
    await ctx.run(big_file)
    chunks = parse_sse_json(await collect_stream(ctx))
    assert [c["type"] for c in chunks if c["type"] in ("file", "text-delta")] == ["text-delta"]
    # --8<-- [end:event_limit]


def check_targets() -> None:
    # --8<-- [start:targets]
    every_7 = ClientTarget.parse(7)
    assert every_7.label == "ai 7.x (7.0.0 … 7.0.185)"
    assert every_7.strict  # 7.0.0–7.0.31 reject unknown keys
    assert not every_7.always("finish_step_keeps_parts")  # false before 7.0.79
    assert every_7.max_event_size == 64 * 1024 * 1024  # 7.0.182+ drop larger events
    assert "interrupted" not in every_7.finish_reasons  # 7.0.149+ only: sent as "other"

    exact = ClientTarget.parse("7.0.173")
    assert not exact.strict and exact.always("finish_step_keeps_parts")
    assert exact.max_event_size is None and "interrupted" in exact.finish_reasons
    assert exact.accepts_chunk("reset-step") and not ClientTarget.parse(6).accepts_chunk(
        "reset-step"
    )
    assert ClientTarget.parse(5).accepts_field("finish", "finishReason") is False
    # --8<-- [end:targets]


def check_newer_release() -> None:
    warnings: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            warnings.append(record.getMessage())

    logging.getLogger("ai_stream").addHandler(Keep())
    # --8<-- [start:newer]
    newer = ClientTarget.parse("7.0.999")  # newer than the table: logs one warning
    ClientTarget.parse("7.0.999")  # (once per release)
    assert newer.finish_reasons == ClientTarget.parse("7.0.185").finish_reasons
    assert newer.behaviour == ClientTarget.parse("7.0.185").behaviour
    # --8<-- [end:newer]
    assert len(warnings) == 1
    assert warnings[0].startswith("ai 7.0.999 is newer than the releases ai_stream knows")


async def check_v4() -> None:
    # --8<-- [start:v4]
    async def hello(ctx: StreamContext) -> None:
        await ctx.write_text("Hello")
        await ctx.write_data("weather", {"tempC": 21})

    ctx = StreamContext(sdk_version=4, message_id="msg-1")
    await ctx.run(hello)
    body = await collect_stream(ctx)
    assert ctx.response_headers["x-vercel-ai-data-stream"] == "v1"
    assert body.decode().splitlines() == [
        'f:{"messageId":"msg-1"}',
        '0:"Hello"',
        '2:[{"tempC":21}]',
        'e:{"finishReason":"stop","isContinued":false}',
        'd:{"finishReason":"stop"}',
    ]
    # --8<-- [end:v4]


async def run_all() -> None:
    await check_writer()
    await check_abort()
    await check_unsupported()
    await check_finish_step()
    await check_event_limit()
    check_targets()
    check_newer_release()
    await check_v4()


def main() -> None:
    anyio.run(run_all)


if __name__ == "__main__":
    main()
