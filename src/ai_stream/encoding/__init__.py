"""Chunk → bytes encoders (pure functions, no I/O).

An encoder turns the chunk objects a :class:`~ai_stream.StreamContext` produces into the bytes of
one wire format. :class:`SSEEncoder` writes the UI message stream of ai 5, 6 and 7.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Protocol

from ai_stream.encoding.data_stream import DataStreamEncoder
from ai_stream.encoding.sse import (
    DONE_FRAME as DONE_FRAME,
)
from ai_stream.encoding.sse import (
    KEEP_ALIVE_FRAME as KEEP_ALIVE_FRAME,
)
from ai_stream.encoding.sse import (
    STREAM_OPEN_FRAME as STREAM_OPEN_FRAME,
)
from ai_stream.encoding.sse import (
    UI_MESSAGE_STREAM_HEADERS as UI_MESSAGE_STREAM_HEADERS,
)
from ai_stream.encoding.sse import (
    SSEEncoder as SSEEncoder,
)
from ai_stream.encoding.sse import (
    comment_frame as comment_frame,
)
from ai_stream.encoding.sse import (
    encode_json as encode_json,
)
from ai_stream.encoding.sse import (
    encode_json_string as encode_json_string,
)
from ai_stream.encoding.sse import (
    encode_sse as encode_sse,
)
from ai_stream.encoding.text import TextStreamEncoder

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ai_stream.protocol.versions import ClientTarget

__all__ = (
    "DONE_FRAME",
    "KEEP_ALIVE_FRAME",
    "STREAM_OPEN_FRAME",
    "UI_MESSAGE_STREAM_HEADERS",
    "Encoder",
    "SSEEncoder",
    "comment_frame",
    "encode_json",
    "encode_json_string",
    "encode_sse",
    "encoder_for",
)


class Encoder(Protocol):
    """Turns chunk objects into the bytes of one wire format."""

    @property
    def headers(self) -> dict[str, str]:
        """Response headers that announce the format."""
        ...

    @property
    def terminator(self) -> bytes:
        """Bytes written once after the last chunk (may be empty)."""
        ...

    def encode(self, chunk: Mapping[str, Any]) -> bytes:
        """Encode one chunk object."""
        ...

    def delta_affixes(self, kind: str, part_id: str) -> tuple[bytes, bytes]:
        """Bytes around ``encode_json_string(delta)`` that form a whole delta frame."""
        ...


_SSE_ENCODER: Final = SSEEncoder()  # (it keeps no state: every stream shares it)


def encoder_for(target: ClientTarget) -> Encoder:
    """An encoder for one stream in the wire format ``target`` reads (:attr:`ClientTarget.wire`).

    The data stream and text encoders keep state, so each stream gets its own; the SSE encoder
    keeps none and is shared.
    """
    if target.wire == "text":
        return TextStreamEncoder()
    if target.wire == "data":
        return DataStreamEncoder()
    return _SSE_ENCODER
