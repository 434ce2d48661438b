"""Stream OpenAI (and OpenAI-compatible) model output into a :class:`~ai_stream.StreamContext`.

Two adapters, one per OpenAI streaming API:

* :func:`stream_chat_completions` reads a Chat Completions stream (``stream=True``): the
  ``openai`` SDK's ``ChatCompletionChunk`` objects, the same chunks as plain dicts, or any
  OpenAI-shaped objects (LiteLLM, DeepSeek, vLLM, OpenRouter …).
* :func:`stream_responses` reads a Responses API stream: the SDK's typed events or dicts with
  a ``type``.

Both write text, reasoning, streamed tool inputs, sources and usage into the context, close the
open text and reasoning parts at the end, and return a :class:`StreamResult` (finish reason,
usage, the tool calls to run). They do not finish the stream: ``ctx.run()`` does (or call
``ctx.finish(result.finish_reason)`` yourself), so a tool loop can call the model again in the
same message. Client tool calls are never executed here.

Structured output for ``experimental_useObject``, into an
:class:`~ai_stream.ObjectStreamContext`: :func:`stream_chat_completions_object` and
:func:`stream_responses_object` write the streamed JSON text (an array stream element by
element); :func:`openai_response_format` and :func:`openai_text_format` ask for the value's
schema in OpenAI's strict form.

Everything is read by duck typing (attribute or key), so the ``openai`` package is not needed to
use them. When the client disconnects, the work is cancelled and the provider stream is closed
(``aclose()`` / ``close()``) so that no further tokens are generated or paid for.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio

from ai_stream.agent import StreamResult, ToolCallInfo
from ai_stream.exceptions import ProviderError
from ai_stream.integrations._common import (
    ObjectText,
    object_json_schema,
    usage_metadata,
    write_metadata,
)
from ai_stream.protocol.versions import normalize_finish_reason

if TYPE_CHECKING:
    from ai_stream.context import StreamContext
    from ai_stream.objects import ObjectStreamContext

__all__ = (
    "ProviderError",
    "openai_response_format",
    "openai_text_format",
    "stream_chat_completions",
    "stream_chat_completions_object",
    "stream_responses",
    "stream_responses_object",
)

logger = logging.getLogger("ai_stream")

_CLOSE_TIMEOUT = 5.0


# --- duck typing ----------------------------------------------------------------------------


def _get(obj: Any, key: str, default: Any = None) -> Any:
    """Read ``key`` from a mapping or an attribute of an object (SDK and LiteLLM models)."""
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        value = obj.get(key, default)
    else:
        value = getattr(obj, key, default)
        if value is default:
            extra = getattr(obj, "model_extra", None)  # pydantic extras
            if isinstance(extra, Mapping):
                value = extra.get(key, default)
    return default if value is None else value


def _plain(obj: Any) -> Any:
    """A JSON-compatible copy of an SDK model, mapping or list (``None`` fields dropped)."""
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return _plain(dump(exclude_none=True))
    if hasattr(obj, "__dict__"):
        return _plain({k: v for k, v in vars(obj).items() if not k.startswith("_")})
    return str(obj)


class _SyncSource:
    """An async iterator over a plain iterable (a list of recorded chunks, a sync generator)."""

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = iter(items)

    def __aiter__(self) -> _SyncSource:
        return self

    async def __anext__(self) -> Any:
        try:
            return next(self._items)
        except StopIteration:
            raise StopAsyncIteration from None


def _source(stream: Any) -> Any:
    """The async iterable to read: the stream itself, or a plain iterable wrapped."""
    if hasattr(stream, "__aiter__"):
        return stream
    # a complete response (stream=True forgotten) is a pydantic model: iterable, but its fields
    if isinstance(stream, Iterable) and not isinstance(stream, str | bytes | Mapping):
        if not hasattr(stream, "model_dump"):
            return _SyncSource(stream)
    raise TypeError(
        "Expected the provider stream: an (async) iterable of chunks or events "
        "(create the response with stream=True, and await it)."
    )


async def _close(stream: Any) -> None:
    """Close the provider stream (shielded: it runs while the work is being cancelled)."""
    close = getattr(stream, "aclose", None) or getattr(stream, "close", None)
    if not callable(close):
        return
    with anyio.move_on_after(_CLOSE_TIMEOUT, shield=True):
        try:
            result = close()
            if inspect.isawaitable(result):
                await result
        except Exception:  # closing must never hide the real outcome
            logger.debug("Closing the provider stream failed", exc_info=True)


def _finish_reason(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return normalize_finish_reason(value)
    except ValueError:
        return "other"


def _usage(
    usage: Any, input_key: str, output_key: str, input_details: str, output_details: str
) -> dict[str, Any] | None:
    if usage is None:
        return None
    inputs, outputs = _get(usage, input_key), _get(usage, output_key)
    if inputs is None and outputs is None:
        return None
    total = _get(usage, "total_tokens")
    if total is None:
        total = (inputs or 0) + (outputs or 0)
    result: dict[str, Any] = {"inputTokens": inputs, "outputTokens": outputs, "totalTokens": total}
    reasoning = _get(_get(usage, output_details), "reasoning_tokens")
    if reasoning is not None:
        result["reasoningTokens"] = reasoning
    cached = _get(_get(usage, input_details), "cached_tokens")
    if cached is not None:
        result["cachedInputTokens"] = cached
    return {k: v for k, v in result.items() if v is not None}


def _parse_arguments(text: str) -> Any:
    """Parse tool arguments; empty text is an empty object. Raises ValueError when invalid."""
    if not text.strip():
        return {}
    return json.loads(text)


async def _finish_tool(
    ctx: StreamContext[Any], tool_call_id: str, tool_name: str, text: str
) -> ToolCallInfo | None:
    """Complete a streamed tool input, or report invalid JSON; return the call to run."""
    try:
        arguments = _parse_arguments(text)
    except ValueError as exc:
        logger.warning("Invalid JSON in the arguments of a tool call: %s", exc)
        error_text = "The model sent arguments for this tool that are not valid JSON."
        if ctx.target.accepts_chunk("tool-input-error"):
            await ctx.fail_tool_input(tool_call_id, error_text, input=text)
        else:  # ai 5.0.0-5.0.6 lack tool-input-error: fail the call itself
            await ctx.finish_tool_input(tool_call_id, text)
            await ctx.fail_tool_call(tool_call_id, error_text)
        return None
    await ctx.finish_tool_input(tool_call_id, arguments)
    return ToolCallInfo(tool_call_id, tool_name, arguments)


async def _end_parts(ctx: StreamContext[Any]) -> None:
    if ctx.is_finished:
        return
    await ctx.end_text()
    await ctx.end_reasoning()


# --- Chat Completions ---------------------------------------------------------------------------


@dataclass
class _ChatToolCall:
    index: int
    id: str | None = None
    name: str | None = None
    text: list[str] = field(default_factory=list)
    started: bool = False
    done: bool = False


async def stream_chat_completions(ctx: StreamContext[Any], stream: Any) -> StreamResult:
    """Write an OpenAI Chat Completions stream into ``ctx``.

    ``delta.content`` and ``delta.refusal`` become text, ``delta.reasoning_content`` (DeepSeek,
    LiteLLM) and ``delta.reasoning`` (OpenRouter, vLLM) reasoning, and ``delta.tool_calls``
    streamed tool inputs (parallel calls are told apart by ``index``); when the arguments are
    complete they are parsed, and invalid JSON is reported as a tool input error. Usage (with
    ``stream_options={"include_usage": True}``) is written as message metadata ``{"usage":
    {...}}``. Only the first choice (``index`` 0) is read.

    Args:
        ctx: The context to write into.
        stream: The stream ``client.chat.completions.create(..., stream=True)`` returned, or any
            (async) iterable of OpenAI-shaped chunks (objects or dicts).

    Returns:
        The finish reason (protocol spelling), usage, the client tool calls to run (not the
        invalid ones) and ``provider_metadata`` (``response_id``, ``model``, ``refusal``).

    Raises:
        ProviderError: A chunk carries an ``error`` object.
    """
    result = StreamResult()
    calls: dict[int, _ChatToolCall] = {}
    refusal: list[str] = []

    async def finish_calls() -> None:
        for call in calls.values():
            if call.done:
                continue
            call.done = True
            if not call.started:  # never got a name: nothing was announced
                logger.warning("Dropping a tool call without a name (index %s)", call.index)
                continue
            assert call.id is not None and call.name is not None
            info = await _finish_tool(ctx, call.id, call.name, "".join(call.text))
            if info is not None:
                result.tool_calls.append(info)

    try:
        async for chunk in _source(stream):
            _chat_chunk_info(result, chunk)
            for choice in _get(chunk, "choices") or ():
                if _get(choice, "index", 0) != 0:
                    continue
                delta = _get(choice, "delta")
                if delta is not None:
                    reasoning = _get(delta, "reasoning_content") or _get(delta, "reasoning")
                    if isinstance(reasoning, str) and reasoning:
                        await ctx.write_reasoning(reasoning)
                    content = _get(delta, "content")
                    if isinstance(content, str) and content:
                        await ctx.write_text(content)
                    text = _get(delta, "refusal")
                    if isinstance(text, str) and text:
                        refusal.append(text)
                        await ctx.write_text(text)
                    for position, piece in enumerate(_get(delta, "tool_calls") or ()):
                        await _chat_tool_delta(ctx, calls, position, piece)
                reason = _finish_reason(_get(choice, "finish_reason"))
                if reason is not None:
                    result.finish_reason = reason
                    await finish_calls()
        await finish_calls()
        if refusal:
            result.provider_metadata["refusal"] = "".join(refusal)
        await _end_parts(ctx)
        await write_metadata(ctx, usage_metadata(result.usage))
    finally:
        await _close(stream)
    if result.finish_reason is None and result.tool_calls:
        result.finish_reason = "tool-calls"
    return result


def _chat_chunk_info(result: StreamResult, chunk: Any) -> None:
    """Read a chunk's error (raised), ids and usage into ``result``.

    Raises:
        ProviderError: The chunk carries an ``error`` object.
    """
    error = _get(chunk, "error")
    if error is not None:
        message = _get(error, "message") if not isinstance(error, str) else error
        raise ProviderError(
            str(message or "The provider reported an error."),
            code=_get(error, "code") if not isinstance(error, str) else None,
            body=_plain(error),
            provider="openai",
        )
    if "response_id" not in result.provider_metadata and _get(chunk, "id"):
        result.provider_metadata["response_id"] = _get(chunk, "id")
        if _get(chunk, "model"):
            result.provider_metadata["model"] = _get(chunk, "model")
    usage = _usage(
        _get(chunk, "usage"),
        "prompt_tokens",
        "completion_tokens",
        "prompt_tokens_details",
        "completion_tokens_details",
    )
    if usage is not None:
        result.usage = usage


async def _chat_tool_delta(
    ctx: StreamContext[Any], calls: dict[int, _ChatToolCall], position: int, piece: Any
) -> None:
    index = _get(piece, "index", position)
    call = calls.get(index)
    if call is None or call.done:
        call = calls[index] = _ChatToolCall(index)
    function = _get(piece, "function")
    call.id = call.id or _get(piece, "id")
    call.name = call.name or _get(function, "name")
    arguments = _get(function, "arguments")
    if isinstance(arguments, str) and arguments:
        call.text.append(arguments)
    if not call.started and call.name:
        call.started = True
        handle = await ctx.start_tool_input(call.name, tool_call_id=call.id)
        call.id = handle.tool_call_id
        if call.text:  # arguments that came before the name
            await ctx.stream_tool_input_delta(call.id, "".join(call.text))
    elif call.started and isinstance(arguments, str) and arguments:
        assert call.id is not None
        await ctx.stream_tool_input_delta(call.id, arguments)


# --- Responses ----------------------------------------------------------------------------------

_PROVIDER_TOOLS = {
    "web_search_call": "web_search",
    "file_search_call": "file_search",
    "code_interpreter_call": "code_interpreter",
}


@dataclass
class _FunctionCall:
    call_id: str
    name: str
    text: list[str] = field(default_factory=list)
    done: bool = False


@dataclass
class _ResponsesState:
    result: StreamResult
    functions: dict[str, _FunctionCall] = field(default_factory=dict)  # by item id
    provider_tools: dict[str, str] = field(default_factory=dict)  # item id -> tool name
    code: dict[str, list[str]] = field(default_factory=dict)  # code interpreter item -> code
    reasoning_item: str | None = None  # the reasoning item being streamed
    reasoning_encrypted: dict[str, str | None] = field(default_factory=dict)
    summary_index: int = 0
    part_open: bool = False  # a reasoning part of the current item is open
    had_part: bool = False  # the current item has written a reasoning part
    refusal: list[str] = field(default_factory=list)


def _reasoning_metadata(item_id: str, encrypted: str | None) -> dict[str, Any]:
    return {"openai": {"itemId": item_id, "reasoningEncryptedContent": encrypted}}


def _web_search_output(action: Any) -> dict[str, Any]:
    kind = _get(action, "type")
    if kind == "search":
        out: dict[str, Any] = {"action": {"type": "search", "query": _get(action, "query")}}
        sources = _get(action, "sources")
        if sources is not None:
            out["sources"] = _plain(sources)
        return out
    if kind == "open_page":
        return {"action": {"type": "openPage", "url": _get(action, "url")}}
    if kind == "find_in_page":
        return {
            "action": {
                "type": "findInPage",
                "url": _get(action, "url"),
                "pattern": _get(action, "pattern"),
            }
        }
    return {"action": _plain(action)}


def _file_search_output(item: Any) -> dict[str, Any]:
    results = _get(item, "results")
    return {
        "queries": _plain(_get(item, "queries") or []),
        "results": None
        if results is None
        else [
            {
                "attributes": _plain(_get(r, "attributes")),
                "fileId": _get(r, "file_id"),
                "filename": _get(r, "filename"),
                "score": _get(r, "score"),
                "text": _get(r, "text"),
            }
            for r in results
        ],
    }


async def stream_responses(ctx: StreamContext[Any], stream: Any) -> StreamResult:
    """Write an OpenAI Responses API stream into ``ctx``.

    Output text becomes text parts (one per message item) and refusals text; reasoning summaries
    (and raw reasoning text) become reasoning parts carrying ``providerMetadata.openai.itemId``
    and ``reasoningEncryptedContent`` (complete on the part's end), so that
    :func:`~ai_stream.convert.to_openai_responses` can send the reasoning back. Function calls
    stream their arguments as tool input. ``web_search_call``, ``file_search_call`` and
    ``code_interpreter_call`` items are provider-executed tool calls (``web_search``,
    ``file_search``, ``code_interpreter``) with their results. URL citations become
    ``source-url`` and file citations ``source-document`` parts. Usage from
    ``response.completed`` (or ``response.incomplete``) is written as message metadata.

    Args:
        ctx: The context to write into.
        stream: The stream ``client.responses.create(..., stream=True)`` returned, or any
            (async) iterable of Responses events (objects or dicts with a ``type``).

    Returns:
        The finish reason (``stop``, ``tool-calls``, ``length``, ``content-filter`` …), usage,
        the function calls to run and ``provider_metadata`` (``response_id``, ``model``,
        ``refusal``, and ``provider_tool_calls``: the calls OpenAI executed itself, as
        :class:`ToolCallInfo` with ``provider_executed=True``).

    Raises:
        ProviderError: An ``error`` event or ``response.failed``.
    """
    state = _ResponsesState(StreamResult())
    try:
        async for event in _source(stream):
            await _responses_event(ctx, state, event)
        await _close_reasoning(ctx, state)
        if state.refusal:
            state.result.provider_metadata["refusal"] = "".join(state.refusal)
        await _end_parts(ctx)
        await write_metadata(ctx, usage_metadata(state.result.usage))
    finally:
        await _close(stream)
    result = state.result
    if result.finish_reason == "stop" and result.tool_calls:
        result.finish_reason = "tool-calls"
    return result


async def _responses_event(ctx: StreamContext[Any], state: _ResponsesState, event: Any) -> None:
    kind = _get(event, "type")
    if kind == "response.output_text.delta":
        delta = _get(event, "delta")
        if delta:
            await ctx.write_text(delta)
    elif kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
        await _reasoning_delta(ctx, state, event)
    elif kind == "response.reasoning_summary_part.added":
        item_id = _get(event, "item_id")
        index = _get(event, "summary_index", 0)
        if item_id == state.reasoning_item and index != state.summary_index:
            if state.part_open:  # each summary part is a reasoning part of its own
                await ctx.end_reasoning()
                state.part_open = False
            state.summary_index = index
    elif kind == "response.refusal.delta":
        delta = _get(event, "delta")
        if delta:
            state.refusal.append(delta)
            await ctx.write_text(delta)
    elif kind == "response.output_item.added":
        await _item_added(ctx, state, _get(event, "item"))
    elif kind == "response.output_item.done":
        await _item_done(ctx, state, _get(event, "item"))
    elif kind == "response.function_call_arguments.delta":
        call = state.functions.get(_get(event, "item_id"))
        delta = _get(event, "delta")
        if call is not None and not call.done and delta:
            call.text.append(delta)
            await ctx.stream_tool_input_delta(call.call_id, delta)
    elif kind == "response.function_call_arguments.done":
        call = state.functions.get(_get(event, "item_id"))
        if call is not None:
            await _function_done(ctx, state, call, _get(event, "arguments"))
    elif kind == "response.code_interpreter_call_code.delta":
        item_id = _get(event, "item_id")
        delta = _get(event, "delta")
        if item_id in state.code and delta:
            state.code[item_id].append(delta)
            await ctx.stream_tool_input_delta(item_id, json.dumps(delta)[1:-1])
    elif kind == "response.output_text.annotation.added":
        await _annotation(ctx, event)
    else:
        _response_info(state.result, kind, event)


def _response_info(result: StreamResult, kind: Any, event: Any) -> None:
    """Read a Responses event's ids, usage and finish reason into ``result``.

    Raises:
        ProviderError: An ``error`` event or ``response.failed``.
    """
    response = _get(event, "response")
    if kind == "response.created":
        if _get(response, "id"):
            result.provider_metadata["response_id"] = _get(response, "id")
        if _get(response, "model"):
            result.provider_metadata["model"] = _get(response, "model")
    elif kind in ("response.completed", "response.incomplete"):
        result.usage = _usage(
            _get(response, "usage"),
            "input_tokens",
            "output_tokens",
            "input_tokens_details",
            "output_tokens_details",
        )
        if kind == "response.completed":
            result.finish_reason = "stop"
        else:
            reason = _get(_get(response, "incomplete_details"), "reason")
            result.finish_reason = (
                "length"
                if reason == "max_output_tokens"
                else "content-filter"
                if reason == "content_filter"
                else "other"
            )
    elif kind == "response.failed":
        error = _get(response, "error")
        raise ProviderError(
            str(_get(error, "message") or "The response failed."),
            code=_get(error, "code"),
            body=_plain(error),
            provider="openai",
        )
    elif kind == "error":
        raise ProviderError(
            str(_get(event, "message") or "The provider reported an error."),
            code=_get(event, "code"),
            body=_plain(event),
            provider="openai",
        )


async def _reasoning_delta(ctx: StreamContext[Any], state: _ResponsesState, event: Any) -> None:
    item_id = _get(event, "item_id")
    delta = _get(event, "delta")
    if not isinstance(delta, str) or not delta:
        return
    if item_id != state.reasoning_item:  # no output_item.added was seen for it
        await _close_reasoning(ctx, state)
        state.reasoning_item = item_id
        state.reasoning_encrypted.setdefault(item_id, None)
    if state.part_open and ctx.current_reasoning_id is not None:
        await ctx.write_reasoning(delta)
        return
    state.part_open = state.had_part = True
    metadata = _reasoning_metadata(item_id, state.reasoning_encrypted.get(item_id))
    await ctx.write_reasoning(delta, provider_metadata=metadata)


async def _close_reasoning(ctx: StreamContext[Any], state: _ResponsesState) -> None:
    """End the reasoning part of the current item, with the final encrypted content."""
    item_id = state.reasoning_item
    if item_id is None:
        return
    had_part, part_open = state.had_part, state.part_open
    state.reasoning_item = None
    state.summary_index = 0
    state.part_open = state.had_part = False
    if ctx.is_finished:
        return
    metadata = _reasoning_metadata(item_id, state.reasoning_encrypted.get(item_id))
    if not had_part:
        # No summary was streamed: keep an empty part so that the item can be sent back.
        await ctx.write_reasoning("", provider_metadata=metadata)
    elif not part_open or ctx.current_reasoning_id is None:
        return
    await ctx.end_reasoning(provider_metadata=metadata)


async def _item_added(ctx: StreamContext[Any], state: _ResponsesState, item: Any) -> None:
    kind = _get(item, "type")
    item_id = _get(item, "id")
    if kind == "function_call":
        call_id = _get(item, "call_id") or item_id
        name = _get(item, "name")
        state.functions[item_id] = _FunctionCall(call_id, name)
        await ctx.start_tool_input(name, tool_call_id=call_id)
        arguments = _get(item, "arguments")
        if arguments:
            state.functions[item_id].text.append(arguments)
            await ctx.stream_tool_input_delta(call_id, arguments)
    elif kind == "reasoning":
        await _close_reasoning(ctx, state)
        state.reasoning_item = item_id
        state.summary_index = 0
        state.reasoning_encrypted[item_id] = _get(item, "encrypted_content")
    elif kind == "code_interpreter_call":
        state.provider_tools[item_id] = "code_interpreter"
        state.code[item_id] = []
        await ctx.start_tool_input("code_interpreter", tool_call_id=item_id, provider_executed=True)
        container = json.dumps(_get(item, "container_id"))
        await ctx.stream_tool_input_delta(item_id, f'{{"containerId":{container},"code":"')
    elif kind in _PROVIDER_TOOLS:
        name = _PROVIDER_TOOLS[kind]
        state.provider_tools[item_id] = name
        await ctx.begin_tool_call(name, {}, tool_call_id=item_id, provider_executed=True)


async def _item_done(ctx: StreamContext[Any], state: _ResponsesState, item: Any) -> None:
    kind = _get(item, "type")
    item_id = _get(item, "id")
    if kind == "message":
        await ctx.end_text()
    elif kind == "reasoning":
        state.reasoning_encrypted[item_id] = _get(item, "encrypted_content")
        if state.reasoning_item == item_id:
            await _close_reasoning(ctx, state)
    elif kind == "function_call":
        call = state.functions.get(item_id)
        if call is not None:
            await _function_done(ctx, state, call, _get(item, "arguments"))
    elif kind in _PROVIDER_TOOLS:
        await _provider_tool_done(ctx, state, kind, item_id, item)


async def _provider_tool_done(
    ctx: StreamContext[Any], state: _ResponsesState, kind: str, item_id: str, item: Any
) -> None:
    """Complete a provider-executed tool call (web search, file search, code interpreter)."""
    name = state.provider_tools.pop(item_id, None)
    tool_input: dict[str, Any] = {}
    if kind == "code_interpreter_call":
        streamed = state.code.pop(item_id, None)
        code = _get(item, "code") or "".join(streamed or ())
        tool_input = {"containerId": _get(item, "container_id"), "code": code}
        if name is not None:  # the input was streamed: close it
            await ctx.stream_tool_input_delta(item_id, '"}')
            await ctx.finish_tool_input(item_id, tool_input)
    if name is None:  # no output_item.added was seen for it
        name = _PROVIDER_TOOLS[kind]
        await ctx.begin_tool_call(name, tool_input, tool_call_id=item_id, provider_executed=True)
    status = _get(item, "status")
    if status in ("failed", "incomplete"):
        await ctx.fail_tool_call(
            item_id, f"The {name} call did not complete ({status}).", provider_executed=True
        )
    else:
        if kind == "web_search_call":
            output: Any = _web_search_output(_get(item, "action"))
        elif kind == "file_search_call":
            output = _file_search_output(item)
        else:
            output = {"outputs": _plain(_get(item, "outputs")) or []}
        await ctx.complete_tool_call(item_id, output, provider_executed=True)
    state.result.provider_metadata.setdefault("provider_tool_calls", []).append(
        ToolCallInfo(item_id, name, tool_input, provider_executed=True)
    )


async def _function_done(
    ctx: StreamContext[Any], state: _ResponsesState, call: _FunctionCall, arguments: Any
) -> None:
    if call.done:
        return
    call.done = True
    text = "".join(call.text)
    if isinstance(arguments, str) and arguments != text:
        if arguments.startswith(text):  # deltas were missed: send the rest
            await ctx.stream_tool_input_delta(call.call_id, arguments[len(text) :])
        text = arguments
    info = await _finish_tool(ctx, call.call_id, call.name, text)
    if info is not None:
        state.result.tool_calls.append(info)


async def _annotation(ctx: StreamContext[Any], event: Any) -> None:
    annotation = _get(event, "annotation")
    kind = _get(annotation, "type")
    source_id = (
        f"{_get(event, 'item_id')}:{_get(event, 'content_index', 0)}:"
        f"{_get(event, 'annotation_index', 0)}"
    )
    if kind == "url_citation":
        await ctx.write_source(source_id, _get(annotation, "url"), _get(annotation, "title"))
    elif kind in ("file_citation", "container_file_citation"):
        file_id = _get(annotation, "file_id")
        filename = _get(annotation, "filename")
        metadata: dict[str, Any] = {"fileId": file_id}
        if kind == "container_file_citation":
            metadata["containerId"] = _get(annotation, "container_id")
        await ctx.write_source_document(
            source_id,
            "text/plain",
            filename or file_id or "Document",
            filename=filename or file_id,
            provider_metadata={"openai": metadata},
        )


# --- object streams (experimental_useObject) ----------------------------------------------------


def _strict_json_schema(
    schema: Mapping[str, Any], root: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """OpenAI's strict form of a JSON schema, as ``openai.lib._pydantic`` makes it of a model.

    Every object gets ``additionalProperties: false`` and all its properties required, a
    ``$ref`` with other keywords beside it is inlined, and a ``null`` default is dropped.
    """
    root = schema if root is None else root
    ref = schema.get("$ref")
    if isinstance(ref, str) and len(schema) > 1:  # (strict mode takes nothing beside a $ref)
        target: Any = root
        for key in ref.removeprefix("#/").split("/"):
            target = target[key]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    strict: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("$defs", "properties") and isinstance(value, Mapping):
            value = {name: _strict_json_schema(s, root) for name, s in value.items()}
        elif key in ("anyOf", "allOf", "oneOf", "prefixItems") and isinstance(value, list):
            value = [_strict_json_schema(s, root) for s in value]
        elif key == "items" and isinstance(value, Mapping):
            value = _strict_json_schema(value, root)
        elif key == "default" and value is None:
            continue
        strict[key] = value
    if strict.get("type") == "object":
        strict.setdefault("additionalProperties", False)
        strict["required"] = list(strict.get("properties", {}))
    return strict


def openai_response_format(obj: ObjectStreamContext[Any], name: str = "response") -> dict[str, Any]:
    """The Chat Completions ``response_format`` for ``obj``'s value (strict structured outputs).

    Example::

        stream = await client.chat.completions.create(
            model=..., messages=..., stream=True, response_format=openai_response_format(obj)
        )
        await stream_chat_completions_object(obj, stream)

    Args:
        obj: The object stream. An array stream asks for ``{"elements": [...]}`` (OpenAI takes
            an object at the top only), which :func:`stream_chat_completions_object` unwraps.
        name: The schema's name (letters, digits, ``_`` and ``-``, at most 64).

    Returns:
        ``{"type": "json_schema", "json_schema": {"name", "schema", "strict": True}}``, the
        schema in OpenAI's strict form (every property required, no additional properties).
    """
    schema = _strict_json_schema(object_json_schema(obj))
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


def openai_text_format(obj: ObjectStreamContext[Any], name: str = "response") -> dict[str, Any]:
    """The Responses API ``text`` parameter for ``obj``'s value (strict structured outputs).

    Example::

        stream = await client.responses.create(
            model=..., input=..., stream=True, text=openai_text_format(obj)
        )
        await stream_responses_object(obj, stream)

    Args:
        obj: The object stream (an array stream asks for ``{"elements": [...]}``, as
            :func:`openai_response_format`).
        name: The schema's name (letters, digits, ``_`` and ``-``, at most 64).

    Returns:
        ``{"format": {"type": "json_schema", "name", "schema", "strict": True}}``.
    """
    schema = _strict_json_schema(object_json_schema(obj))
    return {"format": {"type": "json_schema", "name": name, "schema": schema, "strict": True}}


def _refusal_error(refusal: list[str]) -> ProviderError:
    text = "".join(refusal)
    return ProviderError(
        f"The model refused to answer: {text}",
        provider="openai",
        code="refusal",
        body={"refusal": text},
    )


_CUT_SHORT = {"length": "at the token limit", "content-filter": "by the content filter"}


def _cut_short_error(finish_reason: str | None) -> ProviderError:
    """The error of an output cut short (its JSON is incomplete)."""
    why = _CUT_SHORT.get(finish_reason or "", f"({finish_reason})")
    return ProviderError(
        f"The output was cut short {why}: its JSON is incomplete.",
        provider="openai",
        code=finish_reason,
    )


async def stream_chat_completions_object(
    obj: ObjectStreamContext[Any], stream: Any
) -> StreamResult:
    """Write an OpenAI Chat Completions stream of structured output into an object stream.

    The ``delta.content`` of the first choice is the JSON text: an object stream gets it as it
    comes, an array stream each element once it is complete (the model answers
    ``{"elements": [...]}`` with :func:`openai_response_format`, or a bare array). The context
    is not closed: :meth:`ObjectStreamContext.run` closes and validates the value when the work
    returns. When the client disconnects, the work is cancelled and the provider stream closed.

    Example::

        async def work(obj):
            stream = await client.chat.completions.create(
                model="gpt-4o", messages=messages, stream=True,
                response_format=openai_response_format(obj),
            )
            await stream_chat_completions_object(obj, stream)

    Args:
        obj: The object stream to write into.
        stream: The stream ``client.chat.completions.create(..., stream=True)`` returned, the
            entered ``client.chat.completions.stream(...)`` helper (its ``chunk`` events are
            read), or any (async) iterable of OpenAI-shaped chunks (objects or dicts).

    Returns:
        The finish reason, usage and ``provider_metadata`` (``response_id``, ``model``).

    Raises:
        ProviderError: A chunk carries an ``error`` object, the model refused
            (``delta.refusal``; code ``"refusal"``), or the output was cut short
            (``finish_reason`` ``"length"`` or ``"content_filter"``: code ``"length"`` or
            ``"content-filter"``). ``run()`` logs it and ends the body.
        ObjectValidationError: A complete element of an array stream fails the schema.
    """
    result = StreamResult()
    text = ObjectText(obj)
    refusal: list[str] = []
    try:
        async for event in _source(stream):
            # (the SDK helper's events: its chunk events hold the chunks, the others add nothing)
            chunk = _get(event, "chunk") if _get(event, "type") == "chunk" else event
            _chat_chunk_info(result, chunk)
            for choice in _get(chunk, "choices") or ():
                if _get(choice, "index", 0) != 0:
                    continue
                delta = _get(choice, "delta")
                content = _get(delta, "content")
                if isinstance(content, str) and content:
                    await text.write(content)
                piece = _get(delta, "refusal")
                if isinstance(piece, str) and piece:
                    refusal.append(piece)
                reason = _finish_reason(_get(choice, "finish_reason"))
                if reason is not None:
                    result.finish_reason = reason
        if refusal:
            raise _refusal_error(refusal)
        if result.finish_reason in _CUT_SHORT:
            raise _cut_short_error(result.finish_reason)
    finally:
        await _close(stream)
    return result


async def stream_responses_object(obj: ObjectStreamContext[Any], stream: Any) -> StreamResult:
    """Write an OpenAI Responses API stream of structured output into an object stream.

    ``response.output_text.delta`` is the JSON text: an object stream gets it as it comes, an
    array stream each element once it is complete (``{"elements": [...]}`` with
    :func:`openai_text_format`, or a bare array). The context is not closed:
    :meth:`ObjectStreamContext.run` closes and validates the value when the work returns. When
    the client disconnects, the work is cancelled and the provider stream closed.

    Example::

        async def work(obj):
            stream = await client.responses.create(
                model="gpt-4.1", input=prompt, stream=True, text=openai_text_format(obj)
            )
            await stream_responses_object(obj, stream)

    Args:
        obj: The object stream to write into.
        stream: The stream ``client.responses.create(..., stream=True)`` returned, the entered
            ``client.responses.stream(...)`` helper, or any (async) iterable of Responses events
            (objects or dicts with a ``type``).

    Returns:
        The finish reason, usage and ``provider_metadata`` (``response_id``, ``model``).

    Raises:
        ProviderError: An ``error`` event, ``response.failed``, a refusal
            (``response.refusal.delta``; code ``"refusal"``) or ``response.incomplete`` (code
            ``"length"``, ``"content-filter"`` or ``"other"``). ``run()`` logs it and ends the
            body.
        ObjectValidationError: A complete element of an array stream fails the schema.
    """
    result = StreamResult()
    text = ObjectText(obj)
    refusal: list[str] = []
    try:
        async for event in _source(stream):
            kind = _get(event, "type")
            delta = _get(event, "delta")
            if kind == "response.output_text.delta" and isinstance(delta, str) and delta:
                await text.write(delta)
            elif kind == "response.refusal.delta" and isinstance(delta, str) and delta:
                refusal.append(delta)
            else:
                _response_info(result, kind, event)
            if kind == "response.incomplete":
                raise _cut_short_error(result.finish_reason)
        if refusal:
            raise _refusal_error(refusal)
    finally:
        await _close(stream)
    return result
