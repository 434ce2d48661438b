"""Streams that answer a follow-up request: approvals, denials, client tool results."""

from __future__ import annotations

from typing import Any

import pytest

from ai_stream import (
    ChatRequest,
    StreamContext,
    StreamStateError,
    UnsupportedByClientError,
)
from ai_stream.testing import collect_stream, parse_sse_json
from tests.helpers import counter_ids

SECRET = "test-secret-0123456789"


def first_request() -> ChatRequest:
    return ChatRequest.parse(
        {
            "id": "chat-1",
            "trigger": "submit-message",
            "messages": [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "rm"}]}],
        }
    )


async def ask_approval(sdk: int | str = 6) -> tuple[list[dict[str, Any]], str]:
    ctx: StreamContext[None] = StreamContext.for_request(
        first_request(), sdk_version=sdk, approval_secret=SECRET, id_generator=counter_ids()
    )
    approval_id = ""

    async def work(ctx: StreamContext[None]) -> None:
        nonlocal approval_id
        call = await ctx.begin_tool_call("deleteFile", {"path": "/tmp/x"}, tool_call_id="call-1")
        approval_id = await ctx.request_tool_approval(call.tool_call_id)

    await ctx.run(work)
    return parse_sse_json(await collect_stream(ctx)), approval_id


async def test_approval_request_stream() -> None:
    chunks, approval_id = await ask_approval()
    assert chunks == [
        {"type": "start", "messageId": "id-1"},
        {"type": "start-step"},
        {
            "type": "tool-input-available",
            "toolCallId": "call-1",
            "toolName": "deleteFile",
            "input": {"path": "/tmp/x"},
        },
        {"type": "tool-approval-request", "approvalId": approval_id, "toolCallId": "call-1"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "tool-calls"},
    ]


def follow_up(approval_id: str, approved: bool) -> ChatRequest:
    return ChatRequest.parse(
        {
            "id": "chat-1",
            "trigger": "submit-message",
            "messageId": "id-1",
            "messages": [
                {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "rm"}]},
                {
                    "id": "id-1",
                    "role": "assistant",
                    "parts": [
                        {"type": "step-start"},
                        {
                            "type": "tool-deleteFile",
                            "toolCallId": "call-1",
                            "state": "approval-responded",
                            "input": {"path": "/tmp/x"},
                            "approval": {"id": approval_id, "approved": approved, "reason": "ok"},
                        },
                    ],
                },
            ],
        }
    )


@pytest.mark.parametrize("approved", [True, False])
async def test_continuation_after_the_decision(approved: bool) -> None:
    _, approval_id = await ask_approval()
    request = follow_up(approval_id, approved)
    ctx: StreamContext[None] = StreamContext.for_request(request, collect=True)

    async def work(ctx: StreamContext[None]) -> None:
        for decision in request.tool_approvals(SECRET):
            if decision.approved:
                await ctx.complete_tool_call(decision.tool_call_id, "deleted")
            else:
                await ctx.deny_tool_call(decision.tool_call_id)
        await ctx.write_text("Done." if approved else "Kept it.")

    await ctx.run(work)
    chunks = parse_sse_json(await collect_stream(ctx))
    result = (
        {"type": "tool-output-available", "toolCallId": "call-1", "output": "deleted"}
        if approved
        else {"type": "tool-output-denied", "toolCallId": "call-1"}
    )
    # as the reference server: the result first, before the next step, in the same message
    assert chunks[:3] == [{"type": "start", "messageId": "id-1"}, result, {"type": "start-step"}]
    assert ctx.record is not None
    message = ctx.record.to_ui_message()
    assert message["id"] == "id-1"
    assert [p["type"] for p in message["parts"]] == [
        "step-start", "tool-deleteFile", "step-start", "text",
    ]  # fmt: skip
    assert message["parts"][1]["state"] == ("output-available" if approved else "output-denied")


async def test_client_tool_results_continue_the_message() -> None:
    request = ChatRequest.parse(
        {
            "id": "chat-1",
            "messageId": "a1",
            "trigger": "submit-message",
            "messages": [
                {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "where?"}]},
                {
                    "id": "a1",
                    "role": "assistant",
                    "parts": [
                        {"type": "step-start"},
                        {
                            "type": "tool-getLocation",
                            "toolCallId": "c1",
                            "state": "output-available",
                            "input": {},
                            "output": {"city": "Oslo"},
                        },
                        {
                            "type": "tool-getTime",
                            "toolCallId": "c2",
                            "state": "output-error",
                            "input": {},
                            "errorText": "denied by the browser",
                        },
                    ],
                },
            ],
        }
    )
    results = request.tool_results()
    assert [(r.tool_name, r.output, r.error_text, r.is_error) for r in results] == [
        ("getLocation", {"city": "Oslo"}, None, False),
        ("getTime", None, "denied by the browser", True),
    ]
    ctx: StreamContext[None] = StreamContext.for_request(request, collect=True)
    await ctx.write_text("You are in Oslo.")
    await ctx.finish()
    chunks = parse_sse_json(await collect_stream(ctx))
    assert chunks[:2] == [{"type": "start", "messageId": "a1"}, {"type": "start-step"}]
    assert ctx.record is not None and len(ctx.record.to_ui_message()["parts"]) == 5


async def test_approvals_need_a_client_that_has_them_and_a_chat_and_a_complete_input() -> None:
    ctx: StreamContext[None] = StreamContext(sdk_version=5, chat_id="c", approval_secret=SECRET)
    call = await ctx.begin_tool_call("t", {})
    with pytest.raises(UnsupportedByClientError):
        await ctx.request_tool_approval(call.tool_call_id)
    ctx = StreamContext(approval_secret=SECRET)
    call = await ctx.begin_tool_call("t", {})
    with pytest.raises(StreamStateError, match="chat id"):
        await ctx.request_tool_approval(call.tool_call_id)
    ctx = StreamContext(chat_id="c", approval_secret=SECRET)
    streaming = await ctx.start_tool_input("t")
    with pytest.raises(StreamStateError, match="input must be complete"):
        await ctx.request_tool_approval(streaming.tool_call_id)


async def test_v7_automatic_decisions() -> None:
    ctx: StreamContext[None] = StreamContext(sdk_version=7, id_generator=counter_ids())
    call = await ctx.begin_tool_call("readFile", {"p": 1}, tool_call_id="c1")
    await ctx.decide_tool_approval(call.tool_call_id, False, reason="policy")
    await ctx.finish()
    chunks = parse_sse_json(await collect_stream(ctx))
    assert chunks[3:6] == [
        {
            "type": "tool-approval-request",
            "approvalId": "auto_id-2",
            "toolCallId": "c1",
            "isAutomatic": True,
        },
        {
            "type": "tool-approval-response",
            "approvalId": "auto_id-2",
            "approved": False,
            "reason": "policy",
        },
        {"type": "tool-output-denied", "toolCallId": "c1"},
    ]
