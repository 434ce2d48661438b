from __future__ import annotations

from typing import Any

import pytest

from ai_stream import StreamContext, UnsupportedByClientError
from ai_stream.encoding.data_stream import DATA_STREAM_HEADERS, DataStreamEncoder
from ai_stream.testing import collect_stream


async def v4_all_writers(ctx: StreamContext[Any]) -> None:
    await ctx.write_data("progress", {"p": 1})
    await ctx.write_reasoning("think")
    await ctx.end_reasoning(provider_metadata={"anthropic": {"signature": "sig"}})
    await ctx.write_text('Hi "there"')
    await ctx.write_text(" é")
    call = await ctx.start_tool_input("getWeather", tool_call_id="c1")
    await ctx.stream_tool_input_delta(call.tool_call_id, '{"city":"Paris"}')
    await ctx.finish_tool_input(call.tool_call_id)
    await ctx.complete_tool_call(call.tool_call_id, {"t": 21})
    other = await ctx.begin_tool_call("search", {"q": "x"}, tool_call_id="c2")
    await ctx.fail_tool_call(other.tool_call_id, "timeout")
    await ctx.new_step()
    await ctx.write_source("s1", "https://x.com", "X")
    await ctx.write_file("data:image/png;base64,AAAA", "image/png")
    await ctx.write_message_metadata({"model": "m"})
    await ctx.write_text("done")
    await ctx.finish(metadata={"usage": {"inputTokens": 3, "outputTokens": 4}})


V4_LINES = [
    '2:[{"p":1}]',
    'f:{"messageId":"m1"}',
    'g:"think"',
    'j:{"signature":"sig"}',
    '0:"Hi \\"there\\""',
    '0:" é"',
    'b:{"toolCallId":"c1","toolName":"getWeather"}',
    'c:{"toolCallId":"c1","argsTextDelta":"{\\"city\\":\\"Paris\\"}"}',
    '9:{"toolCallId":"c1","toolName":"getWeather","args":{"city":"Paris"}}',
    'a:{"toolCallId":"c1","result":{"t":21}}',
    '9:{"toolCallId":"c2","toolName":"search","args":{"q":"x"}}',
    'a:{"toolCallId":"c2","result":{"error":"timeout"}}',
    'e:{"finishReason":"tool-calls","isContinued":false}',
    'f:{"messageId":"m1"}',
    'h:{"sourceType":"url","id":"s1","url":"https://x.com","title":"X"}',
    'k:{"data":"AAAA","mimeType":"image/png"}',
    '8:[{"model":"m"}]',
    '0:"done"',
    'e:{"finishReason":"stop","isContinued":false}',
    '8:[{"usage":{"inputTokens":3,"outputTokens":4}}]',
    'd:{"finishReason":"stop","usage":{"promptTokens":3,"completionTokens":4}}',
]


async def test_every_writer_as_v4_lines() -> None:
    ctx: StreamContext[None] = StreamContext(sdk_version=4, message_id="m1")
    await ctx.run(v4_all_writers)
    body = await collect_stream(ctx)
    assert body.decode().split("\n") == [*V4_LINES, ""]
    assert ctx.response_headers == DATA_STREAM_HEADERS


async def test_errors_and_unsupported_chunks() -> None:
    async def failing(ctx: StreamContext[Any]) -> None:
        await ctx.write_text("partial")
        raise RuntimeError("secret")

    ctx: StreamContext[None] = StreamContext(sdk_version="4.3.19", message_id="m")
    await ctx.run(failing)
    lines = (await collect_stream(ctx)).decode().splitlines()
    assert lines[-3:] == [
        '3:"An error occurred."',
        'e:{"finishReason":"stop","isContinued":false}',
        'd:{"finishReason":"error"}',
    ]

    ctx = StreamContext(sdk_version=4)
    call = await ctx.begin_tool_call("t", {})
    with pytest.raises(UnsupportedByClientError, match="tool-output-denied"):
        await ctx.deny_tool_call(call.tool_call_id)
    with pytest.raises(UnsupportedByClientError, match="source-document"):
        await ctx.write_source_document("d", "application/pdf", "D")
    with pytest.raises(UnsupportedByClientError, match="data: URL"):
        await ctx.write_file("https://x/a.png", "image/png")


def test_parts_without_a_v4_line_encode_to_nothing() -> None:
    encoder = DataStreamEncoder()
    for chunk in (
        {"type": "text-start", "id": "t"},
        {"type": "text-end", "id": "t"},
        {"type": "abort"},
    ):
        assert encoder.encode(chunk) == b""
    assert (
        encoder.encode(
            {
                "type": "reasoning-end",
                "id": "r",
                "providerMetadata": {"anthropic": {"redactedData": "x"}},
            }
        )
        == b'i:{"data":"x"}\n'
    )


async def v4_provider_shapes(ctx: StreamContext[Any]) -> None:
    """What the provider adapters write on ai 4: OpenAI reasoning without a signature, a tool with
    preliminary (progress) outputs, a source without a title, usage the v4 finish cannot carry."""
    await ctx.write_reasoning("Plan.")
    await ctx.end_reasoning(provider_metadata={"openai": {"itemId": "rs_1"}})
    call = await ctx.begin_tool_call("search", {"q": "x"}, tool_call_id="c1")
    await ctx.complete_tool_call(call.tool_call_id, {"progress": 50}, preliminary=True)
    await ctx.complete_tool_call(call.tool_call_id, {"hits": 2})
    await ctx.new_step()
    await ctx.write_source("s1", "https://x.com/a", provider_metadata={"openai": {"rank": 1}})
    await ctx.write_text("Found it.")
    await ctx.finish(metadata={"usage": {"inputTokens": 3, "outputTokens": None}})


V4_PROVIDER_LINES = [
    'f:{"messageId":"m1"}',
    'g:"Plan."',
    '9:{"toolCallId":"c1","toolName":"search","args":{"q":"x"}}',
    'a:{"toolCallId":"c1","result":{"hits":2}}',  # the preliminary output is not sent
    'e:{"finishReason":"tool-calls","isContinued":false}',
    'f:{"messageId":"m1"}',
    'h:{"sourceType":"url","id":"s1","url":"https://x.com/a","providerMetadata":{"openai":{"rank":1}}}',
    '0:"Found it."',
    'e:{"finishReason":"stop","isContinued":false}',
    '8:[{"usage":{"inputTokens":3,"outputTokens":null}}]',
    'd:{"finishReason":"stop"}',  # no usage: the counts are not all numbers
]


async def test_provider_shapes_as_v4_lines() -> None:
    ctx: StreamContext[None] = StreamContext(sdk_version=4, message_id="m1")
    await ctx.run(v4_provider_shapes)
    assert (await collect_stream(ctx)).decode().split("\n") == [*V4_PROVIDER_LINES, ""]
