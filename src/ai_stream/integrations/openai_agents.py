"""OpenAI Agents SDK runs → UI message stream (``ai-stream[openai-agents]``).

:func:`stream_agent_run` writes the events of ``Runner.run_streamed(agent, input)`` into a
:class:`~ai_stream.StreamContext`; :func:`to_agents_input` turns the ``UIMessage`` history into
the SDK's input items; :func:`approved_run_state` rebuilds, from a server-side
:class:`RunStateStore`, the ``RunState`` an approval interrupted, with the user's verified
decisions applied, to resume the run.

Mapping:

=====================================================  ==========================================
Agents SDK (``stream_events()``)                       UI message stream
=====================================================  ==========================================
``response.output_text.delta`` (and refusals)          ``text-start/delta/end``
``response.reasoning_summary_text.delta``,             ``reasoning-start/delta/end`` (a part per
``response.reasoning_text.delta``                      summary part)
``response.output_text.annotation.added``              ``source-url``
(``url_citation``)
``response.output_item.added`` ``function_call``       ``tool-input-start``, then
+ ``response.function_call_arguments.delta``           ``tool-input-delta``
``tool_called`` (function, shell, computer … tools)    ``tool-input-available``
                                                       (``tool-input-error`` when the arguments
                                                       are not JSON)
``tool_output``                                        ``tool-output-available`` (the tool's return
                                                       value as JSON)
… of a call the user rejected                          ``tool-output-denied`` (ai 6+)
``tool_called`` of a hosted tool (web search, file     a provider-executed tool part
search, code interpreter, image generation, MCP)       (``providerExecuted``), input and output
``handoff_requested`` / ``handoff_occured``            the ``transfer_to_<agent>`` tool part, then
                                                       a ``data-handoff`` part ``{"from", "to"}``
``agent_updated_stream_event``                         ``message-metadata`` ``{"agent": name}``
a new model response (``response.created``)            ``finish-step`` + ``start-step``
``result.context_wrapper.usage``                       ``message-metadata`` ``{"usage": ...}``
``result.interruptions`` (``needs_approval``)          ``tool-approval-request`` (signed), finish
                                                       reason ``tool-calls``
=====================================================  ==========================================

Handoffs: a handoff is a function call of the model (``transfer_to_<agent>``) whose output names
the new agent. It is shown as that tool call (so that :func:`to_agents_input` gives the SDK back
the history it had), followed by a ``data-handoff`` part that says who handed over to whom, at
the place in the message where it happened. The new agent's model call is the next step, as
every model call after tool results. The message metadata's ``agent`` is the agent speaking
(the last one once the message is complete).

Errors: what the run raises (a provider error, ``MaxTurnsExceeded``, a guardrail's
``InputGuardrailTripwireTriggered`` / ``OutputGuardrailTripwireTriggered``) propagates, and
:meth:`StreamContext.run` logs it and sends only ``on_error``'s text (masked by default). An
``on_error`` can tell a guardrail trip from the exception's type and say so.

Approvals are a round trip. The first request ends with the approval requests and the run's
``RunState`` saved on the server (``state_store``, under the chat and message ids); the follow-up
request continues the same message: :func:`approved_run_state` takes the saved state, applies the
decisions verified with ``ctx.tool_approvals(chat_request)`` and returns the state for
``Runner.run_streamed(agent, state)``. Nothing the client sends is trusted but the signed
decisions: the calls, their inputs and the run's history come from the server's state.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, cast

import anyio

from ai_stream.agent import StreamResult, ToolCallInfo
from ai_stream.convert import to_openai_responses
from ai_stream.integrations._agent_common import (
    aclose_quietly,
    fail_input,
    fail_tool_masked,
    get,
    jsonable,
    knows_tool,
    parse_args,
)
from ai_stream.integrations._common import import_sdk, usage_metadata, write_metadata

if TYPE_CHECKING:
    from agents import Agent, RunResultStreaming, RunState, TResponseInputItem

    from ai_stream.context import StreamContext
    from ai_stream.convert import DataPartConverter, FileFallback
    from ai_stream.protocol.messages import ToolApprovalDecision, UIMessage

__all__ = (
    "MemoryRunStateStore",
    "RunStateStore",
    "approved_run_state",
    "run_state_key",
    "stream_agent_run",
    "to_agents_input",
)

logger = logging.getLogger("ai_stream")

_PROVIDER = "openai-agents"

_HOSTED_NAMES = {
    "web_search_call": "web_search",
    "file_search_call": "file_search",
    "code_interpreter_call": "code_interpreter",
    "image_generation_call": "image_generation",
}
"""Tools the provider runs (their output is in the call item): the tool names shown."""

_INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content-filter"}


# --- run state storage (approvals) ---------------------------------------------------------------


class RunStateStore(Protocol):
    """Where the server keeps the ``RunState`` of a run that waits for approvals.

    The state holds the run's whole history and pending calls: keep it on the server (memory,
    Redis, a database row), never in what the client gets back.
    """

    async def save(self, key: str, state: dict[str, Any]) -> None:
        """Keep ``state`` (``RunState.to_json()``) under ``key``, replacing what was there."""
        ...

    async def take(self, key: str) -> dict[str, Any] | None:
        """Return the state under ``key`` and forget it (a state resumes once), or ``None``."""
        ...


class MemoryRunStateStore:
    """A :class:`RunStateStore` in this process's memory (one worker, tests, examples)."""

    def __init__(self) -> None:
        self._states: dict[str, dict[str, Any]] = {}

    async def save(self, key: str, state: dict[str, Any]) -> None:
        """Keep ``state`` under ``key``."""
        self._states[key] = state

    async def take(self, key: str) -> dict[str, Any] | None:
        """Return and forget the state under ``key`` (``None`` when there is none)."""
        return self._states.pop(key, None)

    def __len__(self) -> int:
        return len(self._states)


def run_state_key(ctx: StreamContext[Any]) -> str:
    """The store key of the run that writes ``ctx``'s message: ``"<chat id>/<message id>"``.

    The follow-up request of an approval continues the same message
    (:meth:`StreamContext.for_request`), so both requests compute the same key.

    Raises:
        ValueError: The context has no chat id (build it with ``StreamContext.for_request``).
    """
    if ctx.chat_id is None:
        raise ValueError(
            "Approvals need the chat id: build the context with StreamContext.for_request()."
        )
    return f"{ctx.chat_id}/{ctx.message_id}"


async def approved_run_state(
    ctx: StreamContext[Any],
    agent: Agent[Any],
    decisions: Iterable[ToolApprovalDecision],
    state_store: RunStateStore,
) -> RunState[Any, Agent[Any]] | None:
    """The interrupted run of ``ctx``'s message, with the user's decisions applied.

    Takes the state :func:`stream_agent_run` saved when the run stopped for approvals (under
    :func:`run_state_key`), approves or rejects each interruption that has a decision (a
    rejection sends the user's reason to the model, or the SDK's default message), and returns
    it for ``Runner.run_streamed(agent, state)``. Interruptions without a decision stay pending
    (the resumed run asks again). The decisions must be verified ones:
    ``ctx.tool_approvals(chat_request)``.

    Args:
        ctx: The context of the follow-up request (it continues the interrupted message).
        agent: The starting agent of the run (as given to ``Runner.run_streamed`` first).
        decisions: The verified decisions.
        state_store: Where :func:`stream_agent_run` saved the state.

    Returns:
        The state to resume, or ``None`` when no state waits for this message (already resumed,
        expired, or the run was not interrupted): run from the history then.
    """
    sdk = import_sdk("agents", _PROVIDER)
    saved = await state_store.take(run_state_key(ctx))
    if saved is None:
        return None
    state = cast("RunState[Any, Agent[Any]]", await sdk.RunState.from_json(agent, saved))
    by_call = {d.tool_call_id: d for d in decisions}
    for item in state.get_interruptions():
        decision = by_call.get(str(item.call_id))
        if decision is None:
            continue
        if decision.approved:
            state.approve(item)
        else:
            state.reject(item, rejection_message=decision.reason or None)
    return state


# --- the stream ----------------------------------------------------------------------------------


def _usage(usage: Any) -> dict[str, int] | None:
    """The SDK's ``Usage`` → ``{"inputTokens", "outputTokens", "totalTokens", ...}``."""
    if usage is None:
        return None
    inp = int(get(usage, "input_tokens", 0) or 0)
    out = int(get(usage, "output_tokens", 0) or 0)
    if not inp and not out:
        return None
    result = {
        "inputTokens": inp,
        "outputTokens": out,
        "totalTokens": int(get(usage, "total_tokens", 0) or (inp + out)),
    }
    reasoning = get(get(usage, "output_tokens_details"), "reasoning_tokens")
    if reasoning:
        result["reasoningTokens"] = int(reasoning)
    cached = get(get(usage, "input_tokens_details"), "cached_tokens")
    if cached:
        result["cachedInputTokens"] = int(cached)
    return result


def _dump(raw: Any, *drop: str) -> dict[str, Any]:
    """A raw item as a JSON object, without ``drop`` keys and ``None`` values."""
    dump = getattr(raw, "model_dump", None)
    data = dump(mode="json", exclude_none=True) if callable(dump) else jsonable(raw)
    if not isinstance(data, Mapping):
        return {}
    return {k: v for k, v in data.items() if k not in drop and v is not None}


def _hosted(raw: Any) -> tuple[str, Any, Any] | None:
    """``(tool name, input, output)`` of a provider-executed call item, else ``None``."""
    kind = get(raw, "type")
    name = _HOSTED_NAMES.get(str(kind))
    if name is None:
        return None
    data = _dump(raw, "id", "type")
    if kind == "web_search_call":
        action = data.pop("action", {})
        return name, action, data
    if kind == "file_search_call":
        return name, {"queries": data.pop("queries", [])}, data
    if kind == "code_interpreter_call":
        code = {"code": data.pop("code", None), "containerId": data.pop("container_id", None)}
        return name, {k: v for k, v in code.items() if v is not None}, data
    return name, {}, data  # image generation: the result (base64) is the output


class _RunWriter:
    def __init__(self, ctx: StreamContext[Any], rejected: set[str]) -> None:
        self.ctx = ctx
        self.rejected = rejected
        self.result = StreamResult()
        self.items: dict[str, str] = {}  # output item id → call id (streamed arguments)
        self.inputs: dict[str, str] = {}  # call id → streamed arguments, until tool_called
        self.names: dict[str, str] = {}  # call id → tool name
        self.settled: set[str] = set()
        self.responses = 0
        self.agent: str | None = None
        self.incomplete: str | None = None

    # --- raw model events -------------------------------------------------------------------

    async def raw(self, data: Any) -> None:
        kind = get(data, "type")
        ctx = self.ctx
        if kind == "response.output_text.delta" or kind == "response.refusal.delta":
            if get(data, "delta"):
                await ctx.write_text(data.delta)
        elif kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            if get(data, "delta"):
                await ctx.write_reasoning(data.delta)
        elif kind == "response.reasoning_summary_part.done":
            await ctx.end_reasoning()
        elif kind == "response.created":
            if self.responses:
                await ctx.new_step()
            self.responses += 1
        elif kind == "response.output_item.added":
            await self._item_added(data.item)
        elif kind == "response.output_item.done":
            item_type = get(data.item, "type")
            if item_type == "message":
                await ctx.end_text()
            elif item_type == "reasoning":
                await ctx.end_reasoning()
        elif kind == "response.function_call_arguments.delta":
            call_id = self.items.get(str(get(data, "item_id")))
            if call_id is not None and call_id in self.inputs and get(data, "delta"):
                self.inputs[call_id] += data.delta
                await ctx.stream_tool_input_delta(call_id, data.delta)
        elif kind == "response.output_text.annotation.added":
            annotation = get(data, "annotation")
            url = get(annotation, "url")
            if get(annotation, "type") == "url_citation" and url:
                source_id = f"{get(data, 'item_id')}-{get(data, 'annotation_index')}"
                await ctx.write_source(source_id, str(url), get(annotation, "title"))
        elif kind == "response.incomplete":
            details = get(get(data, "response"), "incomplete_details")
            self.incomplete = _INCOMPLETE.get(str(get(details, "reason")), "other")

    async def _item_added(self, item: Any) -> None:
        if get(item, "type") != "function_call":
            return
        call_id, name = str(item.call_id), str(item.name)
        if knows_tool(self.ctx, call_id):
            return
        self.items[str(get(item, "id") or call_id)] = call_id
        self.inputs[call_id] = ""
        self.names[call_id] = name
        await self.ctx.start_tool_input(name, tool_call_id=call_id)

    # --- run items ----------------------------------------------------------------------------

    async def tool_called(self, item: Any) -> None:
        raw = item.raw_item
        hosted = _hosted(raw)
        if hosted is not None:
            await self._hosted(raw, *hosted)
            return
        if get(raw, "type") == "mcp_call":
            await self._mcp(raw)
            return
        call_id = str(get(item, "call_id") or get(raw, "call_id") or get(raw, "id"))
        name = str(get(item, "tool_name") or get(raw, "name") or get(raw, "type") or "tool")
        self.names[call_id] = name
        arguments = get(raw, "arguments")
        if isinstance(arguments, str):
            text = arguments
        else:  # shell, computer, apply_patch … calls: the call item is the input
            text = json.dumps(_dump(raw, "id", "type", "status", "call_id"))
        if call_id not in self.inputs:
            if knows_tool(self.ctx, call_id):
                return  # a call of the continued message (an approval's follow-up)
            try:
                args = parse_args(text)
            except ValueError:
                args = text
            self.result.tool_calls.append(ToolCallInfo(call_id, name, args))
            await self.ctx.begin_tool_call(name, args, tool_call_id=call_id)
            return
        del self.inputs[call_id]
        try:
            args = parse_args(text)
        except ValueError:
            self.settled.add(call_id)
            await fail_input(self.ctx, call_id, "Invalid tool input.", text)
            return
        self.result.tool_calls.append(ToolCallInfo(call_id, name, args))
        await self.ctx.finish_tool_input(call_id, input=args)

    async def _hosted(self, raw: Any, name: str, input: Any, output: Any) -> None:
        call_id = str(get(raw, "id"))
        if knows_tool(self.ctx, call_id):
            return
        self.settled.add(call_id)
        await self.ctx.begin_tool_call(name, input, tool_call_id=call_id, provider_executed=True)
        await self.ctx.complete_tool_call(call_id, output, provider_executed=True)

    async def _mcp(self, raw: Any) -> None:
        call_id = str(get(raw, "id"))
        if knows_tool(self.ctx, call_id):
            return
        self.settled.add(call_id)
        try:
            args = parse_args(str(get(raw, "arguments") or ""))
        except ValueError:
            args = get(raw, "arguments")
        await self.ctx.begin_tool_call(
            str(get(raw, "name")),
            args,
            tool_call_id=call_id,
            dynamic=True,
            provider_executed=True,
            title=get(raw, "server_label"),
        )
        error = get(raw, "error")
        if error:  # the MCP server's text may hold what only the server may see
            await fail_tool_masked(
                self.ctx, call_id, error, provider=_PROVIDER, provider_executed=True
            )
        else:
            await self.ctx.complete_tool_call(
                call_id, jsonable(get(raw, "output")), provider_executed=True
            )

    async def tool_output(self, item: Any) -> None:
        raw = item.raw_item
        call_id = str(get(item, "call_id") or get(raw, "call_id") or get(raw, "id"))
        if call_id in self.settled:
            return
        ctx = self.ctx
        if not knows_tool(ctx, call_id):
            logger.warning("Agents SDK: output of an unknown tool call %r is not sent", call_id)
            return
        self.settled.add(call_id)
        if call_id in self.rejected and ctx.target.accepts_chunk("tool-output-denied"):
            await ctx.deny_tool_call(call_id)
        else:
            await ctx.complete_tool_call(call_id, jsonable(get(item, "output")))

    async def handoff_occurred(self, item: Any) -> None:
        raw = item.raw_item
        call_id = str(get(raw, "call_id"))
        output: Any = get(raw, "output")
        if isinstance(output, str):
            try:
                output = json.loads(output)
            except ValueError:
                pass
        if knows_tool(self.ctx, call_id) and call_id not in self.settled:
            self.settled.add(call_id)
            await self.ctx.complete_tool_call(call_id, jsonable(output))
        source, target = get(item, "source_agent"), get(item, "target_agent")
        await self.ctx.write_data(
            "handoff", {"from": get(source, "name"), "to": get(target, "name")}
        )

    async def agent_updated(self, agent: Any) -> None:
        name = get(agent, "name")
        if name and name != self.agent:
            self.agent = name
            await write_metadata(self.ctx, {"agent": name})

    # --- the end -------------------------------------------------------------------------------

    async def finish(
        self, run: RunResultStreaming, state_store: RunStateStore | None
    ) -> StreamResult:
        ctx = self.ctx
        result = self.result
        for call_id, text in list(self.inputs.items()):  # no tool_called came (cancelled turn)
            try:
                await ctx.finish_tool_input(call_id, input=parse_args(text))
            except ValueError:
                await fail_input(ctx, call_id, "Invalid tool input.", text)
        self.inputs.clear()
        await ctx.end_text()
        await ctx.end_reasoning()
        interruptions = list(run.interruptions or ())
        for item in interruptions:
            call_id = str(item.call_id)
            state = ctx.tool_call_state(call_id)
            if state is None:
                text = item.arguments or ""
                try:
                    args = parse_args(text)
                except ValueError:
                    args = text
                name = str(item.name)
                result.tool_calls.append(ToolCallInfo(call_id, name, args))
                await ctx.begin_tool_call(name, args, tool_call_id=call_id)
                state = "input-available"
            if state == "input-available" and ctx.target.accepts_chunk("tool-approval-request"):
                await ctx.request_tool_approval(call_id)
        if interruptions and state_store is not None:
            await state_store.save(run_state_key(ctx), run.to_state().to_json())
        result.usage = _usage(get(run.context_wrapper, "usage"))
        if interruptions:
            result.finish_reason = "tool-calls"
        else:
            result.finish_reason = self.incomplete or "stop"
        result.provider_metadata = {_PROVIDER: {"lastAgent": self.agent}}
        await write_metadata(ctx, usage_metadata(result.usage))
        return result


async def stream_agent_run(
    ctx: StreamContext[Any],
    result: RunResultStreaming,
    *,
    approvals: Iterable[ToolApprovalDecision] = (),
    state_store: RunStateStore | None = None,
) -> StreamResult:
    """Write an Agents SDK run (``Runner.run_streamed(agent, input)``) into ``ctx``.

    Text and reasoning stream as the model writes them, function tool calls with their
    arguments as they come, then their outputs; hosted tools (web search, file search, code
    interpreter, image generation, MCP) are provider-executed tool parts; each model call is a
    step; a handoff is its ``transfer_to_<agent>`` tool call and a ``data-handoff`` part
    ``{"from": ..., "to": ...}``; the agent speaking is the message metadata's ``agent``, the
    run's usage its ``usage``. See the module's table.

    A run that stops for approvals (tools with ``needs_approval``) gets a signed
    ``tool-approval-request`` per interruption (ai 6+: the context needs the chat id and the
    approval secret, ``StreamContext.for_request(chat_request, approval_secret=...)``; ai 5,
    which has no approvals, is left the calls) and finish reason ``tool-calls``; its state is
    saved in ``state_store``. Resume it on the follow-up request with
    :func:`approved_run_state`, and pass the decisions here as ``approvals`` so that the
    rejected calls are shown denied.

    When the work is cancelled (the client disconnected, ``ctx.stop()``), the run is cancelled
    (``result.cancel()``). What the run raises propagates (``ctx.run`` masks it); open text and
    reasoning parts are ended, the context is not finished.

    Example::

        async def work(ctx):
            result = Runner.run_streamed(agent, to_agents_input(chat_request.messages))
            await stream_agent_run(ctx, result, state_store=states)

    Args:
        ctx: The context to write into.
        result: What ``Runner.run_streamed`` returned (not yet streamed).
        approvals: The verified decisions this run resumes with (denied calls are shown as
            ``tool-output-denied``).
        state_store: Keeps the run state when the run stops for approvals; without it, save
            ``result.to_state()`` yourself.

    Returns:
        The finish reason (``tool-calls`` when approvals wait), the run's usage (cumulative
        over a resumed run), the function tool calls announced, and
        ``provider_metadata["openai-agents"]["lastAgent"]``.
    """
    import_sdk("agents", _PROVIDER)
    rejected = {d.tool_call_id for d in approvals if not d.approved}
    writer = _RunWriter(ctx, rejected)
    events = result.stream_events()
    try:
        async for event in events:
            if event.type == "raw_response_event":
                await writer.raw(event.data)
            elif event.type == "run_item_stream_event":
                if event.name in ("tool_called", "handoff_requested"):
                    await writer.tool_called(event.item)
                elif event.name == "tool_output":
                    await writer.tool_output(event.item)
                elif event.name == "handoff_occured":
                    await writer.handoff_occurred(event.item)
            elif event.type == "agent_updated_stream_event":
                await writer.agent_updated(event.new_agent)
        return await writer.finish(result, state_store)
    finally:
        if not result.is_complete:
            result.cancel()
        with anyio.CancelScope(shield=True):
            await aclose_quietly(events)


# --- history -------------------------------------------------------------------------------------


def to_agents_input(
    messages: Iterable[UIMessage | Mapping[str, Any]],
    *,
    data: DataPartConverter | None = None,
    unsupported_file: FileFallback | None = None,
    include_reasoning: bool = False,
) -> list[TResponseInputItem]:
    """Convert a ``UIMessage`` history into the Agents SDK's input items.

    The SDK takes OpenAI Responses input items, so this is
    :func:`~ai_stream.convert.to_openai_responses` (same rules, options and result): user and
    assistant text, function calls (handoffs included) followed by their outputs, tool errors
    and denied approvals as outputs with their text; pending calls and provider-executed
    (hosted) calls are left out, and so are ``data-handoff`` parts unless ``data`` turns them
    into text. Give the agent its instructions on the ``Agent``, not here.

    Example::

        result = Runner.run_streamed(agent, to_agents_input(chat_request.messages))

    Raises:
        pydantic.ValidationError: A message is not a valid ``UIMessage``.
    """
    return to_openai_responses(
        messages, data=data, unsupported_file=unsupported_file, include_reasoning=include_reasoning
    )
