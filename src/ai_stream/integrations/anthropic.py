"""Anthropic Messages streams → the UI message stream.

:func:`stream_messages` reads the raw events of ``client.messages.create(..., stream=True)``
(SDK objects or plain dicts; the ``client.messages.stream()`` helper works too) and writes them
into a :class:`~ai_stream.StreamContext`:

=================================================  =============================================
Anthropic event                                    UI message stream
=================================================  =============================================
``text`` block, ``text_delta``                     ``write_text`` (adjacent text blocks, as split
                                                   by citations, share one text part)
``thinking`` block, ``thinking_delta``             ``write_reasoning``
``signature_delta`` / ``content_block_stop``       ``end_reasoning`` with providerMetadata
                                                   ``{"anthropic": {"signature": ...}}``
``redacted_thinking`` block                        an empty reasoning part with providerMetadata
                                                   ``{"anthropic": {"redactedData": ...}}``
``tool_use`` block, ``input_json_delta``, stop     ``start_tool_input`` / ``stream_tool_input_
                                                   delta`` / ``finish_tool_input`` (invalid JSON:
                                                   ``fail_tool_input``); returned in
                                                   ``StreamResult.tool_calls``, not executed
``server_tool_use`` / ``mcp_tool_use``             the same, ``provider_executed=True``
``*_tool_result`` / ``mcp_tool_result`` block      ``complete_tool_call`` (errors:
                                                   ``fail_tool_call``), ``provider_executed=True``
``citations_delta``                                ``write_source`` (web search results) or
                                                   ``write_source_document`` (documents), once
                                                   per source
``message_delta`` ``stop_reason``                  ``StreamResult.finish_reason`` (normalized)
``message_start`` / ``message_delta`` ``usage``    ``StreamResult.usage`` and message metadata
                                                   ``{"usage": ...}``
``error``                                          raises :class:`ProviderError`
``ping``, ``message_stop``, helper events          ignored
=================================================  =============================================

The ``anthropic`` package is never imported: events are read by duck typing.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio

from ai_stream.agent import StreamResult, ToolCallInfo
from ai_stream.exceptions import ProviderError, StreamStateError
from ai_stream.integrations._common import usage_metadata, write_metadata
from ai_stream.protocol.versions import normalize_finish_reason

if TYPE_CHECKING:
    from ai_stream.context import StreamContext

__all__ = ("ProviderError", "stream_messages")

CLOSE_TIMEOUT = 5.0
"""Seconds allowed for closing the provider stream (shielded from cancellation)."""

_PROVIDER_TOOL_USES = frozenset({"server_tool_use", "mcp_tool_use"})


def _provider_error(event: Any) -> ProviderError:
    error = _get(event, "error")
    error_type = str(_get(error, "type") or "error")
    return ProviderError(
        f"Anthropic stream error ({error_type}): {_get(error, 'message') or ''}",
        provider="anthropic",
        code=error_type,
        body=_plain(event),
    )


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _plain(value: Any) -> Any:
    """An SDK model (or a structure holding some) as JSON-compatible data."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    to_dict = getattr(value, "to_dict", None)  # anthropic models: the fields the API sent
    if callable(to_dict):
        return _plain(to_dict())
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump):
        return model_dump(mode="json", exclude_none=True)
    return value


def _source_id(*key: Any) -> str:
    digest = hashlib.sha256(json.dumps(key, default=str).encode()).hexdigest()
    return f"src_{digest[:16]}"


def _usage(raw: Mapping[str, Any]) -> dict[str, Any] | None:
    """Anthropic usage → ``{"inputTokens", "outputTokens", "totalTokens", ...}``.

    ``inputTokens`` counts every input token (Anthropic's ``input_tokens`` leaves out the cache
    reads and writes), as OpenAI's does; ``cachedInputTokens`` are the cache reads. The raw
    usage (with the cache writes) is in ``StreamResult.provider_metadata["usage"]``.
    """
    base, output = raw.get("input_tokens"), raw.get("output_tokens")
    if base is None and output is None:
        return None
    read, write = raw.get("cache_read_input_tokens"), raw.get("cache_creation_input_tokens")
    input_tokens = (base or 0) + (read or 0) + (write or 0)
    usage: dict[str, Any] = {
        "inputTokens": input_tokens,
        "outputTokens": output or 0,
        "totalTokens": input_tokens + (output or 0),
    }
    if read is not None:
        usage["cachedInputTokens"] = read
    thinking = _get(raw.get("output_tokens_details") or {}, "thinking_tokens")
    if isinstance(thinking, int):
        usage["reasoningTokens"] = thinking
    return usage


@dataclass
class _Block:
    kind: str
    tool_call_id: str = ""
    tool_name: str = ""
    provider_executed: bool = False
    json_parts: list[str] = field(default_factory=list)
    initial_input: Any = None
    signature: str | None = None


class _Adapter:
    def __init__(
        self, ctx: StreamContext[Any], documents: Sequence[Mapping[str, Any]] | None
    ) -> None:
        self.ctx = ctx
        self.documents = list(documents or ())
        self.blocks: dict[int, _Block] = {}
        self.tool_names: dict[str, str] = {}
        self.sources: set[str] = set()
        self.raw_usage: dict[str, Any] = {}
        self.result = StreamResult()

    # --- events --------------------------------------------------------------------------------

    async def handle(self, event: Any) -> None:
        kind = _get(event, "type")
        if kind == "content_block_delta":
            await self._delta(_get(event, "index"), _get(event, "delta"))
        elif kind == "content_block_start":
            await self._start(_get(event, "index"), _get(event, "content_block"))
        elif kind == "content_block_stop":
            block = self.blocks.pop(_get(event, "index"), None)
            if block is not None:
                await self._stop(block)
        elif kind == "message_start":
            message = _get(event, "message")
            metadata = self.result.provider_metadata
            for key, name in (("id", "message_id"), ("model", "model")):
                if (value := _get(message, key)) is not None:
                    metadata[name] = value
            self._add_usage(_get(message, "usage"))
        elif kind == "message_delta":
            delta = _get(event, "delta")
            stop_reason = _get(delta, "stop_reason")
            if stop_reason:
                self.result.provider_metadata["stop_reason"] = stop_reason
                try:
                    self.result.finish_reason = normalize_finish_reason(stop_reason)
                except ValueError:
                    self.result.finish_reason = "other"
            if (stop_sequence := _get(delta, "stop_sequence")) is not None:
                self.result.provider_metadata["stop_sequence"] = stop_sequence
            self._add_usage(_get(event, "usage"))
        elif kind == "error":
            raise _provider_error(event)
        # ping, message_stop and the helper's derived events (text, thinking, citation ...)

    def _add_usage(self, usage: Any) -> None:
        if usage is None:
            return
        for key, value in _plain(usage).items():
            if value is not None:
                self.raw_usage[key] = value

    async def _start(self, index: int, block: Any) -> None:
        ctx = self.ctx
        kind = str(_get(block, "type") or "")
        if kind == "text":
            self.blocks[index] = _Block(kind)
            if text := _get(block, "text"):
                await ctx.write_text(text)
            for citation in _get(block, "citations") or ():
                await self._citation(citation)
        elif kind == "thinking":
            if ctx.current_reasoning_id is not None:
                await ctx.end_reasoning()
            self.blocks[index] = _Block(kind, signature=_get(block, "signature") or None)
            if thinking := _get(block, "thinking"):
                await ctx.write_reasoning(thinking)
        elif kind == "redacted_thinking":
            if ctx.current_reasoning_id is not None:
                await ctx.end_reasoning()
            metadata = {"anthropic": {"redactedData": _get(block, "data")}}
            await ctx.write_reasoning("", provider_metadata=metadata)
            await ctx.end_reasoning()
        elif kind == "tool_use" or kind in _PROVIDER_TOOL_USES:
            tool = _Block(
                kind,
                tool_call_id=_get(block, "id"),
                tool_name=_get(block, "name"),
                provider_executed=kind != "tool_use",
                initial_input=_plain(_get(block, "input")),
            )
            self.blocks[index] = tool
            self.tool_names[tool.tool_call_id] = tool.tool_name
            await ctx.start_tool_input(
                tool.tool_name,
                tool_call_id=tool.tool_call_id,
                provider_executed=True if tool.provider_executed else None,
                dynamic=kind == "mcp_tool_use",
            )
        elif kind == "mcp_tool_result" or (
            kind.endswith("_tool_result") and _get(block, "tool_use_id")
        ):
            await self._tool_result(kind, block)
        # anything else (container_upload, future block types) is not shown

    async def _delta(self, index: int, delta: Any) -> None:
        block = self.blocks.get(index)
        if block is None:
            return
        kind = _get(delta, "type")
        if kind == "text_delta":
            await self.ctx.write_text(_get(delta, "text"))
        elif kind == "thinking_delta":
            await self.ctx.write_reasoning(_get(delta, "thinking"))
        elif kind == "signature_delta":
            block.signature = _get(delta, "signature")
        elif kind == "input_json_delta":
            partial = _get(delta, "partial_json")
            if partial and block.tool_call_id:
                block.json_parts.append(partial)
                await self.ctx.stream_tool_input_delta(block.tool_call_id, partial)
        elif kind == "citations_delta":
            await self._citation(_get(delta, "citation"))

    async def _stop(self, block: _Block) -> None:
        ctx = self.ctx
        if block.kind == "thinking":
            if block.signature is None:
                await ctx.end_reasoning()
                return
            if ctx.current_reasoning_id is None:  # thinking omitted: keep the signature
                await ctx.write_reasoning("")
            await ctx.end_reasoning(provider_metadata={"anthropic": {"signature": block.signature}})
        elif block.tool_call_id:
            await self._finish_tool(block)

    async def _finish_tool(self, block: _Block) -> None:
        ctx = self.ctx
        text = "".join(block.json_parts)
        error: str | None = None
        tool_input: Any = block.initial_input if block.initial_input is not None else {}
        if text.strip():
            try:
                tool_input = json.loads(text)
            except ValueError as exc:
                error = f"The tool input is not valid JSON: {exc}"
            else:
                if not isinstance(tool_input, dict):
                    error = "The tool input is not a JSON object."
        if error is not None:
            if ctx.target.accepts_chunk("tool-input-error"):
                await ctx.fail_tool_input(block.tool_call_id, error, input=text)
            else:  # ai 5.0.0-5.0.6: the streamed call ends in an output error
                await ctx.fail_tool_call(
                    block.tool_call_id,
                    error,
                    provider_executed=True if block.provider_executed else None,
                )
            return
        await ctx.finish_tool_input(block.tool_call_id, tool_input)
        if not block.provider_executed:
            self.result.tool_calls.append(
                ToolCallInfo(block.tool_call_id, block.tool_name, tool_input)
            )

    async def _tool_result(self, kind: str, block: Any) -> None:
        ctx = self.ctx
        tool_call_id = str(_get(block, "tool_use_id"))
        content = _plain(_get(block, "content"))
        error: str | None = None
        if kind == "mcp_tool_result":
            if _get(block, "is_error"):
                error = _text_of(content) or "The tool failed."
        elif isinstance(content, Mapping) and str(content.get("type", "")).endswith("_error"):
            error = str(content.get("error_code") or content["type"])

        async def write() -> None:
            if error is not None:
                await ctx.fail_tool_call(tool_call_id, error, provider_executed=True)
            else:
                await ctx.complete_tool_call(tool_call_id, content, provider_executed=True)

        if tool_call_id in self.tool_names:
            await write()
            return
        # A call of an earlier response: the context knows it if it continues that message.
        name = self.tool_names[tool_call_id] = kind.removesuffix("_tool_result")
        try:
            await write()
            return
        except StreamStateError:  # unknown: announce it first
            await ctx.begin_tool_call(name, None, tool_call_id=tool_call_id, provider_executed=True)
        await write()

    async def _citation(self, citation: Any) -> None:
        ctx = self.ctx
        kind = _get(citation, "type")
        if kind == "web_search_result_location" or (
            kind == "search_result_location"
            and str(_get(citation, "source") or "").startswith(("http://", "https://"))
        ):
            url = str(_get(citation, "url") or _get(citation, "source"))
            source_id = _source_id("url", url)
            if source_id not in self.sources:
                self.sources.add(source_id)
                await ctx.write_source(source_id, url, _get(citation, "title") or None)
        elif kind in ("char_location", "page_location", "content_block_location"):
            index = _get(citation, "document_index")
            document = (
                self.documents[index]
                if isinstance(index, int) and 0 <= index < len(self.documents)
                else {}
            )
            title = (
                document.get("title")
                or _get(citation, "document_title")
                or f"Document {(index or 0) + 1}"
            )
            media_type = _get(document.get("source"), "media_type") or (
                "application/pdf" if kind == "page_location" else "text/plain"
            )
            source_id = _source_id("document", index, title)
            if source_id not in self.sources:
                self.sources.add(source_id)
                file_id = _get(citation, "file_id")
                await ctx.write_source_document(
                    source_id,
                    str(media_type),
                    str(title),
                    provider_metadata={"anthropic": {"fileId": file_id}} if file_id else None,
                )
        elif kind == "search_result_location":
            title = str(_get(citation, "title") or _get(citation, "source") or "Search result")
            source_id = _source_id("search_result", _get(citation, "source"), title)
            if source_id not in self.sources:
                self.sources.add(source_id)
                await ctx.write_source_document(source_id, "text/plain", title)

    # --- end -------------------------------------------------------------------------------------

    async def end(self) -> None:
        ctx = self.ctx
        for block in list(self.blocks.values()):  # blocks the stream left open
            await self._stop(block)
        self.blocks.clear()
        await ctx.end_text()
        await ctx.end_reasoning()
        usage = _usage(self.raw_usage)
        self.result.usage = usage
        if self.raw_usage:
            self.result.provider_metadata["usage"] = dict(self.raw_usage)
        if usage is not None:
            await write_metadata(ctx, usage_metadata(usage))


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(_get(item, "text") or "") for item in content)
    return ""


async def _events(stream: Any, stack: AsyncExitStack) -> Any:
    """The event iterator of whatever was passed: a stream, a coroutine, a stream manager."""
    if inspect.isawaitable(stream):
        stream = await stream
    if not hasattr(stream, "__aiter__") and hasattr(stream, "__aenter__"):
        stream = await stack.enter_async_context(stream)  # client.messages.stream(...)
    if not hasattr(stream, "__aiter__") and isinstance(stream, Iterable):
        stream = _aiter(stream)
    return stream


async def _aiter(events: Iterable[Any]) -> AsyncIterator[Any]:
    for event in events:
        yield event


async def _close(stream: Any) -> None:
    close = getattr(stream, "close", None) or getattr(stream, "aclose", None)
    if callable(close):
        result = close()
        if inspect.isawaitable(result):
            await result


async def stream_messages(
    ctx: StreamContext[Any],
    stream: AsyncIterable[Any] | Any,
    *,
    documents: Sequence[Mapping[str, Any]] | None = None,
) -> StreamResult:
    """Write an Anthropic Messages stream into ``ctx`` and return what the model asked for.

    The context is not finished: call ``ctx.finish(result.finish_reason)`` (``run`` finishes it
    when the work returns), or run the returned tool calls and stream the next response into the
    same context. Open text and reasoning parts are closed at the end. The provider stream is
    closed when this returns, raises or is cancelled (the client went away), so no more tokens
    are generated for nobody.

    Args:
        ctx: The context to write to.
        stream: The raw event stream of ``await client.messages.create(..., stream=True)`` (the
            coroutine itself is accepted), the ``client.messages.stream(...)`` helper (entered
            or not), or any (async) iterable of event objects or plain dicts.
        documents: The ``document`` blocks of the request, in order, so that document
            citations get their title and media type (``document_index`` points into it).

    Returns:
        The finish reason, the usage, and the client-side tool calls to run (provider-executed
        calls such as web search come with their results already).

    Raises:
        ProviderError: The stream sent an ``error`` event (read by the SDK, which raises
            ``APIStatusError``, the ``__cause__``; or given as an event). Other exceptions
            (connection errors, timeouts) pass through unchanged.
    """
    adapter = _Adapter(ctx, documents)
    async with AsyncExitStack() as stack:
        events = await _events(stream, stack)
        try:
            async for event in events:
                await adapter.handle(event)
        except Exception as exc:
            body = getattr(exc, "body", None)  # the SDK's APIStatusError for an error event
            if isinstance(body, Mapping) and body.get("type") == "error":
                raise _provider_error(body) from exc
            raise
        finally:
            with anyio.move_on_after(CLOSE_TIMEOUT, shield=True):
                await _close(events)
    await adapter.end()
    return adapter.result
