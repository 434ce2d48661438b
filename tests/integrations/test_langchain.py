"""LangChain astream_events and LangGraph astream → UI message stream, in real clients.

A scripted chat model (a real ``BaseChatModel``) streams text, reasoning blocks and tool-call
chunks; real ``@tool`` functions run in LangGraph's ``ToolNode``. Every stream is replayed through
the real ``ai`` client releases: no chunk error, the expected chat status, and the assistant
message equal to ``record.to_ui_message(release)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
import anyio.lowlevel
import pytest
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import (
    FakeMessagesListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.output_parsers import JsonOutputParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import InjectedToolCallId, tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Command, RetryPolicy, interrupt
from pydantic import BaseModel

from ai_stream import (
    ChatRequest,
    ObjectResult,
    ObjectStreamContext,
    ObjectValidationError,
    StreamContext,
)
from ai_stream.agent import StreamResult, ToolCallInfo
from ai_stream.integrations.langchain import (
    approval_resume,
    hitl_resume,
    stream_events,
    stream_graph,
    stream_langchain_object,
)
from ai_stream.protocol.approvals import verify_approval_id
from ai_stream.protocol.messages import ToolApprovalDecision
from ai_stream.testing import collect_stream, parse_sse_json
from tests.conformance.client import FIRST_AND_LATEST, replay
from tests.helpers import counter_ids, leave_after, transcript
from tests.integrations._bridges import NEXT_STEP, end, said
from tests.integrations.test_openai import (
    STOPS,
    STOPS_BODY,
    STOPS_PIECES,
    TRIP,
    TRIP_PIECES,
    Stop,
    Trip,
)

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
    # the raw exception of on_tool_error, and the ToolNode(handle_tool_errors=True) message
    # made of it for the model, are both masked (on_error): they may hold server secrets
    assert found[0]["errorText"] == "An error occurred."
    assert b"cannot fly" not in conformance[f"{kind}-tool_error@7.0.173"][1]
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


# --- more shapes: real LangChain models and LangGraph graphs, whole transcripts ------------------

SHAPES_SECRET = "langchain-shapes-secret-0123456789"
USER: Any = {"messages": [("user", "hi")]}


@tool
def now() -> str:
    """The current time (no parameters)."""
    return "12:00"


@dataclass
class Clock:
    hour: int
    zone: str


class Forecast(BaseModel):
    city: str
    sky: str


@tool
def clock() -> Clock:
    """The clock, as a dataclass."""
    return Clock(12, "CET")


@tool
def forecasts(cities: list[str]) -> list[Forecast]:
    """Forecasts, as pydantic models."""
    return [Forecast(city=c, sky="sunny") for c in cities]


@tool
def move_to(city: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Command[Any]:
    """Move the user; the state update carries the tool message as a plain dict."""
    message = {"type": "tool", "content": f"Moved to {city}", "tool_call_id": tool_call_id}
    return Command(update={"messages": [message]})


def tool_chunk(index: int, args: str, name: str | None = None, id: str | None = None) -> Any:
    return {"name": name, "args": args, "id": id, "index": index, "type": "tool_call_chunk"}


def blocks(*content: Any, **fields: Any) -> AIMessageChunk:
    return AIMessageChunk(content=list(content), **fields)


def loop_graph(
    model: BaseChatModel, tools: list[Any], *, retry: RetryPolicy | None = None, errors: bool = True
) -> Any:
    """``agent_graph`` for any chat model and tools (optionally a retried tools node)."""

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode(tools, handle_tool_errors=errors), retry_policy=retry)
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph.compile()


def non_streaming_graph() -> Any:
    """A chat model without ``_astream`` (FakeMessagesListChatModel): complete messages only."""
    model = FakeMessagesListChatModel(
        responses=[
            AIMessage(
                content="Checking.",
                tool_calls=[{"name": "weather", "args": {"city": "Paris"}, "id": "c1"}],
                usage_metadata={"input_tokens": 3, "output_tokens": 2, "total_tokens": 5},
            ),
            AIMessage(content="Sunny."),
        ]
    )
    return loop_graph(model, [weather])


def provider_blocks_graph() -> Any:
    """Content blocks as langchain-anthropic, -openai and -deepseek stream them."""
    tool_use = {"type": "tool_use", "id": "c1", "name": "weather", "input": {}, "index": 2}
    json_delta = {"type": "input_json_delta", "partial_json": '{"city": "Oslo"}', "index": 2}
    summary = [{"type": "summary_text", "text": "Plan: "}, {"type": "summary_text", "text": "go."}]
    usage_details = {
        "input_tokens": 10,
        "output_tokens": 20,
        "total_tokens": 30,
        "input_token_details": {"cache_read": 4},
        "output_token_details": {"reasoning": 7},
    }
    model = ScriptedChatModel(
        script=[
            [
                blocks({"type": "thinking", "thinking": "Hmm.", "index": 0}),
                blocks({"type": "thinking", "signature": "sig-1", "index": 0}),  # no text
                blocks({"type": "reasoning", "summary": summary}),  # an OpenAI summary
                blocks({"type": "text", "text": "", "index": 1}),  # a block's empty start
                blocks("Hello", ""),  # plain string blocks
                blocks({"type": "text", "text": " world", "index": 1}),
                blocks(tool_use, tool_call_chunks=[tool_chunk(2, "", "weather", "c1")]),
                blocks(json_delta, tool_call_chunks=[tool_chunk(2, '{"city": "Oslo"}')]),
                AIMessageChunk(content="", usage_metadata=usage_details),
            ],
            [
                AIMessageChunk(content="", additional_kwargs={"reasoning_content": "Now answer."}),
                text("Oslo is sunny."),
            ],
        ]
    )
    return loop_graph(model, [weather])


def invalid_json_graph() -> Any:
    model = ScriptedChatModel(
        script=[
            [
                text("Let me see."),
                call(0, '{"city": Paris}', "weather", "c1"),
                call(1, "", "now", "c2"),
            ],
            [text("It is noon.")],
        ]
    )
    return loop_graph(model, [weather, now])


def command_graph() -> Any:
    model = ScriptedChatModel(
        script=[[call(0, '{"city": "Rome"}', "move_to", "c1")], [text("You are in Rome.")]]
    )
    return loop_graph(model, [move_to])


def retried_graph() -> Any:
    model = ScriptedChatModel(script=[[call(0, '{"reason": "fly"}', "explode", "c1")]])
    retry = RetryPolicy(max_attempts=2, initial_interval=0.001, jitter=False, retry_on=ValueError)
    return loop_graph(model, [explode], retry=retry, errors=False)


def sub_agent_graph() -> Any:
    """A tool that runs its own chat model and tool: a sub-agent."""
    inner = GenericFakeChatModel(messages=iter([AIMessage(content="inner notes")]))

    @tool
    async def research(topic: str) -> str:
        """Research a topic with a sub-agent."""
        notes = await inner.ainvoke(topic)
        forecast = await weather.ainvoke({"city": topic})
        return f"{notes.content}; {forecast}"

    model = ScriptedChatModel(
        script=[[call(0, '{"topic": "Paris"}', "research", "c1")], [text("Researched.")]]
    )
    return loop_graph(model, [research])


def hand_tools_graph() -> Any:
    """A hand-written tools node: it normalises the model's input, calls the tools without the
    tool call id (so their events carry raw outputs), reports a failure as content blocks and
    runs tools of its own."""
    model = ScriptedChatModel(
        script=[
            [
                call(0, '{"city": "paris"}', "weather", "c1"),
                call(1, '{"reason": "x"}', "explode", "c2"),
            ],
            [text("Sunny at noon.")],
        ]
    )

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    async def run_tools(state: MessagesState) -> dict[str, Any]:
        last = state["messages"][-1]
        assert isinstance(last, AIMessage)
        out: list[Any] = []
        weather_call, explode_call = last.tool_calls
        forecast = await weather.ainvoke({"city": weather_call["args"]["city"].title()})
        out.append(ToolMessage(content=forecast, tool_call_id=weather_call["id"]))
        try:
            await explode.ainvoke(explode_call["args"])
        except ValueError as exc:
            failure: list[str | dict[Any, Any]] = [
                {"type": "text", "text": "Failed: "},
                {"type": "text", "text": str(exc)},
            ]
            out.append(ToolMessage(failure, tool_call_id=explode_call["id"], status="error"))
        await clock.ainvoke({})
        await forecasts.ainvoke({"cities": ["Oslo"]})
        return {"messages": out}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("tools", run_tools)
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph.compile()


def interrupt_graph(values: Callable[[AIMessage], Any]) -> Any:
    """The model asks to delete a file; the next node interrupts with ``values(its message)``."""
    model = ScriptedChatModel(
        script=[[text("Deleting."), call(0, '{"path": "/tmp/x"}', "delete_file", "c1")]]
    )

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    def ask(state: MessagesState) -> dict[str, Any]:
        last = state["messages"][-1]
        assert isinstance(last, AIMessage)
        interrupt(values(last))
        return {}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("ask", ask)
    graph.add_edge(START, "agent")
    graph.add_edge("agent", "ask")
    graph.add_edge("ask", END)
    return graph.compile(checkpointer=InMemorySaver())


def hitl_request(last: AIMessage) -> Any:
    """HumanInTheLoopMiddleware's request: the model's call, and one the model did not make."""
    requests: list[Any] = [
        {"name": tc["name"], "args": tc["args"], "description": "Delete the file?"}
        for tc in last.tool_calls
    ]
    requests.append({"name": "now", "args": {}, "description": "Read the clock?"})
    return {"action_requests": requests, "review_configs": []}


def human_interrupt(last: AIMessage) -> Any:
    """LangGraph's HumanInterrupt (agent inbox)."""
    (tc,) = last.tool_calls
    return {
        "action_request": {"action": tc["name"], "args": tc["args"]},
        "config": {"allow_accept": True, "allow_respond": False},
        "description": "Delete it?",
    }


def listed_twice(last: AIMessage) -> Any:
    """ai_stream's own shape: the same call listed by two checks (camelCase keys), and an
    action of the node's own that no model asked for."""
    (tc,) = last.tool_calls
    request = {"toolCallId": tc["id"], "toolName": tc["name"], "args": tc["args"]}
    refund = {"tool_call_id": "refund-1", "tool_name": "refund", "input": {"amount": 5},
              "reason": "Refund the fee?"}  # fmt: skip
    return [request, request, refund]


def questions(last: AIMessage) -> Any:
    """Interrupts that are not about a tool call."""
    return ["What is your name?", {"question": "Are you sure?"}]


class NotesState(MessagesState):
    notes: int


def notes_graph() -> Any:
    """Nodes without a model: custom stream data, a human note, an update without messages, a
    fixed single-message answer."""

    async def note(state: NotesState) -> dict[str, Any]:
        get_stream_writer()({"progress": 50})
        return {"messages": HumanMessage("(a note for the model)")}

    async def count(state: NotesState) -> dict[str, Any]:
        return {"notes": 1}

    async def answer(state: NotesState) -> dict[str, Any]:
        return {"messages": AIMessage("Noted.")}

    graph = StateGraph(NotesState)
    graph.add_node("note", note)
    graph.add_node("count", count)
    graph.add_node("answer", answer)
    graph.add_edge(START, "note")
    graph.add_edge("note", "count")
    graph.add_edge("count", "answer")
    graph.add_edge("answer", END)
    return graph.compile()


def parent_graph() -> Any:
    """The agent loop as a subgraph of a parent graph."""
    graph = StateGraph(MessagesState)
    graph.add_node("assistant", agent_graph(ScriptedChatModel(script=SCRIPTS["one_tool"][0]())))
    graph.add_edge(START, "assistant")
    graph.add_edge("assistant", END)
    return graph.compile()


Source = Callable[[], AsyncIterator[Any]]


def events_of(make_graph: Callable[[], Any]) -> Source:
    return lambda: make_graph().astream_events(USER, version="v2")


def graph_chunks(make_graph: Callable[[], Any], **options: Any) -> Source:
    options.setdefault("stream_mode", ["messages", "updates"])
    config = {"configurable": {"thread_id": "t1"}}
    return lambda: make_graph().astream(USER, config, **options)


@dataclass
class Shape:
    entry: Callable[[StreamContext[Any], Any], Awaitable[StreamResult]]
    source: Source
    target: int = 7
    status: str = "ready"
    release: str | None = None  # an exact release instead of the major

    @property
    def releases(self) -> list[str]:
        return [self.release] if self.release else list(FIRST_AND_LATEST[self.target])


SHAPES: dict[str, Shape] = {
    "non_streaming/events": Shape(stream_events, events_of(non_streaming_graph)),
    "non_streaming/graph": Shape(stream_graph, graph_chunks(non_streaming_graph)),
    "blocks/events": Shape(stream_events, events_of(provider_blocks_graph)),
    "blocks/graph": Shape(stream_graph, graph_chunks(provider_blocks_graph)),
    "invalid_json/events@7": Shape(stream_events, events_of(invalid_json_graph)),
    "invalid_json/events@5": Shape(stream_events, events_of(invalid_json_graph), 5),
    "invalid_json/graph@5": Shape(stream_graph, graph_chunks(invalid_json_graph), 5),
    "command/events": Shape(stream_events, events_of(command_graph)),
    "command/graph": Shape(stream_graph, graph_chunks(command_graph)),
    "retried/events": Shape(stream_events, events_of(retried_graph), status="error"),
    "sub_agent/events": Shape(stream_events, events_of(sub_agent_graph)),
    "hand_tools/events": Shape(stream_events, events_of(hand_tools_graph)),
    "hand_tools/graph": Shape(stream_graph, graph_chunks(hand_tools_graph)),
    "hitl/graph": Shape(
        stream_graph, graph_chunks(lambda: interrupt_graph(hitl_request)), release="7.0.173"
    ),
    "inbox/graph": Shape(stream_graph, graph_chunks(lambda: interrupt_graph(human_interrupt))),
    "twice/graph": Shape(stream_graph, graph_chunks(lambda: interrupt_graph(listed_twice))),
    "questions/graph": Shape(stream_graph, graph_chunks(lambda: interrupt_graph(questions))),
    "notes/graph": Shape(
        stream_graph, graph_chunks(notes_graph, stream_mode=["messages", "updates", "custom"])
    ),
    "messages_only/graph": Shape(
        stream_graph, graph_chunks(non_streaming_graph, stream_mode="messages")
    ),
    "subgraphs/graph": Shape(stream_graph, graph_chunks(parent_graph, subgraphs=True)),
}


@dataclass
class ShapeRun:
    chunks: list[dict[str, Any]]
    result: StreamResult | None
    ctx: StreamContext[Any]
    body: bytes


async def run_shape(shape: Shape) -> ShapeRun:
    ctx: StreamContext[None] = StreamContext(
        sdk_version=shape.release or shape.target,
        collect=True,
        message_id="msg",
        id_generator=counter_ids(),
        chat_id="chat-lg",
        approval_secret=SHAPES_SECRET,
    )
    results: list[StreamResult] = []

    async def work(ctx: StreamContext[Any]) -> None:
        results.append(await shape.entry(ctx, shape.source()))

    await ctx.run(work)
    body = await collect_stream(ctx)
    return ShapeRun(parse_sse_json(body), results[0] if results else None, ctx, body)


@pytest.fixture(scope="module")
def shapes() -> dict[str, ShapeRun]:
    """Every shape, produced once and replayed through the first and latest client releases."""
    runs: dict[str, ShapeRun] = {}

    async def main() -> None:
        for name, shape in SHAPES.items():
            runs[name] = await run_shape(shape)

    anyio.run(main)
    cases = [
        {"name": name, "body": run.body.decode(), "versions": SHAPES[name].releases}
        for name, run in runs.items()
    ]
    replayed = replay(cases)
    for name, run in runs.items():
        assert run.ctx.record is not None
        for release in SHAPES[name].releases:
            result = replayed[name][release]
            assert result["chunkErrors"] == [], (name, release)
            assert result["chat"]["status"] == SHAPES[name].status, (name, release)
            assert result["chat"]["messages"][-1] == run.ctx.record.to_ui_message(release), name
    return runs


HEAD = [{"type": "start", "messageId": "msg"}, {"type": "start-step"}]


def streamed_input(call_id: str, name: str, *deltas: str) -> list[dict[str, Any]]:
    return [
        {"type": "tool-input-start", "toolCallId": call_id, "toolName": name},
        *({"type": "tool-input-delta", "toolCallId": call_id, "inputTextDelta": d} for d in deltas),
    ]


def available(call_id: str, name: str, input: Any) -> dict[str, Any]:
    return {"type": "tool-input-available", "toolCallId": call_id, "toolName": name, "input": input}


def output(call_id: str, value: Any) -> dict[str, Any]:
    return {"type": "tool-output-available", "toolCallId": call_id, "output": value}


def usage_of(inp: int, out: int, **extra: int) -> dict[str, Any]:
    usage = {"inputTokens": inp, "outputTokens": out, "totalTokens": inp + out, **extra}
    return {"type": "message-metadata", "messageMetadata": {"usage": usage}}


def verified(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chunks with each approval id checked against its call and replaced by "<signed>"."""
    inputs = {c["toolCallId"]: c for c in chunks if c["type"] == "tool-input-available"}
    out: list[dict[str, Any]] = []
    for chunk in chunks:
        if chunk["type"] == "tool-approval-request":
            call = inputs[chunk["toolCallId"]]
            verify_approval_id(
                chunk["approvalId"],
                SHAPES_SECRET,
                chat_id="chat-lg",
                tool_call_id=call["toolCallId"],
                tool_name=call["toolName"],
                input=call["input"],
            )
            chunk = {**chunk, "approvalId": "<signed>"}
        out.append(chunk)
    return out


NON_STREAMING = [
    *HEAD,
    *said("text-1", "Checking."),
    available("c1", "weather", {"city": "Paris"}),
    output("c1", "Sunny in Paris"),
    *NEXT_STEP,
    *said("text-2", "Sunny."),
    usage_of(3, 2),
    *end(),
]


@pytest.mark.parametrize(
    "name", ["non_streaming/events", "non_streaming/graph", "messages_only/graph"]
)
def test_non_streaming_model_keeps_its_text(shapes: dict[str, ShapeRun], name: str) -> None:
    """A model that does not stream (a complete AIMessage only) is written whole."""
    run = shapes[name]
    assert run.chunks == NON_STREAMING
    assert run.result is not None
    assert run.result.tool_calls == [ToolCallInfo("c1", "weather", {"city": "Paris"})]


@pytest.mark.parametrize("kind", ["events", "graph"])
def test_provider_content_blocks(shapes: dict[str, ShapeRun], kind: str) -> None:
    """Thinking/summary/text/tool_use blocks, string blocks, reasoning_content and token details."""
    assert shapes[f"blocks/{kind}"].chunks == [
        *HEAD,
        *said("reasoning-1", "Hmm.", "Plan: go.", kind="reasoning"),
        *said("text-2", "Hello", " world"),
        *streamed_input("c1", "weather", '{"city": "Oslo"}'),
        available("c1", "weather", {"city": "Oslo"}),
        output("c1", "Sunny in Oslo"),
        *NEXT_STEP,
        *said("reasoning-3", "Now answer.", kind="reasoning"),
        *said("text-4", "Oslo is sunny."),
        usage_of(10, 20, reasoningTokens=7, cachedInputTokens=4),
        *end(),
    ]


INVALID_HEAD = [
    *HEAD,
    *said("text-1", "Let me see."),
    *streamed_input("c1", "weather", '{"city": Paris}'),
    *streamed_input("c2", "now"),
]
INVALID_TAIL = [
    available("c2", "now", {}),
    output("c2", "12:00"),
    *NEXT_STEP,
    *said("text-2", "It is noon."),
]


def test_invalid_tool_json(shapes: dict[str, ShapeRun]) -> None:
    """Invalid JSON fails the input; a call without arguments gets ``{}``."""
    error = "The model produced invalid JSON for the tool input."
    failed = {"type": "tool-input-error", "toolCallId": "c1", "toolName": "weather",
              "input": '{"city": Paris}', "errorText": error}  # fmt: skip
    assert shapes["invalid_json/events@7"].chunks == [
        *INVALID_HEAD, failed, *INVALID_TAIL, *end()
    ]  # fmt: skip
    # ai 5.0.0-5.0.6 lack tool-input-error: the raw input, then the error as the call's output
    # (left without a result, the client would take it for a client-side tool)
    fallback = [
        available("c1", "weather", '{"city": Paris}'),
        {"type": "tool-output-error", "toolCallId": "c1", "errorText": error},
    ]
    for name in ("invalid_json/events@5", "invalid_json/graph@5"):
        run = shapes[name]
        assert run.chunks == [*INVALID_HEAD, *fallback, *INVALID_TAIL, *end(None)], name
        assert run.result is not None
        assert run.result.tool_calls == [ToolCallInfo("c2", "now", {})]
        assert run.result.finish_reason == "stop"


@pytest.mark.parametrize("kind", ["events", "graph"])
def test_tool_returning_a_command(shapes: dict[str, ShapeRun], kind: str) -> None:
    """A tool's ``Command(update={"messages": [dict]})``: the dict tool message is its output."""
    assert shapes[f"command/{kind}"].chunks == [
        *HEAD,
        *streamed_input("c1", "move_to", '{"city": "Rome"}'),
        available("c1", "move_to", {"city": "Rome"}),
        output("c1", "Moved to Rome"),
        *NEXT_STEP,
        *said("text-1", "You are in Rome."),
        *end(),
    ]


def test_retried_tools_node_sends_one_result(shapes: dict[str, ShapeRun]) -> None:
    """A tools node retried by LangGraph fails the same call twice: one masked error is sent."""
    run = shapes["retried/events"]
    assert run.chunks == [
        *HEAD,
        *streamed_input("c1", "explode", '{"reason": "fly"}'),
        available("c1", "explode", {"reason": "fly"}),
        {"type": "tool-output-error", "toolCallId": "c1", "errorText": "An error occurred."},
        {"type": "error", "errorText": "An error occurred."},
        *end("error"),
    ]
    assert run.result is None


def test_sub_agent_inside_a_tool_is_not_streamed(shapes: dict[str, ShapeRun]) -> None:
    """The model and the tool a tool runs are not the message's text or tool calls."""
    assert shapes["sub_agent/events"].chunks == [
        *HEAD,
        *streamed_input("c1", "research", '{"topic": "Paris"}'),
        available("c1", "research", {"topic": "Paris"}),
        output("c1", "inner notes; Sunny in Paris"),
        *NEXT_STEP,
        *said("text-1", "Researched."),
        *end(),
    ]


def test_hand_written_tools_node(shapes: dict[str, ShapeRun]) -> None:
    """Tool runs without a tool call id: matched to the model's calls by name (the input was
    normalised), or announced with a new id; raw outputs (a dataclass, pydantic models) as JSON;
    the exception of a tool run is masked."""
    model_calls = [
        *HEAD,
        *streamed_input("c1", "weather", '{"city": "paris"}'),
        *streamed_input("c2", "explode", '{"reason": "x"}'),
        available("c1", "weather", {"city": "paris"}),
        available("c2", "explode", {"reason": "x"}),
        output("c1", "Sunny in Paris"),
    ]
    answer = [*NEXT_STEP, *said("text-1", "Sunny at noon."), *end()]
    events = shapes["hand_tools/events"]
    assert events.chunks == [
        *model_calls,
        {"type": "tool-output-error", "toolCallId": "c2", "errorText": "An error occurred."},
        available("call_id-1", "clock", {}),
        output("call_id-1", {"hour": 12, "zone": "CET"}),
        available("call_id-2", "forecasts", {"cities": ["Oslo"]}),
        output("call_id-2", [{"city": "Oslo", "sky": "sunny"}]),
        *answer,
    ]
    assert events.result is not None
    assert [c.tool_call_id for c in events.result.tool_calls] == [
        "c1",
        "c2",
        "call_id-1",
        "call_id-2",
    ]
    # the graph's streams carry the node's tool messages (the error one masked: its text is
    # for the model and the log), not the tool runs inside the node
    assert shapes["hand_tools/graph"].chunks == [
        *model_calls,
        {"type": "tool-output-error", "toolCallId": "c2", "errorText": "An error occurred."},
        *answer,
    ]


ASKED = [
    *HEAD,
    *said("text-1", "Deleting."),
    *streamed_input("c1", "delete_file", '{"path": "/tmp/x"}'),
    available("c1", "delete_file", {"path": "/tmp/x"}),
]


def approval(call_id: str, **extra: Any) -> dict[str, Any]:
    return {"type": "tool-approval-request", "approvalId": "<signed>", "toolCallId": call_id,
            **extra}  # fmt: skip


def test_interrupt_of_human_in_the_loop_middleware(shapes: dict[str, ShapeRun]) -> None:
    """``action_requests`` are matched to the model's call by name and input; a request for a
    call the model did not make announces it; the descriptions are the reasons (ai 7.0.82+)."""
    run = shapes["hitl/graph"]
    assert verified(run.chunks) == [
        *ASKED,
        approval("c1", reason="Delete the file?"),
        available("call_id-1", "now", {}),
        approval("call_id-1", reason="Read the clock?"),
        *end("tool-calls"),
    ]
    assert run.result is not None and run.result.finish_reason == "tool-calls"


def test_interrupt_of_agent_inbox(shapes: dict[str, ShapeRun]) -> None:
    """LangGraph's HumanInterrupt is matched to the model's call."""
    assert verified(shapes["inbox/graph"].chunks) == [*ASKED, approval("c1"), *end("tool-calls")]


def test_interrupt_of_own_shape(shapes: dict[str, ShapeRun]) -> None:
    """A call listed twice is asked once; an action of the node's own is announced first."""
    run = shapes["twice/graph"]
    assert verified(run.chunks) == [
        *ASKED,
        approval("c1"),
        available("refund-1", "refund", {"amount": 5}),
        approval("refund-1"),
        *end("tool-calls"),
    ]
    assert run.result is not None
    assert run.result.tool_calls == [
        ToolCallInfo("c1", "delete_file", {"path": "/tmp/x"}),
        ToolCallInfo("refund-1", "refund", {"amount": 5}),
    ]


def test_interrupts_without_a_tool_call_are_ignored(shapes: dict[str, ShapeRun]) -> None:
    run = shapes["questions/graph"]
    assert run.chunks == [*ASKED, *end("tool-calls")]
    assert run.result is not None and run.result.finish_reason == "tool-calls"


def test_nodes_without_a_model(shapes: dict[str, ShapeRun]) -> None:
    """Custom data without type or id is a transient ``data-custom`` part (``onData`` only, not
    in the message), a human message is not shown; a node's single AIMessage is."""
    run = shapes["notes/graph"]
    custom = {"type": "data-custom", "data": {"progress": 50}, "transient": True}
    assert run.chunks == [HEAD[0], custom, HEAD[1], *said("text-1", "Noted."), *end()]
    assert run.result is not None and run.result.tool_calls == []


def test_subgraphs(shapes: dict[str, ShapeRun]) -> None:
    """``subgraphs=True`` items are ``(namespace, mode, payload)``."""
    assert shapes["subgraphs/graph"].chunks == [
        *HEAD,
        *said("text-1", "Checking."),
        *streamed_input("c1", "weather", '{"city":', ' "Paris"}'),
        available("c1", "weather", {"city": "Paris"}),
        output("c1", "Sunny in Paris"),
        *NEXT_STEP,
        *said("text-2", "It is sunny."),
        usage_of(14, 7),
        *end(),
    ]


def test_hitl_resume() -> None:
    """The resume value of HumanInTheLoopMiddleware, in the order of the decisions."""

    def decision(call_id: str, approved: bool, reason: str | None = None) -> ToolApprovalDecision:
        return ToolApprovalDecision(call_id, "delete_file", {}, approved, reason, f"a-{call_id}")

    decisions = [decision("c1", True), decision("c2", False), decision("c3", False, "Not now.")]
    assert hitl_resume(decisions) == {
        "decisions": [
            {"type": "approve"},
            {"type": "reject", "message": "The user denied the call."},
            {"type": "reject", "message": "Not now."},
        ]
    }


class RecordedEvents:
    """``astream_events`` dicts recorded earlier and replayed: an async iterable without
    ``aclose``, that can fail after the events, and whose ``close`` may fail as well."""

    def __init__(self, events: list[Any], failure: Exception | None = None) -> None:
        self.events = iter(events)
        self.failure = failure
        self.close_attempts = 0

    def __aiter__(self) -> RecordedEvents:
        return self

    async def __anext__(self) -> Any:
        await anyio.lowlevel.checkpoint()
        for event in self.events:
            return event
        if self.failure is not None:
            raise self.failure
        raise StopAsyncIteration


class ClosingFails(RecordedEvents):
    async def aclose(self) -> None:
        self.close_attempts += 1
        raise ConnectionResetError("the connection is already gone")


async def record_events() -> list[Any]:
    return [event async for event in non_streaming_graph().astream_events(USER, version="v2")]


def streaming(source: Any) -> Callable[[StreamContext[Any]], Awaitable[None]]:
    async def work(ctx: StreamContext[Any]) -> None:
        await stream_events(ctx, source)

    return work


async def test_recorded_events_without_aclose() -> None:
    source = RecordedEvents(await record_events())
    chunks = await transcript(streaming(source), message_id="msg")
    assert chunks == NON_STREAMING


async def test_a_failing_close_does_not_hide_the_error(caplog: pytest.LogCaptureFixture) -> None:
    """The source fails mid-stream and then fails to close: the first error is the one masked and
    logged."""
    events = await record_events()
    first_call = next(i for i, e in enumerate(events) if e["event"] == "on_chat_model_end")
    source = ClosingFails(events[: first_call + 1], RuntimeError("the event stream broke"))
    chunks = await transcript(streaming(source), message_id="msg")
    assert chunks == [
        *HEAD,
        *said("text-1", "Checking."),
        available("c1", "weather", {"city": "Paris"}),
        {"type": "error", "errorText": "An error occurred."},
        *end("error"),
    ]
    assert source.close_attempts == 1
    (logged,) = [r for r in caplog.records if r.exc_info]
    assert logged.exc_info is not None
    assert repr(logged.exc_info[1]) == "RuntimeError('the event stream broke')"


# --- object streams (experimental_useObject) ------------------------------------------------------

TRIP_BODY = b'{"city":"Lyon","stops":[{"name":"Gare Part-Dieu","minutes":5},{"name":"Vieux Lyon"}]}'


def structured(kind: str) -> Any:
    """A structured-output runnable answering TRIP_PIECES, as the partial values it yields."""
    if kind == "json-parser":  # dicts, from the model's JSON text
        model = GenericFakeChatModel(messages=iter([AIMessage(content="".join(TRIP_PIECES))]))
        return model | JsonOutputParser()
    chunks = [call(0, TRIP_PIECES[0], "Trip", "c1"), *(call(0, p) for p in TRIP_PIECES[1:])]
    schema = Trip if kind == "pydantic" else Trip.model_json_schema()  # models, or dicts
    return ScriptedChatModel(script=[chunks]).with_structured_output(schema)


async def run_object(obj: ObjectStreamContext[Any], runnable: Any, input: Any = "A trip") -> bytes:
    async def work(obj: ObjectStreamContext[Any]) -> None:
        await stream_langchain_object(obj, runnable, input, {"tags": ["object"]})

    await obj.run(work)
    return await collect_stream(obj.context)


@pytest.mark.parametrize("kind", ["pydantic", "json-schema", "json-parser"])
async def test_object_from_structured_output(kind: str) -> None:
    obj = ObjectStreamContext(Trip)
    assert (await run_object(obj, structured(kind)), obj.result) == (TRIP_BODY, TRIP)


@pytest.mark.parametrize("wrapped", [True, False], ids=["elements-object", "bare-array"])
async def test_object_array_gets_each_element_once_complete(wrapped: bool) -> None:
    text = "".join(STOPS_PIECES)
    if not wrapped:
        text = text.removeprefix('{"elements": ').removesuffix("}")
    model = GenericFakeChatModel(messages=iter([AIMessage(content=text)]))
    obj = ObjectStreamContext(list[Stop], output="array")
    assert (await run_object(obj, model | JsonOutputParser()), obj.result) == (STOPS_BODY, STOPS)


def values(*items: Any, error: Exception | None = None) -> Any:
    """A runnable that yields ``items`` (then raises ``error``)."""

    async def generate(input: Any) -> AsyncIterator[Any]:
        for item in items:
            yield item
        if error is not None:
            raise error

    return RunnableLambda(generate)


async def test_object_skips_values_that_do_not_extend_the_text() -> None:
    """The text cannot be taken back: a value that does not extend it is skipped."""
    obj = ObjectStreamContext(Trip)
    sent: list[str] = []
    items = [
        None,  # (a parser with nothing to show yet)
        {"city": "Ly"},
        {"city": "Paris"},
        {"city": "Lyon"},
        Trip(city="Lyon", stops=[Stop(name="Gare")]),  # (its fields that were set)
    ]

    async def generate(input: Any) -> AsyncIterator[Any]:
        for item in items:
            yield item
            sent.append(obj.text)

    body = await run_object(obj, RunnableLambda(generate))
    assert (body, obj.result, sent) == (
        b'{"city":"Lyon","stops":[{"name":"Gare"}]}',
        Trip(city="Lyon", stops=[Stop(name="Gare")]),
        [
            "",
            '{"city":"Ly',
            '{"city":"Ly',
            '{"city":"Lyon',
            '{"city":"Lyon","stops":[{"name":"Gare',
        ],
    )


async def test_object_last_value_must_extend_the_text() -> None:
    obj = ObjectStreamContext(Trip)
    body = await run_object(obj, values({"city": "Lyon"}, {"city": "Paris"}))
    assert (body, obj.result, type(obj.error)) == (b'{"city":"Lyon', None, ObjectValidationError)


async def test_object_runnable_error_is_not_sent(caplog: pytest.LogCaptureFixture) -> None:
    obj = ObjectStreamContext(Trip)
    body = await run_object(obj, values({"city": "Ly"}, error=RuntimeError(SECRET)))
    assert (body, obj.result, type(obj.error)) == (b'{"city":"Ly', None, RuntimeError)
    assert "Stream work failed" in caplog.text  # (the text protocol has no error channel)


async def test_object_disconnect_closes_the_runnable() -> None:
    closed = anyio.Event()
    hang = anyio.Event()

    async def generate(input: Any) -> AsyncIterator[Any]:
        try:
            yield {"city": "Ly"}
            await hang.wait()  # the model hangs; the client goes away meanwhile
        finally:
            closed.set()

    finished: list[ObjectResult[Trip]] = []
    obj = ObjectStreamContext(Trip, on_finish=finished.append)

    async def work(obj: ObjectStreamContext[Any]) -> None:
        await stream_langchain_object(obj, RunnableLambda(generate), "A trip")

    await obj.run(work)
    assert await leave_after(obj.context) == b'{"city":"Ly'
    with anyio.fail_after(5):
        await closed.wait()
    assert (finished[0].aborted, obj.result) == (True, None)
