"""LangChain and LangGraph → UI message stream (``ai-stream[langchain]``, ``ai-stream[langgraph]``).

Two entry points, both writing into a :class:`~ai_stream.StreamContext` and returning a
:class:`~ai_stream.agent.StreamResult`:

* :func:`stream_events` takes ``runnable.astream_events(..., version="v2")`` of any runnable
  (a chat model, a chain, an agent, a compiled LangGraph).
* :func:`stream_graph` takes ``graph.astream(..., stream_mode=["messages", "updates", "custom",
  "tools", "values"])`` of a compiled LangGraph (any of those modes, subgraphs too), turns
  approval interrupts into ``tool-approval-request`` chunks and returns the final state.

Mapping:

=====================================================  ==========================================
LangChain / LangGraph                                  UI message stream
=====================================================  ==========================================
``AIMessageChunk.content`` (str, ``text`` blocks)      ``text-start/delta/end``
``reasoning``/``thinking`` blocks,                     ``reasoning-start/delta/end``
``additional_kwargs["reasoning_content"]``
``tool_call_chunks`` (by ``index``)                    ``tool-input-start/delta``, then
                                                       ``tool-input-available`` when the model
                                                       call ends (``tool-input-error`` for
                                                       ``invalid_tool_calls``)
complete ``AIMessage.tool_calls`` (not streamed)       ``tool-input-available``
``on_tool_end`` / ``ToolMessage``                      ``tool-output-available`` (the content)
``on_tool_error`` / ``ToolMessage(status="error")``    ``tool-output-error`` (``on_error``'s
                                                       text; the exception or the node's text
                                                       is logged)
a second model call (after tools)                      ``finish-step`` + ``start-step``
``usage_metadata`` (summed over model calls)           ``message-metadata`` ``{"usage": ...}``
``__interrupt__`` describing a tool call               ``tool-approval-request`` (signed)
``custom`` event ``{"type": t, "id": i, ...}``         ``data-<t>`` (``data-custom`` without a
                                                       type), persistent with an id, else
                                                       transient
``tools``: ``tool-output-delta``                       preliminary ``tool-output-available``
``tools``: ``tool-finished`` / ``tool-error``          ``tool-output-available`` / masked
                                                       ``tool-output-error``
``values`` (root graph, last)                          :attr:`GraphResult.values`, ``ctx.store``
=====================================================  ==========================================

Model calls made inside a running tool (a sub-agent) are not streamed as the message's text.

For ``experimental_useObject``, :func:`stream_langchain_object` streams the growing values of a
structured-output runnable (``model.with_structured_output(Model)``, a JSON output parser) into
an :class:`~ai_stream.ObjectStreamContext`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ai_stream.agent import StreamResult, ToolCallInfo
from ai_stream.exceptions import ObjectValidationError
from ai_stream.integrations._agent_common import (
    aclose_quietly,
    add_usage,
    fail_input,
    fail_tool_masked,
    get,
    jsonable,
    knows_tool,
    parse_args,
)
from ai_stream.integrations._common import import_sdk, usage_metadata, write_metadata

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig

    from ai_stream.context import StreamContext
    from ai_stream.objects import ObjectStreamContext
    from ai_stream.protocol.messages import ToolApprovalDecision

__all__ = (
    "GraphResult",
    "approval_resume",
    "hitl_resume",
    "stream_events",
    "stream_graph",
    "stream_langchain_object",
)

_TEXT_TYPES = frozenset({"text", "output_text"})
_REASONING_TYPES = frozenset({"reasoning", "thinking"})


def _usage(usage: Any) -> dict[str, int] | None:
    """LangChain ``UsageMetadata`` → ``{"inputTokens", "outputTokens", "totalTokens", ...}``."""
    if not usage:
        return None
    inp = int(get(usage, "input_tokens", 0) or 0)
    out = int(get(usage, "output_tokens", 0) or 0)
    result = {
        "inputTokens": inp,
        "outputTokens": out,
        "totalTokens": int(get(usage, "total_tokens", 0) or (inp + out)),
    }
    reasoning = get(get(usage, "output_token_details") or {}, "reasoning")
    if reasoning:
        result["reasoningTokens"] = int(reasoning)
    cached = get(get(usage, "input_token_details") or {}, "cache_read")
    if cached:
        result["cachedInputTokens"] = int(cached)
    return result


def _reasoning_text(block: Mapping[str, Any]) -> str:
    for key in ("reasoning", "thinking"):
        value = block.get(key)
        if isinstance(value, str):
            return value
    summary = block.get("summary")
    if isinstance(summary, list):
        return "".join(str(get(s, "text", "") or "") for s in summary)
    return ""


@dataclass
class _ToolInput:
    tool_call_id: str
    tool_name: str
    text: str = ""


@dataclass
class _Writer:
    """The state both entry points share: one assistant message, several model calls."""

    ctx: StreamContext[Any]
    result: StreamResult = field(default_factory=StreamResult)
    model_calls: int = 0
    in_message: bool = False
    streamed: bool = False
    """The current model call has streamed chunks (a non-streaming model sends none)."""
    tool_inputs: dict[Any, _ToolInput] = field(default_factory=dict)
    calls: dict[str, ToolCallInfo] = field(default_factory=dict)
    """Tool calls announced in this stream, by id."""
    settled: set[str] = field(default_factory=set)
    """Tool calls that have a result (or were denied), or must be left alone."""
    approvals: set[str] = field(default_factory=set)
    interrupts: set[str] = field(default_factory=set)
    """Interrupts handled (by id): ``updates`` and ``values`` both carry them."""
    tools: dict[str, tuple[str, Any]] = field(default_factory=dict)
    """Tool runs the ``tools`` mode announced: call id → (tool name, input)."""
    usage: dict[Any, dict[str, int]] = field(default_factory=dict)

    # --- model output ----------------------------------------------------------------------------

    async def begin_message(self) -> None:
        await self.end_message(None)
        if self.model_calls:
            await self.ctx.new_step()
        self.model_calls += 1
        self.in_message = True
        self.streamed = False

    async def chunk(self, chunk: Any) -> None:
        if not self.in_message:
            await self.begin_message()
        self.streamed = True
        ctx = self.ctx
        kwargs = get(chunk, "additional_kwargs") or {}
        reasoning = kwargs.get("reasoning_content") if isinstance(kwargs, Mapping) else None
        if isinstance(reasoning, str) and reasoning:
            await ctx.write_reasoning(reasoning)
        content = get(chunk, "content")
        if isinstance(content, str):
            if content:
                await ctx.write_text(content)
        elif isinstance(content, list):
            for block in content:
                if isinstance(block, str):
                    if block:
                        await ctx.write_text(block)
                    continue
                if not isinstance(block, Mapping):
                    continue
                kind = block.get("type")
                if kind in _TEXT_TYPES:
                    text = block.get("text")
                    if isinstance(text, str) and text:
                        await ctx.write_text(text)
                elif kind in _REASONING_TYPES:
                    text = _reasoning_text(block)
                    if text:
                        await ctx.write_reasoning(text)
        for tool_chunk in get(chunk, "tool_call_chunks") or ():
            await self._tool_chunk(tool_chunk)
        usage = _usage(get(chunk, "usage_metadata"))
        if usage:
            add_usage(self.usage.setdefault(self.model_calls, {}), usage)

    async def _tool_chunk(self, tool_chunk: Any) -> None:
        index, call_id = get(tool_chunk, "index"), get(tool_chunk, "id")
        key = index if index is not None else call_id
        entry = self.tool_inputs.get(key)
        if entry is None:
            name = get(tool_chunk, "name") or ""
            handle = await self.ctx.start_tool_input(name, tool_call_id=call_id or None)
            entry = self.tool_inputs[key] = _ToolInput(handle.tool_call_id, name)
        args = get(tool_chunk, "args")
        if isinstance(args, str) and args:
            entry.text += args
            await self.ctx.stream_tool_input_delta(entry.tool_call_id, args)

    async def end_message(self, message: Any) -> None:
        """The model call ended; ``message`` is its complete ``AIMessage`` when known."""
        if not self.in_message and message is None:
            return
        if message is not None and not (self.in_message and self.streamed):
            await self.chunk(message)  # a complete message nobody streamed
        self.in_message = False
        ctx = self.ctx
        tool_calls = list(get(message, "tool_calls") or ()) if message is not None else []
        invalid = list(get(message, "invalid_tool_calls") or ()) if message is not None else []
        complete = {get(tc, "id"): tc for tc in tool_calls if get(tc, "id")}
        broken = {get(tc, "id"): tc for tc in invalid if get(tc, "id")}
        streamed, self.tool_inputs = self.tool_inputs, {}
        for entry in streamed.values():
            call_id = entry.tool_call_id
            if call_id in complete:
                args = get(complete[call_id], "args")
                await self.announced(call_id, entry.tool_name, args)
                await ctx.finish_tool_input(call_id, input=args)
                continue
            error = get(broken.get(call_id), "error") if call_id in broken else None
            try:
                args = parse_args(entry.text)
            except ValueError:
                error = error or "The model produced invalid JSON for the tool input."
            if error is not None:
                self.settled.add(call_id)
                await fail_input(ctx, call_id, str(error), entry.text)
                continue
            await self.announced(call_id, entry.tool_name, args)
            await ctx.finish_tool_input(call_id, input=args)
        seen = {entry.tool_call_id for entry in streamed.values()}
        for call_id, tc in complete.items():
            if call_id not in seen:
                name, args = get(tc, "name") or "", get(tc, "args")
                await ctx.begin_tool_call(name, args, tool_call_id=call_id)
                await self.announced(call_id, name, args)
        if message is not None:
            usage = _usage(get(message, "usage_metadata"))
            if usage:  # the complete message's usage replaces the sum of its chunks
                self.usage[self.model_calls] = usage

    async def announced(self, call_id: str, name: str, args: Any) -> None:
        """Keep a call the stream has announced (for its result and the stream's result)."""
        info = ToolCallInfo(call_id, name, args)
        self.calls[call_id] = info
        self.result.tool_calls.append(info)

    # --- tool results ----------------------------------------------------------------------------

    def match_call(self, name: str | None, args: Any, taken: Iterable[str] = ()) -> str | None:
        """The first announced, unsettled call of tool ``name`` (same input preferred)."""
        skip = set(taken) | self.settled
        candidates = [
            c for c in self.calls.values() if c.tool_call_id not in skip and c.tool_name == name
        ]
        for call in candidates:
            if call.input == args:
                return call.tool_call_id
        return candidates[0].tool_call_id if candidates else None

    async def ensure_call(self, call_id: str, name: str, args: Any) -> None:
        if not knows_tool(self.ctx, call_id):
            await self.ctx.begin_tool_call(name, jsonable(args), tool_call_id=call_id)
            await self.announced(call_id, name, args)

    async def tool_message(self, message: Any, name: str | None = None, args: Any = None) -> None:
        """A ``ToolMessage``: the result (or error, ``status="error"``) of a tool call."""
        call_id = get(message, "tool_call_id")
        if not call_id or call_id in self.settled:
            return
        await self.end_message(None)
        await self.ensure_call(call_id, get(message, "name") or name or "", args)
        self.settled.add(call_id)
        content = get(message, "content")
        if get(message, "status") == "error":  # (ToolNode's text of an exception: masked)
            await fail_tool_masked(self.ctx, call_id, _content_text(content), provider="langchain")
        else:
            await self.ctx.complete_tool_call(call_id, jsonable(content))

    async def tool_output(self, call_id: str, output: Any) -> None:
        if call_id in self.settled:
            return
        self.settled.add(call_id)
        await self.ctx.complete_tool_call(call_id, jsonable(output))

    async def tool_error(self, call_id: str, error: Any) -> None:
        if call_id in self.settled:
            return
        self.settled.add(call_id)
        # an exception raised by the tool, or the text ToolNode(handle_tool_errors=True) made
        # of it for the model: both may hold server secrets; the client gets on_error's text
        await fail_tool_masked(self.ctx, call_id, error, provider="langchain")

    # --- custom data and tool progress (LangGraph ``custom`` and ``tools`` modes) ---------------

    async def custom(self, data: Any) -> None:
        """A ``get_stream_writer()`` event → a ``data-<type>`` part (see :func:`stream_graph`)."""
        name, part_id = "custom", None
        if isinstance(data, Mapping):
            kind, ident = data.get("type"), data.get("id")
            if isinstance(kind, str) and kind:
                name = kind
            if isinstance(ident, str) and ident:
                part_id = ident
        transient = True if part_id is None else None
        await self.ctx.write_data(f"data-{name}", jsonable(data), id=part_id, transient=transient)

    async def tool_event(self, payload: Any) -> None:
        """A ``tools``-mode payload: a tool run's start, progress, result or error."""
        if not isinstance(payload, Mapping):
            return
        event, call_id = payload.get("event"), payload.get("tool_call_id")
        if not isinstance(call_id, str) or not call_id:
            return
        if event == "tool-started":
            name = payload.get("tool_name") or ""
            self.tools[call_id] = (str(name), payload.get("input"))
        if call_id in self.settled:
            return
        await self.end_message(None)  # a tool runs once the model call is over
        name, args = self.tools.get(call_id, ("", None))
        await self.ensure_call(call_id, name, args)
        if event == "tool-output-delta":
            if self.ctx.target.always("preliminary"):
                await self.ctx.complete_tool_call(
                    call_id, jsonable(payload.get("delta")), preliminary=True
                )
        elif event == "tool-finished":
            output = payload.get("output")
            if _is_tool_message(output) and get(output, "tool_call_id") == call_id:
                await self.tool_message(output)
            else:
                await self.tool_output(call_id, jsonable(_tool_output(output)))
        elif event == "tool-error":
            await self.tool_error(call_id, payload.get("message"))

    # --- approvals -------------------------------------------------------------------------------

    async def interrupts_of(self, update: Any) -> None:
        """The ``__interrupt__`` entry of an update or a state: each interrupt once."""
        await self.end_message(None)
        for interrupt in update if isinstance(update, list | tuple) else [update]:
            ident = get(interrupt, "id")
            if isinstance(ident, str):
                if ident in self.interrupts:
                    continue
                self.interrupts.add(ident)
            await self.interrupt(get(interrupt, "value"))

    async def interrupt(self, value: Any) -> None:
        for call_id, name, args, reason in self._approval_requests(value):
            if call_id is None:
                call_id = self.match_call(name, args, self.approvals)
            if call_id is None:
                handle = await self.ctx.begin_tool_call(name, jsonable(args))
                call_id = handle.tool_call_id
                await self.announced(call_id, name, args)
            else:
                await self.ensure_call(call_id, name, args)
            if call_id in self.approvals or call_id in self.settled:
                continue
            self.approvals.add(call_id)
            if self.ctx.target.accepts_chunk("tool-approval-request"):  # (ai 5: left open)
                await self.ctx.request_tool_approval(call_id, reason=reason)

    def _approval_requests(self, value: Any) -> list[tuple[str | None, str, Any, str | None]]:
        if isinstance(value, list | tuple):
            return [r for item in value for r in self._approval_requests(item)]
        if not isinstance(value, Mapping):
            return []
        if "tool_call_id" in value or "toolCallId" in value:  # ai_stream's own shape
            return [
                (
                    value.get("tool_call_id") or value.get("toolCallId"),
                    value.get("tool_name") or value.get("toolName") or "",
                    value.get("input", value.get("args")),
                    value.get("reason"),
                )
            ]
        if isinstance(value.get("action_requests"), list):  # langchain HumanInTheLoopMiddleware
            return [
                (r.get("id"), r.get("name") or "", r.get("args"), r.get("description"))
                for r in value["action_requests"]
                if isinstance(r, Mapping)
            ]
        action = value.get("action_request")
        if isinstance(action, Mapping):  # langgraph HumanInterrupt (agent inbox)
            return [
                (None, action.get("action") or "", action.get("args"), value.get("description"))
            ]
        return []

    # --- end -------------------------------------------------------------------------------------

    async def close(self) -> StreamResult:
        await self.end_message(None)
        await self.ctx.end_text()
        await self.ctx.end_reasoning()
        usage: dict[str, int] = {}
        for part in self.usage.values():
            add_usage(usage, part)
        result = self.result
        result.usage = usage or None
        pending = [c for c in self.calls if c not in self.settled]
        result.finish_reason = "tool-calls" if pending else "stop"
        await write_metadata(self.ctx, usage_metadata(result.usage))
        return result


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [b if isinstance(b, str) else str(get(b, "text", "") or "") for b in content]
        return "".join(texts)
    return json.dumps(jsonable(content))


def _is_tool_message(value: Any) -> bool:
    if isinstance(value, Mapping):
        return value.get("type") == "tool" and "tool_call_id" in value
    return get(value, "type") == "tool" and get(value, "tool_call_id") is not None


def _is_ai_message(value: Any) -> bool:
    return get(value, "type") in ("ai", "AIMessageChunk")


async def stream_events(ctx: StreamContext[Any], events: AsyncIterable[Any]) -> StreamResult:
    """Write a runnable's ``astream_events(..., version="v2")`` into ``ctx``.

    Text, reasoning and tool-call chunks of every model call are streamed; each model call after
    the first is a new step. Tool runs (``on_tool_start`` / ``on_tool_end`` / ``on_tool_error``)
    are matched to the model's tool calls by the ``ToolMessage.tool_call_id`` (or the
    ``tool_call_id`` of the error event), else by tool name and input; a tool run no model asked
    for is announced first. The context is not finished (``ctx.run`` does that) but open text
    and reasoning parts are ended; the summed usage is written as message metadata.

    Example::

        async def work(ctx):
            events = agent.astream_events({"messages": messages}, version="v2")
            await stream_events(ctx, events)

    Args:
        ctx: The stream to write.
        events: The event stream (dicts, as LangChain yields them).

    Returns:
        The finish reason (``tool-calls`` when announced calls have no result), the usage and
        the model's tool calls.
    """
    import_sdk("langchain_core", "langchain")
    writer = _Writer(ctx)
    tool_runs: dict[str, tuple[str | None, str, Any]] = {}  # run id → (call id, name, input)
    try:
        async for event in events:
            kind = get(event, "event")
            data = get(event, "data") or {}
            run_id = str(get(event, "run_id") or "")
            parents = set(get(event, "parent_ids") or ())
            if kind in ("on_chat_model_start", "on_chat_model_stream", "on_chat_model_end"):
                if parents & tool_runs.keys():
                    continue  # a model inside a tool (sub-agent): not this message's text
                if kind == "on_chat_model_start":
                    await writer.begin_message()
                elif kind == "on_chat_model_stream":
                    await writer.chunk(data.get("chunk"))
                else:
                    output = data.get("output")
                    await writer.end_message(output if _is_ai_message(output) else None)
            elif kind == "on_tool_start":
                if parents & tool_runs.keys():
                    tool_runs[run_id] = (None, "", None)  # nested tool: ignored
                    continue
                await writer.end_message(None)
                name, args = get(event, "name") or "", data.get("input")
                taken = [c for c, _, _ in tool_runs.values() if c]
                call_id = writer.match_call(name, args, taken)
                tool_runs[run_id] = (call_id, name, args)
            elif kind in ("on_tool_end", "on_tool_error"):
                call_id, name, args = tool_runs.pop(run_id, (None, "", None))
                if call_id is None and name == "" and run_id and parents & tool_runs.keys():
                    continue
                output = data.get("output")
                if kind == "on_tool_end" and _is_tool_message(output):
                    await writer.tool_message(output, name, args)
                    continue
                call_id = data.get("tool_call_id") or call_id
                if call_id is None:
                    if not name:
                        continue
                    handle = await ctx.begin_tool_call(name, jsonable(args))
                    call_id = handle.tool_call_id
                    await writer.announced(call_id, name, args)
                else:
                    await writer.ensure_call(call_id, name, args)
                if kind == "on_tool_error":
                    await writer.tool_error(call_id, data.get("error"))
                else:
                    await writer.tool_output(call_id, _tool_output(output))
        return await writer.close()
    finally:
        await aclose_quietly(events)


def _tool_output(output: Any) -> Any:
    """A tool's raw output; a ``Command`` is reduced to its ``ToolMessage`` content."""
    update = get(output, "update") if not isinstance(output, Mapping | str) else None
    if isinstance(update, Mapping):
        for message in update.get("messages") or ():
            if _is_tool_message(message):
                return get(message, "content")
    return output


@dataclass
class GraphResult(StreamResult):
    """What :func:`stream_graph` returns: a :class:`~ai_stream.agent.StreamResult` and the state.

    Attributes:
        values: The graph's state from the last ``values`` event of the root graph (stream with
            ``"values"`` in ``stream_mode``), or ``None``: the final state when the graph ran to
            its end (or to an interrupt). Subgraphs' ``values`` events are not the graph's state.
    """

    values: Any = None


async def stream_graph(
    ctx: StreamContext[Any],
    chunks: AsyncIterable[Any],
    *,
    approvals: Iterable[ToolApprovalDecision] = (),
    values_key: str | None = "langgraph.values",
) -> GraphResult:
    """Write a compiled LangGraph's ``astream(stream_mode=[...])`` into ``ctx``.

    Items are ``(mode, payload)`` (``(namespace, mode, payload)`` with ``subgraphs=True``: a
    subgraph's messages, tool runs and custom events are streamed like the root graph's; a bare
    messages-mode ``(message, metadata)`` is accepted too). Every stream mode may be used; the
    ones mapped are:

    * ``messages``: ``AIMessageChunk`` → text, reasoning and tool-call chunks (each model call
      after the first is a new step: a call ends with langchain-core's ``chunk_position="last"``
      chunk, a tool result, the node's update or another node task); a complete ``AIMessage`` →
      its text and tool calls;
      ``ToolMessage`` → the tool's output, or its error with ``status="error"``.
    * ``updates``: a node's returned ``AIMessage`` completes the tool inputs of the streamed one;
      a tool message the messages mode did not carry (a plain dict in a tool's ``Command``) is
      the tool's output;
      ``__interrupt__`` → for each interrupt that describes a tool call awaiting approval, a
      signed ``tool-approval-request`` (the context needs ``chat_id`` and the approval secret:
      ``StreamContext.for_request(chat_request, approval_secret=...)``). Other interrupts are
      ignored.
    * ``custom`` (``get_stream_writer()(event)`` in a node or tool) → a data part, as
      ``@ai-sdk/langchain`` maps it: ``data-<event["type"]>`` (``data-custom`` when the event
      is not a dict with a string ``type``) carrying the whole event; an event with a string
      ``id`` is a persistent part (a later event with the same type and id replaces it in the
      message), one without is transient (``onData`` only). E.g. ``writer({"type": "status",
      "id": "status", "text": "Searching…"})`` → a ``data-status`` part the UI updates in place;
      ``writer({"type": "progress", "value": 0.5})`` → a transient ``data-progress``.
    * ``tools`` (langgraph ≥ 1.2): ``tool-started`` announces the call if the model's stream did
      not; each ``tool-output-delta`` (``runtime.emit_output_delta(value)`` in a tool taking a
      ``ToolRuntime``) → a preliminary ``tool-output-available`` (``preliminary: true``; each
      replaces the previous one in the UI, so emit the progress so far, not a fragment; not sent
      when some release of the target lacks preliminary outputs: ai 5 before 5.0.11, ai 4);
      ``tool-finished`` → the final output (the ``ToolMessage`` content); ``tool-error`` → a
      masked ``tool-output-error``.
    * ``values``: the last state of the root graph is returned as :attr:`GraphResult.values` and
      stored in ``ctx.store`` at ``values_key`` (for ``on_finish``); an ``__interrupt__`` in it is
      handled as in ``updates`` (each interrupt once).

    Accepted interrupt values (also a list of them):

    * ``{"tool_call_id": ..., "tool_name": ..., "input": ..., "reason": ...}`` (``reason``
      optional), e.g. ``interrupt({"tool_call_id": call["id"], "tool_name": call["name"],
      "input": call["args"]})`` in an approval node;
    * LangChain's ``HumanInTheLoopMiddleware`` request ``{"action_requests": [{"name", "args",
      "description"}], ...}`` and LangGraph's ``HumanInterrupt``
      ``{"action_request": {"action", "args"}, "description"}``: matched to the model's pending
      tool call with that name and input.

    Resuming: on the follow-up request (``StreamContext.for_request`` continues the message),
    verify the decisions with ``chat_request.tool_approvals(secret)`` and resume the graph on the
    same thread with ``Command(resume=approval_resume(decisions))`` (first shape: the node reads
    ``resume[tool_call_id]["approved"]``) or ``Command(resume=hitl_resume(decisions))``
    (``HumanInTheLoopMiddleware``). Pass the decisions here as ``approvals``: denied calls are
    sent as ``tool-output-denied`` (ai 6+) and the graph's own result for them is not streamed.

    Where it differs from ``@ai-sdk/langchain`` 3.0's ``toUIMessageStream`` on the same events
    (``tests/integrations/test_langgraph_modes.py`` runs both on recorded graph events; the
    ``custom`` data parts, preliminary tool outputs, final outputs and texts are the same):

    * tool parts are typed ``tool-<name>`` (theirs are all ``dynamic-tool``);
    * a step is a model call with its tool results (theirs: a LangGraph superstep, so a tools
      node adds an empty step); a streamed call's input is complete when the model call ends
      (theirs waits for a ``values`` or ``tools`` event to send ``tool-input-available``);
    * tool errors are masked (``on_error``'s text; theirs sends the exception's message, then
      ``ToolNode``'s text of it), and approval ids are signed (theirs is the tool call id, which
      a client could forge for any call);
    * a final ``tools``-mode output is the ``ToolMessage``'s content (theirs first sends the
      whole serialized message, then the content from the ``messages`` mode);
    * usage is sent as message metadata; a subgraph's parts carry no namespace in their
      provider metadata (theirs: ``{"langchain": {"namespace": [...]}}``).

    Example::

        store = StateStore()

        async def on_finish(record):
            await save(record.to_ui_message(), await store.get("langgraph.values"))

        async def work(ctx):
            chunks = graph.astream(
                inputs, config, stream_mode=["messages", "updates", "custom", "tools", "values"]
            )
            await stream_graph(ctx, chunks)

        ctx = StreamContext.for_request(body, on_finish=on_finish, store=store)

    Args:
        ctx: The stream to write.
        chunks: ``graph.astream(...)`` (or any iterable of its items).
        approvals: The verified decisions of the request that resumes the graph.
        values_key: Where in ``ctx.store`` to put the final state (``None``: not stored).

    Returns:
        As :func:`stream_events`, with the final state in :attr:`GraphResult.values`.
    """
    import_sdk("langgraph", "langgraph")
    writer = _Writer(ctx)
    task: Any = None
    values: Any = None
    try:
        for decision in approvals:
            if not decision.approved:
                writer.settled.add(decision.tool_call_id)
                await ctx.deny_tool_call(decision.tool_call_id)
        async for item in chunks:
            namespace, mode, payload = _split(item)
            if mode == "custom":
                await writer.custom(payload)
            elif mode == "tools":
                await writer.tool_event(payload)
            elif mode == "values":
                if isinstance(payload, Mapping) and "__interrupt__" in payload:
                    await writer.interrupts_of(payload["__interrupt__"])
                if not namespace:  # (a subgraph's state is not the graph's)
                    values = payload
            elif mode == "messages":
                message, meta = payload if isinstance(payload, tuple | list) else (payload, None)
                if _is_tool_message(message):
                    await writer.tool_message(message)
                elif _is_ai_message(message):
                    node_task = get(meta, "langgraph_checkpoint_ns")
                    if not writer.in_message or node_task != task:
                        await writer.begin_message()
                        task = node_task
                    await writer.chunk(message)
                    if not _is_chunk(message):
                        await writer.end_message(_without_content(message))
                    elif get(message, "chunk_position") == "last":
                        await writer.end_message(None)  # langchain-core marks a call's end
            elif mode == "updates" and isinstance(payload, Mapping):
                for node, update in payload.items():
                    if node == "__interrupt__":
                        await writer.interrupts_of(update)
                        continue
                    for message in _update_messages(update):
                        if _is_ai_message(message) and writer.in_message:
                            await writer.end_message(_without_content(message))
                        elif _is_tool_message(message):  # e.g. a dict in a tool's Command
                            await writer.tool_message(message)
        closed = await writer.close()
        result = GraphResult(**vars(closed), values=values)
        if values_key is not None:
            await ctx.store.set(values_key, values)
        return result
    finally:
        await aclose_quietly(chunks)


def _split(item: Any) -> tuple[tuple[str, ...], Any, Any]:
    """``(namespace, mode, payload)`` of a streamed item (the root graph's namespace is ``()``)."""
    if isinstance(item, tuple | list):
        if len(item) == 3 and isinstance(item[1], str):
            namespace = item[0] if isinstance(item[0], tuple | list) else ()
            return tuple(str(n) for n in namespace), item[1], item[2]
        if len(item) == 2 and isinstance(item[0], str):
            return (), item[0], item[1]
        if len(item) == 2:
            return (), "messages", item
    return (), None, item


def _is_chunk(message: Any) -> bool:
    return type(message).__name__.endswith("Chunk") or "tool_call_chunks" in (
        message if isinstance(message, Mapping) else {}
    )


def _without_content(message: Any) -> dict[str, Any]:
    """The parts of a complete message ``end_message`` needs (its content was written)."""
    return {
        "tool_calls": get(message, "tool_calls") or [],
        "invalid_tool_calls": get(message, "invalid_tool_calls") or [],
        "usage_metadata": get(message, "usage_metadata"),
    }


def _update_messages(update: Any) -> list[Any]:
    if isinstance(update, Mapping):
        messages = update.get("messages")
        if isinstance(messages, list | tuple):
            return list(messages)
        if messages is not None:
            return [messages]
    return []


def approval_resume(decisions: Iterable[ToolApprovalDecision]) -> dict[str, dict[str, Any]]:
    """The ``Command(resume=...)`` value for interrupts of ai_stream's shape.

    ``{tool_call_id: {"approved": bool, "reason": str | None}}``: the approval node looks up the
    call it interrupted for.
    """
    return {d.tool_call_id: {"approved": d.approved, "reason": d.reason} for d in decisions}


def hitl_resume(decisions: Iterable[ToolApprovalDecision]) -> dict[str, list[dict[str, Any]]]:
    """The ``Command(resume=...)`` value for LangChain's ``HumanInTheLoopMiddleware``.

    ``{"decisions": [{"type": "approve"} | {"type": "reject", "message": ...}]}`` in the order of
    the calls (the order of the interrupt's ``action_requests``).
    """
    result: list[dict[str, Any]] = []
    for d in decisions:
        if d.approved:
            result.append({"type": "approve"})
        else:
            result.append({"type": "reject", "message": d.reason or "The user denied the call."})
    return {"decisions": result}


def _partial_value(value: Any) -> Any:
    """A partial value as JSON data: a model's fields that were set, in their order."""
    dump = getattr(value, "model_dump", None)
    return dump(mode="json", exclude_unset=True) if callable(dump) else value


def _elements(value: Any) -> list[Any]:
    """The elements of an array stream's value: the list, or its ``"elements"``."""
    if isinstance(value, Mapping):
        value = value.get("elements")
    return list(value) if isinstance(value, list) else []


async def stream_langchain_object(
    obj: ObjectStreamContext[Any],
    runnable: Any,
    input: Any,
    config: RunnableConfig | None = None,
) -> None:
    """Stream a structured-output runnable's growing value into an object stream.

    ``runnable.astream(input, config)`` yields the value as it grows: dicts (a JSON output
    parser, ``with_structured_output`` of a JSON schema or a ``TypedDict``) or pydantic models
    (``PydanticOutputParser``, ``with_structured_output(Model)``; their fields that were set).
    An object stream gets each value with :meth:`ObjectStreamContext.write_partial`; a value that
    does not extend the text sent (the text cannot be taken back) is skipped, but the last one
    must extend it. An array stream (``output="array"``; the value a list or ``{"elements":
    [...]}``) gets each element once a later one shows, and the rest at the end. The context is
    not closed: :meth:`ObjectStreamContext.run` closes and validates the value when the work
    returns. When the client disconnects, the work is cancelled and the stream closed.

    Example::

        async def work(obj):
            runnable = model.with_structured_output(Trip, method="json_schema")
            await stream_langchain_object(obj, runnable, messages)

    Args:
        obj: The object stream to write into.
        runnable: A runnable that yields the growing value (not ``include_raw=True``).
        input: The runnable's input.
        config: The runnable's config (callbacks, tags …).

    Raises:
        ObjectValidationError: The last value does not extend the text sent, or an element of
            an array stream fails the schema.
        Exception: What the runnable raises: ``run()`` logs it and ends the body.
    """
    import_sdk("langchain_core", "langchain")
    source = runnable.astream(input, config)
    value: Any = None
    written = 0  # the elements written (array streams)
    try:
        async for item in source:
            if item is None:  # (a parser with nothing to show yet)
                continue
            value = _partial_value(item)
            if obj.output == "array":
                for element in _elements(value)[written:-1]:  # (the last one may grow)
                    await obj.write_element(element)
                    written += 1
            else:
                with contextlib.suppress(ObjectValidationError):  # (nothing of it was sent)
                    await obj.write_partial(value)
        if obj.output == "array":
            for element in _elements(value)[written:]:
                await obj.write_element(element)
        elif value is not None:
            await obj.write_partial(value)
    finally:
        await aclose_quietly(source)
