"""The agent loop: three tools (server, approval, client-side) over three requests, through the
real ``AbstractChat`` of ai 6 and 7 against a live server."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ai_stream import (
    ChatRequest,
    MemoryChatStore,
    StreamContext,
    StreamRecord,
    StreamStateError,
    UIMessage,
    UIMessageStreamResponse,
    begin_turn,
)
from ai_stream.agent import ModelCall, StreamResult, Tool, ToolCallInfo, run_agent
from ai_stream.testing import collect_stream, parse_sse_json
from tests.conformance.client import NODE_DIR
from tests.helpers import counter_ids, serve

SECRET = "agent-secret-0123456789"
records: list[StreamRecord] = []


async def call_tool(ctx: StreamContext[Any], name: str, input: dict[str, Any]) -> StreamResult:
    handle = await ctx.begin_tool_call(name, input)
    return StreamResult(
        finish_reason="tool-calls", tool_calls=[ToolCallInfo(handle.tool_call_id, name, input)]
    )


async def scripted_model(ctx: StreamContext[Any], messages: list[UIMessage]) -> StreamResult:
    """A deterministic model: weather, then a deletion (needs approval), then the time zone."""
    last = messages[-1]
    done = {p.tool_name: p for p in last.tool_parts} if last.role == "assistant" else {}
    if "getWeather" not in done:
        await ctx.write_reasoning("First the weather.")
        return await call_tool(ctx, "getWeather", {"city": "Oslo"})
    if "deleteFile" not in done:
        await ctx.write_text("Cold. I will clean up your old notes.")
        return await call_tool(ctx, "deleteFile", {"path": "/tmp/notes.txt"})
    if "getTimezone" not in done:
        return await call_tool(ctx, "getTimezone", {})
    weather = done["getWeather"].output
    zone = done["getTimezone"].output
    await ctx.write_text(f"Plan: {weather['tempC']}°C in Oslo; your zone is {zone['city']}.")
    return StreamResult(finish_reason="stop")


def get_weather(city: str) -> dict[str, Any]:  # a sync tool: runs in a worker thread
    return {"city": city, "tempC": -3}


async def delete_file(path: str) -> dict[str, Any]:
    return {"deleted": path}


TOOLS: dict[str, Tool | Callable[..., Any]] = {
    "getWeather": get_weather,
    "deleteFile": Tool(delete_file, needs_approval=True),
    "getTimezone": Tool(client_side=True),
}


async def chat(request: Request) -> Response:
    body = ChatRequest.parse(await request.body())
    ctx: StreamContext[None] = StreamContext.for_request(
        body,
        sdk_version=request.query_params["sdk"],
        collect=True,
        approval_secret=SECRET,
        on_finish=records.append,
    )
    await ctx.run(run_agent, body, scripted_model, TOOLS)
    return UIMessageStreamResponse(ctx)


APP = Starlette(routes=[Route("/api/chat", chat, methods=["POST"])])


@pytest.fixture
async def url(anyio_backend: str) -> AsyncIterator[str]:
    async with serve(APP) as server:
        yield f"{server.url}/api/chat"


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("release", ["6.0.326", "7.0.173"])
async def test_agent_conversation_through_the_real_client(url: str, release: str) -> None:
    node = shutil.which("node")
    assert node is not None
    chat_id = f"agent-{release}"
    result = await anyio.run_process(
        [node, "roundtrip.mjs", "--url", f"{url}?sdk={release}", "--version", release,
         "--flow", "agent", "--chat-id", chat_id],
        cwd=NODE_DIR,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    outcome = json.loads(result.stdout)
    assistants = [m for m in outcome["messages"] if m["role"] == "assistant"]
    assert outcome["status"] == "ready" and len(assistants) == 1
    message = assistants[0]
    tools = {p["type"][5:]: p for p in message["parts"] if p["type"].startswith("tool-")}
    assert len(outcome["requests"]) == 3  # ask, approval round trip, client tool round trip
    assert {name: p["state"] for name, p in tools.items()} == {
        "getWeather": "output-available",
        "deleteFile": "output-available",
        "getTimezone": "output-available",
    }
    assert tools["deleteFile"]["approval"]["approved"] is True
    assert message["parts"][-1] == {
        "type": "text",
        "text": "Plan: -3°C in Oslo; your zone is Berlin.",
        "state": "done",
    }
    assert sum(p["type"] == "step-start" for p in message["parts"]) == 4
    assert records[-1].to_ui_message(release) == message


async def test_run_agent_needs_a_record() -> None:
    body = ChatRequest.parse(
        {
            "id": "c",
            "messages": [{"id": "u", "role": "user", "parts": [{"type": "text", "text": "x"}]}],
        }
    )
    with pytest.raises(StreamStateError, match="collect=True"):
        await run_agent(StreamContext(), body, scripted_model, TOOLS)


# --- the loop's edges, as whole transcripts -------------------------------------------------


def request(text: str = "Plan my trip") -> ChatRequest:
    return ChatRequest.parse(
        {
            "id": "chat-edges",
            "messages": [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": text}]}],
        }
    )


async def run_loop(
    model: ModelCall, tools: dict[str, Tool | Callable[..., Any]], **options: Any
) -> tuple[list[dict[str, Any]], StreamResult | None]:
    ctx: StreamContext[None] = StreamContext.for_request(
        request(),
        collect=True,
        message_id="msg",
        id_generator=counter_ids(),
        approval_secret=SECRET,
    )
    results: list[StreamResult | None] = []

    async def work(ctx: StreamContext[None]) -> None:
        results.append(await run_agent(ctx, request(), model, tools, **options))

    await ctx.run(work)
    return parse_sse_json(await collect_stream(ctx)), results[0] if results else None


def calls(*pairs: tuple[str, str, dict[str, Any]]) -> Callable[..., Awaitable[StreamResult]]:
    """A model step that requests ``(call id, tool, input)`` calls."""

    async def step(ctx: StreamContext[Any]) -> StreamResult:
        infos = []
        for call_id, name, input in pairs:
            await ctx.begin_tool_call(name, input, tool_call_id=call_id)
            infos.append(ToolCallInfo(call_id, name, input))
        return StreamResult(finish_reason="tool-calls", tool_calls=infos)

    return step


def scripted(*steps: Callable[..., Awaitable[StreamResult]]) -> ModelCall:
    """A model that plays ``steps`` in order, one per call."""
    remaining = list(steps)

    async def model(ctx: StreamContext[Any], messages: list[UIMessage]) -> StreamResult:
        return await remaining.pop(0)(ctx)

    return model


def answer(text: str, reason: str | None = "stop") -> Callable[..., Awaitable[StreamResult]]:
    async def step(ctx: StreamContext[Any]) -> StreamResult:
        await ctx.write_text(text)
        return StreamResult(finish_reason=reason)

    return step


async def fetch_forecast(city: str) -> dict[str, Any]:
    return {"city": city, "sky": "clear"}


def book_hotel(city: str) -> dict[str, Any]:
    raise RuntimeError(f"booking API down (key sk-123) for {city}")


HEAD = [{"type": "start", "messageId": "msg"}, {"type": "start-step"}]
NEXT = [{"type": "finish-step"}, {"type": "start-step"}]


def available(call_id: str, name: str, input: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "tool-input-available", "toolCallId": call_id, "toolName": name,
            "input": input, **extra}  # fmt: skip


async def test_failing_unknown_and_provider_executed_calls() -> None:
    """A tool that raises fails its call with the masked text, an unknown tool fails its call, a
    sync tool returning a coroutine is awaited, a provider-executed call is left alone; the model
    then answers."""

    async def searched(ctx: StreamContext[Any]) -> StreamResult:
        await ctx.begin_tool_call(
            "web_search", {"q": "Oslo"}, tool_call_id="ws", provider_executed=True
        )
        await ctx.complete_tool_call("ws", {"hits": 3}, provider_executed=True)
        result = await calls(
            ("c1", "forecast", {"city": "Oslo"}),
            ("c2", "bookHotel", {"city": "Oslo"}),
            ("c3", "teleport", {"to": "Oslo"}),
        )(ctx)
        result.tool_calls.insert(0, ToolCallInfo("ws", "web_search", {"q": "Oslo"}, True))
        return result

    tools: dict[str, Tool | Callable[..., Any]] = {
        "forecast": lambda city: fetch_forecast(city),  # sync, returns a coroutine
        "bookHotel": book_hotel,
        "web_search": Tool(client_side=True),  # never consulted: the provider ran it
    }
    chunks, result = await run_loop(scripted(searched, answer("Clear skies; book later.")), tools)
    assert chunks == [
        *HEAD,
        available("ws", "web_search", {"q": "Oslo"}, providerExecuted=True),
        {"type": "tool-output-available", "toolCallId": "ws", "output": {"hits": 3},
         "providerExecuted": True},
        available("c1", "forecast", {"city": "Oslo"}),
        available("c2", "bookHotel", {"city": "Oslo"}),
        available("c3", "teleport", {"to": "Oslo"}),
        {"type": "tool-output-available", "toolCallId": "c1",
         "output": {"city": "Oslo", "sky": "clear"}},
        {"type": "tool-output-error", "toolCallId": "c2", "errorText": "An error occurred."},
        {"type": "tool-output-error", "toolCallId": "c3", "errorText": "Unknown tool."},
        *NEXT,
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "Clear skies; book later."},
        {"type": "text-end", "id": "text-1"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
    ]  # fmt: skip
    assert result is not None and result.finish_reason == "stop"


async def test_approval_decided_by_the_input() -> None:
    """``needs_approval`` as a predicate: the small transfer runs, the large one waits."""

    def transfer(amount: int) -> dict[str, Any]:
        return {"sent": amount}

    tools: dict[str, Tool | Callable[..., Any]] = {
        "transfer": Tool(transfer, needs_approval=lambda input: input["amount"] > 100)
    }
    model = scripted(calls(("c1", "transfer", {"amount": 20}), ("c2", "transfer", {"amount": 500})))
    chunks, result = await run_loop(model, tools)
    (approval,) = [c for c in chunks if c["type"] == "tool-approval-request"]
    assert chunks == [
        *HEAD,
        available("c1", "transfer", {"amount": 20}),
        available("c2", "transfer", {"amount": 500}),
        {"type": "tool-output-available", "toolCallId": "c1", "output": {"sent": 20}},
        {"type": "tool-approval-request", "approvalId": approval["approvalId"], "toolCallId": "c2"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "tool-calls"},
    ]
    assert result is not None and [c.tool_call_id for c in result.tool_calls] == ["c1", "c2"]


async def test_max_steps_ends_the_answer() -> None:
    """A model that keeps calling tools is stopped after ``max_steps`` model calls; run() then
    finishes the message (nothing is left for the client)."""
    model = scripted(
        calls(("c1", "forecast", {"city": "Oslo"})), calls(("c2", "forecast", {"city": "Rome"}))
    )
    chunks, result = await run_loop(model, {"forecast": fetch_forecast}, max_steps=2)
    assert chunks == [
        *HEAD,
        available("c1", "forecast", {"city": "Oslo"}),
        {"type": "tool-output-available", "toolCallId": "c1",
         "output": {"city": "Oslo", "sky": "clear"}},
        *NEXT,
        available("c2", "forecast", {"city": "Rome"}),
        {"type": "tool-output-available", "toolCallId": "c2",
         "output": {"city": "Rome", "sky": "clear"}},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
    ]  # fmt: skip
    assert result is not None and result.tool_calls[0].tool_call_id == "c2"


async def test_answer_without_a_finish_reason() -> None:
    """A model result without a finish reason: run_agent leaves finishing to run()."""
    chunks, result = await run_loop(scripted(answer("Hi.", reason=None)), {})
    assert chunks == [
        *HEAD,
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "Hi."},
        {"type": "text-end", "id": "text-1"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
    ]
    assert result is not None and result.finish_reason is None


async def test_denied_approval_on_the_follow_up() -> None:
    """The user denies the transfer: the follow-up reports the denial and the model goes on."""
    tools: dict[str, Tool | Callable[..., Any]] = {
        "transfer": Tool(lambda amount: {"sent": amount}, needs_approval=True)
    }
    first: StreamContext[None] = StreamContext.for_request(
        request(), collect=True, message_id="msg", approval_secret=SECRET
    )
    await first.run(
        run_agent, request(), scripted(calls(("c1", "transfer", {"amount": 500}))), tools
    )
    await collect_stream(first)
    assert first.record is not None
    message = first.record.to_ui_message()
    part = message["parts"][-1]
    assert part["state"] == "approval-requested"
    denial = {"id": part["approval"]["id"], "approved": False, "reason": "Too much"}
    answered = {**part, "state": "approval-responded", "approval": denial}
    follow_up = ChatRequest.parse(
        {
            "id": "chat-edges",
            "messageId": "msg",
            "messages": [
                request().messages[0].to_dict(),
                {**message, "parts": [*message["parts"][:-1], answered]},
            ],
        }
    )
    second: StreamContext[None] = StreamContext.for_request(
        follow_up, collect=True, approval_secret=SECRET
    )
    await second.run(run_agent, follow_up, scripted(answer("I did not send it.")), tools)
    assert parse_sse_json(await collect_stream(second)) == [
        {"type": "start", "messageId": "msg"},
        {"type": "tool-output-denied", "toolCallId": "c1"},
        {"type": "start-step"},
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "I did not send it."},
        {"type": "text-end", "id": "text-1"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
    ]


async def test_a_replayed_approval_calls_neither_tool_nor_model() -> None:
    """The same approval sent again: the message stays as it is (no model call, no new step)."""
    secret = "s" * 32
    calls = {"model": 0, "tool": 0}

    async def model(ctx: StreamContext, messages: list[Any]) -> StreamResult:
        calls["model"] += 1
        if messages[-1].role == "assistant":
            await ctx.write_text("removed")
            return StreamResult("stop")
        call = await ctx.begin_tool_call("rm", {})
        return StreamResult("tool-calls", tool_calls=[ToolCallInfo(call.tool_call_id, "rm", {})])

    async def rm() -> str:
        calls["tool"] += 1
        return "done"

    store = MemoryChatStore()

    async def send(body: dict[str, Any]) -> dict[str, Any]:
        turn = await begin_turn(store, ChatRequest.parse(json.dumps(body)), user=None)
        ctx = StreamContext.for_request(
            turn.request, collect=True, approval_secret=secret, on_finish=turn.save
        )
        await ctx.run(run_agent, turn.request, model, {"rm": Tool(rm, needs_approval=True)})
        await collect_stream(ctx)
        assert ctx.record is not None
        return ctx.record.to_ui_message()

    user = {"id": "u", "role": "user", "parts": [{"type": "text", "text": "go"}]}
    asked = await send({"id": "c", "message": user})
    approved = json.loads(json.dumps(asked))
    approved["parts"][-1]["state"] = "approval-responded"
    approved["parts"][-1]["approval"]["approved"] = True
    answered = await send({"id": "c", "message": approved})
    replayed = await send({"id": "c", "message": approved})
    stored = await store.load("c")
    assert stored is not None
    assert (calls, replayed, stored.messages[-1]) == ({"model": 2, "tool": 1}, answered, answered)
