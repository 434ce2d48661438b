"""LangChain astream_events and LangGraph astream → UI message stream, in real clients.

A scripted chat model (a real ``BaseChatModel``) streams text, reasoning blocks and tool-call
chunks; real ``@tool`` functions run in LangGraph's ``ToolNode``. Every stream is replayed through
the real ``ai`` client releases: no chunk error, the expected chat status, and the assistant
message equal to ``record.to_ui_message(release)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import anyio
import pytest
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Command, interrupt

from ai_stream import ChatRequest, StreamContext
from ai_stream.integrations._common import StreamResult
from ai_stream.integrations.langchain import approval_resume, stream_events, stream_graph
from ai_stream.testing import collect_stream, parse_sse_json
from tests.conformance.client import replay

RELEASES = ("5.0.277", "6.0.326", "7.0.173")
SECRET = "langchain-test-secret-0123456789"

Script = list[list[AIMessageChunk | Exception]]


class ScriptedChatModel(BaseChatModel):
    """Streams the next scripted list of chunks on each call (an exception item is raised)."""

    script: list[list[Any]]
    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:
        return self

    def _next(self) -> list[Any]:
        items = self.script[self.calls]
        self.calls += 1
        return items

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        merged: AIMessageChunk | None = None
        for item in self._next():
            if isinstance(item, Exception):
                raise item
            merged = item if merged is None else merged + item
        assert merged is not None
        message = AIMessage(**merged.model_dump(exclude={"type", "tool_call_chunks"}))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        raise NotImplementedError

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for item in self._next():
            if isinstance(item, Exception):
                raise item
            generation = ChatGenerationChunk(message=item)
            if run_manager is not None:
                await run_manager.on_llm_new_token(item.text, chunk=generation)
            yield generation


@tool
def weather(city: str) -> str:
    """Get the weather of a city."""
    return f"Sunny in {city}"


@tool
def explode(reason: str) -> str:
    """A tool that always fails."""
    raise ValueError(f"cannot {reason}")


@tool
def delete_file(path: str) -> str:
    """Delete a file (needs approval)."""
    return f"deleted {path}"


def text(t: str, **kw: Any) -> AIMessageChunk:
    return AIMessageChunk(content=t, **kw)


def call(index: int, args: str, name: str | None = None, id: str | None = None) -> AIMessageChunk:
    chunk = {"name": name, "args": args, "id": id, "index": index, "type": "tool_call_chunk"}
    return AIMessageChunk(content="", tool_call_chunks=[chunk])


def usage(i: int, o: int) -> AIMessageChunk:
    return AIMessageChunk(
        content="",
        usage_metadata={"input_tokens": i, "output_tokens": o, "total_tokens": i + o},
        chunk_position="last",
    )


SCRIPTS: dict[str, tuple[Callable[[], Script], str]] = {
    "text": (lambda: [[text("Hello"), text(", world."), usage(3, 2)]], "ready"),
    "reasoning": (
        lambda: [
            [
                AIMessageChunk(content=[{"type": "reasoning", "reasoning": "Let me "}]),
                AIMessageChunk(content=[{"type": "thinking", "thinking": "think."}]),
                AIMessageChunk(content=[{"type": "text", "text": "Answer."}]),
                usage(1, 1),
            ]
        ],
        "ready",
    ),
    "one_tool": (
        lambda: [
            [
                text("Checking."),
                call(0, '{"city":', "weather", "c1"),
                call(0, ' "Paris"}'),
                usage(5, 4),
            ],
            [text("It is sunny."), usage(9, 3)],
        ],
        "ready",
    ),
    "parallel_tools": (
        lambda: [
            [
                call(0, '{"city": "Paris"}', "weather", "c1"),
                call(1, '{"city": "Oslo"}', "weather", "c2"),
            ],
            [text("Both sunny.")],
        ],
        "ready",
    ),
    "tool_error": (
        lambda: [
            [call(0, '{"reason": "fly"}', "explode", "c1")],
            [text("The tool failed.")],
        ],
        "ready",
    ),
    "model_error": (
        lambda: [[text("Half an ans"), RuntimeError("provider exploded (secret detail)")]],
        "error",
    ),
}


def agent_graph(
    model: ScriptedChatModel, *, checkpointer: Any = None, approve: bool = False
) -> Any:
    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    async def approval(state: MessagesState) -> Command[Any]:
        last = state["messages"][-1]
        assert isinstance(last, AIMessage)
        requests = [
            {"tool_call_id": c["id"], "tool_name": c["name"], "input": c["args"]}
            for c in last.tool_calls
        ]
        decisions = interrupt(requests)
        denied = [
            ToolMessage(
                content="Denied by the user.", tool_call_id=c["id"], name=c["name"], status="error"
            )
            for c in last.tool_calls
            if not decisions[c["id"]]["approved"]
        ]
        if denied:
            return Command(goto="agent", update={"messages": denied})
        return Command(goto="tools")

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode([weather, explode, delete_file], handle_tool_errors=True))
    graph.add_edge(START, "agent")
    if approve:
        graph.add_node("approval", approval)
        graph.add_conditional_edges("agent", tools_condition, {"tools": "approval", END: END})
    else:
        graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph.compile(checkpointer=checkpointer)


Work = Callable[[StreamContext[Any]], Awaitable[object]]


async def produce(
    work: Work, target: int | str = 7, ctx: StreamContext[Any] | None = None
) -> tuple[StreamContext[Any], bytes]:
    ctx = ctx or StreamContext(sdk_version=target, collect=True)
    await ctx.run(work)
    body = await collect_stream(ctx)
    return ctx, body


def events_work(script: Script, results: list[StreamResult]) -> Work:
    async def work(ctx: StreamContext[Any]) -> None:
        graph = agent_graph(ScriptedChatModel(script=script))
        events = graph.astream_events({"messages": [("user", "hi")]}, version="v2")
        results.append(await stream_events(ctx, events))

    return work


def graph_work(script: Script, results: list[StreamResult]) -> Work:
    async def work(ctx: StreamContext[Any]) -> None:
        graph = agent_graph(ScriptedChatModel(script=script))
        chunks = graph.astream({"messages": [("user", "hi")]}, stream_mode=["messages", "updates"])
        results.append(await stream_graph(ctx, chunks))

    return work


def assert_replays(
    bodies: dict[str, tuple[bytes, StreamContext[Any], str, tuple[str, ...]]],
) -> None:
    results = replay(
        [
            {"name": name, "body": body.decode(), "versions": list(releases)}
            for name, (body, _, _, releases) in bodies.items()
        ]
    )
    for name, (_, ctx, status, releases) in bodies.items():
        assert ctx.record is not None
        for release in releases:
            result = results[name][release]
            chat = result["chat"]
            assert result["chunkErrors"] == [], (name, release)
            assert chat["status"] == status, (name, release, chat["error"])
            assert chat["messages"][-1] == ctx.record.to_ui_message(release), (name, release)


@pytest.fixture(scope="module")
def conformance() -> dict[str, Any]:
    """Produce every scripted stream with both entry points for each release; replay once."""
    produced: dict[str, Any] = {}
    bodies: dict[str, tuple[bytes, StreamContext[Any], str, tuple[str, ...]]] = {}

    async def main() -> None:
        for name, (script, status) in SCRIPTS.items():
            for kind, make in (("events", events_work), ("graph", graph_work)):
                for release in RELEASES:
                    results: list[StreamResult] = []
                    ctx, body = await produce(make(script(), results), release)
                    key = f"{kind}-{name}@{release}"
                    produced[key] = (ctx, body, results)
                    bodies[key] = (body, ctx, status, (release,))

    anyio.run(main)
    assert_replays(bodies)
    return produced


def chunks_of(produced: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return parse_sse_json(produced[key][1])


@pytest.mark.parametrize("kind", ["events", "graph"])
@pytest.mark.parametrize("name", list(SCRIPTS))
def test_replays_in_real_clients(conformance: dict[str, Any], kind: str, name: str) -> None:
    for release in RELEASES:
        ctx, _, results = conformance[f"{kind}-{name}@{release}"]
        assert ctx.record is not None
        assert ctx.record.errors == ([] if SCRIPTS[name][1] == "ready" else ["An error occurred."])


def parts(conformance: dict[str, Any], key: str) -> list[dict[str, Any]]:
    ctx = conformance[key][0]
    message: dict[str, Any] = ctx.record.to_ui_message()
    return [p for p in message["parts"] if p["type"] != "step-start"]


@pytest.mark.parametrize("kind", ["events", "graph"])
def test_text_and_usage(conformance: dict[str, Any], kind: str) -> None:
    ctx, _, results = conformance[f"{kind}-text@7.0.173"]
    assert parts(conformance, f"{kind}-text@7.0.173") == [
        {"type": "text", "text": "Hello, world.", "state": "done"}
    ]
    assert results[0].usage == {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5}
    assert results[0].finish_reason == "stop"
    assert ctx.record.to_ui_message()["metadata"] == {
        "usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5}
    }


@pytest.mark.parametrize("kind", ["events", "graph"])
def test_reasoning_then_text(conformance: dict[str, Any], kind: str) -> None:
    found = parts(conformance, f"{kind}-reasoning@7.0.173")
    assert [(p["type"], p["text"]) for p in found] == [
        ("reasoning", "Let me think."),
        ("text", "Answer."),
    ]


@pytest.mark.parametrize("kind", ["events", "graph"])
def test_one_tool_two_steps(conformance: dict[str, Any], kind: str) -> None:
    ctx, body, results = conformance[f"{kind}-one_tool@7.0.173"]
    message = ctx.record.to_ui_message()
    assert [p["type"] for p in message["parts"]] == [
        "step-start", "text", "tool-weather", "step-start", "text",
    ]  # fmt: skip
    tool_part = message["parts"][2]
    assert tool_part["toolCallId"] == "c1"
    assert tool_part["state"] == "output-available"
    assert tool_part["input"] == {"city": "Paris"}
    assert tool_part["output"] == "Sunny in Paris"
    kinds = [c["type"] for c in parse_sse_json(body)]
    assert "tool-input-delta" in kinds
    assert results[0].usage == {"inputTokens": 14, "outputTokens": 7, "totalTokens": 21}
    assert [c.tool_call_id for c in results[0].tool_calls] == ["c1"]


@pytest.mark.parametrize("kind", ["events", "graph"])
def test_parallel_tools(conformance: dict[str, Any], kind: str) -> None:
    found = parts(conformance, f"{kind}-parallel_tools@7.0.173")
    tools = [p for p in found if p["type"] == "tool-weather"]
    assert [(p["toolCallId"], p["input"], p["output"]) for p in tools] == [
        ("c1", {"city": "Paris"}, "Sunny in Paris"),
        ("c2", {"city": "Oslo"}, "Sunny in Oslo"),
    ]


@pytest.mark.parametrize("kind", ["events", "graph"])
def test_tool_error(conformance: dict[str, Any], kind: str) -> None:
    found = parts(conformance, f"{kind}-tool_error@7.0.173")
    assert found[0]["type"] == "tool-explode"
    assert found[0]["state"] == "output-error"
    if kind == "events":  # the raw exception of on_tool_error is masked (on_error)
        assert found[0]["errorText"] == "An error occurred."
    else:  # the ToolNode's own message for the model passes as written
        assert "cannot fly" in found[0]["errorText"]
    assert found[1] == {"type": "text", "text": "The tool failed.", "state": "done"}


@pytest.mark.parametrize("kind", ["events", "graph"])
def test_model_error_is_masked(conformance: dict[str, Any], kind: str) -> None:
    ctx, body, results = conformance[f"{kind}-model_error@7.0.173"]
    chunks = parse_sse_json(body)
    assert {"type": "error", "errorText": "An error occurred."} in chunks
    assert b"secret detail" not in body
    assert results == []


@pytest.mark.parametrize("kind", ["events", "graph"])
async def test_disconnect_closes_the_source(kind: str) -> None:
    closed = anyio.Event()
    gate = anyio.Event()

    async def source(inner: Any) -> AsyncIterator[Any]:
        try:
            async for item in inner:
                yield item
            await gate.wait()  # the model hangs: the client goes away meanwhile
        finally:
            closed.set()

    async def work(ctx: StreamContext[Any]) -> None:
        graph = agent_graph(ScriptedChatModel(script=[[text("Hello")]]))
        if kind == "events":
            await stream_events(
                ctx, source(graph.astream_events({"messages": [("user", "hi")]}, version="v2"))
            )
        else:
            await stream_graph(
                ctx,
                source(
                    graph.astream(
                        {"messages": [("user", "hi")]}, stream_mode=["messages", "updates"]
                    )
                ),
            )

    ctx: StreamContext[None] = StreamContext(sdk_version=7, collect=True)
    await ctx.run(work)
    stream = ctx.stream()
    async for body in stream:
        if b"Hello" in body:
            break
    await stream.aclose()
    with anyio.fail_after(5):
        await closed.wait()
        while not ctx.is_finished:
            await anyio.sleep(0.001)
    assert ctx.record is not None and ctx.record.aborted


def first_request() -> ChatRequest:
    return ChatRequest.parse(
        {
            "id": "chat-lg",
            "trigger": "submit-message",
            "messages": [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "rm"}]}],
        }
    )


@pytest.mark.parametrize("approved", [True, False])
async def test_interrupt_approval_roundtrip(approved: bool) -> None:
    """Interrupt → signed approval request; the follow-up resumes the graph with Command."""
    script: Script = [
        [text("Deleting."), call(0, '{"path": "/tmp/x"}', "delete_file", "c1")],
        [text("Done." if approved else "Kept it.")],
    ]
    graph = agent_graph(
        ScriptedChatModel(script=script), checkpointer=InMemorySaver(), approve=True
    )
    config: Any = {"configurable": {"thread_id": "chat-lg"}}
    request = first_request()
    first: StreamContext[None] = StreamContext.for_request(
        request, sdk_version=7, collect=True, approval_secret=SECRET
    )

    async def ask(ctx: StreamContext[Any]) -> None:
        chunks = graph.astream(
            {"messages": [("user", "rm")]}, config, stream_mode=["messages", "updates"]
        )
        result = await stream_graph(ctx, chunks)
        assert result.finish_reason == "tool-calls"

    _, body = await produce(ask, ctx=first)
    chunks = parse_sse_json(body)
    approval = next(c for c in chunks if c["type"] == "tool-approval-request")
    assert approval["toolCallId"] == "c1"
    assert chunks[-1] == {"type": "finish", "finishReason": "tool-calls"}
    assert first.record is not None
    message = first.record.to_ui_message()
    assert message["parts"][-1]["state"] == "approval-requested"

    # The client answers: the tool part becomes approval-responded and the chat is resent.
    tool_part = dict(message["parts"][-1])
    tool_part["state"] = "approval-responded"
    tool_part["approval"] = {"id": approval["approvalId"], "approved": approved}
    answered = {**message, "parts": [*message["parts"][:-1], tool_part]}
    follow_up = ChatRequest.parse(
        {
            "id": "chat-lg",
            "trigger": "submit-message",
            "messageId": message["id"],
            "messages": [request.messages[0].to_dict(), answered],
        }
    )
    decisions = follow_up.tool_approvals(SECRET)
    assert [(d.tool_call_id, d.approved) for d in decisions] == [("c1", approved)]
    second: StreamContext[None] = StreamContext.for_request(
        follow_up, sdk_version=7, collect=True, approval_secret=SECRET
    )

    async def resume(ctx: StreamContext[Any]) -> None:
        chunks = graph.astream(
            Command(resume=approval_resume(decisions)), config, stream_mode=["messages", "updates"]
        )
        await stream_graph(ctx, chunks, approvals=decisions)

    _, body2 = await produce(resume, ctx=second)
    assert second.record is not None
    final = second.record.to_ui_message()
    assert final["id"] == message["id"]
    tool_state = final["parts"][2]
    if approved:
        assert tool_state["state"] == "output-available"
        assert tool_state["output"] == "deleted /tmp/x"
    else:
        assert tool_state["state"] == "output-denied"
    assert final["parts"][-1]["text"] == ("Done." if approved else "Kept it.")
    results = replay(
        [
            {"name": "ask", "body": body.decode(), "versions": ["6.0.326", "7.0.173"]},
        ]
    )
    for release in ("6.0.326", "7.0.173"):
        assert results["ask"][release]["chunkErrors"] == []
        assert results["ask"][release]["chat"]["messages"][-1] == first.record.to_ui_message(
            release
        )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # LangChain and LangGraph run on asyncio only
