"""OpenAI Agents SDK ``Runner.run_streamed`` → UI message stream, replayed through the real clients.

The SDK's own ``agents.testing.ScriptedModel`` answers each model call with the next scripted
step (normalized Responses output items, streamed as the SDK streams them, or exact stream
events); real function tools run, one ``needs_approval``; a triage agent hands off to another.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

import anyio
import pytest
from agents import (
    Agent,
    GuardrailFunctionOutput,
    InputGuardrailTripwireTriggered,
    RunContextWrapper,
    Runner,
    TResponseInputItem,
    function_tool,
    input_guardrail,
    set_tracing_disabled,
)
from agents.stream_events import RawResponsesStreamEvent, RunItemStreamEvent
from agents.testing import ModelCall, ModelStep, ScriptedModel, assistant_message, function_call
from agents.usage import Usage
from openai.types.responses import (
    Response,
    ResponseCodeInterpreterToolCall,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseFileSearchToolCall,
    ResponseFunctionToolCall,
    ResponseFunctionWebSearch,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseReasoningItem,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
    ResponseUsage,
)
from openai.types.responses.mcp_tool_call_error import McpProtocolError
from openai.types.responses.response_code_interpreter_tool_call import OutputLogs
from openai.types.responses.response_file_search_tool_call import Result
from openai.types.responses.response_function_web_search import ActionSearch
from openai.types.responses.response_output_item import ImageGenerationCall, McpCall
from openai.types.responses.response_reasoning_item import Summary
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response as HttpResponse
from starlette.routing import Route

from ai_stream import ChatRequest, StreamContext, StreamRecord, UIMessageStreamResponse
from ai_stream.agent import StreamResult, ToolCallInfo
from ai_stream.integrations.openai_agents import (
    MemoryRunStateStore,
    approved_run_state,
    run_state_key,
    stream_agent_run,
    to_agents_input,
)
from ai_stream.protocol.messages import ToolApprovalDecision
from ai_stream.testing import parse_sse_json
from tests.conformance.client import FIRST_AND_LATEST, NODE_DIR, replay
from tests.helpers import leave_after, serve
from tests.integrations._bridges import (
    LATEST,
    NEXT_STEP,
    START,
    STEP,
    TRIAGE,
    Produced,
    available,
    context,
    end,
    output,
    produce,
    produce_and_replay,
    said,
    usage,
)

set_tracing_disabled(True)

"""ai 5.x, 6.x and 7.x latest."""
SECRET = "openai-agents-test-secret-0123456789"
USAGE = Usage(requests=1, input_tokens=10, output_tokens=5, total_tokens=15)

Script = list[Any]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the Agents SDK runs on asyncio


@function_tool
def weather(city: str) -> dict[str, str]:
    """Weather of a city."""
    return {"city": city, "sky": "sunny"}


@function_tool(needs_approval=True)
def delete_file(path: str) -> str:
    """Delete a file."""
    return f"deleted {path}"


def reasoning(text: str) -> ResponseReasoningItem:
    return ResponseReasoningItem(
        id="rs_1", type="reasoning", summary=[Summary(text=text, type="summary_text")]
    )


def step(*output: Any) -> ModelStep:
    return ModelStep(output=list(output), usage=USAGE)


def agent_for(script: Script, **options: Any) -> Agent[Any]:
    """An agent whose model answers each call with the next step of ``script``."""
    model = ScriptedModel(script)
    billing = Agent(name="Billing", model=model, handoff_description="Invoices and refunds.")
    return Agent(
        name="Triage",
        model=model,
        tools=[weather, delete_file],
        handoffs=[billing],
        **options,
    )


def web_search_stream(call: ModelCall) -> AsyncIterator[ResponseStreamEvent]:
    """A response that runs the hosted web search, then answers (exact stream events)."""
    search = ResponseFunctionWebSearch(
        id="ws_1",
        type="web_search_call",
        status="completed",
        action=ActionSearch(type="search", query="weather in Oslo"),
    )
    answer = assistant_message("Sunny, says the web.", item_id="msg_1")
    response = Response(
        id="resp_ws",
        created_at=0,
        model="scripted",
        object="response",
        output=[search, answer],
        parallel_tool_calls=True,
        tool_choice="auto",
        tools=[],
        status="completed",
        usage=ResponseUsage(
            input_tokens=10,
            output_tokens=5,
            total_tokens=15,
            input_tokens_details=InputTokensDetails(cached_tokens=0, cache_write_tokens=0),
            output_tokens_details=OutputTokensDetails(reasoning_tokens=0),
        ),
    )

    async def events() -> AsyncIterator[ResponseStreamEvent]:
        n = iter(range(100))
        pending = response.model_copy(update={"output": [], "status": "in_progress"})
        yield ResponseCreatedEvent(
            type="response.created", response=pending, sequence_number=next(n)
        )
        for index, item in enumerate(response.output):
            yield ResponseOutputItemAddedEvent(
                type="response.output_item.added",
                item=item,
                output_index=index,
                sequence_number=next(n),
            )
            if item.type == "message":
                yield ResponseTextDeltaEvent(
                    type="response.output_text.delta",
                    item_id="msg_1",
                    output_index=index,
                    content_index=0,
                    delta="Sunny, says the web.",
                    logprobs=[],
                    sequence_number=next(n),
                )
            yield ResponseOutputItemDoneEvent(
                type="response.output_item.done",
                item=item,
                output_index=index,
                sequence_number=next(n),
            )
        yield ResponseCompletedEvent(
            type="response.completed", response=response, sequence_number=next(n)
        )

    return events()


@input_guardrail(run_in_parallel=False)
def no_secrets(
    context: RunContextWrapper[Any], agent: Agent[Any], input: str | list[TResponseInputItem]
) -> GuardrailFunctionOutput:
    """Trips on every input (its info is for the server only)."""
    return GuardrailFunctionOutput(output_info="guardrail secret detail", tripwire_triggered=True)


@dataclass
class Scenario:
    script: Script
    status: str = "ready"
    options: dict[str, Any] | None = None


SCENARIOS: dict[str, Scenario] = {
    "text": Scenario([step(assistant_message("Hello, world."))]),
    "reasoning": Scenario([step(reasoning("Let me think."), assistant_message("Answer."))]),
    "one_tool": Scenario(
        [
            step(
                assistant_message("Checking."),
                function_call("weather", {"city": "Paris"}, call_id="c1"),
            ),
            step(assistant_message("It is sunny.")),
        ]
    ),
    "parallel_tools": Scenario(
        [
            step(
                function_call("weather", {"city": "Paris"}, call_id="c1"),
                function_call("weather", {"city": "Oslo"}, call_id="c2"),
            ),
            step(assistant_message("Both sunny.")),
        ]
    ),
    "handoff": Scenario(
        [
            step(function_call("transfer_to_billing", {}, call_id="h1")),
            step(assistant_message("Billing here.")),
        ]
    ),
    "hosted_tool": Scenario([ModelStep.stream(web_search_stream, usage=USAGE)]),
    "model_error": Scenario(
        [
            step(function_call("weather", {"city": "Oslo"}, call_id="c1")),
            ModelStep.raise_error(RuntimeError("provider exploded (secret detail)")),
        ],
        status="error",
    ),
    "guardrail": Scenario(
        [step(assistant_message("never"))],
        status="error",
        options={"input_guardrails": [no_secrets]},
    ),
}


@pytest.fixture(scope="module")
def conformance() -> dict[str, Produced]:
    async def pump(ctx: StreamContext[Any], scenario: Scenario) -> StreamResult:
        agent = agent_for(scenario.script, **(scenario.options or {}))
        return await stream_agent_run(ctx, Runner.run_streamed(agent, "hi"))

    return produce_and_replay(SCENARIOS, pump)


# --- expected chunks -----------------------------------------------------------------------------


def streamed_call(call_id: str, name: str, input: Any) -> list[dict[str, Any]]:
    text = json.dumps(input, separators=(",", ":"))
    return [
        {"type": "tool-input-start", "toolCallId": call_id, "toolName": name},
        {"type": "tool-input-delta", "toolCallId": call_id, "inputTextDelta": text},
    ]


V7 = FIRST_AND_LATEST[7][1]


def test_text(conformance: dict[str, Produced]) -> None:
    run = conformance[f"text@{V7}"]
    assert run.chunks == [START, TRIAGE, STEP, *said("text-1", "Hello, world."), usage(1), *end()]
    assert run.results[0].finish_reason == "stop"
    assert run.results[0].provider_metadata == {"openai-agents": {"lastAgent": "Triage"}}


def test_reasoning_then_text(conformance: dict[str, Produced]) -> None:
    assert conformance[f"reasoning@{V7}"].chunks == [
        START, TRIAGE, STEP,
        *said("reasoning-1", "Let me think.", kind="reasoning"),
        *said("text-2", "Answer."),
        usage(1),
        *end(),
    ]  # fmt: skip


def test_one_tool(conformance: dict[str, Produced]) -> None:
    run = conformance[f"one_tool@{V7}"]
    assert run.chunks == [
        START, TRIAGE, STEP,
        *said("text-1", "Checking."),
        *streamed_call("c1", "weather", {"city": "Paris"}),
        available("c1", "weather", {"city": "Paris"}),
        output("c1", {"city": "Paris", "sky": "sunny"}),
        *NEXT_STEP,
        *said("text-2", "It is sunny."),
        usage(2),
        *end(),
    ]  # fmt: skip
    assert run.results[0].tool_calls == [ToolCallInfo("c1", "weather", {"city": "Paris"})]


def test_parallel_tools(conformance: dict[str, Produced]) -> None:
    assert conformance[f"parallel_tools@{V7}"].chunks == [
        START, TRIAGE, STEP,
        *streamed_call("c1", "weather", {"city": "Paris"}),
        *streamed_call("c2", "weather", {"city": "Oslo"}),
        available("c1", "weather", {"city": "Paris"}),
        available("c2", "weather", {"city": "Oslo"}),
        output("c1", {"city": "Paris", "sky": "sunny"}),
        output("c2", {"city": "Oslo", "sky": "sunny"}),
        *NEXT_STEP,
        *said("text-1", "Both sunny."),
        usage(2),
        *end(),
    ]  # fmt: skip


def test_handoff(conformance: dict[str, Produced]) -> None:
    """The transfer is a tool call with its output, then a data-handoff part; the new agent's
    answer is the next step, and the metadata names it."""
    run = conformance[f"handoff@{V7}"]
    assert run.chunks == [
        START, TRIAGE, STEP,
        *streamed_call("h1", "transfer_to_billing", {}),
        available("h1", "transfer_to_billing", {}),
        output("h1", {"assistant": "Billing"}),
        {"type": "data-handoff", "data": {"from": "Triage", "to": "Billing"}},
        {"type": "message-metadata", "messageMetadata": {"agent": "Billing"}},
        *NEXT_STEP,
        *said("text-1", "Billing here."),
        usage(2),
        *end(),
    ]  # fmt: skip
    assert run.results[0].provider_metadata == {"openai-agents": {"lastAgent": "Billing"}}
    assert run.ctx.record is not None
    assert run.ctx.record.to_ui_message()["metadata"] == {
        "agent": "Billing",
        "usage": {"inputTokens": 20, "outputTokens": 10, "totalTokens": 30},
    }


def test_hosted_tool_is_provider_executed(conformance: dict[str, Produced]) -> None:
    run = conformance[f"hosted_tool@{V7}"]
    assert run.chunks == [
        START, TRIAGE, STEP,
        *said("text-1", "Sunny, says the web."),
        {"type": "tool-input-available", "toolCallId": "ws_1", "toolName": "web_search",
         "input": {"query": "weather in Oslo", "type": "search"}, "providerExecuted": True},
        output("ws_1", {"status": "completed"}, providerExecuted=True),
        usage(1),
        *end(),
    ]  # fmt: skip
    assert run.results[0].tool_calls == []


def test_model_error_is_masked(conformance: dict[str, Produced]) -> None:
    run = conformance[f"model_error@{V7}"]
    assert run.chunks == [
        START, TRIAGE, STEP,
        *streamed_call("c1", "weather", {"city": "Oslo"}),
        available("c1", "weather", {"city": "Oslo"}),
        output("c1", {"city": "Oslo", "sky": "sunny"}),
        {"type": "error", "errorText": "An error occurred."},
        *end("error"),
    ]  # fmt: skip
    assert b"secret detail" not in run.body
    assert run.results == []


def test_guardrail_trip_is_masked(
    conformance: dict[str, Produced], caplog: pytest.LogCaptureFixture
) -> None:
    run = conformance[f"guardrail@{V7}"]
    assert run.chunks == [
        START, TRIAGE,
        {"type": "error", "errorText": "An error occurred."},
        {"type": "finish", "finishReason": "error"},
    ]  # fmt: skip
    assert b"guardrail secret" not in run.body


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_replays_in_the_real_clients(conformance: dict[str, Produced], name: str) -> None:
    """(The fixture replays every transcript in ai 5, 6 and 7 latest with record equality.)"""
    for release in LATEST:
        run = conformance[f"{name}@{release}"]
        assert run.ctx.record is not None
        expected = [] if SCENARIOS[name].status == "ready" else ["An error occurred."]
        assert run.ctx.record.errors == expected


async def test_guardrail_trip_reaches_on_error() -> None:
    """An app's on_error sees the tripwire exception (and may say so); the stream gets its text."""
    seen: list[BaseException] = []

    def on_error(error: BaseException) -> str:
        seen.append(error)
        if isinstance(error, InputGuardrailTripwireTriggered):
            return "That request is not allowed."
        return "An error occurred."

    async def work(ctx: StreamContext[Any]) -> None:
        agent = agent_for([step(assistant_message("never"))], input_guardrails=[no_secrets])
        await stream_agent_run(ctx, Runner.run_streamed(agent, "hi"))

    body = await produce(work, context(7, on_error=on_error))
    assert {"type": "error", "errorText": "That request is not allowed."} in parse_sse_json(body)
    assert [type(e) for e in seen] == [InputGuardrailTripwireTriggered]


async def test_disconnect_cancels_the_run() -> None:
    closed = anyio.Event()
    gate = anyio.Event()
    runs: list[Any] = []

    def hanging(call: ModelCall) -> AsyncIterator[ResponseStreamEvent]:
        async def events() -> AsyncIterator[ResponseStreamEvent]:
            try:
                async for event in web_search_stream(call):
                    if event.type == "response.output_text.delta":
                        yield event
                        await gate.wait()  # the provider hangs; the client goes away
                    elif event.type != "response.output_item.added":
                        yield event
            finally:
                closed.set()

        return events()

    async def work(ctx: StreamContext[Any]) -> None:
        result = Runner.run_streamed(agent_for([ModelStep.stream(hanging)]), "hi")
        runs.append(result)
        await stream_agent_run(ctx, result)

    ctx = context(7)
    await ctx.run(work)
    await leave_after(ctx, b"Sunny")
    with anyio.fail_after(5):
        await closed.wait()
    assert ctx.record is not None and ctx.record.aborted
    assert runs[0].is_complete
    assert runs[0].run_loop_task is None or runs[0].run_loop_task.done()


async def test_arguments_that_are_not_json_fail_the_input() -> None:
    """The call's input fails; the error output the SDK gives the model is not sent."""
    broken = ResponseFunctionToolCall(
        type="function_call", id="fc_1", call_id="c1", name="weather", arguments='{"city": '
    )
    agent = agent_for([step(broken), step(assistant_message("Sorry, which city?"))])

    async def work(ctx: StreamContext[Any]) -> None:
        await stream_agent_run(ctx, Runner.run_streamed(agent, "weather"))

    assert parse_sse_json(await produce(work, context(7))) == [
        START, TRIAGE, STEP,
        {"type": "tool-input-start", "toolCallId": "c1", "toolName": "weather"},
        {"type": "tool-input-delta", "toolCallId": "c1", "inputTextDelta": '{"city": '},
        {"type": "tool-input-error", "toolCallId": "c1", "toolName": "weather",
         "input": '{"city": ', "errorText": "Invalid tool input."},
        *NEXT_STEP,
        *said("text-1", "Sorry, which city?"),
        usage(2),
        *end(),
    ]  # fmt: skip
    assert "An error occurred while running the tool" in json.dumps(model_input(agent))


# --- approvals -------------------------------------------------------------------------------


def first_request() -> ChatRequest:
    return ChatRequest.parse(
        {
            "id": "chat-oa",
            "trigger": "submit-message",
            "messages": [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "rm"}]}],
        }
    )


APPROVAL_SCRIPT: Script = [
    step(
        assistant_message("Deleting."),
        function_call("delete_file", {"path": "/tmp/x"}, call_id="c1"),
    ),
]


def model_input(agent: Agent[Any]) -> Any:
    """The input of the last call of the agent's scripted model."""
    assert isinstance(agent.model, ScriptedModel) and agent.model.last_call is not None
    return agent.model.last_call.input


@pytest.mark.parametrize("approved", [True, False])
async def test_approval_roundtrip(approved: bool) -> None:
    script = [*APPROVAL_SCRIPT, step(assistant_message("Done." if approved else "Kept it."))]
    agent = agent_for(script)
    states = MemoryRunStateStore()
    request = first_request()
    first: StreamContext[None] = StreamContext.for_request(
        request, sdk_version=7, collect=True, approval_secret=SECRET
    )

    async def ask(ctx: StreamContext[Any]) -> None:
        history = to_agents_input(request.messages)
        run = Runner.run_streamed(agent, history)
        result = await stream_agent_run(ctx, run, state_store=states)
        assert result.finish_reason == "tool-calls"

    body = await produce(ask, first)
    chunks = parse_sse_json(body)
    approval = chunks[-4]
    assert chunks == [
        {"type": "start", "messageId": first.message_id},
        TRIAGE, STEP,
        *said("text-1", "Deleting."),
        *streamed_call("c1", "delete_file", {"path": "/tmp/x"}),
        available("c1", "delete_file", {"path": "/tmp/x"}),
        {"type": "tool-approval-request", "approvalId": approval["approvalId"],
         "toolCallId": "c1"},
        usage(1),
        *end("tool-calls"),
    ]  # fmt: skip
    assert len(states) == 1
    assert first.record is not None
    message = first.record.to_ui_message()
    assert message["parts"][-1]["state"] == "approval-requested"

    tool_part = dict(message["parts"][-1])
    tool_part["state"] = "approval-responded"
    tool_part["approval"] = {"id": approval["approvalId"], "approved": approved}
    if not approved:
        tool_part["approval"]["reason"] = "not that file"
    follow_up = ChatRequest.parse(
        {
            "id": "chat-oa",
            "trigger": "submit-message",
            "messageId": message["id"],
            "messages": [
                request.messages[0].to_dict(),
                {**message, "parts": [*message["parts"][:-1], tool_part]},
            ],
        }
    )
    second: StreamContext[None] = StreamContext.for_request(
        follow_up, sdk_version=7, collect=True, approval_secret=SECRET
    )
    assert run_state_key(second) == run_state_key(first)

    async def resume(ctx: StreamContext[Any]) -> None:
        decisions = ctx.tool_approvals(follow_up)
        state = await approved_run_state(ctx, agent, decisions, states)
        assert state is not None
        await stream_agent_run(ctx, Runner.run_streamed(agent, state), approvals=decisions)

    body2 = await produce(resume, second)
    assert parse_sse_json(body2) == [
        {"type": "start", "messageId": message["id"]},
        TRIAGE,
        output("c1", "deleted /tmp/x") if approved
        else {"type": "tool-output-denied", "toolCallId": "c1"},
        STEP,
        *said("text-1", "Done." if approved else "Kept it."),
        usage(2),  # the run's usage: both model calls
        *end(),
    ]  # fmt: skip
    sent = json.dumps(model_input(agent))  # what the model got for the call
    assert ("deleted /tmp/x" in sent) is approved
    assert ("not that file" in sent) is not approved
    assert len(states) == 0  # a state resumes once
    assert second.record is not None
    final = second.record.to_ui_message()
    assert final["id"] == message["id"]
    part = next(p for p in final["parts"] if p.get("toolCallId") == "c1")
    if approved:
        assert (part["state"], part["output"]) == ("output-available", "deleted /tmp/x")
    else:
        assert part["state"] == "output-denied"
    assert final["parts"][-1]["text"] == ("Done." if approved else "Kept it.")
    releases = [FIRST_AND_LATEST[6][1], V7]
    replayed = replay(
        [
            {"name": "ask", "body": body.decode(), "versions": releases},
            {"name": "resume", "body": body2.decode(), "versions": [V7]},
        ]
    )
    for release in releases:
        assert replayed["ask"][release]["chunkErrors"] == []
        assert replayed["ask"][release]["chat"]["messages"][-1] == first.record.to_ui_message(
            release
        )
    assert replayed["resume"][V7]["chunkErrors"] == []


async def test_no_saved_state_means_no_resume() -> None:
    ctx = StreamContext.for_request(first_request(), approval_secret=SECRET)
    agent = agent_for([])
    assert await approved_run_state(ctx, agent, [], MemoryRunStateStore()) is None


def test_run_state_key_needs_the_chat_id() -> None:
    with pytest.raises(ValueError, match="chat id"):
        run_state_key(StreamContext())


async def test_a_call_without_a_decision_stays_pending() -> None:
    """Two calls wait; the follow-up decides one: it runs, the other keeps its approval request
    and the run is saved again, so that the user's later answer resumes it."""
    script = [
        step(
            function_call("delete_file", {"path": "/a"}, call_id="c1"),
            function_call("delete_file", {"path": "/b"}, call_id="c2"),
        ),
        step(assistant_message("Both deleted.")),
    ]
    agent = agent_for(script)
    states = MemoryRunStateStore()
    request = first_request()

    async def answer(
        ctx: StreamContext[Any], follow_up: ChatRequest, results: list[StreamResult]
    ) -> None:
        decisions = ctx.tool_approvals(follow_up)
        state = await approved_run_state(ctx, agent, decisions, states)
        assert state is not None
        run = Runner.run_streamed(agent, state)
        results.append(await stream_agent_run(ctx, run, approvals=decisions, state_store=states))

    def approve(message: dict[str, Any], call_id: str) -> ChatRequest:
        parts = [dict(p) for p in message["parts"]]
        part = next(p for p in parts if p.get("toolCallId") == call_id)
        part["state"] = "approval-responded"
        part["approval"] = {"id": part["approval"]["id"], "approved": True}
        return ChatRequest.parse(
            {
                "id": "chat-oa",
                "trigger": "submit-message",
                "messageId": message["id"],
                "messages": [request.messages[0].to_dict(), {**message, "parts": parts}],
            }
        )

    first: StreamContext[None] = StreamContext.for_request(
        request, sdk_version=7, collect=True, approval_secret=SECRET
    )

    async def ask(ctx: StreamContext[Any]) -> None:
        await stream_agent_run(ctx, Runner.run_streamed(agent, "rm"), state_store=states)

    chunks = parse_sse_json(await produce(ask, first))
    assert [c["toolCallId"] for c in chunks if c["type"] == "tool-approval-request"] == ["c1", "c2"]
    assert first.record is not None
    message = first.record.to_ui_message()
    c2_approval = message["parts"][-1]["approval"]

    follow_up = approve(message, "c1")  # c2 is not answered yet
    second: StreamContext[None] = StreamContext.for_request(
        follow_up, sdk_version=7, collect=True, approval_secret=SECRET
    )
    results: list[StreamResult] = []
    body = await produce(lambda ctx: answer(ctx, follow_up, results), second)
    assert parse_sse_json(body) == [
        {"type": "start", "messageId": message["id"]},
        TRIAGE,
        output("c1", "deleted /a"),
        usage(1),
        {"type": "finish", "finishReason": "tool-calls"},
    ]
    assert results[0].finish_reason == "tool-calls"
    assert len(states) == 1  # saved again
    assert second.record is not None
    message = second.record.to_ui_message()
    c2 = message["parts"][-1]
    assert (c2["toolCallId"], c2["state"]) == ("c2", "approval-requested")
    assert c2["approval"] == c2_approval  # the request the user has yet to answer

    last = approve(message, "c2")
    third: StreamContext[None] = StreamContext.for_request(
        last, sdk_version=7, collect=True, approval_secret=SECRET
    )
    body = await produce(lambda ctx: answer(ctx, last, results), third)
    assert parse_sse_json(body) == [
        {"type": "start", "messageId": message["id"]},
        TRIAGE,
        output("c2", "deleted /b"),
        STEP,
        *said("text-1", "Both deleted."),
        usage(2),
        *end(),
    ]
    assert len(states) == 0


# --- history ---------------------------------------------------------------------------------


def test_history_to_agents_input() -> None:
    """Responses input items: text, the handoff and tool calls with their outputs; data parts,
    provider-executed calls and pending approvals are left out."""
    messages: list[dict[str, Any]] = [
        {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Refund please"}]},
        {
            "id": "a1",
            "role": "assistant",
            "parts": [
                {"type": "step-start"},
                {"type": "tool-transfer_to_billing", "toolCallId": "h1",
                 "state": "output-available", "input": {}, "output": {"assistant": "Billing"}},
                {"type": "data-handoff", "data": {"from": "Triage", "to": "Billing"}},
                {"type": "step-start"},
                {"type": "tool-web_search", "toolCallId": "ws_1", "state": "output-available",
                 "input": {"query": "q"}, "output": {}, "providerExecuted": True},
                {"type": "text", "text": "Which order?", "state": "done"},
                {"type": "tool-delete_file", "toolCallId": "c1", "state": "output-denied",
                 "input": {"path": "/x"},
                 "approval": {"id": "a", "approved": False, "reason": "no"}},
            ],
        },
    ]  # fmt: skip
    assert to_agents_input(messages) == [
        {"role": "user", "content": [{"type": "input_text", "text": "Refund please"}]},
        {"type": "function_call", "call_id": "h1", "name": "transfer_to_billing",
         "arguments": "{}"},
        {"type": "function_call_output", "call_id": "h1", "output": '{"assistant":"Billing"}'},
        {"role": "assistant", "content": "Which order?"},
        {"type": "function_call", "call_id": "c1", "name": "delete_file",
         "arguments": '{"path":"/x"}'},
        {"type": "function_call_output", "call_id": "c1",
         "output": "Tool call execution denied. Reason: no"},
    ]  # fmt: skip


async def test_history_runs_through_the_sdk() -> None:
    """The converted history is input the SDK and its model take as is."""
    model = ScriptedModel([step(assistant_message("Refunded."))])
    agent: Agent[Any] = Agent(name="Billing", model=model)
    items = to_agents_input(
        [
            {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Refund"}]},
            {"id": "a1", "role": "assistant", "parts": [
                {"type": "tool-weather", "toolCallId": "c1", "state": "output-available",
                 "input": {"city": "Oslo"}, "output": {"sky": "grey"}},
                {"type": "text", "text": "Grey.", "state": "done"},
            ]},
            {"id": "u2", "role": "user", "parts": [{"type": "text", "text": "Now refund"}]},
        ]
    )  # fmt: skip
    result = await Runner.run(agent, items)
    assert result.final_output == "Refunded."
    sent = model.calls[0].input
    assert [item.get("type") or item.get("role") for item in sent] == [
        "user", "function_call", "assistant", "function_call_output", "user",
    ]  # fmt: skip


def test_without_the_sdk_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "agents", None)  # as if it were not installed

    async def main() -> None:
        agent: Any = None
        await approved_run_state(StreamContext(chat_id="c"), agent, [], MemoryRunStateStore())

    with pytest.raises(ImportError) as info:
        anyio.run(main)
    assert "pip install 'ai-stream[openai-agents]'" in str(info.value)


# --- the approval round trip through the real AbstractChat (ai 6 and 7) ---------------------------

STATES = MemoryRunStateStore()
records: list[StreamRecord] = []


async def chat_endpoint(request: Request) -> HttpResponse:
    body = ChatRequest.parse(await request.body())
    ctx: StreamContext[None] = StreamContext.for_request(
        body,
        sdk_version=request.query_params["sdk"],
        collect=True,
        approval_secret=SECRET,
        on_finish=records.append,
    )

    async def work(ctx: StreamContext[Any]) -> None:
        decisions = ctx.tool_approvals(body)
        resuming = bool(decisions)
        # a new agent per request, as a server builds it; the script answers this request
        agent = agent_for(
            [step(assistant_message("Done." if decisions[0].approved else "Kept it."))]
            if resuming
            else APPROVAL_SCRIPT
        )
        state = await approved_run_state(ctx, agent, decisions, STATES) if resuming else None
        run = Runner.run_streamed(agent, state or to_agents_input(body.messages))
        await stream_agent_run(ctx, run, approvals=decisions, state_store=STATES)

    await ctx.run(work)
    return UIMessageStreamResponse(ctx)


@pytest.mark.parametrize("flow", ["approve", "deny"])
@pytest.mark.parametrize("release", [FIRST_AND_LATEST[6][1], V7])
async def test_approval_through_the_real_chat(release: str, flow: str) -> None:
    node = shutil.which("node")
    assert node is not None
    app = Starlette(routes=[Route("/api/chat", chat_endpoint, methods=["POST"])])
    async with serve(app) as server:
        result = await anyio.run_process(
            [node, "roundtrip.mjs", "--url", f"{server.url}/api/chat?sdk={release}",
             "--version", release, "--flow", flow, "--chat-id", f"oa-{release}-{flow}"],
            cwd=NODE_DIR,
            check=False,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    outcome = json.loads(result.stdout)
    assert (outcome["status"], len(outcome["requests"])) == ("ready", 2)
    [message] = [m for m in outcome["messages"] if m["role"] == "assistant"]
    part = next(p for p in message["parts"] if p["type"] == "tool-delete_file")
    approved = flow == "approve"
    assert part["state"] == ("output-available" if approved else "output-denied")
    assert part["approval"]["approved"] is approved
    assert message["parts"][-1] == {
        "type": "text", "text": "Done." if approved else "Kept it.", "state": "done",
    }  # fmt: skip
    assert message["metadata"]["usage"]["totalTokens"] == 30
    assert records[-1].to_ui_message(release) == message
    assert len(STATES) == 0


# --- more shapes, made by hand: hosted tools, MCP, shell calls, refusals, citations … -------------


def ns(**fields: Any) -> SimpleNamespace:
    return SimpleNamespace(**fields)


def raw(type: str, **fields: Any) -> RawResponsesStreamEvent:
    return RawResponsesStreamEvent(data=cast(Any, ns(type=type, **fields)))


def item(name: str, raw_item: Any, **fields: Any) -> RunItemStreamEvent:
    return RunItemStreamEvent(name=cast(Any, name), item=cast(Any, ns(raw_item=raw_item, **fields)))


def added(call_id: str, name: str, *deltas: str) -> list[RawResponsesStreamEvent]:
    call = ns(type="function_call", id=f"fc_{call_id}", call_id=call_id, name=name)
    return [
        raw("response.output_item.added", item=call),
        *(raw("response.function_call_arguments.delta", item_id=f"fc_{call_id}", delta=d)
          for d in deltas),
    ]  # fmt: skip


class FakeRun:
    """The parts of ``RunResultStreaming`` the pump uses, around given events."""

    def __init__(self, events: list[Any], interruptions: list[Any], usage: Any) -> None:
        self.events = events
        self.interruptions = interruptions
        self.context_wrapper = ns(usage=usage)
        self.is_complete = False
        self.cancelled = False

    async def stream_events(self) -> AsyncIterator[Any]:
        for event in self.events:
            yield event
        self.is_complete = True

    def cancel(self) -> None:
        self.cancelled = True

    def to_state(self) -> Any:
        return ns(to_json=lambda: {"state": "saved"})


HOSTED_CALLS = [
    ResponseFileSearchToolCall(
        id="fs_1", queries=["refunds"], status="completed", type="file_search_call",
        results=[Result(file_id="f1", text="Refunds take 3 days.", score=0.5)],
    ),
    ResponseCodeInterpreterToolCall(
        id="ci_1", code="1+1", container_id="cnt", status="completed",
        type="code_interpreter_call", outputs=[OutputLogs(type="logs", logs="2")],
    ),
    ImageGenerationCall(id="ig_1", result="aGk=", status="completed", type="image_generation_call"),
    McpCall(id="mcp_1", arguments='{"q": "x"}', name="lookup", server_label="docs",
            type="mcp_call", output="found"),
    McpCall(id="mcp_2", arguments="not json", name="lookup", server_label="docs",
            type="mcp_call", error=McpProtocolError(type="mcp_protocol_error", code=1,
                                  message="docs server down (secret token)")),
]  # fmt: skip


def hand_made() -> FakeRun:
    events: list[Any] = [
        raw("response.created"),
        raw("response.reasoning_text.delta", delta="Raw thoughts."),
        raw("response.reasoning_summary_part.done"),
        raw("response.refusal.delta", delta="I cannot say."),
        raw("response.output_text.annotation.added", item_id="msg_1", annotation_index=0,
            annotation=ns(type="url_citation", url="https://example.com/a", title="A")),
        raw("response.output_text.annotation.added", item_id="msg_1", annotation_index=1,
            annotation=ns(type="file_citation", file_id="f1")),
        raw("response.output_item.done", item=ns(type="message")),
        *added("c1", "weather", '{"city": '),  # invalid JSON at the end
        *added("c2", "weather", '{"city": "Oslo"}'),  # no tool_called (cancelled turn)
        *added("c3", "weather", '{"city"'),  # no tool_called, invalid
        item("tool_called", ns(type="function_call", call_id="c1", name="weather",
                               arguments='{"city": ')), 
        *(item("tool_called", call) for call in HOSTED_CALLS),
        item("tool_called", {"type": "local_shell_call", "id": "ls_1", "call_id": "sh1",
                             "action": {"command": ["ls"]}}, tool_name="shell", call_id="sh1"),
        item("tool_called", ns(type="function_call", call_id="c4", name="echo", arguments="oops")),
        item("tool_output", {"call_id": "sh1", "type": "local_shell_call_output"}, output="a b"),
        item("tool_output", {"call_id": "nope"}, output="lost"),  # an unknown call: not sent
        item("tool_output", {"call_id": "c4"}, output="denied by the user"),
        raw("response.incomplete",
            response=ns(incomplete_details=ns(reason="max_output_tokens"))),
    ]  # fmt: skip
    interruption = ns(call_id="c5", name="delete_file", arguments='{"path": "/x"}')
    usage = Usage(
        requests=1,
        input_tokens=10,
        output_tokens=5,
        total_tokens=15,
        input_tokens_details=InputTokensDetails(cached_tokens=4, cache_write_tokens=0),
        output_tokens_details=OutputTokensDetails(reasoning_tokens=2),
    )
    return FakeRun(events, [interruption], usage)


def reveal_nothing(error: BaseException) -> str:
    return "Masked."


@pytest.fixture(scope="module")
def shapes() -> dict[str, Produced]:
    produced: dict[str, Produced] = {}

    async def main() -> None:
        for release in LATEST:
            results: list[StreamResult] = []
            states = MemoryRunStateStore()

            async def work(
                ctx: StreamContext[Any],
                results: list[StreamResult] = results,
                states: MemoryRunStateStore = states,
            ) -> None:
                run = cast(Any, hand_made())
                denied = [ToolApprovalDecision("c4", "echo", "oops", False, None, "a")]
                results.append(
                    await stream_agent_run(ctx, run, approvals=denied, state_store=states)
                )
                assert run.is_complete and not run.cancelled
                assert await states.take("chat-oa/msg") == {"state": "saved"}

            ctx = context(release, on_error=reveal_nothing, chat_id="chat-oa",
                          approval_secret=SECRET)  # fmt: skip
            produced[release] = Produced(ctx, await produce(work, ctx), results)

    anyio.run(main)
    replayed = replay(
        [{"name": r, "body": run.body.decode(), "versions": [r]} for r, run in produced.items()]
    )
    for release, run in produced.items():
        result = replayed[release][release]
        assert result["chunkErrors"] == [], release
        assert result["chat"]["status"] == "ready", release
        assert run.ctx.record is not None
        assert result["chat"]["messages"][-1] == run.ctx.record.to_ui_message(release), release
    return produced


def hosted(call_id: str, name: str, input: Any, out: Any, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"type": "tool-input-available", "toolCallId": call_id, "toolName": name, "input": input,
         "providerExecuted": True, **extra},
        output(call_id, out, providerExecuted=True),
    ]  # fmt: skip


def test_hand_made_shapes(shapes: dict[str, Produced]) -> None:
    """Raw reasoning text and refusals; URL citations as sources (others left out); arguments
    that are not JSON fail their input, also when no ``tool_called`` came; hosted tools with
    their inputs and outputs, MCP calls (their error masked); a local shell call and its output;
    a rejected call's output as a denial; an interruption no event announced; the incomplete
    reason; usage with reasoning and cached tokens."""
    run = shapes[V7]
    mcp = {"dynamic": True, "title": "docs"}
    assert run.chunks == [
        START, STEP,
        *said("reasoning-1", "Raw thoughts.", kind="reasoning"),
        {"type": "text-start", "id": "text-2"},
        {"type": "text-delta", "id": "text-2", "delta": "I cannot say."},
        {"type": "source-url", "sourceId": "msg_1-0", "url": "https://example.com/a",
         "title": "A"},
        {"type": "text-end", "id": "text-2"},
        *streamed_call("c1", "weather", '{"city": ')[:1],
        {"type": "tool-input-delta", "toolCallId": "c1", "inputTextDelta": '{"city": '},
        *streamed_call("c2", "weather", {})[:1],
        {"type": "tool-input-delta", "toolCallId": "c2", "inputTextDelta": '{"city": "Oslo"}'},
        *streamed_call("c3", "weather", {})[:1],
        {"type": "tool-input-delta", "toolCallId": "c3", "inputTextDelta": '{"city"'},
        {"type": "tool-input-error", "toolCallId": "c1", "toolName": "weather",
         "input": '{"city": ', "errorText": "Invalid tool input."},
        *hosted("fs_1", "file_search", {"queries": ["refunds"]},
                {"status": "completed", "results": [
                    {"file_id": "f1", "score": 0.5, "text": "Refunds take 3 days."}]}),
        *hosted("ci_1", "code_interpreter", {"code": "1+1", "containerId": "cnt"},
                {"status": "completed", "outputs": [{"logs": "2", "type": "logs"}]}),
        *hosted("ig_1", "image_generation", {}, {"result": "aGk=", "status": "completed"}),
        *hosted("mcp_1", "lookup", {"q": "x"}, "found", **mcp)[:1],
        output("mcp_1", "found", providerExecuted=True, dynamic=True),
        *hosted("mcp_2", "lookup", "not json", None, **mcp)[:1],
        {"type": "tool-output-error", "toolCallId": "mcp_2", "errorText": "Masked.",
         "providerExecuted": True, "dynamic": True},
        available("sh1", "shell", {"action": {"command": ["ls"]}}),
        available("c4", "echo", "oops"),
        output("sh1", "a b"),
        {"type": "tool-output-denied", "toolCallId": "c4"},
        available("c2", "weather", {"city": "Oslo"}),
        {"type": "tool-input-error", "toolCallId": "c3", "toolName": "weather",
         "input": '{"city"', "errorText": "Invalid tool input."},
        available("c5", "delete_file", {"path": "/x"}),
        {"type": "tool-approval-request", "approvalId": run.chunks[-4]["approvalId"],
         "toolCallId": "c5"},
        {"type": "message-metadata", "messageMetadata": {"usage": {
            "inputTokens": 10, "outputTokens": 5, "totalTokens": 15,
            "reasoningTokens": 2, "cachedInputTokens": 4}}},
        *end("tool-calls"),
    ]  # fmt: skip
    assert b"secret token" not in run.body
    result = run.results[0]
    assert [call.tool_call_id for call in result.tool_calls] == ["sh1", "c4", "c5"]
    assert result.provider_metadata == {"openai-agents": {"lastAgent": None}}


def test_hand_made_shapes_on_ai_5(shapes: dict[str, Produced]) -> None:
    """ai 5 has no approvals nor denials: the interrupted call is left input-available, the
    rejected call's output is the SDK's text."""
    chunks = shapes[FIRST_AND_LATEST[5][1]].chunks
    assert {"type": "tool-output-denied", "toolCallId": "c4"} not in chunks
    assert output("c4", "denied by the user") in chunks
    assert not any(c["type"] == "tool-approval-request" for c in chunks)
    assert chunks[-4:] == [
        available("c5", "delete_file", {"path": "/x"}),
        {"type": "message-metadata", "messageMetadata": {"usage": {
            "inputTokens": 10, "outputTokens": 5, "totalTokens": 15,
            "reasoningTokens": 2, "cachedInputTokens": 4}}},
        *end("tool-calls"),
    ]  # fmt: skip


async def test_a_run_without_usage_keeps_its_incomplete_reason() -> None:
    incomplete = ns(incomplete_details=ns(reason="x"))
    events = [
        raw("response.created"),
        raw("response.output_text.delta", delta="Trunc"),
        raw("response.incomplete", response=incomplete),
    ]
    results: list[StreamResult] = []

    async def work(ctx: StreamContext[Any]) -> None:
        results.append(await stream_agent_run(ctx, cast(Any, FakeRun(events, [], None))))

    chunks = parse_sse_json(await produce(work, context(7)))
    assert chunks == [START, STEP, *said("text-1", "Trunc"), *end()]  # (ctx.run finishes)
    assert (results[0].usage, results[0].finish_reason) == (None, "other")


async def run_events(
    events: list[Any], *, interruptions: Sequence[Any] = (), usage: Any = None, **options: Any
) -> tuple[list[dict[str, Any]], StreamResult, StreamContext[Any]]:
    """The chunks, the result and the context of a hand-made run."""
    results: list[StreamResult] = []

    async def work(ctx: StreamContext[Any]) -> None:
        run = cast(Any, FakeRun(events, list(interruptions), usage))
        results.append(await stream_agent_run(ctx, run))

    ctx = context(V7, **options)
    chunks = parse_sse_json(await produce(work, ctx))
    return chunks, results[0], ctx


async def test_empty_deltas_and_unknown_events_send_nothing() -> None:
    """Empty text, reasoning and argument deltas open no part; arguments of an item no
    ``output_item.added`` announced, and events of a kind the bridge does not know, are passed
    over."""
    chunks, result, _ = await run_events(
        [
            raw("response.created"),
            raw("response.output_text.delta", delta=""),
            raw("response.reasoning_summary_text.delta", delta=""),
            *added("c1", "weather", ""),
            raw("response.function_call_arguments.delta", item_id="fc_unknown", delta='{"a"'),
            ns(type="a_future_stream_event"),
            item("tool_called", ns(type="function_call", call_id="c1", name="weather",
                                   arguments="")),
            item("tool_output", {"call_id": "c1"}, output="sunny"),
        ]
    )  # fmt: skip
    assert chunks == [
        START, STEP,
        {"type": "tool-input-start", "toolCallId": "c1", "toolName": "weather"},
        available("c1", "weather", {}),
        output("c1", "sunny"),
        *end(),
    ]  # fmt: skip
    assert result.tool_calls == [ToolCallInfo("c1", "weather", {})]


async def test_items_of_a_continued_message_are_not_sent_again() -> None:
    """Calls the continued message shows (a function call, a hosted and an MCP call) are not
    announced again when the resumed run emits them; the function call's output completes
    it."""
    continued = {"id": "a1", "role": "assistant", "parts": [
        {"type": "step-start"},
        {"type": "tool-web_search", "toolCallId": "ws_1", "state": "output-available",
         "input": {"query": "q"}, "output": {"status": "completed"}, "providerExecuted": True},
        {"type": "dynamic-tool", "toolName": "lookup", "toolCallId": "mcp_1",
         "state": "output-available", "input": {"q": "x"}, "output": "found",
         "providerExecuted": True},
        {"type": "tool-delete_file", "toolCallId": "c1", "state": "approval-responded",
         "input": {"path": "/x"}, "approval": {"id": "a", "approved": True}},
    ]}  # fmt: skip
    search = ResponseFunctionWebSearch(
        id="ws_1", type="web_search_call", status="completed",
        action=ActionSearch(type="search", query="q"),
    )  # fmt: skip
    chunks, result, ctx = await run_events(
        [
            *added("c1", "delete_file", '{"path": "/x"}'),
            item("tool_called", ns(type="function_call", call_id="c1", name="delete_file",
                                   arguments='{"path": "/x"}')),
            item("tool_called", search),
            item("tool_called", HOSTED_CALLS[3]),  # mcp_1
            item("tool_output", {"call_id": "c1"}, output="deleted /x"),
        ],
        continue_message=continued,
    )  # fmt: skip
    assert chunks == [
        {"type": "start", "messageId": "a1"},
        output("c1", "deleted /x"),
        {"type": "finish", "finishReason": "stop"},
    ]
    assert result.tool_calls == []
    assert ctx.record is not None
    assert ctx.record.to_ui_message()["parts"][1:3] == continued["parts"][1:3]


@pytest.mark.parametrize(
    ("handoff_output", "shown"),
    [
        ({"assistant": "Billing"}, {"assistant": "Billing"}),
        ("Over to Billing.", "Over to Billing."),
    ],
    ids=["object", "text"],
)
async def test_handoff_output_that_is_not_json_text(handoff_output: Any, shown: Any) -> None:
    """The handoff call's output is shown as the SDK gave it when it is not JSON text."""
    chunks, _, _ = await run_events(
        [
            item("handoff_requested", ns(type="function_call", call_id="h1",
                                         name="transfer_to_billing", arguments="{}")),
            item("handoff_occured", {"call_id": "h1", "output": handoff_output},
                 source_agent=ns(name="Triage"), target_agent=ns(name="Billing")),
        ]
    )  # fmt: skip
    assert chunks == [
        START, STEP,
        available("h1", "transfer_to_billing", {}),
        output("h1", shown),
        {"type": "data-handoff", "data": {"from": "Triage", "to": "Billing"}},
        *end(),
    ]  # fmt: skip


async def test_a_handoff_whose_call_was_not_announced_still_says_who_took_over() -> None:
    chunks, _, _ = await run_events(
        [
            item("handoff_occured", {"call_id": "h9", "output": '{"assistant": "Billing"}'},
                 source_agent=ns(name="Triage"), target_agent=ns(name="Billing")),
        ]
    )  # fmt: skip
    assert chunks == [
        START,
        {"type": "data-handoff", "data": {"from": "Triage", "to": "Billing"}},
        {"type": "finish", "finishReason": "stop"},
    ]


async def test_agent_metadata_is_sent_when_the_agent_changes() -> None:
    def updated(agent: Any) -> Any:
        return ns(type="agent_updated_stream_event", new_agent=agent)

    chunks, result, _ = await run_events(
        [updated(ns(name="Triage")), updated(ns(name="Triage")), updated(ns(name=None)),
         updated(ns(name="Billing"))]
    )  # fmt: skip
    assert chunks == [
        START,
        TRIAGE,
        {"type": "message-metadata", "messageMetadata": {"agent": "Billing"}},
        {"type": "finish", "finishReason": "stop"},
    ]
    assert result.provider_metadata == {"openai-agents": {"lastAgent": "Billing"}}


async def test_an_interruption_whose_arguments_are_not_json() -> None:
    """The call is shown with its arguments as text, and its approval is requested."""
    interruption = ns(call_id="c5", name="run_command", arguments="rm -rf /tmp/x")
    chunks, result, _ = await run_events(
        [], interruptions=[interruption], chat_id="chat-oa", approval_secret=SECRET
    )
    assert chunks == [
        START, STEP,
        available("c5", "run_command", "rm -rf /tmp/x"),
        {"type": "tool-approval-request", "approvalId": chunks[3]["approvalId"],
         "toolCallId": "c5"},
        *end("tool-calls"),
    ]  # fmt: skip
    assert result.tool_calls == [ToolCallInfo("c5", "run_command", "rm -rf /tmp/x")]


async def test_a_usage_without_tokens_is_no_usage() -> None:
    chunks, result, _ = await run_events(
        [raw("response.created"), raw("response.output_text.delta", delta="Hi.")],
        usage=Usage(requests=1),
    )
    assert chunks == [START, STEP, *said("text-1", "Hi."), *end()]
    assert result.usage is None


async def test_an_error_mid_run_cancels_the_run() -> None:
    """The SDK's run is cancelled (its model call and tools stop); the error is masked."""

    class FailingRun(FakeRun):
        async def stream_events(self) -> AsyncIterator[Any]:
            yield raw("response.created")
            yield raw("response.output_text.delta", delta="Hel")
            raise RuntimeError("connection lost (secret detail)")

    run = FailingRun([], [], None)

    async def work(ctx: StreamContext[Any]) -> None:
        await stream_agent_run(ctx, cast(Any, run))

    body = await produce(work, context(7))
    assert parse_sse_json(body) == [
        START, STEP, *said("text-1", "Hel"),
        {"type": "error", "errorText": "An error occurred."},
        *end("error"),
    ]  # fmt: skip
    assert run.cancelled
    assert b"secret detail" not in body
