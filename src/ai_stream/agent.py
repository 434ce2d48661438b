"""An agent loop for plain SDK users: model → tools → model, streamed into one message.

:func:`run_agent` answers a :class:`~ai_stream.ChatRequest` with any model: you give it a model
call that streams one model response into the context (typically with a provider adapter such as
:func:`ai_stream.integrations.openai.stream_chat_completions`) and a dict of Python tools. Each
model response is a step; after each step the requested tools run (sync tools in a worker
thread), their results go to the client, and the model is called again with the updated history,
until it answers without tool calls or ``max_steps`` is reached.

Tools that need approval (``Tool(fn, needs_approval=True)``) get a signed approval request and
the answer stops there; on the follow-up request, approved calls run and denied calls are
reported as denied before the loop continues. Client-side tools (``Tool(client_side=True)``)
stop the answer with ``finishReason: "tool-calls"``; the browser's result arrives with the
follow-up request and the loop continues.

Example::

    async def model(ctx, messages):
        stream = await client.chat.completions.create(
            model="gpt-4.1-mini", messages=to_openai_chat(messages), tools=TOOL_SCHEMAS, stream=True
        )
        return await stream_chat_completions(ctx, stream)

    ctx = StreamContext.for_request(body, collect=True)
    tools = {"getWeather": get_weather, "deleteFile": Tool(delete, needs_approval=True)}
    await ctx.run(run_agent, body, model, tools)
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio

from ai_stream.exceptions import StreamStateError
from ai_stream.protocol.messages import UIMessage

if TYPE_CHECKING:
    from ai_stream.context import StreamContext
    from ai_stream.protocol.messages import ChatRequest

__all__ = ("ModelCall", "StreamResult", "Tool", "ToolCallInfo", "run_agent")


@dataclass(frozen=True)
class ToolCallInfo:
    """A tool call the model made during the stream (as written to the context)."""

    tool_call_id: str
    tool_name: str
    input: Any
    provider_executed: bool = False


@dataclass
class StreamResult:
    """What an adapter returns when the provider stream ends.

    Attributes:
        finish_reason: The protocol finish reason (``stop``, ``tool-calls``, ``length`` …), or
            ``None`` if the provider sent none.
        usage: Token usage in the documented shape ``{"inputTokens", "outputTokens",
            "totalTokens", ...}``, or ``None``.
        tool_calls: The client- or server-side tool calls the model requested, in order, that
            the provider did not execute itself (run them, then call the model again).
        provider_metadata: Provider-specific extras (e.g. the response id).
    """

    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    tool_calls: list[ToolCallInfo] = field(default_factory=list)
    provider_metadata: dict[str, Any] = field(default_factory=dict)


ModelCall = Callable[["StreamContext[Any]", list[UIMessage]], Awaitable[StreamResult]]
"""Streams one model response for the history into the context; returns its result."""


@dataclass(frozen=True)
class Tool:
    """A tool the agent may call.

    Attributes:
        function: Called with the tool input as keyword arguments (sync or async); its return
            value is the tool output. ``None`` for a client-side tool.
        needs_approval: Ask the user before running it (``True``, or a predicate on the input).
        client_side: The browser runs it (``onToolCall`` + ``addToolOutput``).
    """

    function: Callable[..., Any] | None = None
    needs_approval: bool | Callable[[Any], bool] = False
    client_side: bool = False

    def approval_needed(self, input: Any) -> bool:
        """Whether this call needs the user's approval."""
        if callable(self.needs_approval):
            return bool(self.needs_approval(input))
        return self.needs_approval


async def _call(tool: Tool, input: Any) -> Any:
    assert tool.function is not None
    arguments = input if isinstance(input, dict) else {}
    if inspect.iscoroutinefunction(tool.function):
        return await tool.function(**arguments)
    # boxed: trio refuses a coroutine as a worker thread's result (a sync wrapper of async code)
    (result,) = await anyio.to_thread.run_sync(lambda: (tool.function(**arguments),))  # type: ignore[misc]
    if inspect.isawaitable(result):
        result = await result
    return result


async def _run_tool(
    ctx: StreamContext[Any], tool_call_id: str, tool: Tool | None, input: Any
) -> None:
    if tool is None:
        await ctx.fail_tool_call(tool_call_id, "Unknown tool.")
        return
    try:
        output = await _call(tool, input)
    except Exception as exc:  # the model sees the (masked) failure and may recover
        await ctx.fail_tool_call(tool_call_id, ctx.error_text(exc))
        return
    await ctx.complete_tool_call(tool_call_id, output)


def _history(request: ChatRequest, ctx: StreamContext[Any]) -> list[UIMessage]:
    messages = list(request.messages)
    if request.is_continuation:
        messages.pop()  # the continued message: the record holds it, with this answer's steps
    record = ctx.record
    assert record is not None
    current = record.to_ui_message()
    if current["parts"]:
        messages.append(UIMessage.model_validate(current))
    return messages


async def run_agent(
    ctx: StreamContext[Any],
    request: ChatRequest,
    model: ModelCall,
    tools: Mapping[str, Tool | Callable[..., Any]],
    *,
    max_steps: int = 8,
    approval_secret: str | bytes | None = None,
) -> StreamResult | None:
    """Run the model/tool loop for ``request``, streaming every step into ``ctx``.

    Args:
        ctx: The context, from :meth:`StreamContext.for_request` with ``collect=True`` (the
            loop feeds the model the message as the client has it).
        request: The chat request being answered.
        model: Streams one model response into the context (see :data:`ModelCall`).
        tools: Tool name → :class:`Tool` or a plain function (run without approval).
        max_steps: The most model calls in one answer.
        approval_secret: Verifies approvals on follow-up requests (default: the context's, or
            the ``AI_STREAM_SECRET`` environment variable).

    A follow-up request that brings nothing new (an approval or tool output the message already
    holds, sent again) ends the stream without calling the model: the message stays as it is.

    Returns:
        The last model result, or ``None`` when the model was not called.

    Raises:
        StreamStateError: The context does not collect its record.
        ApprovalVerificationError: A follow-up request carries a forged approval.
    """
    if ctx.record is None:
        raise StreamStateError("run_agent() needs StreamContext(collect=True).")
    table = {name: t if isinstance(t, Tool) else Tool(t) for name, t in tools.items()}
    continued = False
    if request.is_continuation:
        decisions = (
            ctx.tool_approvals(request)
            if approval_secret is None
            else request.tool_approvals(approval_secret)
        )
        for decision in decisions:
            continued = True
            if decision.approved:
                await _run_tool(
                    ctx, decision.tool_call_id, table.get(decision.tool_name), decision.input
                )
            else:
                await ctx.deny_tool_call(decision.tool_call_id)
        client_tools = {name for name, tool in table.items() if tool.client_side}
        continued = continued or bool(request.tool_results(client_tools))
        if not continued:  # a replay, or a second automatic send: nothing new to answer
            return None
    result: StreamResult | None = None
    for step in range(max_steps):
        if step or continued:
            await ctx.new_step()
        result = await model(ctx, _history(request, ctx))
        if not result.tool_calls:
            break
        stop = False
        for call in result.tool_calls:
            if call.provider_executed:
                continue
            tool = table.get(call.tool_name)
            if tool is not None and tool.client_side:
                stop = True  # the browser runs it; its result comes with the next request
            elif tool is not None and tool.approval_needed(call.input):
                await ctx.request_tool_approval(call.tool_call_id)
                stop = True
            else:
                await _run_tool(ctx, call.tool_call_id, tool, call.input)
        if stop:
            return result
    if result is not None and result.finish_reason is not None and not result.tool_calls:
        await ctx.finish(result.finish_reason)
    return result
