"""Stream an Anthropic Messages response (thinking, text, a tool call) into the answer.

Run it: ``python docs/examples/providers_anthropic.py`` answers a chat request with a stand-in for
the Anthropic client that returns typed ``anthropic`` stream events built by hand (no network, no
API key), and checks the message useChat shows and what goes back to Claude on the next turn.
"""

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any, cast

import anyio
from anthropic import AsyncAnthropic
from anthropic.types import (
    InputJSONDelta,
    Message,
    MessageDeltaUsage,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawContentBlockStopEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStopEvent,
    RawMessageStreamEvent,
    SignatureDelta,
    TextBlock,
    TextDelta,
    ThinkingBlock,
    ThinkingDelta,
    ToolUseBlock,
    Usage,
)
from anthropic.types.raw_message_delta_event import Delta

from ai_stream import ChatRequest, StreamContext, UIMessage
from ai_stream.agent import StreamResult
from ai_stream.convert import to_anthropic
from ai_stream.integrations.anthropic import stream_messages
from ai_stream.testing import collect_stream, parse_sse, read_ui_message

WEATHER_TOOL: Any = {
    "name": "getWeather",
    "description": "The weather of a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


# --8<-- [start:work]
async def answer(ctx: StreamContext, client: AsyncAnthropic, body: ChatRequest) -> StreamResult:
    system, messages = to_anthropic(body.messages, system="You are a helpful assistant.")
    stream = await client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=2048,
        system=system or "",
        messages=messages,
        tools=[WEATHER_TOOL],
        thinking={"type": "enabled", "budget_tokens": 1024},
        stream=True,
    )
    return await stream_messages(ctx, stream)  # the work returns: run() finishes the message


# --8<-- [end:work]


# --- the stand-in for Anthropic: typed stream events, built by hand -----------------------------

EVENTS: list[RawMessageStreamEvent] = [
    RawMessageStartEvent(
        type="message_start",
        message=Message(
            id="msg_1",
            type="message",
            role="assistant",
            model="claude-sonnet-4-5",
            content=[],
            usage=Usage(input_tokens=25, output_tokens=1),
        ),
    ),  # fmt: skip
    RawContentBlockStartEvent(
        type="content_block_start",
        index=0,
        content_block=ThinkingBlock(type="thinking", thinking="", signature=""),
    ),  # fmt: skip
    RawContentBlockDeltaEvent(
        type="content_block_delta",
        index=0,
        delta=ThinkingDelta(type="thinking_delta", thinking="The user wants the weather."),
    ),  # fmt: skip
    RawContentBlockDeltaEvent(
        type="content_block_delta",
        index=0,
        delta=SignatureDelta(type="signature_delta", signature="EqQBCgIYAh"),
    ),  # fmt: skip
    RawContentBlockStopEvent(type="content_block_stop", index=0),
    RawContentBlockStartEvent(
        type="content_block_start", index=1, content_block=TextBlock(type="text", text="")
    ),
    RawContentBlockDeltaEvent(
        type="content_block_delta",
        index=1,
        delta=TextDelta(type="text_delta", text="Let me check."),
    ),  # fmt: skip
    RawContentBlockStopEvent(type="content_block_stop", index=1),
    RawContentBlockStartEvent(
        type="content_block_start",
        index=2,
        content_block=ToolUseBlock(type="tool_use", id="toolu_1", name="getWeather", input={}),
    ),  # fmt: skip
    RawContentBlockDeltaEvent(
        type="content_block_delta",
        index=2,
        delta=InputJSONDelta(type="input_json_delta", partial_json='{"city": "Paris"}'),
    ),  # fmt: skip
    RawContentBlockStopEvent(type="content_block_stop", index=2),
    RawMessageDeltaEvent(
        type="message_delta",
        delta=Delta(stop_reason="tool_use"),
        usage=MessageDeltaUsage(output_tokens=40),
    ),
    RawMessageStopEvent(type="message_stop"),
]


class FakeAnthropic:
    """Answers ``messages.create(..., stream=True)`` with the recorded events."""

    def __init__(self, events: list[RawMessageStreamEvent]) -> None:
        self.events = events
        self.messages = SimpleNamespace(create=self.create)

    async def create(self, **request: Any) -> AsyncIterator[RawMessageStreamEvent]:
        async def stream() -> AsyncIterator[RawMessageStreamEvent]:
            for event in self.events:
                yield event

        return stream()


async def run() -> None:
    user = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Weather in Paris?"}]}
    body = ChatRequest.parse({"id": "chat-1", "messages": [user]})
    client = cast("AsyncAnthropic", FakeAnthropic(EVENTS))
    results: list[StreamResult] = []

    async def work(ctx: StreamContext) -> None:
        results.append(await answer(ctx, client, body))

    ctx = StreamContext.for_request(body)
    await ctx.run(work)
    chunks = parse_sse(await collect_stream(ctx))
    message = read_ui_message(chunks)
    assert message is not None
    # --8<-- [start:check]
    [result] = results
    assert result.finish_reason == "tool-calls"  # Anthropic's "tool_use", mapped
    assert [(c.tool_call_id, c.tool_name, c.input) for c in result.tool_calls] == [
        ("toolu_1", "getWeather", {"city": "Paris"})
    ]
    _, thinking, text, tool = message["parts"]
    assert thinking["text"] == "The user wants the weather."
    assert thinking["providerMetadata"] == {"anthropic": {"signature": "EqQBCgIYAh"}}
    assert text["text"] == "Let me check."
    assert (tool["type"], tool["state"]) == ("tool-getWeather", "input-available")
    assert message["metadata"]["usage"]["outputTokens"] == 40

    # Once the tool has run, the signed thinking block goes back to Claude unchanged.
    ran = {**tool, "state": "output-available", "output": {"tempC": 21}}
    answered = UIMessage.model_validate({**message, "parts": [*message["parts"][:3], ran]})
    _, messages = to_anthropic([*body.messages, answered])
    assistant: Any = messages[1]["content"]
    assert assistant[0] == {
        "type": "thinking",
        "thinking": "The user wants the weather.",
        "signature": "EqQBCgIYAh",
    }
    # --8<-- [end:check]


def main() -> None:
    anyio.run(run)


if __name__ == "__main__":
    main()
