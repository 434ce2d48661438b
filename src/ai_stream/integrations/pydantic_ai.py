"""pydantic-ai agent runs → UI message stream (``ai-stream[pydantic-ai]``).

:func:`stream_agent` writes the events of ``Agent.run_stream_events(...)`` into a
:class:`~ai_stream.StreamContext`; :func:`deferred_tool_results` turns the verified approvals of
the follow-up request into pydantic-ai's ``DeferredToolResults``;
:func:`stream_pydantic_ai_object` streams an agent's structured output into an
:class:`~ai_stream.ObjectStreamContext` (``experimental_useObject``).

Mapping:

=====================================================  ==========================================
pydantic-ai                                            UI message stream
=====================================================  ==========================================
``TextPart`` start / ``TextPartDelta``                 ``text-start/delta/end``
``ThinkingPart`` start / ``ThinkingPartDelta``         ``reasoning-start/delta/end``
``ToolCallPart`` start / ``ToolCallPartDelta``         ``tool-input-start/delta``
``FunctionToolCallEvent``, ``OutputToolCallEvent``    ``tool-input-available`` (the validated
                                                       args; ``tool-input-error`` when invalid)
``FunctionToolResultEvent`` success,                   ``tool-output-available`` (the return
``OutputToolResultEvent``                              value as JSON)
… ``outcome`` failed / retried (``ModelRetry``),       ``tool-output-error`` (``on_error``'s text)
``RetryPromptPart`` (pydantic-ai 1.x)
… ``outcome="denied"``                                 ``tool-output-denied`` (ai 6+)
``ToolReturn(metadata=...)``                           ``toolMetadata`` of the output (ai 6+)
a new model response after tool results                ``finish-step`` + ``start-step``
``AgentRunResultEvent`` usage                          ``message-metadata`` ``{"usage": ...}``
``DeferredToolRequests`` ``approvals``                 ``tool-approval-request`` (signed)
``DeferredToolRequests`` ``calls`` (external tools)    left ``input-available`` (the client runs
                                                       them: ``onToolCall``)
=====================================================  ==========================================
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import anyio

from ai_stream.agent import StreamResult, ToolCallInfo
from ai_stream.exceptions import ObjectValidationError
from ai_stream.integrations._agent_common import (
    aclose_quietly,
    fail_input,
    fail_tool_masked,
    get,
    jsonable,
    knows_tool,
    parse_args,
)
from ai_stream.integrations._common import (
    ObjectText,
    import_sdk,
    object_json_schema,
    usage_metadata,
    write_metadata,
)

if TYPE_CHECKING:
    from ai_stream.context import StreamContext
    from ai_stream.objects import ObjectStreamContext
    from ai_stream.protocol.messages import ChatRequest

__all__ = ("deferred_tool_results", "stream_agent", "stream_pydantic_ai_object")

_OUTPUT_TOOL = "final_result"
"""The name of the output tool :func:`stream_pydantic_ai_object` gives the model."""

_FINISH_REASONS = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content-filter",
    "tool_call": "tool-calls",
    "error": "error",
}


def _usage(usage: Any) -> dict[str, int] | None:
    if usage is None:
        return None
    if callable(usage) and not hasattr(usage, "input_tokens"):  # 1.x: AgentRunResult.usage()
        usage = usage()
    inp = int(get(usage, "input_tokens", 0) or 0)
    out = int(get(usage, "output_tokens", 0) or 0)
    if not inp and not out:
        return None
    result = {"inputTokens": inp, "outputTokens": out, "totalTokens": inp + out}
    cached = int(get(usage, "cache_read_tokens", 0) or 0)
    if cached:
        result["cachedInputTokens"] = cached
    return result


def _args(part: Any) -> Any:
    args_as_dict = getattr(part, "args_as_dict", None)
    if callable(args_as_dict):
        try:
            return args_as_dict()
        except Exception:
            pass
    args = get(part, "args")
    if isinstance(args, str):
        try:
            return parse_args(args)
        except ValueError:
            return args
    return jsonable(args) if args is not None else {}


def _error_text(part: Any) -> str:
    response = getattr(part, "model_response_str", None)
    content = get(part, "content")
    if isinstance(content, str):
        return content
    if callable(response):
        try:
            return str(response(wrap_if_error=False))
        except TypeError:
            return str(response())
    return json.dumps(jsonable(content))


class _AgentWriter:
    def __init__(self, ctx: StreamContext[Any]) -> None:
        self.ctx = ctx
        self.result = StreamResult()
        self.parts: dict[int, str] = {}  # part index → kind ("text", "thinking", call id)
        self.inputs: dict[str, str] = {}  # call id → streamed args text
        self.names: dict[str, str] = {}
        self.unstarted: set[str] = set()  # started with their first arguments: names may grow
        self.announced: set[str] = set()
        self.settled: set[str] = set()
        self.responses = 0
        self.in_response = False

    async def response_part(self) -> None:
        """A part of a model response: the first after tool results opens a new step."""
        if not self.in_response:
            if self.responses:
                await self.ctx.new_step()
            self.responses += 1
            self.in_response = True
            self.parts = {}

    async def part_start(self, index: int, part: Any) -> None:
        await self.response_part()
        kind = get(part, "part_kind")
        ctx = self.ctx
        if kind == "text":
            self.parts[index] = "text"
            if get(part, "content"):
                await ctx.write_text(part.content)
        elif kind == "thinking":
            self.parts[index] = "thinking"
            if get(part, "content"):
                await ctx.write_reasoning(part.content)
        elif kind == "tool-call":
            call_id, name = part.tool_call_id, part.tool_name
            self.parts[index] = call_id
            self.names[call_id] = name
            if call_id not in self.inputs:
                self.inputs[call_id] = ""
                self.unstarted.add(call_id)
            args = get(part, "args")
            if args:
                await self._input_delta(
                    call_id, args if isinstance(args, str) else json.dumps(args)
                )

    async def _start(self, call_id: str) -> None:
        if call_id in self.unstarted:
            self.unstarted.discard(call_id)
            await self.ctx.start_tool_input(self.names[call_id], tool_call_id=call_id)

    async def _input_delta(self, call_id: str, delta: str) -> None:
        if delta:
            await self._start(call_id)
            self.inputs[call_id] = self.inputs.get(call_id, "") + delta
            await self.ctx.stream_tool_input_delta(call_id, delta)

    async def part_delta(self, index: int, delta: Any) -> None:
        kind = get(delta, "part_delta_kind")
        ctx = self.ctx
        if kind == "text" and get(delta, "content_delta"):
            await ctx.write_text(delta.content_delta)
        elif kind == "thinking" and get(delta, "content_delta"):
            await ctx.write_reasoning(delta.content_delta)
        elif kind == "tool_call":
            call_id = self.parts.get(index)
            name = get(delta, "tool_name_delta")
            if name and call_id in self.unstarted:  # a name streamed in pieces
                self.names[str(call_id)] += name
            args = get(delta, "args_delta")
            if call_id not in (None, "text", "thinking") and args is not None:
                text = args if isinstance(args, str) else json.dumps(args)
                await self._input_delta(str(call_id), text)

    async def tool_call(self, event: Any) -> None:
        """``FunctionToolCallEvent``: the input is complete (and validated)."""
        self.in_response = False
        part = event.part
        call_id, name = part.tool_call_id, part.tool_name
        self.names[call_id] = name
        if call_id in self.announced:
            return
        if get(event, "args_valid", True) is None and call_id not in self.inputs:
            return  # resumed deferred call (its input was sent by the earlier run)
        if knows_tool(self.ctx, call_id) and call_id not in self.inputs:
            return  # a call of the continued message (approval follow-up)
        self.announced.add(call_id)
        args = _args(part)
        self.result.tool_calls.append(ToolCallInfo(call_id, name, args))
        if call_id not in self.inputs:
            await self.ctx.begin_tool_call(name, args, tool_call_id=call_id)
            return
        await self._start(call_id)
        if get(event, "args_valid", True) is False:  # the input as the model wrote it
            self.settled.add(call_id)
            await fail_input(self.ctx, call_id, "Invalid tool input.", self.inputs.pop(call_id))
        else:
            self.inputs.pop(call_id)
            await self.ctx.finish_tool_input(call_id, input=args)

    async def tool_result(self, event: Any) -> None:
        """``FunctionToolResultEvent``: success, error (retry/failure) or denial."""
        self.in_response = False
        part = get(event, "part") or get(event, "result")
        call_id = part.tool_call_id
        if call_id in self.settled:
            return
        self.settled.add(call_id)
        ctx = self.ctx
        if not knows_tool(ctx, call_id):
            await ctx.begin_tool_call(
                get(part, "tool_name") or self.names.get(call_id, ""), {}, tool_call_id=call_id
            )
        outcome = get(part, "outcome", "success")
        metadata = jsonable(get(part, "metadata"))
        meta = metadata if metadata is not None and ctx.target.major >= 6 else None
        if get(part, "part_kind") == "retry-prompt" or outcome in ("failed", "retried"):
            await fail_tool_masked(  # (ModelRetry's text may hold server secrets)
                ctx, call_id, _error_text(part), provider="pydantic-ai", tool_metadata=meta
            )
        elif outcome == "denied" and ctx.target.accepts_chunk("tool-output-denied"):
            await ctx.deny_tool_call(call_id)
        else:
            await ctx.complete_tool_call(
                call_id, jsonable(get(part, "content")), tool_metadata=meta
            )

    async def finish(self, run_result: Any) -> StreamResult:
        ctx = self.ctx
        result = self.result
        for call_id, text in list(self.inputs.items()):  # inputs that never got a call event
            await self._start(call_id)
            try:
                await ctx.finish_tool_input(call_id, input=parse_args(text))
            except ValueError:
                await fail_input(ctx, call_id, "Invalid tool input.", text)
        self.inputs.clear()
        await ctx.end_text()
        await ctx.end_reasoning()
        if run_result is not None:
            result.usage = _usage(get(run_result, "usage"))
            output = get(run_result, "output")
            approvals = list(get(output, "approvals") or ()) if _is_deferred(output) else []
            calls = list(get(output, "calls") or ()) if _is_deferred(output) else []
            for call in approvals:
                await self._ensure_input(call)
                if ctx.target.accepts_chunk("tool-approval-request"):
                    await ctx.request_tool_approval(call.tool_call_id)
            for call in calls:
                await self._ensure_input(call)
            response = get(run_result, "response")
            reason = get(response, "finish_reason") if response is not None else None
            result.finish_reason = _FINISH_REASONS.get(reason or "", None) if reason else None
            if approvals or calls:
                result.finish_reason = "tool-calls"
        if result.finish_reason is None:
            pending = [c for c in result.tool_calls if c.tool_call_id not in self.settled]
            result.finish_reason = "tool-calls" if pending else "stop"
        await write_metadata(ctx, usage_metadata(result.usage))
        return result

    async def _ensure_input(self, call: Any) -> None:
        if call.tool_call_id not in self.announced and not knows_tool(self.ctx, call.tool_call_id):
            args = _args(call)
            await self.ctx.begin_tool_call(call.tool_name, args, tool_call_id=call.tool_call_id)
            self.announced.add(call.tool_call_id)
            self.result.tool_calls.append(ToolCallInfo(call.tool_call_id, call.tool_name, args))


def _is_deferred(output: Any) -> bool:
    return type(output).__name__ == "DeferredToolRequests"


async def stream_agent(ctx: StreamContext[Any], events: Any) -> StreamResult:
    """Write a pydantic-ai run's events (``agent.run_stream_events(...)``) into ``ctx``.

    ``events`` is what ``run_stream_events`` returns: the async context manager of pydantic-ai
    2.x (entered and exited here) or an async iterable of events (1.x, or your own
    ``agent.iter`` loop). Text, thinking and tool-call parts stream as they arrive; each model
    response after tool results is a new step. A run that ends with ``DeferredToolRequests``
    (``requires_approval=True`` tools, ``ApprovalRequired``) gets a signed
    ``tool-approval-request`` per approval (ai 6+; the context needs ``chat_id`` and the approval
    secret: ``StreamContext.for_request``); external calls (``CallDeferred``) are left for the
    client. Use ``output_type=[str, DeferredToolRequests]`` on the agent. On the follow-up
    request run the agent with ``message_history`` and
    ``deferred_tool_results=deferred_tool_results(chat_request, secret)``.

    ``ToolReturn(metadata=...)`` is sent as the output's ``toolMetadata`` (ai 6+; JSON-compatible).
    Exceptions of the run propagate (``ctx.run`` masks them as an ``error`` chunk); the open
    text/reasoning parts are ended, the context is not finished.

    Example::

        async def work(ctx):
            await stream_agent(ctx, agent.run_stream_events(prompt, message_history=history))

    Returns:
        The finish reason, the run's usage and the model's tool calls.
    """
    import_sdk("pydantic_ai", "pydantic-ai")
    writer = _AgentWriter(ctx)
    run_result: Any = None
    manager = events if hasattr(events, "__aenter__") and not hasattr(events, "__aiter__") else None
    source: Any = events
    if manager is not None:
        source = await manager.__aenter__()
    try:
        async for event in source:
            kind = get(event, "event_kind")
            if kind == "part_start":
                await writer.part_start(event.index, event.part)
            elif kind == "part_delta":
                await writer.part_delta(event.index, event.delta)
            elif kind in ("function_tool_call", "output_tool_call"):
                await writer.tool_call(event)
            elif kind in ("function_tool_result", "output_tool_result"):
                await writer.tool_result(event)
            elif kind == "agent_run_result":
                run_result = event.result
        return await writer.finish(run_result)
    finally:
        if manager is None:
            await aclose_quietly(source)
        else:  # closes the event iterator (cancels and drains the background run)
            with anyio.CancelScope(shield=True):
                await manager.__aexit__(None, None, None)


def deferred_tool_results(chat_request: ChatRequest, secret: str | bytes | None = None) -> Any:
    """pydantic-ai ``DeferredToolResults`` from the verified approvals of ``chat_request``.

    An approved call becomes ``True`` (``ToolApproved``), a denied one ``ToolDenied`` with the
    user's reason (or a default message). Raises ``ApprovalVerificationError`` for a forged or
    tampered approval (see :meth:`ChatRequest.tool_approvals`).
    """
    sdk = import_sdk("pydantic_ai", "pydantic-ai")
    approvals: dict[str, Any] = {}
    for decision in chat_request.tool_approvals(secret):
        if decision.approved:
            approvals[decision.tool_call_id] = True
        else:
            approvals[decision.tool_call_id] = sdk.ToolDenied(
                decision.reason or "The user denied this tool call."
            )
    return sdk.DeferredToolResults(approvals=approvals)


def _output_call(response: Any) -> Any:
    """The output tool's call in a model response, or ``None``."""
    for part in get(response, "parts") or ():
        if get(part, "part_kind") == "tool-call" and get(part, "tool_name") == _OUTPUT_TOOL:
            return part
    return None


async def stream_pydantic_ai_object(
    obj: ObjectStreamContext[Any], agent: Any, user_prompt: Any = None, **run_kwargs: Any
) -> Any:
    """Run a pydantic-ai agent for ``obj``'s value and stream it into the object stream.

    The agent runs with ``agent.run_stream(user_prompt, output_type=..., **run_kwargs)``, its
    output an output tool (``final_result``) whose arguments have ``obj``'s JSON schema (an
    array stream asks for ``{"elements": [...]}``). The arguments' JSON text is written as the
    model streams it: an object stream gets the text as it comes, an array stream each element
    once it is complete. A provider that sends the arguments whole (not as text) is written when
    the response is complete. The context is not closed: :meth:`ObjectStreamContext.run`
    closes and validates the value when the work returns. When the client disconnects, the
    work is cancelled, and with it the run and its model stream.

    Example::

        async def work(obj):
            await stream_pydantic_ai_object(obj, agent, "Plan a trip to Lyon")

    Args:
        obj: The object stream to write into.
        agent: The pydantic-ai ``Agent`` (its tools run as usual before the answer).
        user_prompt: The prompt.
        **run_kwargs: More arguments of ``run_stream`` (``message_history``, ``deps``,
            ``model_settings`` …), but not ``output_type``. The schema goes to pydantic-ai as a
            ``StructuredDict``, which takes no recursive schema.

    Returns:
        The finished ``StreamedRunResult`` (``usage``, ``new_messages()`` …).

    Raises:
        ObjectValidationError: The arguments changed while they streamed, or a complete element
            of an array stream fails the schema.
        Exception: What the run raises (a model error, ``UnexpectedModelBehavior`` …):
            ``run()`` logs it and ends the body.
    """
    sdk = import_sdk("pydantic_ai", "pydantic-ai")
    output = sdk.ToolOutput(sdk.StructuredDict(object_json_schema(obj)), name=_OUTPUT_TOOL)
    text = ObjectText(obj)
    sent = ""

    async def extend(arguments: str) -> None:
        nonlocal sent
        if not arguments.startswith(sent):
            raise ObjectValidationError(
                "The output's arguments changed while they streamed: the text sent cannot be "
                "taken back."
            )
        await text.write(arguments[len(sent) :])
        sent = arguments

    async with agent.run_stream(user_prompt, output_type=output, **run_kwargs) as result:
        async for response in result.stream_response(debounce_by=None):
            arguments = get(_output_call(response), "args")
            if isinstance(arguments, str):  # (arguments sent whole are written at the end)
                await extend(arguments)
        arguments = get(_output_call(result.response), "args")
        if isinstance(arguments, dict):  # sent whole: complete now
            await extend(json.dumps(arguments, ensure_ascii=False))
    return result
