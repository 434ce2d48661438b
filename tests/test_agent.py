"""The agent loop: three tools (server, approval, client-side) over three requests, through the
real ``AbstractChat`` of ai 6 and 7 against a live server."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ai_stream import (
    ChatRequest,
    StreamContext,
    StreamRecord,
    StreamStateError,
    UIMessage,
    UIMessageStreamResponse,
)
from ai_stream.agent import Tool, run_agent
from ai_stream.integrations._common import StreamResult, ToolCallInfo
from tests.conformance.client import NODE_DIR
from tests.helpers import serve

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
