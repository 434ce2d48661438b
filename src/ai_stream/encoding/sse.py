r"""UI message chunks → Server-Sent Events bytes, exactly as the ``ai`` package writes them.

Mirrors ``JsonToSseTransformStream`` (ai 5/6/7): every chunk is ``data: <JSON>\n\n`` with
compact JSON, keys in insertion order and non-ASCII text as raw UTF-8; the stream ends with
``data: [DONE]\n\n``. Keep-alive frames are SSE comments, which the client ignores.

Deliberate divergences from ``JSON.stringify``, none of which changes what the client parses:
Python floats keep their ``.0`` (``1.0`` rather than ``1``), and non-finite numbers become ``null``
(as in JavaScript).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ai_stream.encoding._json import encode_json, encode_json_string

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = (
    "DONE_FRAME",
    "KEEP_ALIVE_FRAME",
    "STREAM_OPEN_FRAME",
    "UI_MESSAGE_STREAM_HEADERS",
    "SSEEncoder",
    "comment_frame",
    "encode_json",
    "encode_json_string",
    "encode_sse",
)

UI_MESSAGE_STREAM_HEADERS: Final[dict[str, str]] = {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    "connection": "keep-alive",
    "x-vercel-ai-ui-message-stream": "v1",
    "x-accel-buffering": "no",
}
"""The response headers of ``createUIMessageStreamResponse`` (``UI_MESSAGE_STREAM_HEADERS``)."""

DONE_FRAME: Final = b"data: [DONE]\n\n"
"""The last frame of every UI message stream."""

STREAM_OPEN_FRAME: Final = b": stream-open\n\n"
"""The comment the reference server sends first when keep-alive is on."""

KEEP_ALIVE_FRAME: Final = b": keep-alive\n\n"
"""The comment the reference server sends after each idle keep-alive period."""


def encode_sse(chunk: Mapping[str, Any]) -> bytes:
    r"""Encode one chunk object as one SSE frame: ``data: <compact JSON>\n\n``."""
    return b"data: " + encode_json(chunk) + b"\n\n"


def comment_frame(text: str = "") -> bytes:
    r"""Return an SSE comment frame (``: text\n\n``); newlines in ``text`` become spaces."""
    clean = text.replace("\r", " ").replace("\n", " ")
    return f": {clean}\n\n".encode() if clean else b":\n\n"


_TYPE_ONLY: Final = {
    kind: f'data: {{"type":"{kind}"}}\n\n'.encode()
    for kind in ("start", "start-step", "finish-step", "finish", "abort", "reset-step")
}


class SSEEncoder:
    """The UI message stream encoder (ai 5, 6, 7): one SSE frame per chunk."""

    headers: Final = UI_MESSAGE_STREAM_HEADERS
    terminator: Final = DONE_FRAME

    @staticmethod
    def encode(chunk: Mapping[str, Any]) -> bytes:
        """Encode a chunk object as one SSE frame."""
        if len(chunk) == 1:
            frame = _TYPE_ONLY.get(chunk["type"])
            if frame is not None:
                return frame
        return b"data: " + encode_json(chunk) + b"\n\n"

    @staticmethod
    def delta_affixes(kind: str, part_id: str) -> tuple[bytes, bytes]:
        """Return the bytes around the JSON string of a ``text-delta``/``reasoning-delta``.

        ``prefix + encode_json_string(delta) + suffix`` is the frame of
        ``{"type": kind, "id": part_id, "delta": delta}``, built without a JSON round trip.
        """
        head = encode_json({"type": kind, "id": part_id})[:-1]
        return b"data: " + head + b',"delta":', b"}\n\n"
