"""pydantic-ai ``run_stream_events`` → UI message stream, replayed through the real clients.

A ``FunctionModel`` streams text, thinking and tool-call deltas; real tools run (one returns
``ToolReturn`` metadata, one raises ``ModelRetry``, one ``requires_approval``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import pytest
from pydantic_ai import Agent, DeferredToolRequests, ModelRetry, ToolDenied, ToolReturn
from pydantic_ai.messages import ModelMessage, ModelRequest
from pydantic_ai.models.function import AgentInfo, DeltaThinkingPart, DeltaToolCall, FunctionModel

from ai_stream import ChatRequest, StreamContext
from ai_stream.integrations._common import StreamResult
from ai_stream.integrations.pydantic_ai import deferred_tool_results, stream_agent
from ai_stream.testing import collect_stream, parse_sse_json
from tests.conformance.client import replay

RELEASES = ("5.0.277", "6.0.326", "7.0.173")
SECRET = "pydantic-ai-test-secret-0123456789"

Item = str | dict[int, Any] | Exception
Turns = list[list[Item]]


def model_for(turns: Turns) -> FunctionModel:
    """Each model request streams the next turn."""

    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[Any]:
        turn = sum(1 for m in messages if not isinstance(m, ModelRequest))
        for item in turns[turn]:
            if isinstance(item, Exception):
                raise item
            yield item

    return FunctionModel(stream_function=stream)


def make_agent(turns: Turns) -> Agent[None, str | DeferredToolRequests]:
    agent: Agent[None, str | DeferredToolRequests] = Agent(
        model_for(turns), output_type=[str, DeferredToolRequests]
    )

    @agent.tool_plain
    def weather(city: str) -> ToolReturn:
        """Weather of a city."""
        return ToolReturn(return_value={"city": city, "sky": "sunny"}, metadata={"source": "test"})

    @agent.tool_plain
    def flaky(x: int) -> str:
        """Always asks the model to retry."""
        raise ModelRetry(f"x={x} is not allowed")

    @agent.tool_plain(requires_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file."""
        return f"deleted {path}"

    return agent


def tool(index: int, name: str | None, args: str, call_id: str | None = None) -> dict[int, Any]:
    return {index: DeltaToolCall(name=name, json_args=args, tool_call_id=call_id)}


def think(index: int, text: str) -> dict[int, Any]:
    return {index: DeltaThinkingPart(content=text)}


SCRIPTS: dict[str, tuple[Turns, str]] = {
    "text": ([["Hello", ", world."]], "ready"),
    "reasoning": ([[think(0, "Let me "), think(0, "think."), "Answer."]], "ready"),
    "one_tool": (
        [
            ["Checking.", tool(1, "weather", '{"city":', "c1"), tool(1, None, ' "Paris"}')],
            ["It is sunny."],
        ],
        "ready",
    ),
    "parallel_tools": (
        [
            [
                tool(0, "weather", '{"city": "Paris"}', "c1"),
                tool(1, "weather", '{"city": "Oslo"}', "c2"),
            ],
            ["Both sunny."],
        ],
        "ready",
    ),
    "tool_error": (
        [[tool(0, "flaky", '{"x": 1}', "c1")], ["The tool failed."]],
        "ready",
    ),
    "model_error": (
        [["Half an ans", RuntimeError("provider exploded (secret detail)")]],
        "error",
    ),
}

Work = Callable[[StreamContext[Any]], Awaitable[object]]


def work_for(turns: Turns, results: list[StreamResult]) -> Work:
    async def work(ctx: StreamContext[Any]) -> None:
        agent = make_agent(turns)
        results.append(await stream_agent(ctx, agent.run_stream_events("hi")))

    return work


async def produce(work: Work, ctx: StreamContext[Any]) -> bytes:
    await ctx.run(work)
    return await collect_stream(ctx)


@pytest.fixture(scope="module")
def conformance() -> dict[str, Any]:
    produced: dict[str, Any] = {}

    async def main() -> None:
        for name, (turns, _) in SCRIPTS.items():
            for release in RELEASES:
                results: list[StreamResult] = []
                ctx: StreamContext[None] = StreamContext(sdk_version=release, collect=True)
                body = await produce(work_for(turns, results), ctx)
                produced[f"{name}@{release}"] = (ctx, body, results)

    anyio.run(main)
    replayed = replay(
        [
            {"name": key, "body": body.decode(), "versions": [key.split("@")[1]]}
            for key, (_, body, _) in produced.items()
        ]
    )
    for key, (ctx, _, _) in produced.items():
        name, release = key.split("@")
        result = replayed[key][release]
        assert result["chunkErrors"] == [], key
        assert result["chat"]["status"] == SCRIPTS[name][1], (key, result["chat"]["error"])
        assert result["chat"]["messages"][-1] == ctx.record.to_ui_message(release), key
    return produced


def parts(conformance: dict[str, Any], key: str) -> list[dict[str, Any]]:
    message: dict[str, Any] = conformance[key][0].record.to_ui_message()
    return [p for p in message["parts"] if p["type"] != "step-start"]


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_replays_in_real_clients(conformance: dict[str, Any], name: str) -> None:
    for release in RELEASES:
        ctx = conformance[f"{name}@{release}"][0]
        assert ctx.record.errors == ([] if SCRIPTS[name][1] == "ready" else ["An error occurred."])


def test_text(conformance: dict[str, Any]) -> None:
    assert parts(conformance, "text@7.0.173") == [
        {"type": "text", "text": "Hello, world.", "state": "done"}
    ]
    result = conformance["text@7.0.173"][2][0]
    assert result.finish_reason == "stop"
    assert result.usage is not None and result.usage["outputTokens"] > 0
    ctx = conformance["text@7.0.173"][0]
    assert ctx.record.to_ui_message()["metadata"] == {"usage": result.usage}


def test_reasoning_then_text(conformance: dict[str, Any]) -> None:
    found = parts(conformance, "reasoning@7.0.173")
    assert [(p["type"], p["text"]) for p in found] == [
        ("reasoning", "Let me think."),
        ("text", "Answer."),
    ]


def test_one_tool_with_metadata(conformance: dict[str, Any]) -> None:
    ctx, body, results = conformance["one_tool@7.0.173"]
    message = ctx.record.to_ui_message()
    assert [p["type"] for p in message["parts"]] == [
        "step-start", "text", "tool-weather", "step-start", "text",
    ]  # fmt: skip
    part = message["parts"][2]
    assert part["state"] == "output-available"
    assert part["input"] == {"city": "Paris"}
    assert part["output"] == {"city": "Paris", "sky": "sunny"}
    output_chunk = next(c for c in parse_sse_json(body) if c["type"] == "tool-output-available")
    assert output_chunk["toolMetadata"] == {"source": "test"}
    assert "tool-input-delta" in [c["type"] for c in parse_sse_json(body)]
    assert [c.tool_call_id for c in results[0].tool_calls] == ["c1"]


def test_parallel_tools(conformance: dict[str, Any]) -> None:
    tools = [p for p in parts(conformance, "parallel_tools@7.0.173") if p["type"] == "tool-weather"]
    assert [(p["toolCallId"], p["input"]["city"], p["state"]) for p in tools] == [
        ("c1", "Paris", "output-available"),
        ("c2", "Oslo", "output-available"),
    ]


def test_tool_error(conformance: dict[str, Any]) -> None:
    found = parts(conformance, "tool_error@7.0.173")
    assert found[0]["type"] == "tool-flaky"
    assert found[0]["state"] == "output-error"
    assert "x=1 is not allowed" in found[0]["errorText"]
    assert found[-1] == {"type": "text", "text": "The tool failed.", "state": "done"}


def test_model_error_is_masked(conformance: dict[str, Any]) -> None:
    ctx, body, results = conformance["model_error@7.0.173"]
    assert {"type": "error", "errorText": "An error occurred."} in parse_sse_json(body)
    assert b"secret detail" not in body
    assert results == []


async def test_disconnect_closes_the_run() -> None:
    closed = anyio.Event()
    gate = anyio.Event()

    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        try:
            yield "Hello"
            await gate.wait()  # the provider hangs; the client goes away meanwhile
            yield "never"
        finally:
            closed.set()

    agent: Agent[None, str] = Agent(FunctionModel(stream_function=stream))

    async def work(ctx: StreamContext[Any]) -> None:
        await stream_agent(ctx, agent.run_stream_events("hi"))

    ctx: StreamContext[None] = StreamContext(sdk_version=7, collect=True)
    await ctx.run(work)
    body_stream = ctx.stream()
    async for body in body_stream:
        if b"Hello" in body:
            break
    await body_stream.aclose()
    with anyio.fail_after(5):
        await closed.wait()
        while not ctx.is_finished:
            await anyio.sleep(0.001)
    assert ctx.record is not None and ctx.record.aborted


def first_request() -> ChatRequest:
    return ChatRequest.parse(
        {
            "id": "chat-pai",
            "trigger": "submit-message",
            "messages": [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "rm"}]}],
        }
    )


@pytest.mark.parametrize("approved", [True, False])
async def test_approval_roundtrip(approved: bool) -> None:
    turns: Turns = [
        ["Deleting.", tool(1, "delete_file", '{"path": "/tmp/x"}', "c1")],
        ["Done." if approved else "Kept it."],
    ]
    agent = make_agent(turns)
    request = first_request()
    first: StreamContext[None] = StreamContext.for_request(
        request, sdk_version=7, collect=True, approval_secret=SECRET
    )
    history: list[ModelMessage] = []

    async def ask(ctx: StreamContext[Any]) -> None:
        async with agent.run_stream_events("rm") as events:
            result = await stream_agent(ctx, events)
            assert result.finish_reason == "tool-calls"
        history.extend(events.result.all_messages())  # type: ignore[union-attr]

    body = await produce(ask, first)
    chunks = parse_sse_json(body)
    approval = next(c for c in chunks if c["type"] == "tool-approval-request")
    assert approval["toolCallId"] == "c1"
    assert chunks[-1] == {"type": "finish", "finishReason": "tool-calls"}
    assert first.record is not None
    message = first.record.to_ui_message()
    assert message["parts"][-1]["state"] == "approval-requested"

    tool_part = dict(message["parts"][-1])
    tool_part["state"] = "approval-responded"
    tool_part["approval"] = {"id": approval["approvalId"], "approved": approved}
    follow_up = ChatRequest.parse(
        {
            "id": "chat-pai",
            "trigger": "submit-message",
            "messageId": message["id"],
            "messages": [
                request.messages[0].to_dict(),
                {**message, "parts": [*message["parts"][:-1], tool_part]},
            ],
        }
    )
    results = deferred_tool_results(follow_up, SECRET)
    expected: Any = True if approved else ToolDenied("The user denied this tool call.")
    assert results.approvals == {"c1": expected}
    second: StreamContext[None] = StreamContext.for_request(
        follow_up, sdk_version=7, collect=True, approval_secret=SECRET
    )

    async def resume(ctx: StreamContext[Any]) -> None:
        events = agent.run_stream_events(message_history=history, deferred_tool_results=results)
        await stream_agent(ctx, events)

    body2 = await produce(resume, second)
    assert second.record is not None
    final = second.record.to_ui_message()
    assert final["id"] == message["id"]
    part = final["parts"][2]
    if approved:
        assert part["state"] == "output-available"
        assert part["output"] == "deleted /tmp/x"
    else:
        assert part["state"] == "output-denied"
    assert final["parts"][-1]["text"] == ("Done." if approved else "Kept it.")
    replayed = replay(
        [
            {"name": "ask", "body": body.decode(), "versions": ["6.0.326", "7.0.173"]},
            {"name": "resume", "body": body2.decode(), "versions": ["7.0.173"]},
        ]
    )
    for release in ("6.0.326", "7.0.173"):
        assert replayed["ask"][release]["chunkErrors"] == []
        assert replayed["ask"][release]["chat"]["messages"][-1] == first.record.to_ui_message(
            release
        )
    assert replayed["resume"]["7.0.173"]["chunkErrors"] == []


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # pydantic-ai runs on asyncio
