"""``StreamContext``: the object every layer of a request writes the assistant message into.

The context owns a bounded anyio memory object stream between the writers and the reader, the
message lifecycle (:mod:`ai_stream._lifecycle`), a :class:`~ai_stream.state.StateStore`, the
request's read-only ``info`` and, with ``collect=True``, a :class:`~ai_stream.record.StreamRecord`.

How bytes move. Writers encode each chunk at once and append the frame to a small pending list.
If the reader is waiting, the list is handed to it right away (a lone chunk goes out at once);
otherwise frames accumulate and the reader takes all of them in one body write when it comes
back (coalescing, no timers). When ``buffer_size`` bytes are pending the writer awaits the
reader: that is the backpressure, and it bounds the memory of a stream whatever the producer does
(about three buffers: the pending frames, one batch in the channel, one in the waiting writer's
hand; 55 KB measured with the 16 KiB default).
Only that rare case pays for ``MemoryObjectSendStream.send()``; every other write is a list append.
"""

from __future__ import annotations

import inspect
import logging
import secrets
import string
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from contextvars import copy_context
from json.encoder import encode_basestring as _encode_basestring
from typing import TYPE_CHECKING, Any, Generic, TypeVar, TypeVarTuple

import anyio
from anyio import BrokenResourceError, ClosedResourceError, EndOfStream, WouldBlock

from ai_stream._lifecycle import Lifecycle, Phase
from ai_stream.encoding.data_stream import DataStreamEncoder
from ai_stream.encoding.sse import (
    KEEP_ALIVE_FRAME,
    STREAM_OPEN_FRAME,
    SSEEncoder,
    encode_json_string,
)
from ai_stream.exceptions import (
    ClientDisconnectedError,
    StreamStateError,
)
from ai_stream.protocol.approvals import sign_approval_id
from ai_stream.protocol.versions import ClientTarget, SdkVersion, normalize_finish_reason
from ai_stream.record import StreamRecord
from ai_stream.state import StateStore

if TYPE_CHECKING:
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

    from ai_stream.encoding import Encoder
    from ai_stream.protocol.messages import ChatRequest

__all__ = ("DEFAULT_ERROR_TEXT", "StreamContext", "ToolCallHandle", "generate_id")

logger = logging.getLogger("ai_stream")

InfoT = TypeVar("InfoT")
Ts = TypeVarTuple("Ts")

DEFAULT_ERROR_TEXT = "An error occurred."
"""What the client sees when work fails, unless ``on_error`` says otherwise (as the AI SDK)."""

DEFAULT_BUFFER_SIZE = 16 * 1024

_ALPHABET = string.ascii_letters + string.digits
_MARK = "\udfff"  # joins a run of deltas for escaping; UTF-8 cannot carry it, so it never leaks
_BYTE_TO_CHAR = bytes((_ALPHABET * 5).encode()[:256].ljust(256, b"-"))
_REJECTED = bytes(range(248, 256))  # 248 = 4 * 62: bytes below it map evenly


def generate_id(size: int = 16) -> str:
    """Return a random alphanumeric id, like the AI SDK's ``generateId`` (16 characters)."""
    chars = ""
    while len(chars) < size:  # rejection sampling keeps every character equally likely
        chars += secrets.token_bytes(size + 4).translate(_BYTE_TO_CHAR, _REJECTED).decode()
    return chars[:size]


def _mask_error(error: BaseException) -> str:
    return DEFAULT_ERROR_TEXT


class ToolCallHandle:
    """A started tool call; pass its ``tool_call_id`` to complete or fail it.

    Attributes:
        tool_call_id: The call's id.
        tool_name: The tool's name.
    """

    __slots__ = ("tool_call_id", "tool_name")

    def __init__(self, tool_call_id: str, tool_name: str) -> None:
        self.tool_call_id = tool_call_id
        self.tool_name = tool_name

    @property
    def toolCallId(self) -> str:
        """Alias of :attr:`tool_call_id`."""
        return self.tool_call_id

    def __repr__(self) -> str:
        return f"ToolCallHandle(tool_call_id={self.tool_call_id!r}, tool_name={self.tool_name!r})"


OnFinish = Callable[[StreamRecord], Awaitable[None] | None]
OnError = Callable[[BaseException], str]


class StreamContext(Generic[InfoT]):
    """Writes one assistant message as a UI message stream.

    Args:
        custom_information: Read-only, request-scoped data for every layer (``ctx.info``);
            a frozen pydantic model is a good fit.
        sdk_version: The client the stream is for: a major (``5``, ``6``, ``7``) for every
            release of it, or an exact release (``"5.0.60"``); see
            :mod:`ai_stream.protocol.versions`.
        message_id: The assistant message id sent in ``start`` (generated when omitted). When
            continuing a message (tool results, approvals) pass that message's id.
        collect: Record everything sent in :attr:`record` (implied by ``on_finish``).
        on_finish: Called once with the record when the stream ends: finished, aborted, failed or
            disconnected (``record.aborted`` tells). May be async.
        on_error: Turns an exception of the work into the text the client sees; the default
            sends ``"An error occurred."``. The exception is always logged on the server.
        message_metadata: Metadata sent with ``start``.
        headers: Extra response headers.
        buffer_size: Bytes of encoded chunks held before a writer waits for the reader.
        store: Initial contents of :attr:`store`, or a store to share.
        id_generator: Makes message and tool call ids.
        chat_id: The chat this stream answers (needed to sign tool approvals).
        approval_secret: The secret that signs tool approval ids (default: the
            ``AI_STREAM_SECRET`` environment variable).
        continue_message: The assistant message (as JSON) this stream continues; its id becomes
            the message id, its tool calls can be completed, and the record starts from it.
            :meth:`for_request` sets it.
    """

    def __init__(
        self,
        custom_information: InfoT | None = None,
        *,
        sdk_version: SdkVersion | ClientTarget = 6,
        message_id: str | None = None,
        collect: bool = False,
        on_finish: OnFinish | None = None,
        on_error: OnError | None = None,
        message_metadata: Any = None,
        headers: Mapping[str, str] | None = None,
        buffer_size: int = DEFAULT_BUFFER_SIZE,
        store: StateStore | dict[str, Any] | None = None,
        id_generator: Callable[[], str] = generate_id,
        chat_id: str | None = None,
        approval_secret: str | bytes | None = None,
        continue_message: dict[str, Any] | None = None,
    ) -> None:
        if buffer_size < 1:
            raise ValueError("buffer_size must be a positive number of bytes.")
        self._info = custom_information
        self._target = ClientTarget.parse(sdk_version)
        self._chat_id = chat_id
        self._approval_secret = approval_secret
        if continue_message is not None:
            message_id = continue_message.get("id") or message_id
        self._encoder: Encoder = SSEEncoder() if self._target.major >= 5 else DataStreamEncoder()
        self._id_generator = id_generator
        self._message_id = message_id or id_generator()
        self._store = store  # a StateStore is made on first use
        self._on_finish = on_finish
        self._on_error: OnError = on_error or _mask_error
        self._headers = {**self._encoder.headers, **(headers or {})}
        self._lifecycle = Lifecycle(
            self._target, self._message_id, id_generator, message_metadata=message_metadata
        )
        self._record: StreamRecord | None = (
            StreamRecord(self._target, self._message_id, message=continue_message)
            if collect or on_finish
            else None
        )
        if continue_message is not None:
            for part in continue_message.get("parts") or []:
                kind = part.get("type", "")
                if kind == "dynamic-tool" or kind.startswith("tool-"):
                    name = part.get("toolName", "") if kind == "dynamic-tool" else kind[5:]
                    self._lifecycle.remember_tool(
                        part.get("toolCallId", ""),
                        name,
                        dynamic=kind == "dynamic-tool",
                        state=part.get("state", "input-available"),
                        input=part.get("input"),
                    )
        # Transport: batches of encoded frames travel through a rendezvous memory stream;
        # frames written while the reader is busy wait in ``_pending``.
        # Created on first use, so that a context nobody reads leaves nothing unclosed.
        self._channel: (
            tuple[MemoryObjectSendStream[list[bytes]], MemoryObjectReceiveStream[list[bytes]]]
            | None
        ) = None
        self._transport_closed = False
        self._pending: list[bytes] = []
        # Bytes that may still be queued before a writer must wait; forced to 0 while the reader
        # waits, so that the next write takes the slow branch and hands the frames over.
        self._room = buffer_size
        self._high_water = buffer_size
        self._reader_waiting = False
        self._reader_claimed = False
        self._disconnected = False
        self._finalized = False
        # Fast path: while a writer-owned text/reasoning part is open, deltas are kept as str in
        # ``_run`` (always the tail of the pending data) and encoded together by ``_seal``.
        self._text_fast = self._reasoning_fast = False
        self._run: list[str] = []
        self._run_head = self._run_tail = self._run_sep = self._run_kind = self._run_id = ""
        # Work supervised by run().
        self._work: Callable[[], Awaitable[None]] | None = None
        self._work_claimed = False
        self._work_scope: anyio.CancelScope | None = None
        self._task: Any = None

    @classmethod
    def for_request(
        cls, chat_request: ChatRequest, custom_information: InfoT | None = None, **options: Any
    ) -> StreamContext[InfoT]:
        """Build the context that answers ``chat_request``.

        The context is bound to the chat (for signed tool approvals). When the request continues
        the last assistant message (tool results from the client, approval decisions), the
        stream continues that message: same ``messageId``, its tool calls can be completed or
        denied, and the record starts from it. An ai 4 request gets ``sdk_version=4``.

        Args:
            chat_request: The parsed request.
            custom_information: As for the constructor.
            **options: Any other constructor argument.
        """
        options.setdefault("chat_id", chat_request.id)
        if chat_request.protocol == "data-stream":
            options.setdefault("sdk_version", 4)
        last = chat_request.last_message
        if chat_request.is_continuation and last is not None:
            options.setdefault("continue_message", last.to_dict())
        return cls(custom_information, **options)

    # --- read-only state -----------------------------------------------------------------------

    @property
    def chat_id(self) -> str | None:
        """The chat this stream answers, if known."""
        return self._chat_id

    @property
    def info(self) -> InfoT | None:
        """The ``custom_information`` given at construction (read-only), or ``None``."""
        return self._info

    @property
    def custom_information(self) -> InfoT | None:
        """Alias of :attr:`info`."""
        return self._info

    @property
    def store(self) -> StateStore:
        """The shared dot-path state store."""
        store = self._store
        if not isinstance(store, StateStore):
            store = self._store = StateStore(store)
        return store

    @property
    def target(self) -> ClientTarget:
        """The client release(s) this stream is written for."""
        return self._target

    @property
    def message_id(self) -> str:
        """The assistant message id sent in ``start``."""
        return self._message_id

    @property
    def current_text_id(self) -> str | None:
        """The id of the text part the writers have open, or ``None``."""
        return self._lifecycle.text_id

    @property
    def current_reasoning_id(self) -> str | None:
        """The id of the reasoning part the writers have open, or ``None``."""
        return self._lifecycle.reasoning_id

    @property
    def is_finished(self) -> bool:
        """``True`` once the stream was finished or aborted, or the client disconnected."""
        return self._lifecycle.phase is Phase.CLOSED

    @property
    def is_disconnected(self) -> bool:
        """``True`` if the client stopped reading before the stream ended."""
        return self._disconnected

    @property
    def response_headers(self) -> dict[str, str]:
        """The headers to send with the stream (a copy)."""
        return dict(self._headers)

    @property
    def record(self) -> StreamRecord | None:
        """What was sent, when ``collect=True`` (or ``on_finish``) was given; else ``None``."""
        return self._record

    # --- transport -----------------------------------------------------------------------------

    def _push(self, chunks: list[dict[str, Any]]) -> bool:
        """Encode and queue ``chunks``; return whether the writer must wait for the reader."""
        fit, encode = self._target.fit, self._encoder.encode
        fitted = [fit(chunk) for chunk in chunks]
        frames = [frame for chunk in fitted if (frame := encode(chunk))]
        if self._disconnected:
            raise ClientDisconnectedError()
        record = self._record
        if record is not None:
            for chunk in fitted:
                record.apply(chunk)
        if self._run:
            self._seal()
        self._pending += frames
        self._room -= sum(map(len, frames))
        if self._reader_waiting:
            self._hand_off()
            return False
        return self._room <= 0

    def _seal(self) -> None:
        """Encode the run of fast-path deltas into frames, all in one go.

        The deltas are joined with a lone surrogate (which JSON escaping leaves alone), escaped
        with one call, and the marks are replaced by the frame boundaries; a delta that itself
        holds the mark falls back to one escape per delta.
        """
        run = self._run
        if run:
            self._run = []
            head = self._run_head
            joined = _MARK.join(run)
            if joined.count(_MARK) == len(run) - 1:
                body = _encode_basestring(joined).replace(_MARK, self._run_sep)
                self._pending.append((head + body + self._run_tail).encode())
            else:  # a lone surrogate in the text: escape it as JavaScript does
                prefix, suffix = head.encode(), self._run_tail.encode()
                self._pending.append(
                    b"".join([prefix + encode_json_string(d) + suffix for d in run])
                )

    def _take_pending(self) -> list[bytes]:
        self._seal()
        batch, self._pending = self._pending, []
        self._room = self._high_water
        return batch

    def _hand_off(self) -> None:
        """Give the pending frames to the waiting reader."""
        self._reader_waiting = False
        batch = self._take_pending()
        try:
            self._channel_ends()[0].send_nowait(batch)
        except WouldBlock:  # a batch is already buffered for the reader: it will come back
            self._pending[:0] = batch
            self._room -= sum(map(len, batch))
        except (BrokenResourceError, ClosedResourceError):
            raise ClientDisconnectedError() from None

    async def _wait_for_reader(self) -> None:
        """Backpressure: hand the pending frames over, waiting while the reader is behind."""
        batch = self._take_pending()
        if not batch:
            return
        send = self._channel_ends()[0]
        try:
            try:
                send.send_nowait(batch)  # the slot is free: no need to yield
            except WouldBlock:
                await send.send(batch)  # the reader is a whole batch behind: wait for it
        except (BrokenResourceError, ClosedResourceError):
            raise ClientDisconnectedError() from None

    @property
    def _pending_bytes(self) -> int:
        """Approximately how many bytes are queued (for tests and debugging)."""
        return max(0, self._high_water - self._room) if not self._reader_waiting else 0

    async def _emit(self, chunks: list[dict[str, Any]]) -> None:
        if self._push(chunks):
            await self._wait_for_reader()

    def _slow_path(self) -> None:
        """Send the next deltas through the lifecycle (a part may open or close)."""
        self._text_fast = self._reasoning_fast = False
        self._run_kind = ""

    def _fast_path(self, kind: str, part_id: str) -> None:
        """Deltas for ``part_id`` may now skip the lifecycle (the part is open)."""
        prefix, suffix = self._encoder.delta_affixes(kind, part_id)
        self._run_head, self._run_tail = prefix.decode(), suffix.decode()
        self._run_sep = '"' + self._run_tail + self._run_head + '"'
        self._run_kind, self._run_id = kind, part_id
        if self._record is None:  # with a record, every delta is also recorded
            self._text_fast = kind == "text-delta"
            self._reasoning_fast = kind == "reasoning-delta"

    def _close_transport(self) -> None:
        """Queue the terminator and end the stream for the reader."""
        self._seal()
        if not self._disconnected:
            self._pending.append(self._encoder.terminator)
            self._room -= len(self._encoder.terminator)
        self._slow_path()
        self._transport_closed = True
        if self._channel is not None:
            self._channel[0].close()

    def _channel_ends(
        self,
    ) -> tuple[MemoryObjectSendStream[list[bytes]], MemoryObjectReceiveStream[list[bytes]]]:
        if self._channel is None:
            # One batch may wait in the buffer: a hand-off must not depend on the reader having
            # registered as a waiting receiver yet (anyio's receive() checkpoints first).
            self._channel = anyio.create_memory_object_stream[list[bytes]](1)
            if self._transport_closed:
                self._channel[0].close()
        return self._channel

    # --- writers -------------------------------------------------------------------------------

    async def write_text(self, delta: str, *, provider_metadata: Any = None) -> None:
        """Append ``delta`` to the open text part (opening ``start``, a step and the part first).

        An open reasoning part is closed first.

        Args:
            delta: The text to append.
            provider_metadata: Provider-specific metadata for the part.
        """
        if self._text_fast and provider_metadata is None and delta.__class__ is str:
            self._run.append(delta)
            self._room -= len(delta) + 48
            if self._room > 0:
                return None
            return await self._make_room()
        return await self._write_delta_slow("text", delta, provider_metadata)

    async def write_reasoning(self, delta: str, *, provider_metadata: Any = None) -> None:
        """Append ``delta`` to the open reasoning part (opening it first; closes open text).

        Args:
            delta: The reasoning text to append.
            provider_metadata: Provider-specific metadata (e.g. a thinking signature).
        """
        if self._reasoning_fast and provider_metadata is None and delta.__class__ is str:
            self._run.append(delta)
            self._room -= len(delta) + 48
            if self._room > 0:
                return None
            return await self._make_room()
        return await self._write_delta_slow("reasoning", delta, provider_metadata)

    async def _make_room(self) -> None:
        """After a fast-path write: hand over to a waiting reader, or wait for a slow one."""
        if self._reader_waiting:
            self._hand_off()
        elif self._room <= 0:
            await self._wait_for_reader()

    async def _write_delta_slow(self, family: str, delta: str, provider_metadata: Any) -> None:
        if not isinstance(delta, str):
            raise TypeError(f"write_{family}() takes a str delta.")
        kind = f"{family}-delta"
        record = self._record
        if record is not None and self._run_kind == kind and provider_metadata is None:
            record.apply({"type": kind, "id": self._run_id, "delta": delta})
            self._run.append(delta)
            self._room -= len(delta) + 48
            if self._room <= 0:
                await self._make_room()
            return
        chunks: list[dict[str, Any]] = []
        if family == "text":
            part_id = self._lifecycle.open_text(chunks, provider_metadata)
        else:
            part_id = self._lifecycle.open_reasoning(chunks, provider_metadata)
        self._slow_path()
        chunk: dict[str, Any] = {"type": kind, "id": part_id, "delta": delta}
        if provider_metadata is not None:
            chunk["providerMetadata"] = provider_metadata
        chunks.append(chunk)
        await self._emit(chunks)
        self._fast_path(kind, part_id)

    async def end_text(self, *, provider_metadata: Any = None) -> None:
        """Close the open text part now (the next :meth:`write_text` starts a new one)."""
        await self._end_part("text", provider_metadata)

    async def end_reasoning(self, *, provider_metadata: Any = None) -> None:
        """Close the open reasoning part now, e.g. to attach a final signature."""
        await self._end_part("reasoning", provider_metadata)

    async def _end_part(self, family: str, provider_metadata: Any) -> None:
        lifecycle = self._lifecycle
        part_id = lifecycle.text_id if family == "text" else lifecycle.reasoning_id
        if part_id is None:
            return
        chunks: list[dict[str, Any]] = []
        if family == "text":
            lifecycle.close_text(chunks)
            self._slow_path()
        else:
            lifecycle.close_reasoning(chunks)
        if provider_metadata is not None:
            chunks[-1]["providerMetadata"] = provider_metadata
        await self._emit(chunks)

    def _tool_prelude(self, tool_call_id: str | None = None) -> list[dict[str, Any]]:
        chunks: list[dict[str, Any]] = []
        tool = self._lifecycle.tools.get(tool_call_id) if tool_call_id else None
        if tool is not None and tool.step < 0:  # a call of the message being continued
            self._lifecycle.begin(chunks)
        else:
            self._lifecycle.ensure_step(chunks)
        self._lifecycle.close_parts(chunks)
        self._slow_path()
        return chunks

    async def begin_tool_call(
        self,
        tool_name: str,
        input: Any = None,
        *,
        tool_call_id: str | None = None,
        dynamic: bool = False,
        provider_executed: bool | None = None,
        provider_metadata: Any = None,
        title: str | None = None,
        tool_metadata: Any = None,
    ) -> ToolCallHandle:
        """Announce a tool call with its complete input (``tool-input-available``).

        The client shows the call and, for a tool without a server-side result, fires
        ``onToolCall``. Finish it with :meth:`complete_tool_call` or :meth:`fail_tool_call`.

        Args:
            tool_name: The tool's name (the part type becomes ``tool-<name>``).
            input: The tool input (JSON-compatible).
            tool_call_id: The call id; generated when omitted.
            dynamic: A tool unknown at build time (a ``dynamic-tool`` part).
            provider_executed: The provider runs the tool (e.g. web search).
            provider_metadata: Provider-specific metadata.
            title: A display title (ai 6+).
            tool_metadata: Free-form tool metadata (ai 6+).

        Returns:
            A handle with the ``tool_call_id``.
        """
        tool_call_id = tool_call_id or f"call_{self._id_generator()}"
        chunk = _tool_chunk(
            "tool-input-available",
            tool_call_id,
            tool_name,
            input=input,
            provider_executed=provider_executed,
            provider_metadata=provider_metadata,
            dynamic=dynamic,
            title=title,
            tool_metadata=tool_metadata,
        )
        chunks = self._tool_prelude()
        self._lifecycle.prepare(chunk, chunks)
        chunks.append(chunk)
        await self._emit(chunks)
        return ToolCallHandle(tool_call_id, tool_name)

    async def start_tool_input(
        self,
        tool_name: str,
        *,
        tool_call_id: str | None = None,
        dynamic: bool = False,
        provider_executed: bool | None = None,
        provider_metadata: Any = None,
        title: str | None = None,
        tool_metadata: Any = None,
    ) -> ToolCallHandle:
        """Start a tool call whose input arrives in pieces (``tool-input-start``).

        Follow with :meth:`stream_tool_input_delta` and then :meth:`finish_tool_input` (or
        :meth:`fail_tool_input` when the input is invalid).
        """
        tool_call_id = tool_call_id or f"call_{self._id_generator()}"
        chunk = _tool_chunk(
            "tool-input-start",
            tool_call_id,
            tool_name,
            provider_executed=provider_executed,
            provider_metadata=provider_metadata,
            dynamic=dynamic,
            title=title,
            tool_metadata=tool_metadata,
        )
        chunks = self._tool_prelude()
        self._lifecycle.prepare(chunk, chunks)
        chunks.append(chunk)
        await self._emit(chunks)
        return ToolCallHandle(tool_call_id, tool_name)

    async def stream_tool_input_delta(self, tool_call_id: str, delta: str) -> None:
        """Append a piece of the tool input's JSON text (``tool-input-delta``)."""
        chunk = {"type": "tool-input-delta", "toolCallId": tool_call_id, "inputTextDelta": delta}
        chunks = self._tool_prelude()
        self._lifecycle.prepare(chunk, chunks)
        chunks.append(chunk)
        await self._emit(chunks)

    async def finish_tool_input(self, tool_call_id: str, input: Any = ...) -> ToolCallHandle:
        """Complete a streamed tool input (``tool-input-available``).

        Args:
            tool_call_id: The call started with :meth:`start_tool_input`.
            input: The parsed input; by default the streamed text parsed as JSON.

        Raises:
            StreamStateError: Unknown tool call.
            ValueError: ``input`` was omitted and the streamed text is not valid JSON.
        """
        tool = self._lifecycle.tool(tool_call_id)
        if input is ...:
            input = self._lifecycle.streamed_input(tool_call_id)
        chunk = _tool_chunk(
            "tool-input-available",
            tool_call_id,
            tool.tool_name,
            input=input,
            provider_executed=tool.provider_executed,
            dynamic=tool.dynamic,
        )
        chunks = self._tool_prelude()
        self._lifecycle.prepare(chunk, chunks)
        chunks.append(chunk)
        await self._emit(chunks)
        return ToolCallHandle(tool_call_id, tool.tool_name)

    async def fail_tool_input(
        self, tool_call_id: str, error_text: str, *, input: Any = ...
    ) -> None:
        """Report that the model produced an invalid tool input (``tool-input-error``).

        Args:
            tool_call_id: The call started with :meth:`start_tool_input`.
            error_text: What is wrong, shown to the user and the model.
            input: The invalid input; by default the streamed text.
        """
        tool = self._lifecycle.tool(tool_call_id)
        self._target.check_chunk("tool-input-error")
        if input is ...:
            input = "".join(tool.input_text)
        chunk = _tool_chunk(
            "tool-input-error",
            tool_call_id,
            tool.tool_name,
            input=input,
            error_text=error_text,
            provider_executed=tool.provider_executed,
            dynamic=tool.dynamic,
        )
        chunks = self._tool_prelude()
        self._lifecycle.prepare(chunk, chunks)
        chunks.append(chunk)
        await self._emit(chunks)

    async def complete_tool_call(
        self,
        tool_call_id: str,
        output: Any,
        *,
        preliminary: bool | None = None,
        provider_executed: bool | None = None,
        provider_metadata: Any = None,
        tool_metadata: Any = None,
    ) -> None:
        """Send the tool's result (``tool-output-available``).

        Args:
            tool_call_id: The call's id.
            output: The result (JSON-compatible; ``None`` is sent as ``null``).
            preliminary: A partial result that a later output replaces.
            provider_executed: The provider ran the tool.
            provider_metadata: Provider-specific metadata for the result (ai 6+).
            tool_metadata: Free-form tool metadata (ai 6+).
        """
        tool = self._lifecycle.tool(tool_call_id)
        chunk: dict[str, Any] = {"type": "tool-output-available", "toolCallId": tool_call_id}
        chunk["output"] = output
        _put(chunk, "providerExecuted", provider_executed)
        _put(chunk, "providerMetadata", provider_metadata)
        if tool.dynamic:
            chunk["dynamic"] = True
        _put(chunk, "preliminary", preliminary)
        _put(chunk, "toolMetadata", tool_metadata)
        chunks = self._tool_prelude(tool_call_id)
        self._lifecycle.prepare(chunk, chunks)
        chunks.append(chunk)
        await self._emit(chunks)

    async def fail_tool_call(
        self,
        tool_call_id: str,
        error_text: str,
        *,
        provider_executed: bool | None = None,
        provider_metadata: Any = None,
        tool_metadata: Any = None,
    ) -> None:
        """Report that the tool failed (``tool-output-error``) with ``error_text``."""
        tool = self._lifecycle.tool(tool_call_id)
        chunk: dict[str, Any] = {
            "type": "tool-output-error",
            "toolCallId": tool_call_id,
            "errorText": str(error_text),
        }
        _put(chunk, "providerExecuted", provider_executed)
        _put(chunk, "providerMetadata", provider_metadata)
        if tool.dynamic:
            chunk["dynamic"] = True
        _put(chunk, "toolMetadata", tool_metadata)
        chunks = self._tool_prelude(tool_call_id)
        self._lifecycle.prepare(chunk, chunks)
        chunks.append(chunk)
        await self._emit(chunks)

    async def request_tool_approval(self, tool_call_id: str, *, reason: str | None = None) -> str:
        """Ask the user to approve a tool call (``tool-approval-request``, ai 6+).

        The approval id is signed (HMAC with ``approval_secret``) over the chat id, the call id,
        the tool name and the input, so that :meth:`ChatRequest.tool_approvals` can verify the
        decision the client sends back. Finish the stream afterwards (``finish()`` sends
        ``finishReason: "tool-calls"``).

        Args:
            tool_call_id: A call announced with :meth:`begin_tool_call` / :meth:`finish_tool_input`.
            reason: Why approval is needed (sent to ai 7.0.82+ clients).

        Returns:
            The approval id.

        Raises:
            UnsupportedByClientError: The target is ai 5.
            StreamStateError: Unknown call, its input is not complete, or no ``chat_id``.
            ValueError: No approval secret is configured.
        """
        self._target.check_chunk("tool-approval-request")
        tool = self._lifecycle.tool(tool_call_id)
        if tool.state != "input-available":
            raise StreamStateError(
                f"Tool call {tool_call_id!r} cannot be approved now: its input must be complete "
                "(input-available) and it must have no result yet."
            )
        if self._chat_id is None:
            raise StreamStateError(
                "Tool approvals need the chat id: build the context with "
                "StreamContext.for_request(chat_request) or pass chat_id=."
            )
        approval_id = sign_approval_id(
            self._approval_secret,
            chat_id=self._chat_id,
            tool_call_id=tool_call_id,
            tool_name=tool.tool_name,
            input=tool.input,
        )
        chunk: dict[str, Any] = {
            "type": "tool-approval-request",
            "approvalId": approval_id,
            "toolCallId": tool_call_id,
        }
        _put(chunk, "reason", reason)
        chunks = self._tool_prelude(tool_call_id)
        self._lifecycle.prepare(chunk, chunks)
        chunks.append(chunk)
        await self._emit(chunks)
        return approval_id

    async def deny_tool_call(self, tool_call_id: str) -> None:
        """Tell the client the call was denied and will not run (``tool-output-denied``, ai 6+)."""
        self._target.check_chunk("tool-output-denied")
        self._lifecycle.tool(tool_call_id)
        chunk = {"type": "tool-output-denied", "toolCallId": tool_call_id}
        chunks = self._tool_prelude(tool_call_id)
        self._lifecycle.prepare(chunk, chunks)
        chunks.append(chunk)
        await self._emit(chunks)

    async def decide_tool_approval(
        self, tool_call_id: str, approved: bool, *, reason: str | None = None
    ) -> None:
        """Let the server decide an approval itself (ai 7: automatic approvals).

        Sends ``tool-approval-request`` with ``isAutomatic``, then ``tool-approval-response``,
        then, when denied, ``tool-output-denied``. An approved call is then completed with
        :meth:`complete_tool_call` or :meth:`fail_tool_call`.
        """
        self._target.check_chunk("tool-approval-response")
        self._lifecycle.tool(tool_call_id)
        approval_id = f"auto_{self._id_generator()}"
        request: dict[str, Any] = {
            "type": "tool-approval-request",
            "approvalId": approval_id,
            "toolCallId": tool_call_id,
            "isAutomatic": True,
        }
        response: dict[str, Any] = {
            "type": "tool-approval-response",
            "approvalId": approval_id,
            "approved": bool(approved),
        }
        _put(response, "reason", reason)
        chunks = self._tool_prelude(tool_call_id)
        for chunk in (request, response):
            self._lifecycle.prepare(chunk, chunks)
            chunks.append(chunk)
        if not approved:
            denied = {"type": "tool-output-denied", "toolCallId": tool_call_id}
            self._lifecycle.prepare(denied, chunks)
            chunks.append(denied)
        await self._emit(chunks)

    async def write_source(
        self,
        source_id: str,
        url: str,
        title: str | None = None,
        *,
        provider_metadata: Any = None,
    ) -> None:
        """Add a web source (``source-url``)."""
        chunk: dict[str, Any] = {"type": "source-url", "sourceId": source_id, "url": url}
        _put(chunk, "title", title)
        _put(chunk, "providerMetadata", provider_metadata)
        await self._write_content(chunk)

    async def write_source_document(
        self,
        source_id: str,
        media_type: str,
        title: str,
        *,
        filename: str | None = None,
        provider_metadata: Any = None,
    ) -> None:
        """Add a document source (``source-document``)."""
        chunk: dict[str, Any] = {
            "type": "source-document",
            "sourceId": source_id,
            "mediaType": media_type,
            "title": title,
        }
        _put(chunk, "filename", filename)
        _put(chunk, "providerMetadata", provider_metadata)
        await self._write_content(chunk)

    async def write_file(self, url: str, media_type: str, *, provider_metadata: Any = None) -> None:
        """Add a file part (``file``): an https URL or a ``data:`` URL, with its media type."""
        chunk: dict[str, Any] = {"type": "file", "url": url, "mediaType": media_type}
        _put(chunk, "providerMetadata", provider_metadata)
        await self._write_content(chunk)

    async def _write_content(self, chunk: dict[str, Any]) -> None:
        self._target.check_chunk(chunk["type"])
        chunks: list[dict[str, Any]] = []
        self._lifecycle.prepare(chunk, chunks)
        chunks.append(chunk)
        await self._emit(chunks)

    async def write_data(
        self, name: str, data: Any, *, id: str | None = None, transient: bool | None = None
    ) -> None:
        """Send an app-defined data part (``data-<name>``).

        Args:
            name: The part name; ``"weather"`` and ``"data-weather"`` both give ``data-weather``.
            data: The payload (JSON-compatible).
            id: With an id, a later write with the same name and id replaces the part in place.
            transient: Deliver to ``onData`` only; the part is not stored in the message.
        """
        kind = name if name.startswith("data-") else f"data-{name}"
        if kind == "data-":
            raise ValueError("write_data() needs a non-empty name.")
        chunk: dict[str, Any] = {"type": kind}
        _put(chunk, "id", id)
        chunk["data"] = data
        _put(chunk, "transient", transient)
        chunks: list[dict[str, Any]] = []
        self._lifecycle.begin(chunks)
        chunks.append(chunk)
        await self._emit(chunks)

    async def write_message_metadata(self, metadata: Any) -> None:
        """Deep-merge ``metadata`` into the message's metadata (``message-metadata``)."""
        chunks: list[dict[str, Any]] = []
        self._lifecycle.begin(chunks)
        chunks.append({"type": "message-metadata", "messageMetadata": metadata})
        await self._emit(chunks)

    async def start(self, *, metadata: Any = None) -> None:
        """Send ``start`` now (it is otherwise sent with the first chunk).

        Args:
            metadata: Message metadata to send with ``start``.
        """
        if self._lifecycle.phase is not Phase.IDLE:
            raise StreamStateError("start() was called after the message had started.")
        if metadata is not None:
            self._lifecycle.message_metadata = metadata
        chunks: list[dict[str, Any]] = []
        self._lifecycle.begin(chunks)
        await self._emit(chunks)

    async def new_step(self) -> None:
        """Close the open parts and the current step (``finish-step``), then open a new step."""
        chunks: list[dict[str, Any]] = []
        self._lifecycle.new_step(chunks)
        self._slow_path()
        await self._emit(chunks)

    async def error(self, error_text: str = DEFAULT_ERROR_TEXT) -> None:
        """Send an ``error`` chunk, after closing the open text and reasoning parts.

        ``useChat`` stops processing at an error and shows ``error_text``; the stream itself
        stays open, so call :meth:`finish` (``run`` does) afterwards.
        """
        chunk = {"type": "error", "errorText": str(error_text)}
        chunks: list[dict[str, Any]] = []
        self._lifecycle.prepare(chunk, chunks)
        self._slow_path()
        chunks.append(chunk)
        await self._emit(chunks)

    async def finish(self, finish_reason: str | None = None, *, metadata: Any = None) -> None:
        """End the message: close parts and step, send ``finish`` and ``[DONE]``.

        A second call does nothing.

        Args:
            finish_reason: Why the model stopped; provider spellings (``tool_calls``,
                ``end_turn`` …) are mapped. By default ``tool-calls`` when the last step ended
                with tool calls that wait for the client, else ``stop``. Left out for clients
                that do not know the field (ai 5.0.0–5.0.91, and so ``sdk_version=5``).
            metadata: Message metadata to merge with ``finish``.
        """
        if self._lifecycle.phase is Phase.CLOSED:
            return
        if finish_reason is None:
            finish_reason = "tool-calls" if self._lifecycle.pending_tool_calls() else "stop"
        reason = normalize_finish_reason(finish_reason, self._target)
        chunks: list[dict[str, Any]] = []
        self._lifecycle.finish(chunks, reason, metadata)
        try:
            self._push(chunks)
        finally:
            self._close_transport()
        await self._finalize(aborted=False)

    async def abort(self, reason: str | None = None) -> None:
        """End the message early: close the open parts, send ``abort`` and ``[DONE]``.

        The record (if any) is marked aborted. ``reason`` is sent only to clients that know it.
        """
        if self._lifecycle.phase is Phase.CLOSED:
            return
        chunks: list[dict[str, Any]] = []
        self._lifecycle.abort(chunks, reason)
        try:
            self._push(chunks)
        finally:
            self._close_transport()
        await self._finalize(aborted=True, reason=reason or "aborted")

    async def write(self, chunk: Any) -> None:
        """Send one chunk as given (a chunk model or its JSON object), keeping the lifecycle.

        ``start`` and the step are opened first when the chunk needs them; ``finish``,
        ``abort`` and ``error`` behave like :meth:`finish`, :meth:`abort` and :meth:`error`.

        Raises:
            UnsupportedByClientError: The target client does not know the chunk type.
            StreamStateError: The client would reject the chunk here (e.g. a delta for a part
                that is not open).
        """
        data = _as_chunk_dict(chunk)
        kind = data["type"]
        if kind == "finish":
            await self.finish(data.get("finishReason"), metadata=data.get("messageMetadata"))
            return
        if kind == "abort":
            await self.abort(data.get("reason"))
            return
        if kind == "start":
            if "messageId" in data and data["messageId"] != self._message_id:
                raise StreamStateError(
                    "write() got a start chunk with another messageId; pass message_id= to "
                    "StreamContext instead."
                )
            await self.start(metadata=data.get("messageMetadata"))
            return
        self._target.check_chunk(kind)
        chunks: list[dict[str, Any]] = []
        self._lifecycle.prepare(data, chunks)
        self._slow_path()
        chunks.append(data)
        await self._emit(chunks)

    def write_event_to_stream(self, chunk: Any) -> None:
        """Queue one chunk without waiting (synchronous :meth:`write`).

        It never blocks, so it does not apply backpressure: the next awaited write does.
        ``finish`` and ``abort`` chunks need the async methods.
        """
        data = _as_chunk_dict(chunk)
        if data["type"] in ("finish", "abort", "start"):
            raise StreamStateError(
                f"write_event_to_stream() cannot send {data['type']!r}; await the matching method."
            )
        self._target.check_chunk(data["type"])
        chunks: list[dict[str, Any]] = []
        self._lifecycle.prepare(data, chunks)
        self._slow_path()
        chunks.append(data)
        self._push(chunks)

    # --- ending ---------------------------------------------------------------------------------

    async def _finalize(self, *, aborted: bool, reason: str | None = None) -> None:
        """Mark the stream ended and call ``on_finish`` once (shielded from cancellation)."""
        if self._finalized:
            return
        self._finalized = True
        if self._lifecycle.phase is not Phase.CLOSED:
            self._lifecycle.phase = Phase.CLOSED
            self._close_transport()
        record = self._record
        if record is not None and aborted:
            record.aborted = True
            record.abort_reason = reason
        if self._on_finish is None or record is None:
            return
        with anyio.CancelScope(shield=True):
            try:
                result = self._on_finish(record)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("on_finish callback failed")

    def _reader_gone(self, *, completed: bool) -> None:
        """The reader stopped; unless it read to the end, the client is gone."""
        self._channel_ends()[1].close()
        if not completed:
            self._client_gone()

    def _client_gone(self) -> None:
        """The client went away: drop what is queued and cancel the work."""
        if self._transport_closed and not self._pending and not self._run:
            return  # everything was delivered
        self._disconnected = True
        self._slow_path()
        self._pending.clear()
        self._run.clear()
        if self._work_scope is not None:
            self._work_scope.cancel()

    # --- running work --------------------------------------------------------------------------

    async def run(
        self, work: Callable[[StreamContext[InfoT], *Ts], Awaitable[object]], *args: *Ts
    ) -> None:
        """Supervise ``work(ctx, *args)``, the function that writes the message.

        The work starts when the response starts streaming (:class:`UIMessageStreamResponse`
        or :meth:`stream`), in a task the context keeps. When it returns, the stream is finished
        (unless it finished or aborted itself). When it raises, the open parts are closed, an
        ``error`` chunk with the masked text is sent (``on_error``), the exception is logged,
        and the stream is finished. When the client disconnects, it is cancelled and the record
        is marked aborted. ``on_finish`` runs in every case.

        Raises:
            StreamStateError: ``run`` was already called on this context.
        """
        if self._work is not None:
            raise StreamStateError("run() was already called on this context.")

        async def bound() -> None:
            await work(self, *args)

        self._work = bound

    def _claim_work(self) -> Callable[[], Coroutine[Any, Any, None]] | None:
        if self._work is None or self._work_claimed:
            return None
        self._work_claimed = True
        return self._supervise

    async def _supervise(self) -> None:
        work = self._work
        assert work is not None
        try:
            with anyio.CancelScope() as scope:
                self._work_scope = scope
                if self._disconnected:
                    scope.cancel()
                try:
                    await work()
                    if not self.is_finished and not self._disconnected:
                        await self.finish()
                except ClientDisconnectedError:
                    pass
                except Exception as exc:
                    await self._fail(exc)
        finally:  # _finalize shields the on_finish call itself
            reason = "client-disconnected" if self._disconnected else "cancelled"
            await self._finalize(aborted=True, reason=reason)

    def error_text(self, error: BaseException) -> str:
        """Log ``error`` and return the text the client may see for it (``on_error``).

        Masked by default (``"An error occurred."``). Use it to report a failed tool call
        without leaking the exception's text: ``await ctx.fail_tool_call(id, ctx.error_text(e))``.
        """
        logger.error("Stream work failed", exc_info=error)
        try:
            return self._on_error(error)
        except Exception:
            logger.exception("on_error callback failed")
            return DEFAULT_ERROR_TEXT

    async def _fail(self, exc: Exception) -> None:
        text = self.error_text(exc)
        if self.is_finished or self._disconnected:
            return
        try:
            await self.error(text)
            await self.finish("error")
        except ClientDisconnectedError:
            pass

    def _start_detached(self) -> None:
        """Start the work of :meth:`run` in a task of its own (``stream()`` without a host)."""
        supervise = self._claim_work()
        if supervise is None:
            return
        if _current_library() == "trio":
            import trio

            trio.lowlevel.spawn_system_task(supervise, context=copy_context())
        else:
            import asyncio

            self._task = asyncio.get_running_loop().create_task(supervise())

    # --- reading ---------------------------------------------------------------------------------

    async def stream(self, *, keep_alive: float | None = None) -> AsyncGenerator[bytes, None]:
        """Yield the response body: SSE frames, coalesced, ending with ``data: [DONE]``.

        Work given to :meth:`run` starts on the first iteration if no response hosts it. When
        the iteration stops early (the client went away), the work is cancelled and the record
        finalised as aborted.

        Args:
            keep_alive: Seconds of producer silence after which an SSE comment
                (``: keep-alive``) is sent, so that proxies keep the connection open; the
                stream then starts with ``: stream-open``, as the AI SDK server does. The
                client ignores both. ``None`` (the default) sends none. Ignored for ai 4.

        Raises:
            StreamStateError: The stream is already being read.
        """
        if self._reader_claimed:
            raise StreamStateError("The stream of this context is already being read.")
        self._reader_claimed = True
        self._start_detached()
        receive = self._channel_ends()[1]
        completed = False
        if self._target.major < 5 or (keep_alive is not None and keep_alive <= 0):
            keep_alive = None
        try:
            if keep_alive is not None:
                yield STREAM_OPEN_FRAME
            while True:
                try:
                    batch = receive.receive_nowait()
                except WouldBlock:
                    batch = self._take_pending()
                    if not batch:
                        self._reader_waiting = True
                        self._room = 0
                        try:
                            if keep_alive is None:
                                batch = await receive.receive()
                            else:
                                with anyio.move_on_after(keep_alive):
                                    batch = await receive.receive()
                                if not batch:  # the producer was idle: keep the line warm
                                    yield KEEP_ALIVE_FRAME
                                    continue
                        finally:
                            self._reader_waiting = False
                while True:  # coalesce whatever else is ready
                    try:
                        batch += receive.receive_nowait()
                    except (WouldBlock, EndOfStream):
                        break
                batch += self._take_pending()
                body = b"".join(batch)
                del batch  # hold the frames once, as one body, while the server writes it
                yield body
        except EndOfStream:
            batch = self._take_pending()
            if batch:
                yield b"".join(batch)
            completed = True
        finally:
            self._reader_gone(completed=completed)
            if not completed and self._work is None:
                await self._finalize(aborted=True, reason="client-disconnected")

    def __aiter__(self) -> AsyncIterator[bytes]:
        """Iterate the body, as :meth:`stream`."""
        return self.stream()


def _current_library() -> str:
    if "trio" in sys.modules:
        import trio

        try:
            trio.lowlevel.current_task()
        except RuntimeError:
            return "asyncio"
        return "trio"
    return "asyncio"


def _put(chunk: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        chunk[key] = value


def _tool_chunk(
    kind: str,
    tool_call_id: str,
    tool_name: str,
    *,
    input: Any = ...,
    error_text: str | None = None,
    provider_executed: bool | None = None,
    provider_metadata: Any = None,
    dynamic: bool = False,
    title: str | None = None,
    tool_metadata: Any = None,
) -> dict[str, Any]:
    chunk: dict[str, Any] = {"type": kind, "toolCallId": tool_call_id, "toolName": tool_name}
    if input is not ...:
        chunk["input"] = input
    _put(chunk, "errorText", error_text)
    _put(chunk, "providerExecuted", provider_executed)
    _put(chunk, "providerMetadata", provider_metadata)
    if dynamic:
        chunk["dynamic"] = True
    _put(chunk, "title", title)
    _put(chunk, "toolMetadata", tool_metadata)
    return chunk


def _as_chunk_dict(chunk: Any) -> dict[str, Any]:
    if isinstance(chunk, dict):
        from ai_stream.protocol.chunks import parse_chunk

        return parse_chunk(chunk).to_wire()
    to_wire = getattr(chunk, "to_wire", None)
    if to_wire is None:
        raise TypeError("write() takes a chunk model (e.g. TextDeltaChunk) or a chunk dict.")
    data: dict[str, Any] = to_wire()
    return data
