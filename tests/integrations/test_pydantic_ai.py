"""pydantic-ai ``run_stream_events`` → UI message stream, replayed through the real clients.

A ``FunctionModel`` streams text, thinking and tool-call deltas; real tools run (one returns
``ToolReturn`` metadata, one raises ``ModelRetry``, one ``requires_approval``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

import anyio
import httpx
import openai
import pytest
from pydantic import BaseModel
from pydantic_ai import (
    Agent,
    CallDeferred,
    DeferredToolRequests,
    DeferredToolResults,
    ModelRetry,
    ToolDenied,
    ToolReturn,
)
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    NativeToolCallPart,
    NativeToolReturnPart,
    ToolCallPart,
)
from pydantic_ai.models.function import AgentInfo, DeltaThinkingPart, DeltaToolCall, FunctionModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

from ai_stream import ChatRequest, ObjectResult, ObjectStreamContext, ProviderError, StreamContext
from ai_stream.agent import StreamResult, ToolCallInfo
from ai_stream.integrations.pydantic_ai import (
    deferred_tool_results,
    stream_agent,
    stream_pydantic_ai_object,
)
from ai_stream.testing import collect_stream, parse_sse_json
from tests.conformance.client import FIRST_AND_LATEST, replay
from tests.helpers import counter_ids, leave_after
from tests.integrations.test_openai import (
    CHAT_USAGE,
    STOPS,
    STOPS_BODY,
    STOPS_PIECES,
    TRIP,
    TRIP_PIECES,
    Stop,
    Trip,
    chat_body,
    chat_chunk,
    tool_delta,
)

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
    """ModelRetry's text is for the model (and may hold server details): the client gets
    on_error's text (shown by an app's on_error in the shapes below)."""
    found = parts(conformance, "tool_error@7.0.173")
    assert found[0]["type"] == "tool-flaky"
    assert found[0]["state"] == "output-error"
    assert found[0]["errorText"] == "An error occurred."
    assert b"x=1 is not allowed" not in conformance["tool_error@7.0.173"][1]
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
    await leave_after(ctx, b"Hello")
    with anyio.fail_after(5):
        await closed.wait()
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


# --- more shapes: invalid input, deferred calls, structured output, providers' usage -------------


class Forecast(BaseModel):
    city: str


def turns_agent(turns: Turns, output_type: Any = None) -> Agent[None, Any]:
    """An agent whose model streams the next turn per request, with plain, external (deferred)
    and approval tools."""
    agent: Agent[None, Any] = Agent(
        model_for(turns),
        output_type=output_type or [str, DeferredToolRequests],
        end_strategy="early",
    )

    @agent.tool_plain
    def weather(city: str) -> dict[str, str]:
        """Weather of a city."""
        return {"city": city, "sky": "sunny"}

    @agent.tool_plain
    def now() -> str:
        """The time."""
        return "12:00"

    @agent.tool_plain
    def locate() -> str:
        """The user's city: the browser knows it."""
        raise CallDeferred

    @agent.tool_plain(requires_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file."""
        return f"deleted {path}"

    return agent


INVALID_AND_DEFERRED: Turns = [
    [
        tool(0, "weather", '{"city": 3', "c1"),  # invalid JSON
        tool(1, "locate", "{}", "c2"),  # the browser runs it
        tool(2, "forecast", "{}", "c3"),  # no such tool
    ]
]
PARTS: Turns = [
    [
        {0: DeltaThinkingPart(signature="sig-0")},  # a thinking part without text
        think(0, "Hmm."),
        {0: DeltaThinkingPart(signature="sig-1")},
        {1: DeltaToolCall(name="now", tool_call_id="c1")},  # no arguments at all
        {1: DeltaToolCall(json_args="")},
    ],
    [  # a provider-executed (native) web search: not shown
        {0: NativeToolCallPart("web_search", {"query": "noon"}, tool_call_id="ws1")},
        {1: NativeToolReturnPart("web_search", {"results": []}, tool_call_id="ws1")},
    ],
    ["Noon."],
]
STREAMED_NAME: Turns = [  # a provider that streams the tool name in pieces, then the arguments
    [
        {0: DeltaToolCall(name="no", tool_call_id="c1")},
        {0: DeltaToolCall(name="w")},
        {0: DeltaToolCall(json_args="{}")},
    ],
    ["Noon."],
]
STRUCTURED: Turns = [
    [
        tool(0, "final_result", '{"city": "Oslo"}', "o1"),
        tool(1, "now", "{}", "c1"),  # not run: the final result came first
    ]
]
DEFERRED: Turns = [
    [tool(0, "locate", "{}", "c1"), tool(1, "delete_file", '{"path": "/tmp/x"}', "c2")],
    ["You are in Berlin; the file is gone."],
]


async def deferred_history() -> list[ModelMessage]:
    """The first run of DEFERRED (not streamed): it stops with the two deferred calls."""
    async with turns_agent(DEFERRED).run_stream_events("hi") as events:
        async for _ in events:
            pass
        return events.result.all_messages()  # type: ignore[union-attr]


async def continued_events() -> Any:
    """The follow-up run with the browser's result and the user's approval."""
    results = DeferredToolResults(calls={"c1": "Berlin"}, approvals={"c2": True})
    return turns_agent(DEFERRED).run_stream_events(
        message_history=await deferred_history(), deferred_tool_results=results
    )


def openai_agent(chunks: list[dict[str, Any]]) -> Agent[None, str]:
    """pydantic-ai's OpenAI model, served a recorded Chat Completions stream."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = chat_body(chunks)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = openai.AsyncOpenAI(
        api_key="test", base_url="http://test/v1", http_client=cast(Any, http)
    )
    return Agent(OpenAIChatModel("gpt-4o", provider=OpenAIProvider(openai_client=client)))


async def model_events_only() -> AsyncIterator[Any]:
    """An ``agent.iter`` loop that forwards only the model's events (the tools run unseen, the
    run's result is not sent): one call with valid input, one with invalid JSON."""
    turns: Turns = [
        [tool(0, "weather", '{"city": "Oslo"}', "c1")],
        [tool(0, "weather", '{"city": Oslo}', "c2")],
        ["Sunny."],
    ]
    agent = turns_agent(turns)
    async with agent.iter("hi") as run:
        async for node in run:
            if Agent.is_model_request_node(node):
                async with node.stream(run.ctx) as events:
                    async for event in events:
                        yield event


def ns(**fields: Any) -> SimpleNamespace:
    return SimpleNamespace(**fields)


def call_part(call_id: str, name: str, args: Any) -> SimpleNamespace:
    """A tool call part without ``args_as_dict`` (a hand-made or older part)."""
    return ns(part_kind="tool-call", tool_call_id=call_id, tool_name=name, args=args)


def retry(call_id: str, content: Any, **extra: Any) -> SimpleNamespace:
    """A pydantic-ai 1.x ``FunctionToolResultEvent``: the part is under ``result``."""
    part = ns(part_kind="retry-prompt", tool_call_id=call_id, content=content, **extra)
    return ns(event_kind="function_tool_result", result=part)


def broken_args() -> dict[str, Any]:
    raise ValueError("Invalid JSON")


async def hand_made_events() -> AsyncIterator[Any]:
    """A loop of pydantic-ai 1.x events made by hand: parts without ``args_as_dict``, tool
    results under ``result``, retry prompts whose content is not text, ``usage()`` a method, and
    a deferred call that no event announced."""
    yield ns(event_kind="part_start", index=0, part=call_part("c1", "weather", '{"city": "Oslo"}'))
    # the same call's part again (no new arguments), a native tool part, an empty text part
    yield ns(event_kind="part_start", index=0, part=call_part("c1", "weather", None))
    yield ns(event_kind="part_start", index=1, part=ns(part_kind="builtin-tool-call"))
    yield ns(event_kind="part_start", index=2, part=ns(part_kind="text", content=""))
    yield ns(event_kind="function_tool_call", part=call_part("c1", "weather", '{"city": "Oslo"}'))
    yield ns(event_kind="function_tool_call", part=call_part("c1", "weather", '{"city": "Oslo"}'))
    yield ns(event_kind="function_tool_call", part=call_part("c2", "count", {"n": (1, 2)}))
    yield ns(event_kind="function_tool_call", part=call_part("c3", "now", None))
    broken = call_part("c4", "weather", "{oops")
    broken.args_as_dict = broken_args  # as older releases do on broken JSON
    yield ns(event_kind="function_tool_call", part=broken)
    # a call resumed from an earlier run (deferred): its input was sent by that run
    yield ns(event_kind="function_tool_call", part=call_part("c9", "locate", "{}"), args_valid=None)
    yield retry("c1", [{"msg": "city unknown"}], model_response_str=lambda: "Fix: city unknown")
    yield retry(
        "c2",
        [{"msg": "n too big"}],
        model_response_str=lambda wrap_if_error=True: f"wrapped={wrap_if_error}: n too big",
    )
    yield retry("c3", {"detail": "no clock"})
    usage = ns(input_tokens=10, output_tokens=2, cache_read_tokens=0)
    output = DeferredToolRequests(calls=[ToolCallPart("locate", {}, tool_call_id="c5")])
    result = ns(usage=lambda: usage, output=output, response=ns(finish_reason="stop"))
    yield ns(event_kind="agent_run_result", result=result)


async def without_usage() -> AsyncIterator[Any]:
    """A run cut short by the length limit, that reports no usage."""
    yield ns(event_kind="part_start", index=0, part=ns(part_kind="text", content="Trunc"))
    result = ns(usage=None, output="Trunc", response=ns(finish_reason="length"))
    yield ns(event_kind="agent_run_result", result=result)


HELLO = [chat_chunk({"role": "assistant", "content": "Hello"}), chat_chunk({}, "stop")]


@dataclass
class Shape:
    events: Callable[[], Awaitable[Any]]
    target: int = 7
    status: str = "ready"


def given(make: Callable[[], Any]) -> Callable[[], Awaitable[Any]]:
    async def events() -> Any:
        return make()

    return events


def run_of(turns: Turns, output_type: Any = None) -> Callable[[], Awaitable[Any]]:
    async def events() -> Any:
        return turns_agent(turns, output_type).run_stream_events("hi")

    return events


def openai_run(chunks: list[dict[str, Any]]) -> Callable[[], Awaitable[Any]]:
    async def events() -> Any:
        return openai_agent(chunks).run_stream_events("hi")

    return events


SHAPES: dict[str, Shape] = {
    "invalid_and_deferred@7": Shape(run_of(INVALID_AND_DEFERRED)),
    "invalid_and_deferred@5": Shape(run_of(INVALID_AND_DEFERRED), 5),
    "parts@7": Shape(run_of(PARTS)),
    "streamed_name@7": Shape(run_of(STREAMED_NAME)),
    "structured@7": Shape(run_of(STRUCTURED, Forecast)),
    "continued@7": Shape(continued_events),
    "approval@5": Shape(run_of(DEFERRED[:1]), 5),
    "model_events_only@7": Shape(given(model_events_only)),
    "openai_usage@7": Shape(openai_run([*HELLO, chat_chunk(usage=CHAT_USAGE, choices=False)])),
    "openai_no_usage@7": Shape(openai_run(HELLO)),
    "hand_made@7": Shape(given(hand_made_events)),
    "without_usage@7": Shape(given(without_usage)),
}


@dataclass
class ShapeRun:
    chunks: list[dict[str, Any]]
    result: StreamResult | None
    ctx: StreamContext[Any]
    body: bytes


def reveal_retries(error: BaseException) -> str:
    """An app's ``on_error`` that shows pydantic-ai's retry texts (masked by default)."""
    if isinstance(error, ProviderError) and error.provider == "pydantic-ai":
        return str(error)
    return "An error occurred."


@pytest.fixture(scope="module")
def shapes() -> dict[str, ShapeRun]:
    runs: dict[str, ShapeRun] = {}

    async def main() -> None:
        for name, shape in SHAPES.items():
            ctx: StreamContext[None] = StreamContext(
                sdk_version=shape.target,
                collect=True,
                message_id="msg",
                id_generator=counter_ids(),
                chat_id="chat-pai",
                approval_secret=SECRET,
                on_error=reveal_retries,
            )
            results: list[StreamResult] = []

            async def work(
                ctx: StreamContext[Any], shape: Shape = shape, results: list[StreamResult] = results
            ) -> None:
                results.append(await stream_agent(ctx, await shape.events()))

            body = await produce(work, ctx)
            runs[name] = ShapeRun(parse_sse_json(body), results[0] if results else None, ctx, body)

    anyio.run(main)
    releases = {name: list(FIRST_AND_LATEST[shape.target]) for name, shape in SHAPES.items()}
    replayed = replay(
        [{"name": n, "body": r.body.decode(), "versions": releases[n]} for n, r in runs.items()]
    )
    for name, run in runs.items():
        assert run.ctx.record is not None
        for release in releases[name]:
            result = replayed[name][release]
            assert result["chunkErrors"] == [], (name, release)
            assert result["chat"]["status"] == SHAPES[name].status, (name, release)
            assert result["chat"]["messages"][-1] == run.ctx.record.to_ui_message(release), name
    return runs


HEAD = [{"type": "start", "messageId": "msg"}, {"type": "start-step"}]


def end(reason: str | None = "stop") -> list[dict[str, Any]]:
    finish = {"type": "finish", "finishReason": reason} if reason else {"type": "finish"}
    return [{"type": "finish-step"}, finish]


def streamed_input(call_id: str, name: str, *deltas: str) -> list[dict[str, Any]]:
    return [
        {"type": "tool-input-start", "toolCallId": call_id, "toolName": name},
        *({"type": "tool-input-delta", "toolCallId": call_id, "inputTextDelta": d} for d in deltas),
    ]


def available(call_id: str, name: str, input: Any) -> dict[str, Any]:
    return {"type": "tool-input-available", "toolCallId": call_id, "toolName": name, "input": input}


def output(call_id: str, value: Any) -> dict[str, Any]:
    return {"type": "tool-output-available", "toolCallId": call_id, "output": value}


def said(part: str, text: str, kind: str = "text") -> list[dict[str, Any]]:
    return [
        {"type": f"{kind}-start", "id": part},
        {"type": f"{kind}-delta", "id": part, "delta": text},
        {"type": f"{kind}-end", "id": part},
    ]


def usage_of(inp: int, out: int, **extra: int) -> dict[str, Any]:
    usage = {"inputTokens": inp, "outputTokens": out, "totalTokens": inp + out, **extra}
    return {"type": "message-metadata", "messageMetadata": {"usage": usage}}


INVALID_STREAMED = [
    *HEAD,
    *streamed_input("c1", "weather", '{"city": 3'),
    *streamed_input("c2", "locate", "{}"),
    *streamed_input("c3", "forecast", "{}"),
]


def test_invalid_input_unknown_tool_and_external_call(shapes: dict[str, ShapeRun]) -> None:
    """Invalid JSON and an unknown tool fail their input (with what the model wrote); the external
    call is left to the client."""
    assert shapes["invalid_and_deferred@7"].chunks == [
        *INVALID_STREAMED,
        {"type": "tool-input-error", "toolCallId": "c1", "toolName": "weather",
         "input": '{"city": 3', "errorText": "Invalid tool input."},
        available("c2", "locate", {}),
        {"type": "tool-input-error", "toolCallId": "c3", "toolName": "forecast", "input": "{}",
         "errorText": "Invalid tool input."},
        usage_of(50, 5),
        *end("tool-calls"),
    ]  # fmt: skip
    result = shapes["invalid_and_deferred@7"].result
    assert result is not None and result.finish_reason == "tool-calls"
    # ai 5.0.0-5.0.6 lack tool-input-error: the raw input, then the error as the call's output
    assert shapes["invalid_and_deferred@5"].chunks == [
        *INVALID_STREAMED,
        available("c1", "weather", '{"city": 3'),
        {"type": "tool-output-error", "toolCallId": "c1", "errorText": "Invalid tool input."},
        available("c2", "locate", {}),
        available("c3", "forecast", "{}"),
        {"type": "tool-output-error", "toolCallId": "c3", "errorText": "Invalid tool input."},
        usage_of(50, 5),
        *end(None),
    ]


def test_parts_without_text_and_native_tools(shapes: dict[str, ShapeRun]) -> None:
    """Signature-only thinking deltas, a call without arguments (``{}``), and a response with
    only a provider-executed tool (not shown, no empty step)."""
    run = shapes["parts@7"]
    assert run.chunks == [
        *HEAD,
        *said("reasoning-1", "Hmm.", "reasoning"),
        {"type": "tool-input-start", "toolCallId": "c1", "toolName": "now"},
        available("c1", "now", {}),
        output("c1", "12:00"),
        {"type": "finish-step"},
        {"type": "start-step"},
        *said("text-2", "Noon."),
        usage_of(150, 11),
        *end(),
    ]
    assert run.result is not None and run.result.tool_calls == [ToolCallInfo("c1", "now", {})]


def test_a_tool_name_streamed_in_pieces(shapes: dict[str, ShapeRun]) -> None:
    """The input starts with the whole name ("now", not its first piece "no")."""
    assert shapes["streamed_name@7"].chunks == [
        *HEAD,
        *streamed_input("c1", "now", "{}"),
        available("c1", "now", {}),
        output("c1", "12:00"),
        {"type": "finish-step"},
        {"type": "start-step"},
        *said("text-1", "Noon."),
        usage_of(100, 3),
        *end(),
    ]


def test_structured_output(shapes: dict[str, ShapeRun]) -> None:
    """The output tool completes like a function tool, and a call skipped after the final result
    gets its input before its (not executed) result: nothing is left for the client."""
    run = shapes["structured@7"]
    assert run.chunks == [
        *HEAD,
        *streamed_input("o1", "final_result", '{"city": "Oslo"}'),
        *streamed_input("c1", "now", "{}"),
        available("o1", "final_result", {"city": "Oslo"}),
        output("o1", "Final result processed."),
        available("c1", "now", {}),
        output("c1", "Tool not executed - a final result was already processed."),
        usage_of(50, 5),
        *end(),
    ]
    assert run.result is not None and run.result.finish_reason == "stop"


def test_deferred_results_in_a_new_message(shapes: dict[str, ShapeRun]) -> None:
    """The follow-up run answered in a new message: the approved call (run now) and the external
    call (the browser's result) are announced before their results."""
    run = shapes["continued@7"]
    assert run.chunks == [
        *HEAD,
        available("c2", "delete_file", {"path": "/tmp/x"}),
        available("c1", "locate", {}),
        output("c1", "Berlin"),
        output("c2", "deleted /tmp/x"),
        *said("text-1", "You are in Berlin; the file is gone."),
        usage_of(50, 9),
        *end(),
    ]
    assert run.result is not None
    assert run.result.tool_calls == [ToolCallInfo("c2", "delete_file", {"path": "/tmp/x"})]


def test_approvals_on_ai_5_are_left_to_the_client(shapes: dict[str, ShapeRun]) -> None:
    """ai 5 has no approval chunks: the call that needs approval stays input-available."""
    run = shapes["approval@5"]
    assert run.chunks == [
        *HEAD,
        *streamed_input("c1", "locate", "{}"),
        *streamed_input("c2", "delete_file", '{"path": "/tmp/x"}'),
        available("c1", "locate", {}),
        available("c2", "delete_file", {"path": "/tmp/x"}),
        usage_of(50, 5),
        *end(None),
    ]
    assert run.result is not None and run.result.finish_reason == "tool-calls"


def test_model_events_only(shapes: dict[str, ShapeRun]) -> None:
    """Without tool call events (a loop that forwards only the model's), the streamed inputs are
    completed at the end (invalid JSON as an input error): no part is left streaming."""
    run = shapes["model_events_only@7"]
    assert run.chunks == [
        *HEAD,
        *streamed_input("c1", "weather", '{"city": "Oslo"}'),
        *streamed_input("c2", "weather", '{"city": Oslo}'),
        *said("text-1", "Sunny."),
        available("c1", "weather", {"city": "Oslo"}),
        {"type": "tool-input-error", "toolCallId": "c2", "toolName": "weather",
         "input": '{"city": Oslo}', "errorText": "Invalid tool input."},
        *end("tool-calls"),  # c1 has no result in this stream
    ]  # fmt: skip
    assert run.result is not None
    assert (run.result.finish_reason, run.result.usage, run.result.tool_calls) == ("stop", None, [])


def test_usage_of_a_provider_model(shapes: dict[str, ShapeRun]) -> None:
    """pydantic-ai's OpenAI model: cached input tokens are reported; no usage, no metadata."""
    hello = [*HEAD, *said("text-1", "Hello")]
    usage = {"inputTokens": 12, "outputTokens": 7, "totalTokens": 19, "cachedInputTokens": 4}
    with_usage = shapes["openai_usage@7"]
    assert with_usage.chunks == [*hello, usage_of(12, 7, cachedInputTokens=4), *end()]
    assert with_usage.result is not None and with_usage.result.usage == usage
    without = shapes["openai_no_usage@7"]
    assert without.chunks == [*hello, *end()]
    assert without.result is not None and without.result.usage is None


def test_hand_made_events_of_pydantic_ai_1(shapes: dict[str, ShapeRun]) -> None:
    """Arguments read from ``args`` (JSON text, an object, nothing, broken JSON); retry prompts
    whose content is not text use ``model_response_str`` (with or without ``wrap_if_error``) or
    their JSON; the deferred call the run ends with is announced; ``usage()`` is called. A
    repeated part start or call event and an empty text part send nothing."""
    run = shapes["hand_made@7"]
    assert run.chunks == [
        *HEAD,
        *streamed_input("c1", "weather", '{"city": "Oslo"}'),
        available("c1", "weather", {"city": "Oslo"}),
        available("c2", "count", {"n": [1, 2]}),
        available("c3", "now", {}),
        available("c4", "weather", "{oops"),
        {"type": "tool-output-error", "toolCallId": "c1", "errorText": "Fix: city unknown"},
        {"type": "tool-output-error", "toolCallId": "c2", "errorText": "wrapped=False: n too big"},
        {"type": "tool-output-error", "toolCallId": "c3", "errorText": '{"detail": "no clock"}'},
        available("c5", "locate", {}),
        usage_of(10, 2),
        *end("tool-calls"),
    ]
    assert run.result is not None
    assert run.result.usage == {"inputTokens": 10, "outputTokens": 2, "totalTokens": 12}
    assert [call.tool_call_id for call in run.result.tool_calls] == ["c1", "c2", "c3", "c4", "c5"]


def test_a_run_without_usage_keeps_its_finish_reason(shapes: dict[str, ShapeRun]) -> None:
    """No usage, no metadata; the model's finish reason is the result's (``ctx.run`` finishes)."""
    run = shapes["without_usage@7"]
    assert run.chunks == [*HEAD, *said("text-1", "Trunc"), *end()]
    assert run.result is not None
    assert (run.result.finish_reason, run.result.usage) == ("length", None)


def test_without_pydantic_ai_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pydantic_ai", None)  # as if it were not installed
    with pytest.raises(ImportError) as info:
        deferred_tool_results(first_request(), SECRET)
    assert str(info.value) == (
        "This integration needs the 'pydantic_ai' package, which is not installed: "
        "pip install 'ai-stream[pydantic-ai]'"
    )
    assert isinstance(info.value.__cause__, ImportError)


# --- object streams (experimental_useObject) ------------------------------------------------------


def output_turn(pieces: list[str]) -> list[Item]:
    """A model turn that streams the output tool's arguments in ``pieces``."""
    return [tool(0, "final_result", pieces[0], "o1"), *(tool(0, None, p) for p in pieces[1:])]


async def run_object(
    obj: ObjectStreamContext[Any], agent: Agent[None, Any], **run_kwargs: Any
) -> tuple[bytes, list[Any]]:
    """Run the agent into ``obj`` as its work: the body and what the pump returned."""
    results: list[Any] = []

    async def work(obj: ObjectStreamContext[Any]) -> None:
        results.append(await stream_pydantic_ai_object(obj, agent, "A trip", **run_kwargs))

    await obj.run(work)
    return await collect_stream(obj.context), results


async def test_object_streams_the_output_arguments_as_they_come() -> None:
    obj = ObjectStreamContext(Trip)
    sent: list[str] = []
    tools: list[Any] = []

    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[Any]:
        tools.append([(t.name, t.parameters_json_schema["required"]) for t in info.output_tools])
        for item in output_turn(TRIP_PIECES):
            yield item
            sent.append(obj.text)  # (written before the model is asked for more)

    agent: Agent[None, str] = Agent(FunctionModel(stream_function=stream))
    body, results = await run_object(obj, agent)
    assert (body, obj.result, sent, tools) == (
        "".join(TRIP_PIECES).encode(),
        TRIP,
        ["".join(TRIP_PIECES[: i + 1]) for i in range(len(TRIP_PIECES))],
        [[("final_result", ["city"])]],
    )
    assert (results[0].usage.requests, await results[0].get_output()) == (
        1,
        json.loads("".join(TRIP_PIECES)),
    )


async def test_object_array_gets_each_element_once_complete() -> None:
    """The output tool takes {"elements": [...]}: each element goes out whole."""
    obj = ObjectStreamContext(list[Stop], output="array")
    body, _ = await run_object(obj, turns_agent([output_turn(STOPS_PIECES)]))
    assert (body, obj.result) == (STOPS_BODY, STOPS)


async def test_object_after_tool_calls() -> None:
    """The agent's tools run first; the answer that follows streams."""
    turns: Turns = [[tool(0, "weather", '{"city": "Lyon"}', "c1")], output_turn(TRIP_PIECES)]
    obj = ObjectStreamContext(Trip)
    body, results = await run_object(obj, turns_agent(turns))
    assert (body, obj.result, results[0].usage.requests) == (
        "".join(TRIP_PIECES).encode(),
        TRIP,
        2,
    )


async def test_object_arguments_sent_whole_are_written_at_the_end() -> None:
    """A provider that sends the arguments as an object (not streamed text)."""
    from pydantic_ai.models.test import TestModel

    arguments = TRIP.model_dump()
    obj = ObjectStreamContext(Trip)
    body, _ = await run_object(obj, Agent(TestModel(custom_output_args=arguments)))
    assert (body, obj.result) == (json.dumps(arguments).encode(), TRIP)


async def test_object_through_pydantic_ai_openai_model() -> None:
    """pydantic-ai's own OpenAI model over a recorded stream: the tool call's arguments."""
    chunks = [
        chat_chunk({"role": "assistant", "content": None}),
        chat_chunk(tool_delta(0, id="call_o", name="final_result")),
        *(chat_chunk(tool_delta(0, args=piece)) for piece in TRIP_PIECES),
        chat_chunk({}, "tool_calls"),
        chat_chunk(usage=CHAT_USAGE, choices=False),
    ]
    obj = ObjectStreamContext(Trip)
    body, results = await run_object(obj, openai_agent(chunks))
    assert (body, obj.result, results[0].usage.input_tokens) == (
        "".join(TRIP_PIECES).encode(),
        TRIP,
        12,
    )


async def test_object_model_error_is_not_sent(caplog: pytest.LogCaptureFixture) -> None:
    turns: Turns = [[*output_turn(TRIP_PIECES[:1]), RuntimeError(f"exploded ({SECRET})")]]
    obj = ObjectStreamContext(Trip)
    body, results = await run_object(obj, turns_agent(turns))
    assert (body, obj.result, results, type(obj.error)) == (
        b'{"city": "Ly',
        None,
        [],
        RuntimeError,
    )
    assert "Stream work failed" in caplog.text  # (the server has it; the text protocol has
    # no error channel: the body just ends and useObject's own validation fails)


async def test_object_disconnect_closes_the_run() -> None:
    closed = anyio.Event()
    gate = anyio.Event()

    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[Any]:
        try:
            yield output_turn(TRIP_PIECES)[0]
            await gate.wait()  # the provider hangs; the client goes away meanwhile
        finally:
            closed.set()

    finished: list[ObjectResult[Trip]] = []
    obj = ObjectStreamContext(Trip, on_finish=finished.append)

    async def work(obj: ObjectStreamContext[Any]) -> None:
        await stream_pydantic_ai_object(obj, Agent(FunctionModel(stream_function=stream)), "hi")

    await obj.run(work)
    assert await leave_after(obj.context) == TRIP_PIECES[0].encode()
    with anyio.fail_after(5):
        await closed.wait()
    assert (finished[0].aborted, obj.result, closed.is_set()) == (True, None, True)
