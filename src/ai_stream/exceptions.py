"""The exceptions ai_stream raises.

Every exception derives from :class:`AIStreamError`, and each also derives from the builtin that
describes the kind of mistake, so ``except RuntimeError`` / ``except ValueError`` keep working::

    AIStreamError
    ├── StreamStateError (RuntimeError)          the call does not fit the stream's current state
    │   └── StreamClosedError                    the stream was already finished or aborted
    │       └── ClientDisconnectedError          the client went away; nothing more can be written
    ├── UnsupportedByClientError (ValueError)    the target client release cannot take this chunk
    ├── EventTooLargeError (ValueError)          a value over the client's event size limit
    ├── ObjectValidationError (ValueError)       an object stream's value fails its schema
    ├── MissingExtraError (ImportError)          an optional dependency is not installed
    ├── ChunkParseError (ValueError)             bytes or JSON that are not a valid UI message chunk
    ├── UIMessageStreamError (RuntimeError)      the client would throw while applying a chunk
    ├── RequestParseError (ValueError)           a request body the hooks' server cannot use (4xx)
    ├── ApprovalVerificationError (ValueError)   an approval decision that does not verify
    ├── ProviderError (RuntimeError)             a provider or agent framework failed mid-stream
    ├── ProducerLostError (RuntimeError)         a resumable stream's producer died unfinished
    ├── TooManyStreamsError (RuntimeError)       a resumable-stream limit is reached (HTTP 429)
    ├── StreamStoreError (RuntimeError)          the resumable streams' store failed (HTTP 503)
    └── ChatError                                a chat request the ChatStore cannot answer now
        ├── ChatNotFoundError (LookupError)      no such chat for this user (HTTP 404)
        ├── ChatConflictError (RuntimeError)     the chat is busy, or moved on (HTTP 409)
        └── ChatStoreError (RuntimeError)        the chat store failed (HTTP 503)

Messages are fixed and explain what to do; they never contain data from the stream. The exceptions
are :class:`UIMessageStreamError`, which repeats the client's own message (with the chunk's id),
and :class:`ProviderError`, which carries the provider's message: it stays on the server
(``StreamContext.run`` logs it and sends the client the masked ``on_error`` text).
"""

from __future__ import annotations

from typing import Any

__all__ = (
    "AIStreamError",
    "ApprovalVerificationError",
    "RequestParseError",
    "ChunkParseError",
    "EventTooLargeError",
    "MissingExtraError",
    "ObjectValidationError",
    "ClientDisconnectedError",
    "ProducerLostError",
    "TooManyStreamsError",
    "StreamStoreError",
    "ChatError",
    "ChatConflictError",
    "ChatNotFoundError",
    "ChatStoreError",
    "ProviderError",
    "StreamClosedError",
    "StreamStateError",
    "UIMessageStreamError",
    "UnsupportedByClientError",
)


class AIStreamError(Exception):
    """Base class of every exception raised by ai_stream."""


class StreamStateError(AIStreamError, RuntimeError):
    """A call does not fit the current state of the stream (a developer mistake).

    Examples: ending a text part that is not open, completing an unknown tool call, draining the
    same context twice. The real client would fail on the chunk, so it is refused before sending.
    """


class StreamClosedError(StreamStateError):
    """Something was written after :meth:`StreamContext.finish` or :meth:`StreamContext.abort`."""

    def __init__(
        self,
        message: str = "The stream is closed: nothing can be written after finish() or abort().",
    ) -> None:
        super().__init__(message)


class ClientDisconnectedError(StreamClosedError):
    """The client stopped reading (closed the connection or pressed stop).

    Raised by writes after the disconnect. :meth:`StreamContext.run` swallows it, because the work
    task is being cancelled anyway.
    """

    def __init__(
        self, message: str = "The client disconnected: the stream no longer accepts writes."
    ) -> None:
        super().__init__(message)


class UnsupportedByClientError(AIStreamError, ValueError):
    """The chunk type cannot be sent to the client release the stream targets.

    Attributes:
        chunk_type: The refused chunk type, e.g. ``"reset-step"``.
        target: The target, e.g. ``"ai 6 (6.0.0 … 6.0.326)"``.
    """

    def __init__(self, chunk_type: str, target: str, hint: str = "") -> None:
        self.chunk_type = chunk_type
        self.target = target
        message = f"The chunk type {chunk_type!r} is not accepted by the target client {target}."
        super().__init__(f"{message} {hint}".rstrip())


class MissingExtraError(AIStreamError, ImportError):
    """An optional dependency is not installed; the message names the extra that brings it.

    Attributes:
        package: The missing package, e.g. ``"flask"``.
        extra: The ``ai-stream`` extra to install, e.g. ``"flask"``.
    """

    def __init__(self, package: str, extra: str, feature: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{feature} needs the {package!r} package, which is not installed: "
            f"pip install 'ai-stream[{extra}]'",
            name=package,
        )


class EventTooLargeError(AIStreamError, ValueError):
    """A value would make a stream event larger than the target client reads.

    ai 7.0.182 and later drop the whole stream at an SSE event over 64 Mi characters. The write
    is refused before anything of it is sent; the stream stays usable.

    Attributes:
        size: The JSON size of the value, in bytes (at least).
        limit: The most a value may take.
    """

    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"A value of {size} bytes of JSON is over the {limit} bytes a stream event may carry "
            "to the target client (ai 7.0.182 and later drop the whole stream at an event over "
            "64 Mi characters). Send a large file by URL instead of a data: URL, and split large "
            "outputs or data into several parts."
        )


class ObjectValidationError(AIStreamError, ValueError):
    """An object stream's value does not match its schema, or cannot extend what was sent.

    Raised at the write for a whole value (``write_object``, ``write_element``,
    ``write_partial``), before anything of it is sent; raised in the work when the streamed
    JSON text, complete, fails the schema (the body then just ends: the text protocol has no
    error channel, and the client's own final validation fails too).

    Attributes:
        errors: The schema's errors (pydantic's ``errors()``, without the input values), if any.
    """

    def __init__(self, message: str, errors: list[Any] | None = None) -> None:
        self.errors = errors or []
        super().__init__(message)


class ChunkParseError(AIStreamError, ValueError):
    """Input that is not a valid UI message chunk (bad SSE framing, bad JSON, or a schema error)."""


class UIMessageStreamError(AIStreamError, RuntimeError):
    """The ``ai`` client would throw while applying a chunk to the message.

    Raised by :class:`~ai_stream.reducer.UIMessageReducer` where the client's
    ``processUIMessageStream`` throws: a delta or end chunk for a part that was never started (or
    already ended), a tool chunk for an unknown ``toolCallId`` or ``approvalId``. ``useChat``
    would end with ``status: "error"`` and ignore the rest of the stream.

    The message is the client's (ai 6/7 ``AI_UIMessageStreamError``; where ai 5 or 6.0.0 throw a
    bare ``TypeError``, the ai 6 wording is used).

    Attributes:
        chunk_type: The failing chunk type (``"tool-invocation"`` for a tool-call lookup), or
            ``None``.
        chunk_id: The part id, ``toolCallId`` or ``approvalId`` involved, or ``None``.
    """

    def __init__(
        self, message: str, *, chunk_type: str | None = None, chunk_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.chunk_type = chunk_type
        self.chunk_id = chunk_id


class RequestParseError(AIStreamError, ValueError):
    """A chat request body that cannot be used.

    Attributes:
        path: The JSON path of the first problem (e.g. ``messages[0].parts[1].text``), or ``""``.
        status_code: The HTTP status to answer with: 413 (too large), 415 (not JSON) or 422.
    """

    def __init__(self, message: str, *, path: str = "", status_code: int = 422) -> None:
        super().__init__(message)
        self.path = path
        self.status_code = status_code

    def to_dict(self) -> dict[str, object]:
        """The JSON error body: ``{"error": {"type", "message", "path"}}``."""
        return error_body("invalid_request", str(self), self.path or None)


def error_body(kind: str, message: str, path: str | None = None) -> dict[str, object]:
    """The JSON body of every 4xx answer: ``{"error": {"type", "message", "path"}}``.

    ``path`` names the field of the request at fault (``None``: the request as a whole).
    """
    return {"error": {"type": kind, "message": message, "path": path}}


class ApprovalVerificationError(AIStreamError, ValueError):
    """A tool approval that does not verify: never treat the call as approved.

    Raised for an approval id that ai_stream did not sign, one signed for another chat, tool or
    input (the input was changed after the approval was requested), or an expired one.

    Attributes:
        tool_call_id: The tool call the approval claims to decide.
    """

    def __init__(self, message: str, *, tool_call_id: str = "") -> None:
        super().__init__(message)
        self.tool_call_id = tool_call_id


class ProviderError(AIStreamError, RuntimeError):
    """A model provider or agent framework reported an error inside its stream.

    Raised by the integrations (an ``error`` event, a failed response). The message is the
    provider's and may hold details meant for the server only: ``StreamContext.run`` logs the
    exception and sends the client the masked ``on_error`` text.

    Attributes:
        provider: Who reported it (``"openai"``, ``"anthropic"``, ...).
        code: The provider's error code or type (``"rate_limited"``, ``"overloaded_error"``), or
            ``None``.
        body: The provider's error object as plain JSON data, or ``None``.
    """

    def __init__(
        self, message: str, *, provider: str, code: str | None = None, body: Any = None
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.code = code
        self.body = body


class ProducerLostError(AIStreamError, RuntimeError):
    """A resumable stream's producer stopped (its lease expired) before the stream finished.

    Raised by ``StreamStore.read``; ``ResumableStreams`` then ends the resumed body with an
    ``abort`` so that the client stops waiting.

    Attributes:
        stream_id: The stream whose producer is gone.
    """

    def __init__(self, stream_id: str) -> None:
        super().__init__(
            "The producer of this stream stopped before finishing it (its worker died or lost "
            "the store); the stream cannot be resumed further."
        )
        self.stream_id = stream_id


class TooManyStreamsError(AIStreamError, RuntimeError):
    """This process runs as many resumable answers (or readers of one) as it may.

    ``chat_routes`` answers it with 429 and a JSON error; nothing was started.

    Attributes:
        limit: The limit that was reached (``max_streams``, or ``max_readers`` for readers).
        readers: Whether the limit is on the readers of one stream.
    """

    def __init__(self, limit: int, *, readers: bool = False) -> None:
        super().__init__(
            "This stream has as many readers as it may at once; try again in a moment."
            if readers
            else "This server runs as many answers as it may at once; try again in a moment."
        )
        self.limit = limit
        self.readers = readers


class StreamStoreError(AIStreamError, RuntimeError):
    """The store of resumable streams failed (e.g. Redis is down or does not answer in time).

    Stores raise it for any failure of their backend (the backend's exception is its
    ``__cause__``, and is logged, never sent). ``chat_routes`` answers it with 503 and a JSON
    error; readers of a stream whose store fails get a clean end (``abort``), and the next
    request works as soon as the store answers again.
    """

    def __init__(self) -> None:
        super().__init__("The store of resumable streams is unavailable; try again in a moment.")


class ChatError(AIStreamError):
    """A chat request that :func:`~ai_stream.chats.begin_turn` cannot answer now.

    Answer every kind the same way::

        except ChatError as error:
            return JSONResponse(error.to_dict(), status_code=error.status_code)

    Attributes:
        status_code: The HTTP status to answer with (404, 409 or 503).
    """

    status_code = 500

    def to_dict(self) -> dict[str, object]:
        """The JSON error body: ``{"error": {"type", "message", "path"}}``."""
        raise NotImplementedError  # (each kind has its own)


class ChatNotFoundError(ChatError, LookupError):
    """The chat does not exist for this user (it may be another user's: the same answer).

    Answer it with 404 and :meth:`to_dict`.
    """

    status_code = 404

    def __init__(self) -> None:
        super().__init__("There is no such chat.")

    def to_dict(self) -> dict[str, object]:
        """The JSON error body: ``{"error": {"type": "not_found", ...}}``."""
        return error_body("not_found", str(self), "id")


class ChatConflictError(ChatError, RuntimeError):
    """The request does not fit the chat as the server keeps it (HTTP 409).

    Another answer of the chat is still running (``busy``), or the request continues or
    regenerates a message the chat does not have (a stale tab, or a forged id). Nothing was
    changed.

    Attributes:
        busy: Whether another answer of the chat is running (try again when it ended).
    """

    status_code = 409

    def __init__(self, *, busy: bool = False) -> None:
        super().__init__(
            "Another answer of this chat is still running; try again when it has ended."
            if busy
            else "The request does not continue this chat as the server keeps it; reload it."
        )
        self.busy = busy

    def to_dict(self) -> dict[str, object]:
        """The JSON error body: ``{"error": {"type": "chat_busy" | "chat_conflict", ...}}``."""
        return error_body("chat_busy" if self.busy else "chat_conflict", str(self), "messages")


class ChatStoreError(ChatError, RuntimeError):
    """The chat store failed (its database is down, locked or does not answer in time).

    :func:`~ai_stream.chats.begin_turn` raises it for any failure of the store (the store's
    exception is its ``__cause__``, and is logged, never sent). Answer it with 503 and
    :meth:`to_dict`: nothing was changed, and the client may send the request again.
    """

    status_code = 503

    def __init__(self) -> None:
        super().__init__("The chat store is unavailable; try again in a moment.")

    def to_dict(self) -> dict[str, object]:
        """The JSON error body: ``{"error": {"type": "store_unavailable", ...}}``."""
        return error_body("store_unavailable", str(self))
