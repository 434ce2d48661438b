"""``StreamContext``: the object every layer of a request writes the assistant message into.

This module is the façade: signatures, docstrings and delegation. The work is done below it:

* :mod:`ai_stream._lifecycle` (pure) turns each call into the chunks to send — opening and
  closing the message, steps and parts — and refuses, atomically, what the client would reject;
* :mod:`ai_stream.record` (pure) rebuilds the ``UIMessage`` the browser shows, with ``collect``;
* :mod:`ai_stream._session` (async glue) sends those chunks and runs the stream in time: it
  supervises the work of :meth:`StreamContext.run`, ends the stream however the work ends,
  finalises the record once (``on_finish``), and turns a misuse into an error within a second;
* :mod:`ai_stream._outbox` (async glue) encodes the chunks, hands them to the reader, applies
  backpressure, and lets text and reasoning deltas skip everything else while their part is open.

A writer is one line: ``await self._session.emit(self._lifecycle.<call>(...))``. A
``write_text`` into an open part is a list append (and another one with ``collect``): the one
place that does not delegate, because it is the hottest line of every stream.
"""

from __future__ import annotations

import secrets
import string
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVarTuple

from typing_extensions import TypeVar

from ai_stream._lifecycle import Lifecycle
from ai_stream._outbox import DELTA_OVERHEAD, PLAIN_RUN, Outbox, send_each
from ai_stream._session import DEFAULT_ERROR_TEXT, OnError, OnFinish, Session
from ai_stream.encoding import encoder_for
from ai_stream.encoding.text import well_formed
from ai_stream.exceptions import StreamStateError
from ai_stream.protocol.approvals import sign_approval_id
from ai_stream.protocol.versions import ClientTarget, SdkVersion
from ai_stream.record import StreamRecord
from ai_stream.state import StateStore

if TYPE_CHECKING:
    from collections.abc import (
        AsyncGenerator,
        AsyncIterator,
        Awaitable,
        Callable,
        Coroutine,
        Mapping,
    )

    from ai_stream._lifecycle import ToolCall
    from ai_stream.protocol.messages import ChatRequest, ToolApprovalDecision

__all__ = ("DEFAULT_ERROR_TEXT", "StreamContext", "ToolCallHandle", "generate_id")

InfoT = TypeVar("InfoT", default=None)
Ts = TypeVarTuple("Ts")

FAST_DELTA = 1 << 20
"""Deltas shorter than this (characters) skip the lifecycle while their part is open; longer ones
are checked against the target's event limit (:attr:`ClientTarget.max_event_size`)."""

DEFAULT_BUFFER_SIZE = 16 * 1024

_ALPHABET = string.ascii_letters + string.digits
_BYTE_TO_CHAR = bytes((_ALPHABET * 5).encode()[:256].ljust(256, b"-"))
_REJECTED = bytes(range(248, 256))  # 248 = 4 * 62: bytes below it map evenly


def generate_id(size: int = 16) -> str:
    """Return a random alphanumeric id, like the AI SDK's ``generateId`` (16 characters)."""
    chars = ""
    while len(chars) < size:  # rejection sampling keeps every character equally likely
        chars += secrets.token_bytes(size + 4).translate(_BYTE_TO_CHAR, _REJECTED).decode()
    return chars[:size]


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
            sends ``"An error occurred."`` (on a text stream, which has no error channel, the
            text is appended to the answer, and the default appends nothing: the body just
            ends). The exception is always logged on the server.
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
        stream_protocol: ``"data"`` (the default) answers in the client's own protocol (the UI
            message stream of ai 5-7, the data stream of ai 4); ``"text"`` answers with the
            plain text alone, for ``TextStreamChatTransport`` and ``useCompletion({
            streamProtocol: "text" })``. A text stream takes text only: the other writers raise
            :class:`~ai_stream.exceptions.UnsupportedByClientError`.

    Raises:
        ValueError: ``buffer_size`` is not positive, ``sdk_version`` names no supported client,
            or ``message_metadata`` has no JSON form the client accepts.
    """

    __slots__ = (
        "__weakref__",
        "_approval_secret",
        "_chat_id",
        "_headers",
        "_info",
        "_lifecycle",
        "_outbox",
        "_record",
        "_session",
        "_store",
        "_target",
    )

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
        stream_protocol: Literal["data", "text"] = "data",
    ) -> None:
        if buffer_size < 1:
            raise ValueError("buffer_size must be a positive number of bytes.")
        if stream_protocol not in ("data", "text"):
            raise ValueError('stream_protocol must be "data" or "text".')
        target = ClientTarget.parse(sdk_version)
        if stream_protocol == "text":
            target = target.as_text()
        if continue_message is not None:
            message_id = continue_message.get("id") or message_id
        message_id = message_id or id_generator()
        encoder = encoder_for(target)
        self._info = custom_information
        self._target = target
        self._chat_id = chat_id
        self._approval_secret = approval_secret
        self._headers = {**encoder.headers, **headers} if headers else encoder.headers
        self._store = store  # a StateStore is made on first use
        self._lifecycle = Lifecycle(
            target,
            message_id,
            id_generator,
            message_metadata=message_metadata,
            continued=continue_message,
        )
        self._record: StreamRecord | None = (
            StreamRecord(target, message_id, message=continue_message)
            if collect or on_finish
            else None
        )
        if target.max_event_size is not None:  # (a coalesced run of deltas is one event)
            buffer_size = min(buffer_size, target.max_event_size // 8)
        self._outbox = Outbox(encoder, buffer_size)
        self._session = Session(
            target, self._lifecycle, self._outbox, self._record, on_finish, on_error
        )

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
        return self._lifecycle.message_id

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
        """``True`` once the stream ended: finished, aborted, or its client gone.

        The record is final then (``on_finish`` may still be running); after a disconnect it
        becomes true when the cancelled work has stopped.
        """
        return self._session.finalized

    @property
    def is_disconnected(self) -> bool:
        """``True`` if the client stopped reading before the stream ended."""
        return self._session.disconnected

    @property
    def response_headers(self) -> dict[str, str]:
        """The headers to send with the stream (a copy)."""
        return dict(self._headers)

    @property
    def record(self) -> StreamRecord | None:
        """What was sent, when ``collect=True`` (or ``on_finish``) was given; else ``None``."""
        return self._record

    @property
    def buffered_bytes(self) -> int:
        """About how many bytes wait for the reader (bounded by ``buffer_size`` plus a batch)."""
        return self._outbox.pending()

    def tool_call_state(self, tool_call_id: str) -> str | None:
        """The client's state of a tool call of this message, or ``None`` when it is unknown.

        One of ``input-streaming``, ``input-available``, ``approval-requested``,
        ``approval-responded``, ``output-available``, ``output-error`` and ``output-denied``;
        calls of the message being continued count.
        """
        tool = self._lifecycle.tools.get(tool_call_id)
        return None if tool is None else tool.state

    def tool_approvals(
        self, chat_request: ChatRequest, *, max_age: float | None = None
    ) -> list[ToolApprovalDecision]:
        """The user's verified approval decisions in ``chat_request``.

        Checked with this context's ``approval_secret``; see :meth:`ChatRequest.tool_approvals`.

        Raises:
            ApprovalVerificationError: An approval is forged, tampered with or replayed.
            ValueError: No secret is configured.
        """
        return chat_request.tool_approvals(self._approval_secret, max_age=max_age)

    # --- writers -------------------------------------------------------------------------------

    async def write_text(self, delta: str, *, provider_metadata: Any = None) -> None:
        """Append ``delta`` to the open text part (opening ``start``, a step and the part first).

        An open reasoning part is closed first.

        Args:
            delta: The text to append.
            provider_metadata: Provider-specific metadata for the part.
        """
        outbox = self._outbox
        kind = outbox.run_kind
        if (
            provider_metadata is None
            and type(delta) is str
            and len(delta) < FAST_DELTA
            and (
                kind == "text-delta"
                # (a text stream: UTF-8 cannot carry a lone surrogate, the lifecycle replaces it)
                or (kind == PLAIN_RUN and (delta.isascii() or well_formed(delta) is delta))
            )
        ):
            outbox.run.append(delta)  # Outbox.append, inlined: the hot path of every stream
            outbox.room -= len(delta) + DELTA_OVERHEAD
            if outbox.room <= 0 and outbox.overflow():
                await self._session.drain()
            return
        chunks = self._lifecycle.text(delta, provider_metadata)
        await self._session.emit_delta(chunks, provider_metadata is None)

    async def write_reasoning(self, delta: str, *, provider_metadata: Any = None) -> None:
        """Append ``delta`` to the open reasoning part (opening it first; closes open text).

        Args:
            delta: The reasoning text to append.
            provider_metadata: Provider-specific metadata (e.g. a thinking signature).
        """
        outbox = self._outbox
        if (
            outbox.run_kind == "reasoning-delta"
            and provider_metadata is None
            and type(delta) is str
            and len(delta) < FAST_DELTA
        ):
            outbox.run.append(delta)  # Outbox.append, inlined
            outbox.room -= len(delta) + DELTA_OVERHEAD
            if outbox.room <= 0 and outbox.overflow():
                await self._session.drain()
            return
        chunks = self._lifecycle.reasoning(delta, provider_metadata)
        await self._session.emit_delta(chunks, provider_metadata is None)

    async def end_text(self, *, provider_metadata: Any = None) -> None:
        """Close the open text part now (the next :meth:`write_text` starts a new one)."""
        await self._session.emit(self._lifecycle.end_text(provider_metadata))

    async def end_reasoning(self, *, provider_metadata: Any = None) -> None:
        """Close the open reasoning part now, e.g. to attach a final signature."""
        await self._session.emit(self._lifecycle.end_reasoning(provider_metadata))

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
            provider_metadata: Provider-specific metadata (``{provider: {...}}``).
            title: A display title (ai 6+).
            tool_metadata: Free-form tool metadata (ai 6+).

        Returns:
            A handle with the ``tool_call_id``.

        Raises:
            TypeError, ValueError: A value has no JSON form the client accepts.
        """
        chunks = self._lifecycle.tool_call(
            tool_call_id or None,
            tool_name,
            input,
            dynamic=dynamic,
            provider_executed=provider_executed,
            provider_metadata=provider_metadata,
            title=title,
            tool_metadata=tool_metadata,
        )
        await self._session.emit(chunks)
        return ToolCallHandle(chunks[-1]["toolCallId"], tool_name)

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
        chunks = self._lifecycle.tool_input_start(
            tool_call_id or None,
            tool_name,
            dynamic=dynamic,
            provider_executed=provider_executed,
            provider_metadata=provider_metadata,
            title=title,
            tool_metadata=tool_metadata,
        )
        await self._session.emit(chunks)
        return ToolCallHandle(chunks[-1]["toolCallId"], tool_name)

    async def stream_tool_input_delta(self, tool_call_id: str, delta: str) -> None:
        """Append a piece of the tool input's JSON text (``tool-input-delta``).

        Raises:
            StreamStateError: The call's input is not streaming (unknown call, input already
                complete, or forgotten by ``reset-step``).
        """
        await self._session.emit(self._lifecycle.tool_input_delta(tool_call_id, delta))

    async def finish_tool_input(self, tool_call_id: str, input: Any = ...) -> ToolCallHandle:
        """Complete a streamed tool input (``tool-input-available``).

        Args:
            tool_call_id: The call started with :meth:`start_tool_input`.
            input: The parsed input; by default the streamed text parsed as JSON.

        Raises:
            StreamStateError: Unknown tool call.
            ValueError: ``input`` was omitted and the streamed text is not valid JSON.
        """
        chunks = self._lifecycle.tool_call(tool_call_id, None, input)
        await self._session.emit(chunks)
        return ToolCallHandle(tool_call_id, chunks[-1]["toolName"])

    async def fail_tool_input(
        self, tool_call_id: str, error_text: str, *, input: Any = ...
    ) -> None:
        """Report that the model produced an invalid tool input (``tool-input-error``).

        Args:
            tool_call_id: The call started with :meth:`start_tool_input`.
            error_text: What is wrong, shown to the user and the model.
            input: The invalid input; by default the streamed text.
        """
        await self._session.emit(self._lifecycle.tool_input_error(tool_call_id, error_text, input))

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
        await self._session.emit(
            self._lifecycle.tool_output(
                tool_call_id,
                output,
                preliminary=preliminary,
                provider_executed=provider_executed,
                provider_metadata=provider_metadata,
                tool_metadata=tool_metadata,
            )
        )

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
        await self._session.emit(
            self._lifecycle.tool_error(
                tool_call_id,
                error_text,
                provider_executed=provider_executed,
                provider_metadata=provider_metadata,
                tool_metadata=tool_metadata,
            )
        )

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
        chunks = self._lifecycle.approval_request(tool_call_id, self._sign, reason)
        await self._session.emit(chunks)
        approval_id: str = chunks[-1]["approvalId"]
        return approval_id

    def _sign(self, tool_call_id: str, tool: ToolCall) -> str:
        if self._chat_id is None:
            raise StreamStateError(
                "Tool approvals need the chat id: build the context with "
                "StreamContext.for_request(chat_request) or pass chat_id=."
            )
        return sign_approval_id(
            self._approval_secret,
            chat_id=self._chat_id,
            tool_call_id=tool_call_id,
            tool_name=tool.tool_name,
            input=tool.input,
        )

    async def deny_tool_call(self, tool_call_id: str) -> None:
        """Tell the client the call was denied and will not run (``tool-output-denied``, ai 6+)."""
        await self._session.emit(self._lifecycle.tool_denied(tool_call_id))

    async def decide_tool_approval(
        self, tool_call_id: str, approved: bool, *, reason: str | None = None
    ) -> None:
        """Let the server decide an approval itself (ai 7: automatic approvals).

        Sends ``tool-approval-request`` with ``isAutomatic``, then ``tool-approval-response``,
        then, when denied, ``tool-output-denied``. An approved call is then completed with
        :meth:`complete_tool_call` or :meth:`fail_tool_call`.
        """
        await self._session.emit(self._lifecycle.decide_approval(tool_call_id, approved, reason))

    async def write_source(
        self,
        source_id: str,
        url: str,
        title: str | None = None,
        *,
        provider_metadata: Any = None,
    ) -> None:
        """Add a web source (``source-url``)."""
        await self._session.emit(
            self._lifecycle.source_url(source_id, url, title, provider_metadata)
        )

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
        await self._session.emit(
            self._lifecycle.source_document(
                source_id, media_type, title, filename, provider_metadata
            )
        )

    async def write_file(self, url: str, media_type: str, *, provider_metadata: Any = None) -> None:
        """Add a file part (``file``): an https URL or a ``data:`` URL, with its media type."""
        await self._session.emit(self._lifecycle.file(url, media_type, provider_metadata))

    async def write_data(
        self, name: str, data: Any, *, id: str | None = None, transient: bool | None = None
    ) -> None:
        """Send an app-defined data part (``data-<name>``).

        Args:
            name: The part name; ``"weather"`` and ``"data-weather"`` both give ``data-weather``.
            data: The payload (JSON-compatible).
            id: With an id, a later write with the same name and id replaces the part in place.
            transient: Deliver to ``onData`` only; the part is not stored in the message.

        Raises:
            TypeError, ValueError: ``data`` has no JSON form the client accepts (for example a
                ``__proto__`` key, which makes the client reject the whole stream).
        """
        await self._session.emit(self._lifecycle.data(name, data, id, transient))

    async def write_message_metadata(self, metadata: Any) -> None:
        """Deep-merge ``metadata`` into the message's metadata (``message-metadata``).

        Raises:
            ValueError: The metadata so far is a string, number or boolean, which the client
                cannot merge keys into (send objects), or ``metadata`` has no JSON form.
        """
        await self._session.emit(self._lifecycle.message_metadata(metadata))

    async def start(self, *, metadata: Any = None) -> None:
        """Send ``start`` now (it is otherwise sent with the first chunk).

        Once the message has started, a call with ``metadata`` sends another ``start`` whose
        metadata every client merges into the message's; without metadata it does nothing.

        Args:
            metadata: Message metadata to send with ``start``.
        """
        await self._session.emit(self._lifecycle.start(metadata))

    async def new_step(self) -> None:
        """Close the open parts and the current step (``finish-step``), then open a new step."""
        await self._session.emit(self._lifecycle.new_step())

    async def error(self, error_text: str = DEFAULT_ERROR_TEXT) -> None:
        """Send an ``error`` chunk, after closing the open text and reasoning parts.

        ``useChat`` stops processing at an error and shows ``error_text``; the stream itself
        stays open, so call :meth:`finish` (``run`` does) afterwards.
        """
        await self._session.error(error_text)

    async def finish(self, finish_reason: str | None = None, *, metadata: Any = None) -> None:
        """End the message: close parts and step, send ``finish`` and ``[DONE]``.

        A second call does nothing.

        Args:
            finish_reason: Why the model stopped; provider spellings (``tool_calls``,
                ``end_turn`` …) are mapped. By default ``tool-calls`` when the last step ended
                with tool calls that wait for the client, else ``stop``. Left out for clients
                that do not know the field (ai 5.0.0–5.0.91, and so ``sdk_version=5``).
            metadata: Message metadata to merge with ``finish``.

        Raises:
            ValueError: An unknown ``finish_reason``, or ``metadata`` the client cannot take
                (nothing is sent then, and the stream stays open).
        """
        await self._session.finish(finish_reason, metadata)

    async def abort(self, reason: str | None = None) -> None:
        """End the message early: close the open parts, send ``abort`` and ``[DONE]``.

        The record (if any) is marked aborted. ``reason`` is sent only to clients that know it.
        """
        await self._session.abort(reason, reason or "aborted")

    async def stop(self, reason: str | None = None) -> None:
        """Stop the answer, as a stop button asks: cancel the work, end with ``abort``.

        The work of :meth:`run` is cancelled; then the open parts are closed and ``abort`` and
        ``[DONE]`` are sent. The record (if any) is finalised as aborted (``abort_reason``
        ``"stopped"``, or ``reason``) with the partial answer, and ``on_finish`` gets it.
        ``reason`` is sent only to clients that know it. Nothing happens when the stream has
        already ended. Without work given to :meth:`run`, it is :meth:`abort`.
        """
        await self._session.stop(reason)

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
        if data["type"] == "finish":
            await self.finish(data.get("finishReason"), metadata=data.get("messageMetadata"))
        elif data["type"] == "abort":
            await self.abort(data.get("reason"))
        else:
            await self._session.emit(self._lifecycle.hand_written(data))

    def write_event_to_stream(self, chunk: Any) -> None:
        """Queue one chunk without waiting (synchronous :meth:`write`).

        It never blocks, so it does not apply backpressure: the next awaited write does.
        ``finish`` and ``abort`` chunks need the async methods.
        """
        data = _as_chunk_dict(chunk)
        if data["type"] in ("finish", "abort"):
            raise StreamStateError(
                f"write_event_to_stream() cannot send {data['type']!r}; await the matching method."
            )
        self._session.send_now(self._lifecycle.hand_written(data))

    # --- ending ---------------------------------------------------------------------------------

    def disconnect(self) -> None:
        """The client went away: drop what is queued, refuse further writes, cancel the work.

        Hosts (responses, resumable streams) call it when the connection closes. Writes after it
        raise :class:`ClientDisconnectedError`; the record is finalised as aborted
        (``"client-disconnected"``) and ``on_finish`` still runs. Nothing happens when the whole
        stream was already delivered.
        """
        self._session.disconnect()

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
        self._session.set_work(work, args)

    def claim_work(self) -> Callable[[], Coroutine[Any, Any, None]] | None:
        """Take the supervised work of :meth:`run`, for a host that runs it in its task group.

        Hosts (:class:`~ai_stream.UIMessageStreamResponse`, resumable streams) call it once,
        start the returned coroutine function beside :meth:`stream`, and call
        :meth:`disconnect` when the client goes. Without a host, :meth:`stream` starts the work
        itself. Returns ``None`` when there is no work or it was claimed already.
        """
        if not self._session.claim_work():
            return None
        return partial(self._session.supervise, self)

    def error_text(self, error: BaseException) -> str:
        """Log ``error`` and return the text the client may see for it (``on_error``).

        Masked by default (``"An error occurred."``). Use it to report a failed tool call
        without leaking the exception's text: ``await ctx.fail_tool_call(id, ctx.error_text(e))``.
        """
        return self._session.error_text(error)

    # --- reading ---------------------------------------------------------------------------------

    def stream(self, *, keep_alive: float | None = None) -> AsyncGenerator[bytes, None]:
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
            StreamStateError: The stream is already being read (on the first iteration).
        """
        return self._session.body(keep_alive, None, self)

    async def pump(
        self, send: Callable[[bytes], Awaitable[object]], *, keep_alive: float | None = None
    ) -> None:
        """Send the response body to ``send``, piece by piece, until the stream ends.

        The same as ``async for piece in ctx.stream(): await send(piece)``, one task switch
        cheaper per piece on asyncio: while nothing is queued, the writer that queues the next
        piece calls ``send`` itself, inside its ``await`` (writes in one turn of the event loop
        still go out together). So ``send`` is called from the work's tasks too, never twice at
        once, and what it raises there is raised here. ASGI servers' ``send`` qualifies: it
        hands the bytes to the transport before it waits for flow control. Example::

            await ctx.pump(websocket.send_bytes)

        Args:
            send: Takes each piece of the body.
            keep_alive: As for :meth:`stream` (the reader then sends every piece itself).

        Raises:
            StreamStateError: The stream is already being read.
        """
        await send_each(self._session.body(keep_alive, send, self), send)

    def __aiter__(self) -> AsyncIterator[bytes]:
        """Iterate the body, as :meth:`stream`."""
        return self.stream()


def _as_chunk_dict(chunk: Any) -> dict[str, Any]:
    if isinstance(chunk, dict):
        from ai_stream.protocol.chunks import parse_chunk

        return parse_chunk(chunk).to_wire()
    to_wire = getattr(chunk, "to_wire", None)
    if to_wire is None:
        raise TypeError("write() takes a chunk model (e.g. TextDeltaChunk) or a chunk dict.")
    data: dict[str, Any] = to_wire()
    return data
