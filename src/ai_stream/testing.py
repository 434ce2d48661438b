"""Helpers for testing code that writes UI message streams (public and typed).

* :func:`parse_sse` turns a response body into typed chunks, checking the SSE framing the way the
  client's ``EventSourceParserStream`` reads it.
* :func:`read_ui_message` reduces chunks to the assistant ``UIMessage`` with the semantics of the
  client's ``readUIMessageStream`` for a given client version.
* :func:`collect_stream` drains a context (running its work) and returns the body bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ai_stream.exceptions import ChunkParseError
from ai_stream.protocol.chunks import UIMessageChunk, parse_chunk
from ai_stream.reducer import read_ui_message as _read_ui_message

if TYPE_CHECKING:
    from ai_stream.context import StreamContext
    from ai_stream.protocol.versions import ClientTarget, SdkVersion

__all__ = ("collect_stream", "parse_sse", "parse_sse_json", "read_ui_message")


def _events(body: bytes | str) -> list[str]:
    text = body.decode() if isinstance(body, bytes) else body
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks = text.split("\n\n")
    if blocks[-1].strip():
        raise ChunkParseError(
            "The body does not end with a blank line; the client drops such a last event."
        )
    events = []
    for block in blocks[:-1]:
        data = [
            line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")
        ]
        if data:
            events.append("\n".join(data))
    return events


def parse_sse_json(body: bytes | str, *, require_done: bool = True) -> list[dict[str, Any]]:
    """Decode an SSE body into the chunk objects (plain dicts), dropping ``[DONE]``.

    Raises:
        ChunkParseError: Bad framing, invalid JSON, or a missing final ``[DONE]``.
    """
    events = _events(body)
    if require_done and (not events or events[-1] != "[DONE]"):
        raise ChunkParseError("The stream does not end with 'data: [DONE]'.")
    chunks = []
    for event in events:
        if event == "[DONE]":
            continue
        try:
            value = json.loads(event)
        except ValueError as exc:
            raise ChunkParseError("An SSE event does not hold valid JSON.") from exc
        if not isinstance(value, dict):
            raise ChunkParseError("An SSE event does not hold a JSON object.")
        chunks.append(value)
    return chunks


def parse_sse(body: bytes | str, *, require_done: bool = True) -> list[UIMessageChunk]:
    """Decode an SSE body into typed chunks (any ``data-<name>`` becomes a ``DataChunk``).

    Args:
        body: The response body.
        require_done: Fail when the final ``data: [DONE]`` is missing.

    Raises:
        ChunkParseError: Bad framing, invalid JSON, or a chunk the protocol does not define.
    """
    return [parse_chunk(c) for c in parse_sse_json(body, require_done=require_done)]


def read_ui_message(
    chunks: Iterable[UIMessageChunk | Mapping[str, Any]],
    sdk_version: SdkVersion | ClientTarget = 6,
    *,
    message: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Reduce chunks to the last assistant ``UIMessage`` that ``readUIMessageStream`` yields.

    Args:
        chunks: Typed chunks or chunk objects.
        sdk_version: The client whose semantics apply.
        message: The assistant message being continued, if any.

    Returns:
        The message as last yielded (without a trailing ``step-start``: ``start-step`` alone
        yields nothing), or ``None`` when the stream made the client yield nothing.
    """
    objects = [c if isinstance(c, Mapping) else c.to_wire() for c in chunks]
    return _read_ui_message(objects, sdk_version, message=message)


async def collect_stream(context: StreamContext[Any]) -> bytes:
    """Drain ``context`` (starting work given to ``run``) and return the whole body.

    It drains as :class:`~ai_stream.UIMessageStreamResponse` does, with
    :meth:`~ai_stream.StreamContext.pump` (the writers may send pieces themselves).
    """
    pieces: list[bytes] = []

    async def keep(piece: bytes) -> None:
        pieces.append(piece)

    await context.pump(keep)
    return b"".join(pieces)
