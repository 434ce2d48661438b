"""One marker, every place a server secret can hide: the exceptions and error events of every
integration (OpenAI Chat Completions and Responses, Anthropic, LangChain events, LangGraph with
``ToolNode(handle_tool_errors=True)``, pydantic-ai ``ModelRetry`` and tool errors, the agent loop's
tools, a bare ``run()``) and the example's settings. The marker may appear in no byte of any
stream and in no log record at INFO or below; errors are logged (ERROR) for the operator.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from pydantic_ai import Agent, ModelRetry

from ai_stream import ChatRequest, StreamContext
from ai_stream.agent import StreamResult, Tool, ToolCallInfo, run_agent
from ai_stream.integrations.anthropic import stream_messages
from ai_stream.integrations.langchain import stream_events, stream_graph
from ai_stream.integrations.openai import stream_chat_completions, stream_responses
from ai_stream.integrations.pydantic_ai import stream_agent
from ai_stream.testing import collect_stream
from tests.integrations.test_anthropic import message_start, text_block
from tests.integrations.test_langchain import ScriptedChatModel, call, text
from tests.integrations.test_openai import Seq, chat_chunk, created, message_events
from tests.integrations.test_pydantic_ai import Turns, model_for
from tests.integrations.test_pydantic_ai import tool as pai_tool
from tests.reliability.conftest import Figures

MARKER = "MARKER-" + secrets.token_hex(8)

Work = Callable[[StreamContext[Any]], Awaitable[object]]


async def failing(items: list[Any]) -> AsyncIterator[Any]:
    """A provider stream: the items, then an exception that carries the marker."""
    for item in items:
        yield item
    raise ConnectionError(f"upstream said: password={MARKER}")


@tool
def leaky(reason: str) -> str:
    """A tool whose error carries a server secret."""
    raise RuntimeError(f"db password {MARKER} refused ({reason})")


def graph() -> Any:
    model = ScriptedChatModel(
        script=[[text("Checking."), call(0, '{"reason": "x"}', "leaky", "c1")], [text("Failed.")]]
    )

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode([leaky], handle_tool_errors=True))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    return builder.compile()


def pydantic_agent(error: Exception) -> Agent[None, str]:
    turns: Turns = [[pai_tool(0, "secretive", '{"x": 1}', "c1")], ["Failed."]]
    agent: Agent[None, str] = Agent(model_for(turns))

    @agent.tool_plain
    def secretive(x: int) -> str:
        """Fails with a secret."""
        raise error

    return agent


async def openai_chat_event(ctx: StreamContext[Any]) -> None:
    chunks = [chat_chunk({"content": "Par"}), {"error": {"message": MARKER, "code": "boom"}}]
    await stream_chat_completions(ctx, chunks)


async def openai_chat_raises(ctx: StreamContext[Any]) -> None:
    await stream_chat_completions(ctx, failing([chat_chunk({"content": "Par"})]))


async def openai_responses_event(ctx: StreamContext[Any]) -> None:
    e = Seq()
    events = [*created(e), *message_events(e, "msg_1", "Partial")[:3]]
    await stream_responses(ctx, [*events, e("error", code="server_error", message=MARKER)])


async def openai_responses_raises(ctx: StreamContext[Any]) -> None:
    e = Seq()
    await stream_responses(ctx, failing([*created(e), *message_events(e, "msg_1", "Par")[:3]]))


async def anthropic_event(ctx: StreamContext[Any]) -> None:
    error = {"type": "error", "error": {"type": "overloaded_error", "message": MARKER}}
    await stream_messages(ctx, [message_start(), *text_block(0, "Partial"), error])


async def anthropic_raises(ctx: StreamContext[Any]) -> None:
    await stream_messages(ctx, failing([message_start(), *text_block(0, "Partial")]))


async def langchain_events_tool_error(ctx: StreamContext[Any]) -> None:
    await stream_events(ctx, graph().astream_events({"messages": [("user", "hi")]}, version="v2"))


async def langgraph_tool_error(ctx: StreamContext[Any]) -> None:
    chunks = graph().astream({"messages": [("user", "hi")]}, stream_mode=["messages", "updates"])
    await stream_graph(ctx, chunks)


async def pydantic_ai_model_retry(ctx: StreamContext[Any]) -> None:
    agent = pydantic_agent(ModelRetry(f"the key {MARKER} is invalid"))
    await stream_agent(ctx, agent.run_stream_events("hi"))


async def pydantic_ai_tool_raises(ctx: StreamContext[Any]) -> None:
    agent = pydantic_agent(PermissionError(f"token {MARKER}"))
    await stream_agent(ctx, agent.run_stream_events("hi"))


async def agent_loop_tool_raises(ctx: StreamContext[Any]) -> None:
    async def model(ctx: StreamContext[Any], messages: list[Any]) -> StreamResult:
        if messages[-1].role == "assistant" and messages[-1].tool_parts:
            await ctx.write_text("The tool failed.")
            return StreamResult(finish_reason="stop")
        handle = await ctx.begin_tool_call("lookup", {"q": "x"})
        info = ToolCallInfo(handle.tool_call_id, "lookup", {"q": "x"})
        return StreamResult(finish_reason="tool-calls", tool_calls=[info])

    async def lookup(q: str) -> str:
        raise KeyError(f"secret {MARKER}")

    request = ChatRequest.parse(
        b'{"id": "c", "messages": [{"id": "u", "role": "user", "parts": [{"type": "text",'
        b' "text": "hi"}]}]}'
    )
    await run_agent(ctx, request, model, {"lookup": Tool(lookup)})


async def bare_work(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("Half")
    raise RuntimeError(f"SELECT * FROM users -- password {MARKER}")


SCENARIOS: dict[str, Work] = {
    "openai chat: error chunk": openai_chat_event,
    "openai chat: stream raises": openai_chat_raises,
    "openai responses: error event": openai_responses_event,
    "openai responses: stream raises": openai_responses_raises,
    "anthropic: error event": anthropic_event,
    "anthropic: stream raises": anthropic_raises,
    "langchain events: ToolNode error": langchain_events_tool_error,
    "langgraph: ToolNode error": langgraph_tool_error,
    "pydantic-ai: ModelRetry": pydantic_ai_model_retry,
    "pydantic-ai: tool raises": pydantic_ai_tool_raises,
    "agent loop: tool raises": agent_loop_tool_raises,
    "run(): work raises": bare_work,
}


@pytest.mark.anyio
async def test_no_integration_sends_or_logs_a_secret_at_info(
    caplog: pytest.LogCaptureFixture, figures: Figures
) -> None:
    caplog.set_level(logging.DEBUG)
    leaks: list[str] = []
    unseen: list[str] = []
    errors_logged = 0
    for name, work in SCENARIOS.items():
        for version in (5, 6, 7):
            caplog.clear()
            ctx: StreamContext[None] = StreamContext(sdk_version=version, collect=True)
            await ctx.run(work)
            body = await collect_stream(ctx)
            if MARKER.encode() in body or MARKER.encode("unicode_escape") in body:
                leaks.append(f"{name} (ai {version}): on the wire")
            quiet = [r for r in caplog.records if r.levelno <= logging.INFO]
            if any(MARKER in r.getMessage() or MARKER in str(r.exc_info) for r in quiet):
                leaks.append(f"{name} (ai {version}): in an INFO log")
            logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
            if not any(MARKER in r.getMessage() or MARKER in str(r.exc_info) for r in logged):
                unseen.append(f"{name} (ai {version})")  # (the marker must have been there)
            errors_logged += bool(logged)
            assert ctx.record is not None and ctx.record.finish_reason is not None, name
    figures.record(
        "secret marker through every integration (ai 5/6/7)",
        scenarios=len(SCENARIOS) * 3,
        leaks=len(leaks),
        streams_with_an_error_log=errors_logged,
    )
    assert leaks == []
    assert unseen == []


def test_the_example_settings_keep_their_secrets(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The example's settings: their repr, and what the app logs at INFO while it starts,
    answers and stops."""
    from fastapi.testclient import TestClient

    from tests.example.test_backend import _backend

    main, settings_module = _backend()
    monkeypatch.setenv("OPENAI_API_KEY", f"sk-{MARKER}")
    monkeypatch.setenv("AI_STREAM_SECRET", MARKER)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/chat.db")
    caplog.set_level(logging.INFO)
    settings = settings_module.Settings.from_env()
    assert MARKER not in repr(settings) and MARKER not in str(settings)
    assert MARKER not in settings_module.redact(f"postgresql+asyncpg://app:{MARKER}@db:5432/x")
    with TestClient(main.create_app(settings)) as client:
        assert client.get("/api/chats").status_code < 500
    assert caplog.records and MARKER not in caplog.text
