"""Google ADK ``Runner.run_async`` → UI message stream, replayed through the real clients.

ADK's own model hook: a ``BaseLlm`` subclass answers each model call with the next scripted
turn (``partial=True`` chunks, then the final response, as SSE streaming does); real function
tools run (one with ``require_confirmation``), a triage agent transfers to another, all in an
``InMemoryRunner``.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from google.adk.agents import LlmAgent
from google.adk.agents.run_config import (  # type: ignore[attr-defined]  # ADK's own import
    RunConfig,
    StreamingMode,
)
from google.adk.events import Event
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import InMemoryRunner
from google.adk.tools.function_tool import FunctionTool
from google.adk.tools.long_running_tool import LongRunningFunctionTool
from google.adk.tools.tool_context import ToolContext
from google.genai import types
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response as HttpResponse
from starlette.routing import Route

from ai_stream import ChatRequest, StreamContext, StreamRecord, UIMessageStreamResponse
from ai_stream.agent import StreamResult, ToolCallInfo
from ai_stream.integrations.google_adk import (
    CONFIRMATION_CALL,
    confirmation_message,
    stream_adk_run,
    to_adk_contents,
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

"""ai 5.x, 6.x and 7.x latest."""
V7 = FIRST_AND_LATEST[7][1]
SECRET = "google-adk-test-secret-0123456789"
APP = "app"
USER = "u"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # ADK runs on asyncio


# --- the scripted model ----------------------------------------------------------------------

Turn = list[LlmResponse] | BaseException


class ScriptedLlm(BaseLlm):
    """Answers each model call with the next turn of its script (or raises it)."""

    model: str = "scripted"
    script: list[Any] = []
    requests: list[LlmRequest] = []

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        self.requests.append(llm_request)
        turn = self.script.pop(0)
        if callable(turn):
            async for response in turn():
                yield response
            return
        if isinstance(turn, BaseException):
            raise turn
        for response in turn:
            yield response


USAGE = types.GenerateContentResponseUsageMetadata(
    prompt_token_count=10, candidates_token_count=5, total_token_count=15
)


def model(*parts: types.Part, partial: bool = False) -> LlmResponse:
    return LlmResponse(
        content=types.Content(role="model", parts=list(parts)),
        partial=partial or None,
        usage_metadata=None if partial else USAGE,
    )


def say(*chunks: str, thought: bool = False, then: list[types.Part] | None = None) -> Turn:
    """Partial chunks, then the final response with the whole text (and ``then`` parts)."""
    flag = True if thought else None
    partials = [model(types.Part(text=c, thought=flag), partial=True) for c in chunks]
    final = model(types.Part(text="".join(chunks), thought=flag), *(then or []))
    return [*partials, final]


def call(name: str, args: dict[str, Any], call_id: str) -> types.Part:
    return types.Part(function_call=types.FunctionCall(name=name, args=args, id=call_id))


def calls(*parts: types.Part) -> Turn:
    return [model(*parts)]


# --- tools and agents --------------------------------------------------------------------------


def weather(city: str) -> dict[str, str]:
    """Weather of a city."""
    return {"city": city, "sky": "sunny"}


def delete_file(path: str) -> str:
    """Delete a file."""
    deleted.append(path)
    return f"deleted {path}"


def remember(city: str, tool_context: ToolContext) -> str:
    """Remember a city (in the session state)."""
    tool_context.state["city"] = city
    tool_context.state["temp:scratch"] = "server only"
    return "ok"


deleted: list[str] = []


def agents_for(script: list[Any]) -> tuple[LlmAgent, ScriptedLlm]:
    llm = ScriptedLlm(script=list(script), requests=[])
    billing = LlmAgent(name="Billing", model=llm, description="Invoices and refunds.")
    triage = LlmAgent(
        name="Triage",
        model=llm,
        tools=[weather, FunctionTool(delete_file, require_confirmation=True), remember],
        sub_agents=[billing],
    )
    return triage, llm


async def new_runner(agent: LlmAgent, session_id: str = "s") -> InMemoryRunner:
    runner = InMemoryRunner(agent=agent, app_name=APP)
    await runner.session_service.create_session(app_name=APP, user_id=USER, session_id=session_id)
    return runner


def user_text(text: str) -> types.Content:
    return types.Content(role="user", parts=[types.Part(text=text)])


def start_run(runner: InMemoryRunner, message: types.Content, session_id: str = "s") -> Any:
    return runner.run_async(
        user_id=USER,
        session_id=session_id,
        new_message=message,
        run_config=RunConfig(streaming_mode=StreamingMode.SSE),
    )


# --- scenarios ---------------------------------------------------------------------------------


@dataclass
class Scenario:
    script: list[Any]
    status: str = "ready"
    options: dict[str, Any] | None = None


SCENARIOS: dict[str, Scenario] = {
    "text": Scenario([say("Hello, ", "world.")]),
    "reasoning": Scenario(
        [
            [
                model(types.Part(text="Let me ", thought=True), partial=True),
                model(types.Part(text="think.", thought=True), partial=True),
                model(types.Part(text="Answer."), partial=True),
                model(types.Part(text="Let me think.", thought=True), types.Part(text="Answer.")),
            ]
        ]
    ),
    "one_tool": Scenario(
        [
            say("Checking.", then=[call("weather", {"city": "Paris"}, "c1")]),
            say("It is ", "sunny."),
        ]
    ),
    "parallel_tools": Scenario(
        [
            calls(
                call("weather", {"city": "Paris"}, "c1"), call("weather", {"city": "Oslo"}, "c2")
            ),
            say("Both sunny."),
        ]
    ),
    "transfer": Scenario(
        [calls(call("transfer_to_agent", {"agent_name": "Billing"}, "h1")), say("Billing here.")]
    ),
    "state": Scenario(
        [calls(call("remember", {"city": "Oslo"}, "c1")), say("Noted.")],
        options={"state": True},
    ),
    "model_error": Scenario(
        [
            calls(call("weather", {"city": "Oslo"}, "c1")),
            RuntimeError("provider exploded (secret detail)"),
        ],
        status="error",
    ),
    "error_code": Scenario(
        [[LlmResponse(error_code="MALFORMED_FUNCTION_CALL", error_message="secret detail")]],
        status="error",
    ),
}


@pytest.fixture(scope="module")
def conformance() -> dict[str, Produced]:
    async def pump(ctx: StreamContext[Any], scenario: Scenario) -> StreamResult:
        agent, _ = agents_for(scenario.script)
        events = start_run(await new_runner(agent), user_text("hi"))
        return await stream_adk_run(ctx, events, **(scenario.options or {}))

    return produce_and_replay(SCENARIOS, pump)


def test_text(conformance: dict[str, Produced]) -> None:
    run = conformance[f"text@{V7}"]
    assert run.chunks == [
        START, TRIAGE, STEP, *said("text-1", "Hello, ", "world."), usage(1), *end(),
    ]  # fmt: skip
    assert run.results[0].finish_reason == "stop"
    assert run.results[0].provider_metadata == {"google-adk": {"lastAgent": "Triage"}}


def test_reasoning_then_text(conformance: dict[str, Produced]) -> None:
    """Thought parts are reasoning; the final response (which repeats them) is not sent again."""
    assert conformance[f"reasoning@{V7}"].chunks == [
        START, TRIAGE, STEP,
        *said("reasoning-1", "Let me ", "think.", kind="reasoning"),
        *said("text-2", "Answer."),
        usage(1),
        *end(),
    ]  # fmt: skip


def test_one_tool(conformance: dict[str, Produced]) -> None:
    run = conformance[f"one_tool@{V7}"]
    assert run.chunks == [
        START, TRIAGE, STEP,
        *said("text-1", "Checking."),
        available("c1", "weather", {"city": "Paris"}),
        output("c1", {"city": "Paris", "sky": "sunny"}),
        *NEXT_STEP,
        *said("text-2", "It is ", "sunny."),
        usage(2),
        *end(),
    ]  # fmt: skip
    assert run.results[0].tool_calls == [ToolCallInfo("c1", "weather", {"city": "Paris"})]


def test_parallel_tools(conformance: dict[str, Produced]) -> None:
    assert conformance[f"parallel_tools@{V7}"].chunks == [
        START, TRIAGE, STEP,
        available("c1", "weather", {"city": "Paris"}),
        available("c2", "weather", {"city": "Oslo"}),
        output("c1", {"city": "Paris", "sky": "sunny"}),
        output("c2", {"city": "Oslo", "sky": "sunny"}),
        *NEXT_STEP,
        *said("text-1", "Both sunny."),
        usage(2),
        *end(),
    ]  # fmt: skip


def test_transfer(conformance: dict[str, Produced]) -> None:
    """The transfer is a tool call with its output, then a data-transfer part; the new agent's
    answer is the next step, and the metadata names it."""
    run = conformance[f"transfer@{V7}"]
    assert run.chunks == [
        START, TRIAGE, STEP,
        available("h1", "transfer_to_agent", {"agent_name": "Billing"}),
        output("h1", {"result": None}),
        {"type": "data-transfer", "data": {"from": "Triage", "to": "Billing"}},
        {"type": "message-metadata", "messageMetadata": {"agent": "Billing"}},
        *NEXT_STEP,
        *said("text-1", "Billing here."),
        usage(2),
        *end(),
    ]  # fmt: skip
    assert run.results[0].provider_metadata == {"google-adk": {"lastAgent": "Billing"}}
    assert run.ctx.record is not None
    assert run.ctx.record.to_ui_message()["metadata"] == {
        "agent": "Billing",
        "usage": {"inputTokens": 20, "outputTokens": 10, "totalTokens": 30},
    }


def test_state_delta_as_data_part(conformance: dict[str, Produced]) -> None:
    """With ``state=True`` the delta is a data-state part, without its ``temp:`` keys."""
    assert conformance[f"state@{V7}"].chunks == [
        START, TRIAGE, STEP,
        available("c1", "remember", {"city": "Oslo"}),
        output("c1", {"result": "ok"}),
        {"type": "data-state", "data": {"city": "Oslo"}},
        *NEXT_STEP,
        *said("text-1", "Noted."),
        usage(2),
        *end(),
    ]  # fmt: skip


def test_model_error_is_masked(conformance: dict[str, Produced]) -> None:
    run = conformance[f"model_error@{V7}"]
    assert run.chunks == [
        START, TRIAGE, STEP,
        available("c1", "weather", {"city": "Oslo"}),
        output("c1", {"city": "Oslo", "sky": "sunny"}),
        {"type": "error", "errorText": "An error occurred."},
        *end("error"),
    ]  # fmt: skip
    assert b"secret detail" not in run.body
    assert run.results == []


def test_error_code_event_is_masked(conformance: dict[str, Produced]) -> None:
    run = conformance[f"error_code@{V7}"]
    assert run.chunks == [
        START, TRIAGE,
        {"type": "error", "errorText": "An error occurred."},
        {"type": "finish", "finishReason": "error"},
    ]  # fmt: skip
    assert b"secret detail" not in run.body


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_replays_in_the_real_clients(conformance: dict[str, Produced], name: str) -> None:
    """(The fixture replays every transcript in ai 5, 6 and 7 latest with record equality.)"""
    for release in LATEST:
        run = conformance[f"{name}@{release}"]
        assert run.ctx.record is not None
        expected = [] if SCENARIOS[name].status == "ready" else ["An error occurred."]
        assert run.ctx.record.errors == expected


async def test_on_error_sees_the_provider_error() -> None:
    from ai_stream.exceptions import ProviderError

    seen: list[BaseException] = []

    def on_error(error: BaseException) -> str:
        seen.append(error)
        return "The model failed."

    async def work(ctx: StreamContext[Any]) -> None:
        agent, _ = agents_for(SCENARIOS["error_code"].script)
        await stream_adk_run(ctx, start_run(await new_runner(agent), user_text("hi")))

    body = await produce(work, context(7, on_error=on_error))
    assert {"type": "error", "errorText": "The model failed."} in parse_sse_json(body)
    [error] = seen
    assert isinstance(error, ProviderError)
    assert (error.provider, error.code, str(error)) == (
        "google-adk", "MALFORMED_FUNCTION_CALL", "secret detail",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("code", "reason"), [("MAX_TOKENS", "length"), ("SAFETY", "content-filter")]
)
async def test_length_and_content_filter_stops(code: str, reason: str) -> None:
    truncated = model(types.Part(text="Trunc"))
    truncated.error_code, truncated.finish_reason = code, types.FinishReason(code)
    results: list[StreamResult] = []

    async def work(ctx: StreamContext[Any]) -> None:
        agent, _ = agents_for([[model(types.Part(text="Trunc"), partial=True), truncated]])
        events = start_run(await new_runner(agent), user_text("hi"))
        results.append(await stream_adk_run(ctx, events))
        await ctx.finish(results[0].finish_reason)

    chunks = parse_sse_json(await produce(work, context(7)))
    assert chunks == [START, TRIAGE, STEP, *said("text-1", "Trunc"), usage(1), *end(reason)]


async def test_disconnect_closes_the_run() -> None:
    closed = anyio.Event()

    def hanging() -> AsyncIterator[LlmResponse]:
        async def responses() -> AsyncIterator[LlmResponse]:
            try:
                yield model(types.Part(text="Sunny"), partial=True)
                await anyio.sleep_forever()  # the provider hangs; the client goes away
            finally:
                closed.set()

        return responses()

    async def work(ctx: StreamContext[Any]) -> None:
        agent, _ = agents_for([hanging])
        await stream_adk_run(ctx, start_run(await new_runner(agent), user_text("hi")))

    ctx = context(7)
    await ctx.run(work)
    await leave_after(ctx, b"Sunny")
    with anyio.fail_after(5):
        await closed.wait()
    assert ctx.record is not None and ctx.record.aborted


async def test_long_running_call_is_left_open() -> None:
    def ask_manager(amount: int) -> dict[str, str]:
        """Ask a manager to approve a refund (answered later)."""
        return {"status": "pending"}

    script = [calls(call("ask_manager", {"amount": 5}, "c1")), say("Asked the manager.")]
    llm = ScriptedLlm(script=script, requests=[])
    agent = LlmAgent(name="Triage", model=llm, tools=[LongRunningFunctionTool(ask_manager)])
    results: list[StreamResult] = []

    async def work(ctx: StreamContext[Any]) -> None:
        events = start_run(await new_runner(agent), user_text("hi"))
        results.append(await stream_adk_run(ctx, events))
        await ctx.finish(results[0].finish_reason)  # the call waits, though text came after it

    chunks = parse_sse_json(await produce(work, context(7)))
    assert chunks == [
        START, TRIAGE, STEP,
        available("c1", "ask_manager", {"amount": 5}),
        *NEXT_STEP,
        *said("text-1", "Asked the manager."),
        usage(2),
        *end("tool-calls"),
    ]  # fmt: skip
    assert results[0].finish_reason == "tool-calls"


def events_of(*events: Event) -> AsyncIterator[Event]:
    """The events of a run, made by hand (shapes a scripted run does not give)."""

    async def run() -> AsyncIterator[Event]:
        for event in events:
            yield event

    return run()


def by_triage(*parts: types.Part) -> Event:
    return Event(
        author="Triage", invocation_id="i", content=types.Content(role="model", parts=list(parts))
    )


def response(name: str, value: dict[str, Any], call_id: str) -> types.Part:
    return types.Part(
        function_response=types.FunctionResponse(name=name, response=value, id=call_id)
    )


async def test_without_sse_each_model_call_comes_whole() -> None:
    """Without ``StreamingMode.SSE`` no partial event comes: the final event's thoughts and text
    are sent."""
    whole = model(types.Part(text="Let me think.", thought=True), types.Part(text="Answer."))
    agent, _ = agents_for([[whole]])
    runner = await new_runner(agent)

    async def work(ctx: StreamContext[Any]) -> None:
        events = runner.run_async(user_id=USER, session_id="s", new_message=user_text("hi"))
        await stream_adk_run(ctx, events)

    assert parse_sse_json(await produce(work, context(7))) == [
        START, TRIAGE, STEP,
        *said("reasoning-1", "Let me think.", kind="reasoning"),
        *said("text-2", "Answer."),
        usage(1),
        *end(),
    ]  # fmt: skip


THOUGHTFUL = types.GenerateContentResponseUsageMetadata(
    prompt_token_count=10,
    candidates_token_count=5,
    thoughts_token_count=3,
    cached_content_token_count=4,
    total_token_count=18,
)


@pytest.mark.parametrize(
    ("usage_metadata", "expected"),
    [
        (THOUGHTFUL, {"inputTokens": 10, "outputTokens": 8, "totalTokens": 18,
                      "reasoningTokens": 3, "cachedInputTokens": 4}),
        (types.GenerateContentResponseUsageMetadata(prompt_token_count=0), None),
    ],
    ids=["thoughts-and-cache", "no-tokens"],
)  # fmt: skip
async def test_usage_of_a_model_call(
    usage_metadata: types.GenerateContentResponseUsageMetadata, expected: dict[str, int] | None
) -> None:
    """Thought tokens are output tokens (and ``reasoningTokens``), cached ones
    ``cachedInputTokens``; a usage without tokens is no usage."""
    answer = model(types.Part(text="Hi."))
    answer.usage_metadata = usage_metadata
    agent, _ = agents_for([[answer]])
    runner = await new_runner(agent)
    results: list[StreamResult] = []

    async def work(ctx: StreamContext[Any]) -> None:
        results.append(await stream_adk_run(ctx, start_run(runner, user_text("hi"))))

    chunks = parse_sse_json(await produce(work, context(7)))
    sent = {"type": "message-metadata", "messageMetadata": {"usage": expected}}
    assert chunks == [
        START,
        TRIAGE,
        STEP,
        *said("text-1", "Hi."),
        *([sent] if expected else []),
        *end(),
    ]
    assert results[0].usage == expected


async def test_transfer_reason_is_in_the_data_transfer_part() -> None:
    args = {"agent_name": "Billing", "transfer_reason": "Refunds are billing's."}
    agent, _ = agents_for([calls(call("transfer_to_agent", args, "h1")), say("Billing here.")])
    runner = await new_runner(agent)

    async def work(ctx: StreamContext[Any]) -> None:
        await stream_adk_run(ctx, start_run(runner, user_text("refund")))

    chunks = parse_sse_json(await produce(work, context(7)))
    assert chunks[3:6] == [
        available("h1", "transfer_to_agent", args),
        output("h1", {"result": None}),
        {"type": "data-transfer",
         "data": {"from": "Triage", "to": "Billing", "reason": "Refunds are billing's."}},
    ]  # fmt: skip


@pytest.mark.parametrize("public", [True, False])
async def test_a_state_function_chooses_what_is_sent(public: bool) -> None:
    """The function gets each delta; what it returns is the ``data-state`` part, ``None``
    sends nothing."""
    seen: list[dict[str, Any]] = []

    def choose(delta: dict[str, Any]) -> Any:
        seen.append(delta)
        return {"remembered": delta["city"]} if public else None

    agent, _ = agents_for(SCENARIOS["state"].script)
    runner = await new_runner(agent)

    async def work(ctx: StreamContext[Any]) -> None:
        await stream_adk_run(ctx, start_run(runner, user_text("hi")), state=choose)

    chunks = parse_sse_json(await produce(work, context(7)))
    assert seen == [{"city": "Oslo"}]  # (ADK keeps ``temp:`` keys out of the event)
    assert [c for c in chunks if c["type"] == "data-state"] == (
        [{"type": "data-state", "data": {"remembered": "Oslo"}}] if public else []
    )


async def test_events_about_the_calls_of_a_continued_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A call the continued message shows is not announced again, and its response completes
    it; a response to a call that has its output already is not sent again, nor one to a call
    nobody announced (that one is logged)."""
    continued = {"id": "a1", "role": "assistant", "parts": [
        {"type": "step-start"},
        {"type": "tool-weather", "toolCallId": "c1", "state": "output-available",
         "input": {"city": "Oslo"}, "output": {"sky": "grey"}},
        {"type": "tool-ask_manager", "toolCallId": "c2", "state": "input-available",
         "input": {"amount": 5}},
    ]}  # fmt: skip
    events = events_of(
        by_triage(call("ask_manager", {"amount": 5}, "c2")),
        by_triage(
            response("ask_manager", {"status": "approved"}, "c2"),
            response("weather", {"sky": "blue"}, "c1"),
            response("lookup", {"found": True}, "c9"),
        ),
    )
    ctx = context(7, continue_message=continued)
    results: list[StreamResult] = []

    async def work(ctx: StreamContext[Any]) -> None:
        results.append(await stream_adk_run(ctx, events))

    chunks = parse_sse_json(await produce(work, ctx))
    assert chunks == [
        {"type": "start", "messageId": "a1"},
        TRIAGE,
        output("c2", {"status": "approved"}),
        {"type": "finish", "finishReason": "stop"},
    ]
    assert results[0].tool_calls == []
    assert "response of an unknown function call 'c9' is not sent" in caplog.text
    assert ctx.record is not None
    tools = [p for p in ctx.record.to_ui_message()["parts"] if "toolCallId" in p]
    assert [(p["toolCallId"], p["state"], p["output"]) for p in tools] == [
        ("c1", "output-available", {"sky": "grey"}),
        ("c2", "output-available", {"status": "approved"}),
    ]


# --- approvals -------------------------------------------------------------------------------


def first_request(chat_id: str = "chat-adk") -> ChatRequest:
    return ChatRequest.parse(
        {
            "id": chat_id,
            "trigger": "submit-message",
            "messages": [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "rm"}]}],
        }
    )


APPROVAL_SCRIPT: list[Any] = [
    say("Deleting.", then=[call("delete_file", {"path": "/tmp/x"}, "c1")]),
]


def answer(approved: bool) -> list[Any]:
    return [say("Done." if approved else "Kept it.")]


@pytest.mark.parametrize("approved", [True, False])
async def test_approval_roundtrip(approved: bool) -> None:
    deleted.clear()
    agent, llm = agents_for([*APPROVAL_SCRIPT, *answer(approved)])
    runner = await new_runner(agent, "chat-adk")
    request = first_request()
    first: StreamContext[None] = StreamContext.for_request(
        request, sdk_version=7, collect=True, approval_secret=SECRET
    )

    async def ask(ctx: StreamContext[Any]) -> None:
        [message] = to_adk_contents(request.messages)
        result = await stream_adk_run(ctx, start_run(runner, message, "chat-adk"))
        assert result.finish_reason == "tool-calls"

    body = await produce(ask, first)
    chunks = parse_sse_json(body)
    approval = chunks[-4]
    assert chunks == [
        {"type": "start", "messageId": first.message_id},
        TRIAGE, STEP,
        *said("text-1", "Deleting."),
        available("c1", "delete_file", {"path": "/tmp/x"}),
        {"type": "tool-approval-request", "approvalId": approval["approvalId"],
         "toolCallId": "c1"},
        usage(1),
        *end("tool-calls"),
    ]  # fmt: skip
    assert deleted == []
    assert first.record is not None
    message = first.record.to_ui_message()
    assert message["parts"][-1]["state"] == "approval-requested"

    tool_part = dict(message["parts"][-1])
    tool_part["state"] = "approval-responded"
    tool_part["approval"] = {"id": approval["approvalId"], "approved": approved}
    if not approved:
        tool_part["approval"]["reason"] = "not that file"
    tool_part["input"] = {"path": "/etc/passwd"}  # tampering: the signature no longer matches
    forged = ChatRequest.parse(
        {
            "id": "chat-adk",
            "trigger": "submit-message",
            "messageId": message["id"],
            "messages": [
                request.messages[0].to_dict(),
                {**message, "parts": [*message["parts"][:-1], tool_part]},
            ],
        }
    )
    from ai_stream.exceptions import ApprovalVerificationError

    with pytest.raises(ApprovalVerificationError):
        first.tool_approvals(forged)
    tool_part["input"] = {"path": "/tmp/x"}
    follow_up = ChatRequest.parse(
        {
            "id": "chat-adk",
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

    async def resume(ctx: StreamContext[Any]) -> None:
        decisions = ctx.tool_approvals(follow_up)
        session = await runner.session_service.get_session(
            app_name=APP, user_id=USER, session_id="chat-adk"
        )
        assert session is not None
        reply = confirmation_message(session, decisions)
        assert reply is not None
        [part] = reply.parts or []
        assert part.function_response is not None
        assert part.function_response.name == CONFIRMATION_CALL
        assert part.function_response.response == {"confirmed": approved}
        await stream_adk_run(ctx, start_run(runner, reply, "chat-adk"), approvals=decisions)

    body2 = await produce(resume, second)
    assert parse_sse_json(body2) == [
        {"type": "start", "messageId": message["id"]},
        TRIAGE,
        output("c1", {"result": "deleted /tmp/x"}) if approved
        else {"type": "tool-output-denied", "toolCallId": "c1"},
        STEP,
        *said("text-1", "Done." if approved else "Kept it."),
        usage(1),
        *end(),
    ]  # fmt: skip
    assert deleted == (["/tmp/x"] if approved else [])
    sent = str(llm.requests[-1].contents)  # what the model got for the call
    assert ("deleted /tmp/x" in sent) is approved
    assert ("rejected" in sent) is not approved
    session = await runner.session_service.get_session(
        app_name=APP, user_id=USER, session_id="chat-adk"
    )
    assert session is not None
    assert confirmation_message(session, second.tool_approvals(follow_up)) is None  # answered
    assert second.record is not None
    final = second.record.to_ui_message()
    assert final["id"] == message["id"]
    part = next(p for p in final["parts"] if p.get("toolCallId") == "c1")
    if approved:
        assert (part["state"], part["output"]) == ("output-available", {"result": "deleted /tmp/x"})
    else:
        assert part["state"] == "output-denied"
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


async def test_confirmation_of_another_tool_is_not_sent() -> None:
    """A decision must name the tool of the session's call (and only pending calls count)."""
    agent, _ = agents_for(APPROVAL_SCRIPT)
    runner = await new_runner(agent)
    async for _ in start_run(runner, user_text("rm")):
        pass
    session = await runner.session_service.get_session(app_name=APP, user_id=USER, session_id="s")
    assert session is not None
    wrong = ToolApprovalDecision("c1", "weather", {}, True, None, "a")
    unknown = ToolApprovalDecision("c9", "delete_file", {}, True, None, "a")
    assert confirmation_message(session, [wrong, unknown]) is None
    right = ToolApprovalDecision("c1", "delete_file", {"path": "/tmp/x"}, True, None, "a")
    assert confirmation_message(session, [right]) is not None


async def test_approval_on_ai_5_leaves_the_call_waiting() -> None:
    agent, _ = agents_for(APPROVAL_SCRIPT)
    runner = await new_runner(agent)

    async def work(ctx: StreamContext[Any]) -> None:
        await stream_adk_run(ctx, start_run(runner, user_text("rm")))

    chunks = parse_sse_json(await produce(work, context(5)))
    assert chunks[-4:] == [
        available("c1", "delete_file", {"path": "/tmp/x"}),
        usage(1),
        {"type": "finish-step"},
        {"type": "finish"},
    ]


def confirmation(original: dict[str, Any] | None, confirmation_id: str = "adk-1") -> types.Part:
    """ADK's ``adk_request_confirmation`` call for ``original`` (the call to confirm)."""
    args: dict[str, Any] = {"toolConfirmation": {"hint": "Delete it for good?", "confirmed": False}}
    if original is not None:
        args["originalFunctionCall"] = original
    return call(CONFIRMATION_CALL, args, confirmation_id)


async def test_a_confirmation_announces_a_call_not_seen_yet() -> None:
    """A confirmation whose original call no event announced: the call gets its part from the
    confirmation (with the arguments ADK kept), then the approval request."""
    original = {"id": "c1", "name": "delete_file", "args": {"path": "/x"}}
    results: list[StreamResult] = []

    async def work(ctx: StreamContext[Any]) -> None:
        results.append(await stream_adk_run(ctx, events_of(by_triage(confirmation(original)))))

    chunks = parse_sse_json(await produce(work, context(V7, chat_id="c", approval_secret=SECRET)))
    assert chunks == [
        START, TRIAGE, STEP,
        available("c1", "delete_file", {"path": "/x"}),
        {"type": "tool-approval-request", "approvalId": chunks[4]["approvalId"],
         "toolCallId": "c1", "reason": "Delete it for good?"},
        *end("tool-calls"),
    ]  # fmt: skip
    assert results[0].tool_calls == [ToolCallInfo("c1", "delete_file", {"path": "/x"})]
    assert results[0].finish_reason == "tool-calls"


async def test_a_confirmation_without_its_call_is_not_sent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    results: list[StreamResult] = []

    async def work(ctx: StreamContext[Any]) -> None:
        results.append(await stream_adk_run(ctx, events_of(by_triage(confirmation(None)))))

    chunks = parse_sse_json(await produce(work, context(7, chat_id="c", approval_secret=SECRET)))
    assert chunks == [START, TRIAGE, {"type": "finish", "finishReason": "stop"}]
    assert results[0].finish_reason == "stop"  # nothing waits
    assert "a tool confirmation without its call is not sent" in caplog.text


async def test_a_malformed_confirmation_in_the_session_is_not_answered() -> None:
    """A confirmation in the session that names no call is passed over; the others are
    answered."""
    agent, _ = agents_for([])
    runner = await new_runner(agent)
    session = await runner.session_service.get_session(app_name=APP, user_id=USER, session_id="s")
    assert session is not None
    original = {"id": "c2", "name": "delete_file", "args": {"path": "/y"}}
    for part in (confirmation(None, "adk-1"), confirmation(original, "adk-2")):
        await runner.session_service.append_event(session, by_triage(part))
    session = await runner.session_service.get_session(app_name=APP, user_id=USER, session_id="s")
    assert session is not None
    decision = ToolApprovalDecision("c2", "delete_file", {"path": "/y"}, True, None, "a")
    reply = confirmation_message(session, [decision])
    assert reply is not None
    assert reply.model_dump(mode="json", exclude_none=True) == {
        "role": "user",
        "parts": [{"function_response": {"id": "adk-2", "name": CONFIRMATION_CALL,
                                         "response": {"confirmed": True}}}],
    }  # fmt: skip


# --- the approval round trip through the real AbstractChat (ai 6 and 7) ---------------------------

records: list[StreamRecord] = []
RUNNERS: dict[str, tuple[InMemoryRunner, ScriptedLlm]] = {}


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
        if body.id not in RUNNERS:  # one ADK session per chat, kept on the server
            agent, llm = agents_for(APPROVAL_SCRIPT)
            RUNNERS[body.id] = (await new_runner(agent, body.id), llm)
        runner, llm = RUNNERS[body.id]
        if decisions:
            llm.script.extend(answer(decisions[0].approved))
            session = await runner.session_service.get_session(
                app_name=APP, user_id=USER, session_id=body.id
            )
            assert session is not None
            message = confirmation_message(session, decisions)
        else:
            message = to_adk_contents(body.messages[-1:])[-1]
        assert message is not None
        await stream_adk_run(ctx, start_run(runner, message, body.id), approvals=decisions)

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
             "--version", release, "--flow", flow, "--chat-id", f"adk-{release}-{flow}"],
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
    assert records[-1].to_ui_message(release) == message


# --- history ---------------------------------------------------------------------------------


HISTORY: list[dict[str, Any]] = [
    {"id": "s1", "role": "system", "parts": [{"type": "text", "text": "Be brief."}]},
    {"id": "u1", "role": "user", "parts": [
        {"type": "text", "text": "Refund please"},
        {"type": "file", "mediaType": "image/png", "url": "data:image/png;base64,aGk="},
        {"type": "file", "mediaType": "application/zip", "url": "data:application/zip;base64,aGk=",
         "filename": "a.zip"},
    ]},
    {"id": "a1", "role": "assistant", "parts": [
        {"type": "step-start"},
        {"type": "reasoning", "text": "Hmm."},
        {"type": "tool-transfer_to_agent", "toolCallId": "h1", "state": "output-available",
         "input": {"agent_name": "Billing"}, "output": {"result": None}},
        {"type": "data-transfer", "data": {"from": "Triage", "to": "Billing"}},
        {"type": "step-start"},
        {"type": "text", "text": "Which order?", "state": "done"},
        {"type": "tool-weather", "toolCallId": "c1", "state": "output-available",
         "input": {"city": "Oslo"}, "output": "grey"},
        {"type": "tool-delete_file", "toolCallId": "c2", "state": "output-denied",
         "input": {"path": "/x"}, "approval": {"id": "a", "approved": False, "reason": "no"}},
        {"type": "tool-delete_file", "toolCallId": "c3", "state": "approval-requested",
         "input": {"path": "/y"}, "approval": {"id": "b"}},
    ]},
    {"id": "u2", "role": "user", "parts": [{"type": "text", "text": "Order 7"}]},
]  # fmt: skip


def test_history_to_adk_contents() -> None:
    """User text and files, model text and function calls, their responses in one content per
    step; system messages, reasoning, data parts and pending calls are left out."""
    contents = to_adk_contents(HISTORY)
    dumped = [c.model_dump(mode="json", exclude_none=True) for c in contents]
    assert dumped == [
        {"role": "user", "parts": [
            {"text": "Refund please"},
            {"inline_data": {"mime_type": "image/png", "data": "aGk="}},
            {"text": "[Attached file omitted: a.zip (application/zip)]"},
        ]},
        {"role": "model", "parts": [
            {"function_call": {"id": "h1", "name": "transfer_to_agent",
                               "args": {"agent_name": "Billing"}}},
        ]},
        {"role": "user", "parts": [
            {"function_response": {"id": "h1", "name": "transfer_to_agent",
                                   "response": {"result": None}}},
        ]},
        {"role": "model", "parts": [
            {"text": "Which order?"},
            {"function_call": {"id": "c1", "name": "weather", "args": {"city": "Oslo"}}},
            {"function_call": {"id": "c2", "name": "delete_file", "args": {"path": "/x"}}},
        ]},
        {"role": "user", "parts": [
            {"function_response": {"id": "c1", "name": "weather",
                                   "response": {"result": "grey"}}},
            {"function_response": {"id": "c2", "name": "delete_file", "response": {
                "error": "Tool call execution denied. Reason: no"}}},
        ]},
        {"role": "user", "parts": [{"text": "Order 7"}]},
    ]  # fmt: skip
    with_thoughts = to_adk_contents(HISTORY, include_reasoning=True)
    assert with_thoughts[1].parts is not None
    assert with_thoughts[1].parts[0] == types.Part(text="Hmm.", thought=True)


async def test_history_runs_through_adk() -> None:
    """Seeded into a new session, the converted history is what the model gets."""
    *history, new_message = to_adk_contents(HISTORY)
    agent, llm = agents_for([say("Refunded.")])
    runner = await new_runner(agent)
    session = await runner.session_service.get_session(app_name=APP, user_id=USER, session_id="s")
    assert session is not None
    for content in history:
        author = "user" if content.role == "user" else agent.name
        await runner.session_service.append_event(
            session, Event(author=author, invocation_id="history", content=content)
        )
    events = [event async for event in start_run(runner, new_message)]
    assert events[-1].content is not None and events[-1].content.parts is not None
    assert events[-1].content.parts[0].text == "Refunded."
    sent = llm.requests[0].contents
    assert [c.role for c in sent] == ["user", "model", "user", "model", "user", "user"]


def test_history_files_at_urls() -> None:
    """Files at http(s) URLs are ``file_data``; one at another URL, which the model cannot
    read, is the fallback text."""
    contents = to_adk_contents(
        [
            {"id": "u1", "role": "user", "parts": [
                {"type": "file", "mediaType": "image/png", "url": "https://example.com/cat.png"},
                {"type": "file", "mediaType": "audio/mpeg", "url": "http://example.com/a.mp3"},
                {"type": "file", "mediaType": "image/png", "url": "s3://bucket/dog.png",
                 "filename": "dog.png"},
            ]},
        ]
    )  # fmt: skip
    assert [c.model_dump(mode="json", exclude_none=True) for c in contents] == [
        {"role": "user", "parts": [
            {"file_data": {"file_uri": "https://example.com/cat.png", "mime_type": "image/png"}},
            {"file_data": {"file_uri": "http://example.com/a.mp3", "mime_type": "audio/mpeg"}},
            {"text": "[Attached file omitted: dog.png (image/png)]"},
        ]},
    ]  # fmt: skip


def test_history_turns_left_empty_are_left_out() -> None:
    """A user message of files left out, and an assistant step of reasoning only (without
    ``include_reasoning``), give no content."""
    contents = to_adk_contents(
        [
            {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]},
            {"id": "a1", "role": "assistant", "parts": [{"type": "reasoning", "text": "Hmm."}]},
            {"id": "u2", "role": "user", "parts": [
                {"type": "file", "mediaType": "application/zip",
                 "url": "data:application/zip;base64,aGk="},
            ]},
        ],
        unsupported_file=lambda part: None,
    )  # fmt: skip
    assert [c.model_dump(mode="json", exclude_none=True) for c in contents] == [
        {"role": "user", "parts": [{"text": "Hi"}]},
    ]


def test_without_the_sdk_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "google.genai.types", None)  # as if it were not installed
    with pytest.raises(ImportError) as info:
        to_adk_contents([])
    assert "pip install 'ai-stream[google-adk]'" in str(info.value)


async def test_a_tool_asking_for_confirmation_gives_its_hint_as_reason() -> None:
    """``tool_context.request_confirmation(hint=...)``: the hint is the approval's reason (ADK's
    default hint, written for developers, is not sent)."""

    def refund(amount: int, tool_context: ToolContext) -> dict[str, str]:
        """Refund an amount (confirmed by the user)."""
        if tool_context.tool_confirmation is None:
            tool_context.request_confirmation(hint=f"Refund ${amount}?")
            return {"status": "waiting"}
        return {"status": "refunded"}

    # (ADK calls the model again with the placeholder answer while the call waits)
    script = [calls(call("refund", {"amount": 5}, "c1")), say("Waiting for you.")]
    llm = ScriptedLlm(script=script, requests=[])
    agent = LlmAgent(name="Triage", model=llm, tools=[refund])
    runner = await new_runner(agent)

    async def work(ctx: StreamContext[Any]) -> None:
        await stream_adk_run(ctx, start_run(runner, user_text("refund")))

    ctx = context(V7, chat_id="chat-adk", approval_secret=SECRET)
    body = await produce(work, ctx)
    chunks = parse_sse_json(body)
    assert [c for c in chunks if c["type"] == "error"] == []
    assert chunks[-1] == {"type": "finish", "finishReason": "tool-calls"}
    assert chunks[3:5] == [
        available("c1", "refund", {"amount": 5}),
        {"type": "tool-approval-request", "approvalId": chunks[4]["approvalId"],
         "toolCallId": "c1", "reason": "Refund $5?"},
    ]  # fmt: skip
    replayed = replay([{"name": "hint", "body": body.decode(), "versions": [V7]}])
    assert replayed["hint"][V7]["chunkErrors"] == []
    assert ctx.record is not None
    assert replayed["hint"][V7]["chat"]["messages"][-1] == ctx.record.to_ui_message(V7)
