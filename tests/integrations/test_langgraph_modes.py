"""LangGraph's ``custom``, ``tools``, ``values`` modes and subgraphs, side by side with
``@ai-sdk/langchain``.

Real offline graphs (a scripted ``BaseChatModel``, a node writing ``get_stream_writer()`` events,
a ``ToolNode`` tool emitting progress with ``ToolRuntime.emit_output_delta``, the agent loop as
a subgraph) are streamed once with every mode; the recorded items are

* pumped through :func:`~ai_stream.integrations.langchain.stream_graph` into a collecting
  context, whose stream is also replayed through the real ``ai`` 7 client, and
* fed, as JSON, through ``@ai-sdk/langchain``'s ``toUIMessageStream`` and ``ai`` 7's
  ``readUIMessageStream`` (``tests/conformance/node/langchain_adapter.mjs``).

The two UI messages must be equal once :func:`comparable` has removed what differs by design
(documented there and in ``stream_graph``'s docstring).
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, ToolRuntime, tools_condition
from langgraph.types import interrupt

from ai_stream import StateStore, StreamContext
from ai_stream.integrations._agent_common import jsonable
from ai_stream.integrations.langchain import GraphResult, stream_graph
from ai_stream.protocol.approvals import verify_approval_id
from ai_stream.testing import collect_stream, parse_sse_json
from tests.conformance.client import FIRST_AND_LATEST, langchain_adapter, replay
from tests.helpers import counter_ids
from tests.integrations.test_langchain import ScriptedChatModel, call, text, usage

RELEASE = FIRST_AND_LATEST[7][1]
MODES = ["messages", "updates", "custom", "tools", "values"]
SECRET = "langgraph-modes-secret-0123456789"


@tool
async def forecast(city: str, runtime: ToolRuntime) -> str:
    """Forecast the weather of a city."""
    runtime.emit_output_delta({"status": "looking up", "city": city})
    runtime.emit_output_delta({"status": "almost there", "city": city})
    return f"Sunny in {city}"


@tool
async def broken(city: str, runtime: ToolRuntime) -> str:
    """A forecast service that fails after some progress."""
    runtime.emit_output_delta({"status": "looking up", "city": city})
    raise RuntimeError("forecast backend down (secret detail)")


async def plan(state: MessagesState) -> dict[str, Any]:
    """Custom events: a persistent part updated in place, transient ones, a bare value."""
    write = get_stream_writer()
    write({"type": "status", "id": "status", "text": "planning"})
    write({"type": "progress", "value": 10})
    write({"note": "no type, no id"})
    write("a bare string")
    write({"type": "status", "id": "status", "text": "planned"})
    return {}


def script(tool_name: str) -> list[list[Any]]:
    return [
        [
            text("Checking."),
            call(0, '{"city":', tool_name, "c1"),
            call(0, ' "Paris"}'),
            usage(5, 4),
        ],
        [text("It is sunny."), usage(9, 3)],
    ]


def agent_loop(tool_name: str = "forecast", *, planned: bool = False) -> Any:
    """The agent: model → tools → model, the tool emitting progress (after ``plan``)."""
    model = ScriptedChatModel(script=script(tool_name))

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode([forecast, broken], handle_tool_errors=True))
    if planned:
        graph.add_node("plan", plan)
        graph.add_edge(START, "plan")
        graph.add_edge("plan", "agent")
    else:
        graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph


def flat_graph(tool_name: str = "forecast") -> Any:
    """The custom-events node, then the agent loop's nodes in the same graph."""
    return agent_loop(tool_name, planned=True).compile()


def parent_graph() -> Any:
    """The custom-events node, then the agent loop as a subgraph."""
    graph = StateGraph(MessagesState)
    graph.add_node("plan", plan)
    graph.add_node("assistant", agent_loop().compile())
    graph.add_edge(START, "plan")
    graph.add_edge("plan", "assistant")
    graph.add_edge("assistant", END)
    return graph.compile()


def approval_graph() -> Any:
    """The model asks for the tool; an approval node interrupts (HumanInTheLoopMiddleware's
    request shape) before it runs."""
    model = ScriptedChatModel(script=script("forecast")[:1])

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    async def approve(state: MessagesState) -> dict[str, Any]:
        last = state["messages"][-1]
        assert isinstance(last, AIMessage)
        requests = [{"name": c["name"], "args": c["args"]} for c in last.tool_calls]
        interrupt({"action_requests": requests, "review_configs": []})
        return {}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("approve", approve)
    graph.add_edge(START, "agent")
    graph.add_edge("agent", "approve")
    graph.add_edge("approve", END)
    return graph.compile(checkpointer=InMemorySaver())


@dataclass
class Case:
    graph: Callable[[], Any]
    subgraphs: bool = False


CASES: dict[str, Case] = {
    "flat": Case(flat_graph),
    "tool_error": Case(lambda: flat_graph("broken")),
    "subgraphs": Case(parent_graph, subgraphs=True),
    "approval": Case(approval_graph),
}


async def record(case: Case) -> list[Any]:
    """The items of one real run, as the graph yielded them."""
    graph = case.graph()
    inputs = {"messages": [("user", "Weather in Paris?")]}
    config: Any = {"configurable": {"thread_id": "t1"}}
    return [
        item
        async for item in graph.astream(inputs, config, stream_mode=MODES, subgraphs=case.subgraphs)
    ]


# --- the events as JSON for @ai-sdk/langchain -----------------------------------------------------

_CHUNK_ONLY = {"tool_calls", "invalid_tool_calls", "chunk_position"}
"""Fields @langchain/core derives itself from ``tool_call_chunks`` (or does not have)."""


def to_json(value: Any) -> Any:
    """A recorded item as JSON; LangChain messages as ``{"__lc__": class, "fields": ...}``.

    The node side revives those as @langchain/core instances (``langchain_adapter.mjs``).
    """
    if isinstance(value, BaseMessage):
        fields = value.model_dump(exclude={"type"})
        if isinstance(value, AIMessageChunk):
            fields = {k: v for k, v in fields.items() if k not in _CHUNK_ONLY}
            fields["tool_call_chunks"] = [
                {k: v for k, v in c.items() if v is not None} for c in fields["tool_call_chunks"]
            ]
        fields = {k: to_json(v) for k, v in fields.items() if v is not None}
        return {"__lc__": type(value).__name__, "fields": fields}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if type(value).__name__ == "Interrupt":
        return {"value": to_json(value.value), "id": value.id}
    return jsonable(value)


# --- the comparison -------------------------------------------------------------------------------


def comparable(message: dict[str, Any]) -> dict[str, Any]:
    """A UI message without what differs between ai_stream and ``@ai-sdk/langchain`` by design.

    The one place where the two mappings are normalised (both messages go through it):

    * ids: the message id (ours is the context's, theirs is empty: the adapter sends no
      ``messageId``) is dropped; text, tool call and data part ids are the same on both sides;
    * ``metadata``: ours carries the summed token usage, theirs nothing: dropped;
    * ``step-start`` parts: a step of ours is a model call with its tool results (the AI SDK's
      meaning), theirs is a LangGraph superstep (a tools node is an empty step): dropped;
    * tool parts: ours are ``tool-<name>`` (the tool name is known from the graph's tool
      calls), theirs are all ``dynamic-tool`` with a ``toolName``: theirs are retyped to ours;
    * ``providerMetadata`` / ``callProviderMetadata`` / ``resultProviderMetadata``: theirs
      carry a subgraph's namespace (``{"langchain": {"namespace": [...]}}``), ours none:
      dropped;
    * ``transient: false``: theirs sends it on a persistent data part (one with an id) and ai 7
      keeps it in the part, ours leaves the field out (the same meaning): dropped.

    The tool error text is not normalised: it differs (ours masked), see
    :func:`test_tool_error_is_masked`.
    """
    out = copy.deepcopy(message)
    out.pop("id", None)
    out.pop("metadata", None)
    parts = []
    for part in out["parts"]:
        if part["type"] == "step-start":
            continue
        if part["type"] == "dynamic-tool":
            part["type"] = f"tool-{part.pop('toolName')}"
        for key in ("providerMetadata", "callProviderMetadata", "resultProviderMetadata"):
            part.pop(key, None)
        if part["type"].startswith("data-") and part.get("transient") is False:
            del part["transient"]
        parts.append(part)
    out["parts"] = parts
    return out


@dataclass
class Run:
    items: list[Any]
    ours: dict[str, Any]
    chunks: list[dict[str, Any]]
    result: GraphResult
    store: StateStore
    theirs: dict[str, Any]


async def pump(
    items: list[Any], sdk_version: int | str = 7
) -> tuple[StreamContext[None], bytes, GraphResult, StateStore]:
    store = StateStore()
    ctx: StreamContext[None] = StreamContext(
        sdk_version=sdk_version,
        collect=True,
        message_id="msg",
        id_generator=counter_ids(),
        store=store,
        chat_id="chat-modes",
        approval_secret=SECRET,
    )
    results: list[GraphResult] = []

    async def recorded() -> AsyncIterator[Any]:
        for item in items:
            yield item

    async def work(ctx: StreamContext[Any]) -> None:
        results.append(await stream_graph(ctx, recorded()))

    await ctx.run(work)
    body = await collect_stream(ctx)
    return ctx, body, results[0], store


@pytest.fixture(scope="module")
def runs() -> dict[str, Run]:
    """Each case recorded once, through both mappings; our streams replayed in real ai 7."""
    produced: dict[str, tuple[list[Any], StreamContext[None], bytes, GraphResult, StateStore]] = {}

    async def main() -> None:
        for name, case in CASES.items():
            items = await record(case)
            produced[name] = (items, *await pump(items))

    anyio.run(main)
    theirs = langchain_adapter(
        [{"name": name, "events": to_json(p[0])} for name, p in produced.items()], RELEASE
    )
    replayed = replay(
        [{"name": n, "body": p[2].decode(), "versions": [RELEASE]} for n, p in produced.items()]
    )
    runs: dict[str, Run] = {}
    for name, (items, ctx, body, result, store) in produced.items():
        assert ctx.record is not None
        ours = ctx.record.to_ui_message(RELEASE)
        client = replayed[name][RELEASE]
        assert client["chunkErrors"] == [], name
        assert client["chat"]["messages"][-1] == ours, name
        adapter = theirs[name]
        assert adapter["error"] is None, (name, adapter["error"])
        assert adapter["schemaErrors"] == [], (name, adapter["schemaErrors"])
        runs[name] = Run(items, ours, parse_sse_json(body), result, store, adapter)
    return runs


@pytest.mark.parametrize("name", ["flat", "subgraphs"])
def test_same_message_as_ai_sdk_langchain(runs: dict[str, Run], name: str) -> None:
    """The UI message equals @ai-sdk/langchain's for the same recorded events."""
    run = runs[name]
    assert comparable(run.ours) == comparable(run.theirs["message"])


def test_ai_5_and_6_show_what_the_record_says(runs: dict[str, Run]) -> None:
    """The same events written for the latest ai 5 and ai 6 (preliminary outputs only where
    every release of the target reads them) replay with record equality too."""
    releases = [FIRST_AND_LATEST[5][1], FIRST_AND_LATEST[6][1]]
    produced: dict[str, tuple[str, StreamContext[None], bytes]] = {}

    async def main() -> None:
        for name, run in runs.items():
            for release in releases:
                ctx, body, _, _ = await pump(run.items, sdk_version=release)
                produced[f"{name}@{release}"] = (release, ctx, body)

    anyio.run(main)
    replayed = replay(
        [
            {"name": key, "body": body.decode(), "versions": [r]}
            for key, (r, _, body) in produced.items()
        ]
    )
    shown = {key: replayed[key][r]["chat"]["messages"][-1] for key, (r, _, _) in produced.items()}
    errors = {key: replayed[key][r]["chunkErrors"] for key, (r, _, _) in produced.items()}
    expected = {
        key: ctx.record.to_ui_message(r) for key, (r, ctx, _) in produced.items() if ctx.record
    }
    assert (shown, errors) == (expected, dict.fromkeys(produced, []))


DATA_PARTS: list[dict[str, Any]] = [
    {
        "type": "data-status",
        "id": "status",
        "data": {"type": "status", "id": "status", "text": "planned"},
    }
]
TRANSIENT: list[dict[str, Any]] = [
    {"type": "data-progress", "data": {"type": "progress", "value": 10}, "transient": True},
    {"type": "data-custom", "data": {"note": "no type, no id"}, "transient": True},
    {"type": "data-custom", "data": "a bare string", "transient": True},
]


@pytest.mark.parametrize("name", ["flat", "subgraphs"])
def test_custom_events_are_data_parts(runs: dict[str, Run], name: str) -> None:
    """``data-<type>``, persistent (updated in place) with an id, transient without."""
    run = runs[name]
    data = [c for c in run.chunks if c["type"].startswith("data-")]
    first = {**DATA_PARTS[0], "data": {**DATA_PARTS[0]["data"], "text": "planning"}}
    assert data == [first, *TRANSIENT, DATA_PARTS[0]]
    assert [p for p in run.ours["parts"] if p["type"].startswith("data-")] == DATA_PARTS


@pytest.mark.parametrize("name", ["flat", "subgraphs"])
def test_tool_progress_is_preliminary_output(runs: dict[str, Run], name: str) -> None:
    """Each ``emit_output_delta`` is a preliminary output; the ToolMessage's content is final."""
    outputs = [c for c in runs[name].chunks if c["type"] == "tool-output-available"]
    assert outputs == [
        {
            "type": "tool-output-available",
            "toolCallId": "c1",
            "output": {"status": "looking up", "city": "Paris"},
            "preliminary": True,
        },
        {
            "type": "tool-output-available",
            "toolCallId": "c1",
            "output": {"status": "almost there", "city": "Paris"},
            "preliminary": True,
        },
        {"type": "tool-output-available", "toolCallId": "c1", "output": "Sunny in Paris"},
    ]
    (part,) = [p for p in runs[name].ours["parts"] if p["type"] == "tool-forecast"]
    assert part["state"] == "output-available" and part["output"] == "Sunny in Paris"
    assert "preliminary" not in part


@pytest.mark.parametrize(("target", "sent"), [(5, 0), ("5.0.11", 2), (6, 2)])
async def test_preliminary_outputs_need_a_client_that_reads_them(
    runs: dict[str, Run], target: int | str, sent: int
) -> None:
    """ai 5 before 5.0.11 has no preliminary outputs: the progress is not sent to ``ai@5``."""
    _, body, _, _ = await pump(runs["flat"].items, target)
    chunks = parse_sse_json(body)
    assert len([c for c in chunks if c.get("preliminary")]) == sent
    final = [c for c in chunks if c["type"] == "tool-output-available" and "preliminary" not in c]
    assert [c["output"] for c in final] == ["Sunny in Paris"]


@pytest.mark.parametrize("name", ["flat", "subgraphs"])
async def test_final_values_are_returned_and_stored(runs: dict[str, Run], name: str) -> None:
    """The root graph's last ``values`` state: returned, and in ``ctx.store`` for on_finish."""
    run = runs[name]
    last = [i for i in run.items if i[-2] == "values" and (len(i) == 2 or i[0] == ())][-1][-1]
    assert run.result.values is last
    assert [m.content for m in last["messages"]] == [
        "Weather in Paris?",
        "Checking.",
        "Sunny in Paris",
        "It is sunny.",
    ]
    assert await run.store.get("langgraph.values") is last
    assert run.result.finish_reason == "stop"
    assert run.result.usage == {"inputTokens": 14, "outputTokens": 7, "totalTokens": 21}


def test_tool_error_is_masked(runs: dict[str, Run]) -> None:
    """A tool's exception: ours is masked (``on_error``'s text); theirs sends the exception's
    message (``tools`` mode), then the text ``ToolNode(handle_tool_errors=True)`` made of it for
    the model (``messages`` mode), which stays in the part. Both may hold server secrets.

    Otherwise the messages are the same (the progress sent before the error included).
    """
    run = runs["tool_error"]
    ours, theirs = comparable(run.ours), comparable(run.theirs["message"])
    (our_tool,) = [p for p in ours["parts"] if p["type"] == "tool-broken"]
    (their_tool,) = [p for p in theirs["parts"] if p["type"] == "tool-broken"]
    assert our_tool["state"] == their_tool["state"] == "output-error"
    assert our_tool["errorText"] == "An error occurred."
    assert their_tool["errorText"] == (
        "Error: RuntimeError('forecast backend down (secret detail)')\n Please fix your mistakes."
    )
    errors = [c for c in run.theirs["chunks"] if c["type"] == "tool-output-error"]
    assert errors[0]["errorText"] == "forecast backend down (secret detail)"
    their_tool["errorText"] = our_tool["errorText"]
    assert ours == theirs
    preliminary = [c for c in run.chunks if c.get("preliminary")]
    assert [c["output"] for c in preliminary] == [{"status": "looking up", "city": "Paris"}]


def test_interrupt(runs: dict[str, Run]) -> None:
    """An approval interrupt (in ``updates`` and in the last ``values``, handled once): the same
    message as theirs but for the approval id, which ours signs (theirs is the tool call id,
    which a client could forge for any call)."""
    run = runs["approval"]
    (request,) = [c for c in run.chunks if c["type"] == "tool-approval-request"]
    verify_approval_id(
        request["approvalId"],
        SECRET,
        chat_id="chat-modes",
        tool_call_id="c1",
        tool_name="forecast",
        input={"city": "Paris"},
    )
    ours, theirs = comparable(run.ours), comparable(run.theirs["message"])
    (our_tool,) = [p for p in ours["parts"] if p["type"] == "tool-forecast"]
    (their_tool,) = [p for p in theirs["parts"] if p["type"] == "tool-forecast"]
    assert our_tool["state"] == their_tool["state"] == "approval-requested"
    assert our_tool["approval"] == {"id": request["approvalId"]}
    assert their_tool["approval"] == {"id": "c1"}
    their_tool["approval"] = our_tool["approval"]
    assert ours == theirs
    assert run.result.finish_reason == "tool-calls"
    assert [m.type for m in run.result.values["messages"]] == ["human", "ai"]


async def test_interrupt_from_values_only(runs: dict[str, Run]) -> None:
    """Without the ``updates`` mode, the interrupt in the last ``values`` state is used."""
    items = [i for i in runs["approval"].items if i[0] != "updates"]
    _, body, result, _ = await pump(items)
    chunks = [c for c in parse_sse_json(body) if c["type"] == "tool-approval-request"]
    assert [c["toolCallId"] for c in chunks] == ["c1"]
    assert result.finish_reason == "tool-calls"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
