"""Every writer of ``StreamContext``, with the chunks it sends and the part the browser shows.

Run it: ``python docs/examples/writing_writers.py`` runs each piece of work offline and checks
the chunks and the ``UIMessage`` that ``useChat`` would build from them.
"""

# ruff: noqa: E402  (each section holds its own imports: the guide shows them with the code)

# --8<-- [start:helper]
from collections.abc import Awaitable, Callable
from typing import Any

from ai_stream import StreamContext
from ai_stream.testing import collect_stream, parse_sse_json, read_ui_message


async def run(
    work: Callable[[StreamContext[None]], Awaitable[None]],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run ``work`` as a response would; return the chunks sent and the message shown."""
    ctx = StreamContext(message_id="msg-1")
    await ctx.run(work)
    chunks = parse_sse_json(await collect_stream(ctx))
    message = read_ui_message(chunks)
    assert message is not None
    return chunks, message


# --8<-- [end:helper]


# --8<-- [start:text]
async def text_and_reasoning(ctx: StreamContext[None]) -> None:
    await ctx.write_reasoning("The user greets me. ")  # start, start-step, reasoning-start
    await ctx.write_reasoning("I greet back.")
    await ctx.write_text("Hello")  # reasoning-end, then text-start
    await ctx.write_text(", Ada!")
    await ctx.end_text()  # text-end now: the next write_text starts a new part
    await ctx.write_text("How can I help?")


# --8<-- [end:text]


async def check_text() -> None:
    # --8<-- [start:text-check]
    chunks, message = await run(text_and_reasoning)
    assert [c["type"] for c in chunks] == [
        "start",
        "start-step",
        "reasoning-start",
        "reasoning-delta",
        "reasoning-delta",
        "reasoning-end",
        "text-start",
        "text-delta",
        "text-delta",
        "text-end",
        "text-start",
        "text-delta",
        "text-end",  # run() closed it, and the step and the message
        "finish-step",
        "finish",
    ]
    assert [(p["type"], p.get("text")) for p in message["parts"]] == [
        ("step-start", None),
        ("reasoning", "The user greets me. I greet back."),
        ("text", "Hello, Ada!"),
        ("text", "How can I help?"),
    ]
    # --8<-- [end:text-check]


# --8<-- [start:tools]
async def weather(city: str) -> dict[str, Any]:
    if city == "Atlantis":
        raise TimeoutError
    return {"city": city, "tempC": 21}


async def tool_calls(ctx: StreamContext[None]) -> None:
    await ctx.write_text("Let me look.")
    for city in ["Paris", "Atlantis"]:
        handle = await ctx.begin_tool_call("getWeather", {"city": city})  # closes the text
        try:
            await ctx.complete_tool_call(handle.tool_call_id, await weather(city))
        except TimeoutError:
            await ctx.fail_tool_call(handle.tool_call_id, "The weather service timed out.")
    await ctx.new_step()  # the model reads the results and goes on in a new step
    await ctx.write_text("It is 21 °C in Paris.")


# --8<-- [end:tools]


async def check_tools() -> None:
    # --8<-- [start:tools-check]
    chunks, message = await run(tool_calls)
    assert [c["type"] for c in chunks if c["type"].startswith("tool-")] == [
        "tool-input-available",  # the client shows the call (and would fire onToolCall)
        "tool-output-available",
        "tool-input-available",
        "tool-output-error",
    ]
    paris, atlantis = message["parts"][2:4]
    assert paris["type"] == "tool-getWeather"
    assert paris["state"] == "output-available"
    assert paris["output"] == {"city": "Paris", "tempC": 21}
    assert atlantis["state"] == "output-error"
    assert atlantis["errorText"] == "The weather service timed out."
    assert chunks[-1] == {"type": "finish", "finishReason": "stop"}
    # --8<-- [end:tools-check]


# --8<-- [start:tool-input]
async def streamed_input(ctx: StreamContext[None]) -> None:
    handle = await ctx.start_tool_input("searchDocs")  # tool-input-start
    for piece in ['{"que', 'ry": "str', 'eaming"}']:  # as the model produces the arguments
        await ctx.stream_tool_input_delta(handle.tool_call_id, piece)
    await ctx.finish_tool_input(handle.tool_call_id)  # parses the JSON: tool-input-available
    await ctx.complete_tool_call(handle.tool_call_id, [{"title": "Streaming"}])

    broken = await ctx.start_tool_input("searchDocs")
    await ctx.stream_tool_input_delta(broken.tool_call_id, '{"query": ')
    await ctx.fail_tool_input(broken.tool_call_id, "The arguments are not valid JSON.")


# --8<-- [end:tool-input]


async def check_tool_input() -> None:
    # --8<-- [start:tool-input-check]
    chunks, message = await run(streamed_input)
    available = next(c for c in chunks if c["type"] == "tool-input-available")
    assert available["input"] == {"query": "streaming"}
    good, broken = message["parts"][1:]
    assert (good["state"], good["input"]) == ("output-available", {"query": "streaming"})
    assert broken["state"] == "output-error"
    assert broken["errorText"] == "The arguments are not valid JSON."
    # --8<-- [end:tool-input-check]


# --8<-- [start:client-tool]
async def client_side_tool(ctx: StreamContext[None]) -> None:
    await ctx.begin_tool_call("getTimeZone", {})  # no result: the browser runs it


# --8<-- [end:client-tool]


async def check_client_tool() -> None:
    # --8<-- [start:client-tool-check]
    chunks, message = await run(client_side_tool)
    assert chunks[-1] == {"type": "finish", "finishReason": "tool-calls"}
    assert message["parts"][-1]["state"] == "input-available"  # onToolCall / addToolOutput
    # --8<-- [end:client-tool-check]


# --8<-- [start:content]
async def sources_files_data(ctx: StreamContext[None]) -> None:
    await ctx.write_data("weather", {"status": "loading"}, id="w1")  # no step needed
    await ctx.write_data("progress", {"pct": 50}, transient=True)  # onData only
    await ctx.write_text("Here is the forecast.")
    await ctx.write_source("src-1", "https://example.com/paris", "Paris weather")  # text stays open
    await ctx.write_source_document("doc-1", "application/pdf", "Report", filename="report.pdf")
    await ctx.write_file("data:text/csv;base64,ZGF5LHRlbXAKMSwyMQo=", "text/csv")
    await ctx.write_data("weather", {"status": "done", "tempC": 21}, id="w1")  # replaces it


# --8<-- [end:content]


async def check_content() -> None:
    # --8<-- [start:content-check]
    chunks, message = await run(sources_files_data)
    assert {"type": "data-progress", "data": {"pct": 50}, "transient": True} in chunks
    assert [p["type"] for p in message["parts"]] == [
        "data-weather",  # updated in place, where it was first written
        "step-start",
        "text",
        "source-url",
        "source-document",
        "file",
    ]  # no data-progress: transient parts are not kept in the message
    assert message["parts"][0]["data"] == {"status": "done", "tempC": 21}
    assert message["parts"][2]["text"] == "Here is the forecast."
    # --8<-- [end:content-check]


# --8<-- [start:metadata]
async def metadata(ctx: StreamContext[None]) -> None:
    await ctx.start(metadata={"model": "demo-1"})  # start, now, with metadata
    await ctx.write_text("Hi!")
    await ctx.write_message_metadata({"usage": {"inputTokens": 12}})  # deep-merged
    await ctx.finish("stop", metadata={"usage": {"outputTokens": 3}})  # run() adds nothing


# --8<-- [end:metadata]


async def check_metadata() -> None:
    # --8<-- [start:metadata-check]
    chunks, message = await run(metadata)
    assert chunks[0] == {
        "type": "start",
        "messageId": "msg-1",
        "messageMetadata": {"model": "demo-1"},
    }
    assert message["metadata"] == {
        "model": "demo-1",
        "usage": {"inputTokens": 12, "outputTokens": 3},
    }
    # --8<-- [end:metadata-check]


# --8<-- [start:typed]
from ai_stream import SourceUrlChunk, TextDeltaChunk, parse_chunk


async def typed_chunks(ctx: StreamContext[None]) -> None:
    await ctx.write(TextDeltaChunk(id="t1", delta="Hi"))  # opens start, step and part t1
    await ctx.write({"type": "text-end", "id": "t1"})  # a dict is parsed first
    ctx.write_event_to_stream(SourceUrlChunk(source_id="s1", url="https://example.com"))


chunk = parse_chunk('{"type":"text-delta","id":"t","delta":"Hi"}')
assert chunk == TextDeltaChunk(id="t", delta="Hi")
# --8<-- [end:typed]


async def check_typed() -> None:
    chunks, message = await run(typed_chunks)
    assert [c["type"] for c in chunks[:5]] == [
        "start",
        "start-step",
        "text-start",
        "text-delta",
        "text-end",
    ]
    assert [p["type"] for p in message["parts"]] == ["step-start", "text", "source-url"]


async def all_checks() -> None:
    await check_text()
    await check_tools()
    await check_tool_input()
    await check_client_tool()
    await check_content()
    await check_metadata()
    await check_typed()


def main() -> None:
    import anyio

    anyio.run(all_checks)


if __name__ == "__main__":
    main()
