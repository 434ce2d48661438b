"""The message lifecycle: every chunk a stream sends, built from what the writer meant.

Pure and synchronous (no I/O, no event loop): each *intent* method (``text``, ``tool_call``,
``tool_output``, ``finish`` …) takes the writer's arguments and returns the list of chunk objects
to send, opening ``start``, steps and parts before them and closing them as the target client
requires:

* ``start`` comes first, once (a later ``start`` only merges metadata, as every client does);
  every content chunk (text, reasoning, tools, sources, files) sits inside a step
  (``start-step`` … ``finish-step``); data parts and metadata need no step.
* The writers' own text and reasoning parts close each other, and close before tool chunks, a
  step boundary, ``error``, ``abort`` and ``finish``. Where some release of the target forgets
  open parts at ``finish-step`` (ai 5, 6 and 7.0.0–7.0.78), every open part is closed before it.
* A hand-written delta for a part id that is not open opens that part first (``text-start``).

**Atomic refusals** (after h11): a call is validated completely — its values turned into their
wire form (:func:`~ai_stream.encoding._json.wire_value`), the chunk types checked against the
target, the part and tool-call ids checked against what the client holds — *before* any state
changes. A refused call raises and leaves the lifecycle exactly as it was, so nothing the client
would reject is ever sent and nothing is half-sent.

The lifecycle mirrors what the client keeps between chunks (open part ids, partial tool calls,
tool parts per step, approval ids, the kind of message metadata), from the release table of
:class:`~ai_stream.protocol.versions.ClientTarget`; it never re-derives a release's behaviour.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from ai_stream.encoding._json import check_str_size, wire_str, wire_value
from ai_stream.encoding.text import well_formed
from ai_stream.exceptions import ClientDisconnectedError, StreamClosedError, StreamStateError
from ai_stream.protocol.messages import tool_part_name
from ai_stream.protocol.versions import normalize_finish_reason

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ai_stream.protocol.versions import ClientTarget

__all__ = ("Chunk", "Lifecycle", "Phase", "ToolCall")

EVENT_MARGIN: Final = 64 * 1024
"""What a chunk's other fields (ids, media type, provider metadata) may take beside its one large
value, within the target's event limit (:attr:`ClientTarget.max_event_size`)."""

Chunk = dict[str, Any]
"""A chunk object with the wire's camelCase keys (see :mod:`ai_stream.protocol._shapes`)."""

# Chunk types that belong to a step (the reference server emits them between start-step and
# finish-step); data parts, metadata, error and abort do not open one.
_STEP_CONTENT: Final = frozenset(
    {
        "text-start",
        "text-delta",
        "text-end",
        "reasoning-start",
        "reasoning-delta",
        "reasoning-end",
        "tool-input-start",
        "tool-input-delta",
        "tool-input-available",
        "tool-input-error",
        "tool-approval-request",
        "tool-approval-response",
        "tool-output-available",
        "tool-output-error",
        "tool-output-denied",
        "source-url",
        "source-document",
        "file",
        "reasoning-file",
        "custom",
        "steering-message",
    }
)
_RESULTS: Final = frozenset({"tool-output-available", "tool-output-error", "tool-output-denied"})
_TOOL_CHUNKS: Final = frozenset(k for k in _STEP_CONTENT if k.startswith("tool-"))
_WAITING: Final = frozenset({"input-available", "approval-requested"})

# Kinds of message metadata, for the client's mergeObjects: merging keys into a string, number or
# boolean throws a TypeError in the client (`'x' in 5`).
_NO_METADATA: Final = 0
_OBJECT_METADATA: Final = 1
_SCALAR_METADATA: Final = 2


class Phase(enum.Enum):
    """Where the message is in its life."""

    IDLE = "idle"
    """Nothing sent yet."""
    OPEN = "open"
    """``start`` sent; chunks may follow."""
    CLOSED = "closed"
    """``finish`` or ``abort`` sent (or the client left); nothing more may be written."""


@dataclass(slots=True)
class ToolCall:
    """What the lifecycle knows about one tool call of the message (as the client's part)."""

    tool_name: str
    dynamic: bool = False
    state: str = "input-streaming"
    """``input-streaming``, ``input-available``, ``approval-requested``, ``approval-responded``,
    ``output-available``, ``output-error`` or ``output-denied``."""
    input_text: list[str] = field(default_factory=list)
    input: Any = None
    provider_executed: bool | None = None
    approval_id: str | None = None
    step: int = 0
    """The step whose parts hold the call (``-1``: an earlier step of the continued message)."""
    continued: bool = False
    """The call belongs to the message being continued (its result opens no new step)."""
    streaming: bool = False
    """The client keeps a partial tool call for it: ``tool-input-delta`` is accepted."""
    final: bool = False
    """It has its final result (output, error or denial): the writers add no other."""


def _unknown_tool(tool_call_id: str) -> StreamStateError:
    return StreamStateError(
        f"Unknown tool call id {tool_call_id!r}: begin the tool call (begin_tool_call or "
        "start_tool_input) before writing its input, output or approval."
    )


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}.")
    return wire_str(value)


def _provider_metadata(value: Any) -> dict[str, dict[str, Any]] | None:
    if value is None:
        return None
    wire = wire_value(value)
    if not isinstance(wire, dict) or not all(isinstance(v, dict) for v in wire.values()):
        raise ValueError(
            "provider_metadata must map provider names to objects, e.g. "
            "{'openai': {'itemId': 'x'}}; the client's schema rejects anything else."
        )
    return wire


def _tool_metadata(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    wire = wire_value(value)
    if not isinstance(wire, dict):
        raise ValueError("tool_metadata must be a dict (a JSON object); the client rejects others.")
    return wire


def _flag(value: Any, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise TypeError(f"{name} must be a bool or None.")


def _merge_kind(base: int, metadata: Any) -> int:
    """The kind of message metadata after the client merges ``metadata`` into ``base``.

    Raises:
        ValueError: The client would throw (keys merged into a string, number or boolean).
    """
    if metadata is None:  # the client skips null metadata
        return base
    if base == _NO_METADATA:
        return _OBJECT_METADATA if isinstance(metadata, dict | list) else _SCALAR_METADATA
    if base == _SCALAR_METADATA and isinstance(metadata, dict | list | str) and metadata:
        raise ValueError(
            "The message metadata is a string, number or boolean, so the client cannot merge "
            "new keys into it (it throws a TypeError). Send message metadata as objects."
        )
    return _OBJECT_METADATA


class Lifecycle:
    """The I/O-free state machine behind :class:`~ai_stream.StreamContext`.

    Args:
        target: The client release(s) the stream is for.
        message_id: The assistant message id sent in ``start``.
        generate_id: Makes tool call and approval ids.
        message_metadata: Metadata to send with ``start``.
        continued: The assistant message (as JSON) this stream continues, if any.

    Raises:
        TypeError, ValueError: ``message_metadata`` has no valid wire form, or the client could
            not merge it into the metadata of the message being continued.
    """

    __slots__ = (
        "_counter",
        "_disconnected",
        "_keeps_parts",
        "_restarts_inputs",
        "_text_only",
        "_results_complete_inputs",
        "_metadata_kind",
        "_max_value",
        "approvals",
        "finish_reason",
        "generate_id",
        "message_id",
        "open_reasoning",
        "open_text",
        "phase",
        "reasoning_id",
        "start_metadata",
        "step_index",
        "step_open",
        "target",
        "text_id",
        "tools",
    )

    def __init__(
        self,
        target: ClientTarget,
        message_id: str,
        generate_id: Callable[[], str],
        *,
        message_metadata: Any = None,
        continued: Mapping[str, Any] | None = None,
    ) -> None:
        self.target = target
        self.message_id = message_id
        self.generate_id = generate_id
        # A text stream: one step, one text part, nothing but text (see ClientTarget.text).
        self._text_only = target.text
        if self._text_only and message_metadata is not None:
            target.check_chunk("message-metadata")
        limit = target.max_event_size
        # (the bound of one value: the rest of its chunk fits in the margin)
        self._max_value = None if limit is None else limit - EVENT_MARGIN
        self.start_metadata = (
            None if message_metadata is None else wire_value(message_metadata, self._max_value)
        )
        self.phase = Phase.IDLE
        self.step_open = False
        self.step_index = 0
        self.finish_reason: str | None = None
        """The reason :meth:`finish` decided (mapped to the target's enum)."""
        self.text_id: str | None = None
        """The writers' open text part."""
        self.reasoning_id: str | None = None
        """The writers' open reasoning part."""
        self.open_text: dict[str, None] = {}  # an ordered set, smaller than a set
        """Every text part id the client holds open (the writers' one included)."""
        self.open_reasoning: dict[str, None] = {}
        self.tools: dict[str, ToolCall] = {}
        self.approvals: dict[str, str] = {}
        """Approval id → tool call id."""
        self._metadata_kind = _NO_METADATA
        self._counter = 0
        self._disconnected = False
        self._keeps_parts = target.always("finish_step_keeps_parts")
        self._results_complete_inputs = target.always("result_for_streaming_input")
        self._restarts_inputs = target.always("restart_streaming_input")
        if continued is not None:
            self._hydrate(continued)
        if self.start_metadata is not None:  # (refused now: every call would send it first)
            _merge_kind(self._metadata_kind, self.start_metadata)

    # --- reading ------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """Whether nothing more may be written."""
        return self.phase is Phase.CLOSED

    def tool(self, tool_call_id: str) -> ToolCall:
        """Return the state of a known tool call.

        Raises:
            StreamStateError: No tool call with that id is known to the client.
        """
        try:
            return self.tools[tool_call_id]
        except KeyError:
            raise _unknown_tool(tool_call_id) from None

    def pending_tool_calls(self) -> list[str]:
        """Ids of the current step's tool calls that wait for a result from the client."""
        return [
            tool_call_id
            for tool_call_id, tool in self.tools.items()
            if tool.step == self.step_index
            and tool.state in _WAITING
            and not tool.provider_executed
        ]

    def new_tool_call_id(self) -> str:
        """A fresh tool call id (``call_<id>``)."""
        return f"call_{self.generate_id()}"

    # --- continuation -------------------------------------------------------------------------

    def _hydrate(self, message: Mapping[str, Any]) -> None:
        """Take over what the client holds of the message being continued."""
        parts = message.get("parts")
        parts = parts if isinstance(parts, list) else []
        last_step = max(
            (
                i
                for i, p in enumerate(parts)
                if isinstance(p, dict) and p.get("type") == "step-start"
            ),
            default=-1,
        )
        hydrate_partials = self.target.always("partial_input_hydration")
        for index, part in enumerate(parts):
            if not isinstance(part, dict):
                continue
            name = tool_part_name(part)
            tool_call_id = part.get("toolCallId")
            if name is None or not isinstance(tool_call_id, str):
                continue
            state = part.get("state")
            state = state if isinstance(state, str) else "input-available"
            current = index > last_step
            tool = ToolCall(
                name,
                dynamic=part.get("type") == "dynamic-tool",
                state=state,
                input=part.get("input"),
                provider_executed=part.get("providerExecuted") is True or None,
                step=0 if current else -1,
                continued=True,
                streaming=current and hydrate_partials and state == "input-streaming",
            )
            raw = part.get("rawInput")
            if isinstance(raw, str):
                tool.input_text.append(raw)
            approval = part.get("approval")
            if isinstance(approval, dict) and isinstance(approval.get("id"), str):
                tool.approval_id = approval["id"]
                self.approvals[approval["id"]] = tool_call_id
            self.tools[tool_call_id] = tool
        self._metadata_kind = _merge_kind(_NO_METADATA, message.get("metadata"))

    # --- building blocks (they mutate; callers validate first) --------------------------------

    def _check_open(self) -> None:
        if self.phase is Phase.CLOSED:
            raise ClientDisconnectedError() if self._disconnected else StreamClosedError()

    def _begin(self, out: list[Chunk]) -> None:
        if self.phase is Phase.IDLE:
            chunk: Chunk = {"type": "start", "messageId": self.message_id}
            if self.start_metadata is not None:
                chunk["messageMetadata"] = self.start_metadata
                self._metadata_kind = _merge_kind(self._metadata_kind, self.start_metadata)
            self.phase = Phase.OPEN
            out.append(chunk)

    def _ensure_step(self, out: list[Chunk]) -> None:
        self._begin(out)
        if not self.step_open:
            self.step_open = True
            self.step_index += 1
            out.append({"type": "start-step"})

    def _close_text(self, out: list[Chunk]) -> None:
        if self.text_id is not None:
            self.open_text.pop(self.text_id, None)
            out.append({"type": "text-end", "id": self.text_id})
            self.text_id = None

    def _close_reasoning(self, out: list[Chunk]) -> None:
        if self.reasoning_id is not None:
            self.open_reasoning.pop(self.reasoning_id, None)
            out.append({"type": "reasoning-end", "id": self.reasoning_id})
            self.reasoning_id = None

    def _close_parts(self, out: list[Chunk], *, everything: bool = False) -> None:
        """End the writers' parts (``everything``: also the parts opened by hand)."""
        self._close_text(out)
        self._close_reasoning(out)
        if everything:
            out.extend({"type": "text-end", "id": i} for i in sorted(self.open_text))
            out.extend({"type": "reasoning-end", "id": i} for i in sorted(self.open_reasoning))
            self.open_text.clear()
            self.open_reasoning.clear()

    def _end_step(self, out: list[Chunk]) -> None:
        if self.step_open:
            self._close_parts(out, everything=not self._keeps_parts)
            self.step_open = False
            out.append({"type": "finish-step"})

    def _next_part_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}-{self._counter}"

    def _base_kind(self) -> int:
        """The metadata kind the next merge starts from (``start`` may not be sent yet)."""
        if self.phase is Phase.IDLE:
            return _merge_kind(self._metadata_kind, self.start_metadata)
        return self._metadata_kind

    def _check_size(self, text: str) -> None:
        """Refuse a string that would make its event larger than the target reads."""
        if self._max_value is not None:
            check_str_size(text, self._max_value)

    def _wire_str(self, text: str) -> str:
        wire = wire_str(text)
        self._check_size(wire)
        return wire

    def _fit(self, chunks: list[Chunk]) -> list[Chunk]:
        fit = self.target.fit
        return [fit(chunk) for chunk in chunks]

    # --- message ------------------------------------------------------------------------------

    def start(self, metadata: Any = None) -> list[Chunk]:
        """``start`` now (with ``metadata`` instead of the constructor's); later: merge metadata."""
        self._check_open()
        self._text_metadata(metadata)
        wire = None if metadata is None else wire_value(metadata, self._max_value)
        out: list[Chunk] = []
        if self.phase is Phase.IDLE:
            if wire is not None:
                _merge_kind(self._metadata_kind, wire)
                self.start_metadata = wire
            self._begin(out)
        elif wire is not None:  # every client merges the metadata of a second start
            self._metadata_kind = _merge_kind(self._metadata_kind, wire)
            out.append({"type": "start", "messageId": self.message_id, "messageMetadata": wire})
        return out

    def _text_metadata(self, metadata: Any) -> None:
        """Refuse message metadata on a text stream (it has no bytes for it)."""
        if self._text_only and metadata is not None:
            self.target.check_chunk("message-metadata")

    def message_metadata(self, metadata: Any) -> list[Chunk]:
        """Deep-merge ``metadata`` into the message metadata (``message-metadata``)."""
        self._check_open()
        self._text_metadata(metadata)
        wire = wire_value(metadata, self._max_value)
        kind = _merge_kind(self._base_kind(), wire)
        out: list[Chunk] = []
        self._begin(out)
        self._metadata_kind = kind
        out.append({"type": "message-metadata", "messageMetadata": wire})
        return out

    def data(
        self, name: str, data: Any, part_id: str | None, transient: bool | None
    ) -> list[Chunk]:
        """A ``data-<name>`` part (``data-`` is added when missing)."""
        self._check_open()
        name = _text(name, "name")
        kind = name if name.startswith("data-") else f"data-{name}"
        if kind == "data-":
            raise ValueError("write_data() needs a non-empty name.")
        self.target.check_chunk(kind)
        chunk: Chunk = {"type": kind}
        if part_id is not None:
            chunk["id"] = _text(part_id, "id")
        chunk["data"] = wire_value(data, self._max_value)
        if _flag(transient, "transient") is not None:
            chunk["transient"] = transient
        out: list[Chunk] = []
        self._begin(out)
        out.append(chunk)
        return self._fit(out)

    def new_step(self) -> list[Chunk]:
        """Close the current step and open the next one (a text stream keeps its one step)."""
        self._check_open()
        if self._text_only:
            return []
        out: list[Chunk] = []
        self._end_step(out)
        self._ensure_step(out)
        return out

    def error(self, error_text: str) -> list[Chunk]:
        """Close every open part, then ``error``.

        A text stream has no error channel: a non-empty ``error_text`` is appended to its text.
        """
        self._check_open()
        if self._text_only:
            return self.text(str(error_text)) if error_text else []
        text = self._wire_str(str(error_text))
        out: list[Chunk] = []
        self._begin(out)
        self._close_parts(out, everything=True)
        out.append({"type": "error", "errorText": text})
        return out

    def finish(self, finish_reason: str | None = None, metadata: Any = None) -> list[Chunk]:
        """Close everything and send ``finish``; the lifecycle is closed afterwards.

        ``finish_reason`` is mapped to the target's enum (provider spellings included); by default
        ``tool-calls`` when the current step's tool calls wait for the client, else ``stop``.
        """
        self._check_open()
        self._text_metadata(metadata)
        if finish_reason is None:
            finish_reason = "tool-calls" if self.pending_tool_calls() else "stop"
        reason = normalize_finish_reason(finish_reason, self.target)
        wire = None if metadata is None else wire_value(metadata, self._max_value)
        kind = _merge_kind(self._base_kind(), wire)
        out: list[Chunk] = []
        self._begin(out)
        if self._text_only and self.text_id is None:
            self._open_text(out)
        self._metadata_kind = kind
        self._close_parts(out, everything=True)
        self._end_step(out)
        chunk: Chunk = {"type": "finish", "finishReason": reason}
        if wire is not None:
            chunk["messageMetadata"] = wire
        out.append(chunk)
        self.phase = Phase.CLOSED
        self.finish_reason = reason
        return self._fit(out)

    def abort(self, reason: str | None = None) -> list[Chunk]:
        """Close the open parts and send ``abort``; the lifecycle is closed afterwards."""
        self._check_open()
        text = None if reason is None else wire_str(str(reason))
        out: list[Chunk] = []
        self._begin(out)
        if self._text_only and self.text_id is None:
            self._open_text(out)
        self._close_parts(out, everything=True)
        chunk: Chunk = {"type": "abort"}
        if text is not None:
            chunk["reason"] = text
        out.append(chunk)
        self.phase = Phase.CLOSED
        return self._fit(out)

    def close(self, *, disconnected: bool = False) -> None:
        """Close without sending anything (the client went away, or the stream broke)."""
        self.phase = Phase.CLOSED
        self._disconnected = self._disconnected or disconnected

    # --- text and reasoning -------------------------------------------------------------------

    def text(self, delta: str, provider_metadata: Any = None) -> list[Chunk]:
        """A delta for the writers' text part (opened first, closing their reasoning)."""
        self._check_open()
        if not isinstance(delta, str):
            raise TypeError("write_text() takes a str delta.")
        self._check_size(delta)
        metadata = _provider_metadata(provider_metadata)
        out: list[Chunk] = []
        if self._text_only:
            delta, metadata = well_formed(delta), None
        if self.text_id is None:
            self._open_text(out, metadata)
        chunk: Chunk = {"type": "text-delta", "id": self.text_id, "delta": delta}
        if metadata is not None:
            chunk["providerMetadata"] = metadata
        out.append(chunk)
        return out

    def _open_text(self, out: list[Chunk], metadata: Any = None) -> None:
        self._ensure_step(out)
        self._close_reasoning(out)
        self.text_id = part_id = self._next_part_id("text")
        self.open_text[part_id] = None
        start: Chunk = {"type": "text-start", "id": part_id}
        if metadata is not None:
            start["providerMetadata"] = metadata
        out.append(start)

    def reasoning(self, delta: str, provider_metadata: Any = None) -> list[Chunk]:
        """A delta for the writers' reasoning part (opened first, closing their text)."""
        self._check_open()
        if self._text_only:
            self.target.check_chunk("reasoning-start")
        if not isinstance(delta, str):
            raise TypeError("write_reasoning() takes a str delta.")
        self._check_size(delta)
        metadata = _provider_metadata(provider_metadata)
        out: list[Chunk] = []
        if self.reasoning_id is None:
            self._ensure_step(out)
            self._close_text(out)
            self.reasoning_id = part_id = self._next_part_id("reasoning")
            self.open_reasoning[part_id] = None
            start: Chunk = {"type": "reasoning-start", "id": part_id}
            if metadata is not None:
                start["providerMetadata"] = metadata
            out.append(start)
        chunk: Chunk = {"type": "reasoning-delta", "id": self.reasoning_id, "delta": delta}
        if metadata is not None:
            chunk["providerMetadata"] = metadata
        out.append(chunk)
        return out

    def end_text(self, provider_metadata: Any = None) -> list[Chunk]:
        """End the writers' text part, if one is open (a text stream keeps its one part)."""
        self._check_open()
        if self._text_only:
            return []
        metadata = _provider_metadata(provider_metadata)
        out: list[Chunk] = []
        self._close_text(out)
        if out and metadata is not None:
            out[-1]["providerMetadata"] = metadata
        return out

    def end_reasoning(self, provider_metadata: Any = None) -> list[Chunk]:
        """End the writers' reasoning part, if one is open."""
        self._check_open()
        metadata = _provider_metadata(provider_metadata)
        out: list[Chunk] = []
        self._close_reasoning(out)
        if out and metadata is not None:
            out[-1]["providerMetadata"] = metadata
        return out

    # --- tools --------------------------------------------------------------------------------

    def tool_input_start(
        self,
        tool_call_id: str | None,
        tool_name: str,
        *,
        dynamic: bool = False,
        provider_executed: bool | None = None,
        provider_metadata: Any = None,
        title: str | None = None,
        tool_metadata: Any = None,
    ) -> list[Chunk]:
        """``tool-input-start``: a call whose input streams in pieces (``None``: a new id)."""
        if tool_call_id is not None:
            tool_call_id = _text(tool_call_id, "tool_call_id")
            self._unstarted(tool_call_id, restart=True)
        chunk: Chunk = {
            "type": "tool-input-start",
            "toolCallId": tool_call_id or "",
            "toolName": _text(tool_name, "tool_name"),
        }
        self._call_options(
            chunk, dynamic, provider_executed, provider_metadata, title, tool_metadata
        )
        return self._tool_chunk(self._new_call(chunk) if tool_call_id is None else chunk)

    def tool_input_delta(self, tool_call_id: str, delta: str) -> list[Chunk]:
        """``tool-input-delta``: a piece of the streamed input text."""
        chunk: Chunk = {
            "type": "tool-input-delta",
            "toolCallId": _text(tool_call_id, "tool_call_id"),
            "inputTextDelta": _text(delta, "delta"),
        }
        self._check_size(chunk["inputTextDelta"])
        return self._tool_chunk(chunk)

    def tool_call(
        self,
        tool_call_id: str | None,
        tool_name: str | None,
        input: Any = ...,
        *,
        dynamic: bool | None = None,
        provider_executed: bool | None = None,
        provider_metadata: Any = None,
        title: str | None = None,
        tool_metadata: Any = None,
    ) -> list[Chunk]:
        """``tool-input-available``: the call with its complete input.

        For a call started with :meth:`tool_input_start`, ``tool_name``, ``dynamic`` and
        ``provider_executed`` default to the started call's, and ``input`` to the streamed text
        parsed as JSON. ``tool_call_id=None`` makes a new call with a new id.

        Raises:
            StreamStateError: No ``tool_name`` for an unknown call.
            ValueError: ``input`` was omitted and the streamed text is not JSON.
        """
        new = tool_call_id is None
        tool_call_id = "" if tool_call_id is None else _text(tool_call_id, "tool_call_id")
        known = None if new else self.tools.get(tool_call_id)
        if known is not None:
            self._unstarted(tool_call_id)
        if tool_name is None:
            if known is None:
                raise _unknown_tool(tool_call_id)
            tool_name = known.tool_name
        if input is ...:
            input = self._streamed_input(tool_call_id)
        if known is not None:
            dynamic = known.dynamic if dynamic is None else dynamic
            if provider_executed is None:
                provider_executed = known.provider_executed
        chunk: Chunk = {
            "type": "tool-input-available",
            "toolCallId": tool_call_id,
            "toolName": _text(tool_name, "tool_name"),
            "input": wire_value(input, self._max_value),
        }
        self._call_options(
            chunk, bool(dynamic), provider_executed, provider_metadata, title, tool_metadata
        )
        return self._tool_chunk(self._new_call(chunk) if new else chunk)

    def _new_call(self, chunk: Chunk) -> Chunk:
        """Give a new call's validated chunk its id: a refused call consumes no id."""
        self._check_open()
        self.target.check_chunk(chunk["type"])
        chunk["toolCallId"] = self.new_tool_call_id()
        return chunk

    def tool_input_error(self, tool_call_id: str, error_text: str, input: Any = ...) -> list[Chunk]:
        """``tool-input-error``: the model produced an invalid input (default: the streamed one)."""
        tool = self.tool(_text(tool_call_id, "tool_call_id"))
        chunk: Chunk = {
            "type": "tool-input-error",
            "toolCallId": tool_call_id,
            "toolName": tool.tool_name,
            "input": wire_value(
                "".join(tool.input_text) if input is ... else input, self._max_value
            ),
            "errorText": wire_str(str(error_text)),
        }
        self._call_options(chunk, tool.dynamic, tool.provider_executed, None, None, None)
        return self._tool_chunk(chunk)

    def tool_output(
        self,
        tool_call_id: str,
        output: Any,
        *,
        preliminary: bool | None = None,
        provider_executed: bool | None = None,
        provider_metadata: Any = None,
        tool_metadata: Any = None,
    ) -> list[Chunk]:
        """``tool-output-available``: the tool's result."""
        chunk: Chunk = {
            "type": "tool-output-available",
            "toolCallId": self._unsettled(tool_call_id),
            "output": wire_value(output, self._max_value),
        }
        self._result_options(chunk, provider_executed, provider_metadata, tool_metadata)
        if _flag(preliminary, "preliminary") is not None:
            chunk["preliminary"] = preliminary
        return self._tool_chunk(chunk)

    def tool_error(
        self,
        tool_call_id: str,
        error_text: str,
        *,
        provider_executed: bool | None = None,
        provider_metadata: Any = None,
        tool_metadata: Any = None,
    ) -> list[Chunk]:
        """``tool-output-error``: the tool failed."""
        chunk: Chunk = {
            "type": "tool-output-error",
            "toolCallId": self._unsettled(tool_call_id),
            "errorText": wire_str(str(error_text)),
        }
        self._result_options(chunk, provider_executed, provider_metadata, tool_metadata)
        return self._tool_chunk(chunk)

    def tool_denied(self, tool_call_id: str) -> list[Chunk]:
        """``tool-output-denied`` (ai 6+): the call was denied and will not run."""
        chunk: Chunk = {"type": "tool-output-denied", "toolCallId": self._unsettled(tool_call_id)}
        return self._tool_chunk(chunk)

    def _unsettled(self, tool_call_id: str) -> str:
        """``tool_call_id``, checked to have no final result yet (a writer adds one, once)."""
        tool_call_id = _text(tool_call_id, "tool_call_id")
        tool = self.tools.get(tool_call_id)
        if tool is not None and tool.final:
            raise StreamStateError(
                f"Tool call {tool_call_id!r} already has its final result; a call gets one "
                "output, error or denial (preliminary outputs come before it)."
            )
        return tool_call_id

    def _unstarted(self, tool_call_id: str, *, restart: bool = False) -> None:
        """Refuse to begin a call again whose input the client already holds in this step.

        ``restart``: a ``tool-input-start``, which ai 4 cannot show for a streaming call either.
        """
        tool = self.tools.get(tool_call_id)
        if (
            tool is not None
            and tool.step == self.step_index
            and (tool.state != "input-streaming" or (restart and not self._restarts_inputs))
        ):
            raise StreamStateError(
                f"Tool call {tool_call_id!r} already has its input in this step; give each "
                "call its own tool_call_id."
            )

    def approval_request(
        self, tool_call_id: str, sign: Callable[[str, ToolCall], str], reason: str | None = None
    ) -> list[Chunk]:
        """``tool-approval-request`` (ai 6+) with the approval id ``sign(id, call)`` returns.

        Raises:
            StreamStateError: The call's input is not complete or it has a result already.
        """
        self.target.check_chunk("tool-approval-request")
        tool = self._approvable(_text(tool_call_id, "tool_call_id"))
        chunk: Chunk = {
            "type": "tool-approval-request",
            "approvalId": "",
            "toolCallId": tool_call_id,
        }
        if reason is not None:
            chunk["reason"] = wire_str(str(reason))
        self._check_open()
        chunk["approvalId"] = sign(tool_call_id, tool)
        return self._tool_chunk(chunk)

    def decide_approval(self, tool_call_id: str, approved: bool, reason: str | None) -> list[Chunk]:
        """An automatic approval decision (ai 7): request, response and, if denied, the denial."""
        self.target.check_chunk("tool-approval-response")
        self._approvable(_text(tool_call_id, "tool_call_id"))
        self._check_open()
        approval_id = f"auto_{self.generate_id()}"
        request: Chunk = {
            "type": "tool-approval-request",
            "approvalId": approval_id,
            "toolCallId": tool_call_id,
            "isAutomatic": True,
        }
        response: Chunk = {
            "type": "tool-approval-response",
            "approvalId": approval_id,
            "approved": bool(approved),
        }
        if reason is not None:
            response["reason"] = wire_str(str(reason))
        chunks = [request, response]
        if not approved:
            chunks.append({"type": "tool-output-denied", "toolCallId": tool_call_id})
        out: list[Chunk] = []
        for chunk in chunks:  # each is valid after the one before; validated as a whole first
            out += self._tool_chunk(chunk)
        return out

    def _approvable(self, tool_call_id: str) -> ToolCall:
        tool = self.tool(tool_call_id)
        if tool.state != "input-available":
            raise StreamStateError(
                f"Tool call {tool_call_id!r} cannot be approved now: its input must be complete "
                "(input-available) and it must have no result yet."
            )
        return tool

    def _completed_input(self, tool_call_id: str, tool: ToolCall) -> Chunk:
        """The call a client that needs one before a result gets: the streamed input, if JSON."""
        try:
            value = json.loads("".join(tool.input_text) or "{}")
        except ValueError:
            value = {}
        chunk: Chunk = {
            "type": "tool-input-available",
            "toolCallId": tool_call_id,
            "toolName": tool.tool_name,
            "input": wire_value(value, self._max_value),
        }
        self._call_options(chunk, tool.dynamic, tool.provider_executed, None, None, None)
        return chunk

    def _streamed_input(self, tool_call_id: str) -> Any:
        text = "".join(self.tool(tool_call_id).input_text)
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise ValueError(
                f"The streamed input of tool call {tool_call_id!r} is not valid JSON; pass input= "
                "explicitly or report it with fail_tool_input()."
            ) from None

    @staticmethod
    def _call_options(
        chunk: Chunk,
        dynamic: bool,
        provider_executed: bool | None,
        provider_metadata: Any,
        title: str | None,
        tool_metadata: Any,
    ) -> None:
        if _flag(provider_executed, "provider_executed") is not None:
            chunk["providerExecuted"] = provider_executed
        metadata = _provider_metadata(provider_metadata)
        if metadata is not None:
            chunk["providerMetadata"] = metadata
        if dynamic:
            chunk["dynamic"] = True
        if title is not None:
            chunk["title"] = _text(title, "title")
        tool_md = _tool_metadata(tool_metadata)
        if tool_md is not None:
            chunk["toolMetadata"] = tool_md

    @staticmethod
    def _result_options(
        chunk: Chunk, provider_executed: bool | None, provider_metadata: Any, tool_metadata: Any
    ) -> None:
        if _flag(provider_executed, "provider_executed") is not None:
            chunk["providerExecuted"] = provider_executed
        metadata = _provider_metadata(provider_metadata)
        if metadata is not None:
            chunk["providerMetadata"] = metadata
        tool_md = _tool_metadata(tool_metadata)
        if tool_md is not None:
            chunk["toolMetadata"] = tool_md

    def _tool_chunk(self, chunk: Chunk) -> list[Chunk]:
        """Validate a tool chunk against what the client holds, then send it."""
        self._check_open()
        kind: str = chunk["type"]
        self.target.check_chunk(kind)
        tool_call_id: str = chunk.get("toolCallId", "")
        tool = self.tools.get(tool_call_id)
        # --- validate (nothing changes above this line) ---
        if kind == "tool-approval-response":
            if chunk["approvalId"] not in self.approvals:
                raise StreamStateError(
                    f"Unknown approval id {chunk['approvalId']!r}: send tool-approval-request "
                    "first."
                )
        elif kind not in ("tool-input-start", "tool-input-available", "tool-input-error"):
            if tool is None:
                raise _unknown_tool(tool_call_id)
            if kind == "tool-input-delta" and not (
                tool.streaming and tool.state == "input-streaming"
            ):
                raise StreamStateError(
                    f"tool-input-delta for tool call {tool_call_id!r}, whose input is not "
                    "streaming: send tool-input-start first (reset-step forgets streaming inputs)."
                )
        call = None
        if (
            kind in _RESULTS
            and tool is not None
            and tool.state == "input-streaming"
            and not self._results_complete_inputs
        ):
            call = self._completed_input(tool_call_id, tool)
        # --- commit ---
        out: list[Chunk] = []
        if kind in _RESULTS and tool is not None and tool.continued and not self.step_open:
            self._begin(out)  # results for calls of the continued message precede any new step
        else:
            self._ensure_step(out)
        self._close_parts(out)
        if call is not None and tool is not None:
            out.append(call)
            tool.state, tool.input = "input-available", call["input"]
        if kind in ("tool-input-start", "tool-input-available", "tool-input-error"):
            dynamic = chunk.get("dynamic") is True
            if tool is None or tool.step != self.step_index or tool.dynamic != dynamic:
                tool = self.tools[tool_call_id] = ToolCall(chunk["toolName"], dynamic=dynamic)
            tool.tool_name = chunk["toolName"]
            tool.step = self.step_index
            tool.continued = False
            tool.final = kind == "tool-input-error"
            if chunk.get("providerExecuted") is not None:
                tool.provider_executed = chunk["providerExecuted"]
            if kind == "tool-input-start":
                tool.state = "input-streaming"
                tool.streaming = True
                tool.input_text.clear()
            elif kind == "tool-input-available":
                tool.state = "input-available"
                tool.input = chunk["input"]
            else:
                tool.state = "output-error"
                tool.input = chunk["input"]
        elif kind == "tool-input-delta":
            assert tool is not None
            tool.input_text.append(chunk["inputTextDelta"])
        elif kind == "tool-approval-request":
            assert tool is not None
            tool.state = "approval-requested"
            tool.approval_id = chunk["approvalId"]
            self.approvals[chunk["approvalId"]] = tool_call_id
        elif kind == "tool-approval-response":
            self.tools[self.approvals[chunk["approvalId"]]].state = "approval-responded"
        else:  # a result
            assert tool is not None
            tool.state = {
                "tool-output-available": "output-available",
                "tool-output-error": "output-error",
                "tool-output-denied": "output-denied",
            }[kind]
            tool.final = chunk.get("preliminary") is not True
            if kind != "tool-output-denied":
                if tool.dynamic:  # ai 5 finds dynamic parts only by this flag
                    chunk["dynamic"] = True
                else:
                    chunk.pop("dynamic", None)
        out.append(chunk)
        return self._fit(out)

    # --- sources, files, hand-written chunks ---------------------------------------------------

    def content(self, chunk: Chunk) -> list[Chunk]:
        """A part that needs a step and no other bookkeeping (sources, files, ``custom``)."""
        self._check_open()
        self.target.check_chunk(chunk["type"])
        out: list[Chunk] = []
        self._ensure_step(out)
        out.append(chunk)
        return self._fit(out)

    def source_url(
        self, source_id: str, url: str, title: str | None, provider_metadata: Any
    ) -> list[Chunk]:
        """``source-url``."""
        chunk: Chunk = {
            "type": "source-url",
            "sourceId": _text(source_id, "source_id"),
            "url": _text(url, "url"),
        }
        if title is not None:
            chunk["title"] = _text(title, "title")
        self._put_metadata(chunk, provider_metadata)
        return self.content(chunk)

    def source_document(
        self,
        source_id: str,
        media_type: str,
        title: str,
        filename: str | None,
        provider_metadata: Any,
    ) -> list[Chunk]:
        """``source-document``."""
        chunk: Chunk = {
            "type": "source-document",
            "sourceId": _text(source_id, "source_id"),
            "mediaType": _text(media_type, "media_type"),
            "title": _text(title, "title"),
        }
        if filename is not None:
            chunk["filename"] = _text(filename, "filename")
        self._put_metadata(chunk, provider_metadata)
        return self.content(chunk)

    def file(self, url: str, media_type: str, provider_metadata: Any) -> list[Chunk]:
        """``file``: an https or ``data:`` URL and its media type."""
        chunk: Chunk = {
            "type": "file",
            "url": _text(url, "url"),
            "mediaType": _text(media_type, "media_type"),
        }
        self._put_metadata(chunk, provider_metadata)
        self.target.check_file_url(chunk["url"])
        self._check_size(chunk["url"])
        return self.content(chunk)

    @staticmethod
    def _put_metadata(chunk: Chunk, provider_metadata: Any) -> None:
        metadata = _provider_metadata(provider_metadata)
        if metadata is not None:
            chunk["providerMetadata"] = metadata

    def hand_written(self, chunk: Mapping[str, Any]) -> list[Chunk]:
        """Any chunk as given (already validated by :func:`~ai_stream.protocol.parse_chunk`).

        Its free-form values are turned into their wire form; the chunks it needs before it are
        added, and the chunks the client would reject here are refused.

        Raises:
            StreamStateError: The client would reject the chunk here.
            UnsupportedByClientError: The target does not know the chunk type.
        """
        data: Chunk = wire_value(dict(chunk), self._max_value)
        if "providerMetadata" in data:
            data["providerMetadata"] = _provider_metadata(data["providerMetadata"])
        if "toolMetadata" in data:
            data["toolMetadata"] = _tool_metadata(data["toolMetadata"])
        kind: str = data["type"]
        if kind == "start":
            if "messageId" in data and data["messageId"] != self.message_id:
                raise StreamStateError(
                    "write() got a start chunk with another messageId; pass message_id= to "
                    "StreamContext instead."
                )
            return self.start(data.get("messageMetadata"))
        if kind == "finish":
            return self.finish(data.get("finishReason"), data.get("messageMetadata"))
        if kind == "abort":
            return self.abort(data.get("reason"))
        if kind == "error":
            return self.error(data["errorText"])
        if kind == "message-metadata":
            return self.message_metadata(data["messageMetadata"])
        if self._text_only:
            return self._text_chunk(data)
        if kind.startswith("data-"):
            return self.data(kind, data["data"], data.get("id"), data.get("transient"))
        if kind in _TOOL_CHUNKS:
            return self._tool_chunk(data)
        if kind in ("start-step", "finish-step", "reset-step"):
            return self._step_chunk(kind)
        if kind.startswith(("text-", "reasoning-")) and kind != "reasoning-file":
            return self._part_chunk(data)
        if kind == "file":
            self.target.check_file_url(data["url"])
        return self.content(data)

    def _text_chunk(self, chunk: Chunk) -> list[Chunk]:
        """A hand-written chunk on a text stream: its one step and one text part take it."""
        self._check_open()
        kind: str = chunk["type"]
        self.target.check_chunk(kind)
        if kind == "text-delta":
            return self.text(chunk["delta"])
        return []  # steps and text parts: the text stream keeps its one step and one part

    def _step_chunk(self, kind: str) -> list[Chunk]:
        self._check_open()
        self.target.check_chunk(kind)
        out: list[Chunk] = []
        if kind == "start-step":
            self._end_step(out)
            self._ensure_step(out)
            return out
        self._begin(out)
        if kind == "finish-step":
            if self.step_open:
                self._end_step(out)
            else:  # outside a step every client takes it as a no-op
                out.append({"type": "finish-step"})
            return out
        # reset-step: the client drops the parts of the last step and forgets every open part and
        # every partial tool input
        for tool_call_id in [i for i, t in self.tools.items() if t.step == self.step_index]:
            tool = self.tools.pop(tool_call_id)
            if tool.approval_id is not None:
                self.approvals.pop(tool.approval_id, None)
        for tool in self.tools.values():
            tool.streaming = False
        self.text_id = self.reasoning_id = None
        self.open_text.clear()
        self.open_reasoning.clear()
        out.append({"type": "reset-step"})
        return out

    def _part_chunk(self, chunk: Chunk) -> list[Chunk]:
        self._check_open()
        kind: str = chunk["type"]
        family, _, edge = kind.partition("-")
        open_ids = self.open_text if family == "text" else self.open_reasoning
        part_id: str = chunk["id"]
        if edge == "end" and part_id not in open_ids:
            raise StreamStateError(
                f"{kind} for {family} part {part_id!r}, which is not open: send {family}-start "
                "first (some clients also forget open parts at finish-step)."
            )
        out: list[Chunk] = []
        self._ensure_step(out)
        if edge == "start":
            open_ids[part_id] = None
        elif edge == "delta":
            if part_id not in open_ids:  # a delta for a new id opens its part first
                open_ids[part_id] = None
                out.append({"type": f"{family}-start", "id": part_id})
        else:
            open_ids.pop(part_id, None)
            if self.text_id == part_id and family == "text":
                self.text_id = None
            if self.reasoning_id == part_id and family == "reasoning":
                self.reasoning_id = None
        out.append(chunk)
        return self._fit(out)
