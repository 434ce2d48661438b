"""The message lifecycle: which chunks must come before and after what the user writes.

Pure and synchronous: every method takes the user's intent and returns the list of chunk objects
to send, opening ``start``, steps and parts, and closing them, as the target client requires:

* ``start`` comes first, once; every content chunk (text, reasoning, tools, sources, files) sits
  inside a step (``start-step`` … ``finish-step``); data parts and metadata need no step.
* Text and reasoning parts close each other and close before tool chunks, a step boundary,
  ``error``, ``abort`` and ``finish``; ai 5/6 clients forget open parts at ``finish-step``, so
  parts are always closed before it (ai 7 allows a part to span steps when written by hand).
* A hand-written delta for a part id that is not open opens that part first (``text-start``).
  Chunks that the client would reject because of their order (an end for a part that is not
  open, an output for an unknown tool call) raise :class:`StreamStateError` instead.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ai_stream.exceptions import StreamClosedError, StreamStateError

if TYPE_CHECKING:
    from collections.abc import Callable

    from ai_stream.protocol.versions import ClientTarget

__all__ = ("Lifecycle", "Phase", "ToolCallState")

Chunk = dict[str, Any]

# Chunk types that belong to a step (the reference server emits them between start-step and
# finish-step); data parts, metadata, error and abort do not open one.
_STEP_CONTENT = frozenset(
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
    }
)
_TOOL_CHUNKS = frozenset(t for t in _STEP_CONTENT if t.startswith("tool-"))
_RESULTS = frozenset({"tool-output-available", "tool-output-error", "tool-output-denied"})


class Phase(enum.Enum):
    """Where the message is in its life."""

    IDLE = "idle"
    """Nothing sent yet."""
    OPEN = "open"
    """``start`` sent; chunks may follow."""
    CLOSED = "closed"
    """``finish`` or ``abort`` sent (or the client left); nothing more may be written."""


@dataclass
class ToolCallState:
    """What the lifecycle knows about one tool call of the message."""

    tool_name: str
    dynamic: bool = False
    state: str = "input-streaming"
    """``input-streaming``, ``input-available``, ``approval-requested``, ``output-available``,
    ``output-error`` or ``output-denied`` (as the client's tool part)."""
    input_text: list[str] = field(default_factory=list)
    input: Any = None
    provider_executed: bool | None = None
    approval_id: str | None = None
    step: int = 0


class Lifecycle:
    """The I/O-free state machine behind :class:`~ai_stream.StreamContext`."""

    def __init__(
        self,
        target: ClientTarget,
        message_id: str,
        generate_id: Callable[[], str],
        *,
        message_metadata: Any = None,
    ) -> None:
        self.target = target
        self.message_id = message_id
        self.generate_id = generate_id
        self.message_metadata = message_metadata
        self.phase = Phase.IDLE
        self.step_open = False
        self.step_index = 0
        self.text_id: str | None = None
        self.reasoning_id: str | None = None
        self.tools: dict[str, ToolCallState] = {}
        self.approvals: dict[str, str] = {}
        """Approval id → tool call id."""
        self._open_text: set[str] = set()
        self._open_reasoning: set[str] = set()
        self._counter = 0

    # --- small helpers -------------------------------------------------------------------------

    def _next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}-{self._counter}"

    def _check_open(self) -> None:
        if self.phase is Phase.CLOSED:
            raise StreamClosedError()

    def begin(self, out: list[Chunk]) -> None:
        """Send ``start`` if it was not sent yet."""
        self._check_open()
        if self.phase is Phase.IDLE:
            self.phase = Phase.OPEN
            chunk: Chunk = {"type": "start", "messageId": self.message_id}
            if self.message_metadata is not None:
                chunk["messageMetadata"] = self.message_metadata
            out.append(chunk)

    def ensure_step(self, out: list[Chunk]) -> None:
        """Send ``start`` and ``start-step`` as needed so that content may follow."""
        self.begin(out)
        if not self.step_open:
            self.step_open = True
            self.step_index += 1
            out.append({"type": "start-step"})

    def close_text(self, out: list[Chunk]) -> None:
        """End the text part opened by the writers, if any."""
        if self.text_id is not None:
            self._open_text.discard(self.text_id)
            out.append({"type": "text-end", "id": self.text_id})
            self.text_id = None

    def close_reasoning(self, out: list[Chunk]) -> None:
        """End the reasoning part opened by the writers, if any."""
        if self.reasoning_id is not None:
            self._open_reasoning.discard(self.reasoning_id)
            out.append({"type": "reasoning-end", "id": self.reasoning_id})
            self.reasoning_id = None

    def close_parts(self, out: list[Chunk], *, everything: bool = False) -> None:
        """End the open text and reasoning parts (``everything``: also those opened by hand)."""
        self.close_text(out)
        self.close_reasoning(out)
        if everything:
            out.extend({"type": "text-end", "id": i} for i in sorted(self._open_text))
            out.extend({"type": "reasoning-end", "id": i} for i in sorted(self._open_reasoning))
            self._open_text.clear()
            self._open_reasoning.clear()

    def end_step(self, out: list[Chunk]) -> None:
        """Close the parts and the current step."""
        if self.step_open:
            self.close_parts(out, everything=self.target.finish_step_closes_parts)
            self.step_open = False
            out.append({"type": "finish-step"})

    # --- writer intents ------------------------------------------------------------------------

    def open_text(self, out: list[Chunk], provider_metadata: Any = None) -> str:
        """Make sure a writer-owned text part is open; return its id."""
        if self.text_id is None:
            self.ensure_step(out)
            self.close_reasoning(out)
            self.text_id = part_id = self._next_id("text")
            self._open_text.add(part_id)
            chunk: Chunk = {"type": "text-start", "id": part_id}
            if provider_metadata is not None:
                chunk["providerMetadata"] = provider_metadata
            out.append(chunk)
        return self.text_id

    def open_reasoning(self, out: list[Chunk], provider_metadata: Any = None) -> str:
        """Make sure a writer-owned reasoning part is open; return its id."""
        if self.reasoning_id is None:
            self.ensure_step(out)
            self.close_text(out)
            self.reasoning_id = part_id = self._next_id("reasoning")
            self._open_reasoning.add(part_id)
            chunk: Chunk = {"type": "reasoning-start", "id": part_id}
            if provider_metadata is not None:
                chunk["providerMetadata"] = provider_metadata
            out.append(chunk)
        return self.reasoning_id

    def new_step(self, out: list[Chunk]) -> None:
        """Close the current step and open the next one."""
        self._check_open()
        self.end_step(out)
        self.ensure_step(out)

    def tool(self, tool_call_id: str) -> ToolCallState:
        """Return the state of a known tool call.

        Raises:
            StreamStateError: No tool call with that id was started in this message.
        """
        try:
            return self.tools[tool_call_id]
        except KeyError:
            raise StreamStateError(
                f"Unknown tool call id {tool_call_id!r}: begin the tool call (begin_tool_call or "
                "start_tool_input) before writing its input, output or approval."
            ) from None

    def remember_tool(
        self,
        tool_call_id: str,
        tool_name: str,
        *,
        dynamic: bool = False,
        state: str,
        input: Any = None,
    ) -> None:
        """Register a tool call that an earlier response started (a continuation)."""
        self.tools[tool_call_id] = ToolCallState(
            tool_name, dynamic=dynamic, state=state, input=input, step=-1
        )

    def finish(self, out: list[Chunk], finish_reason: str | None, metadata: Any) -> None:
        """Close everything and send ``finish``."""
        self.begin(out)
        self.close_parts(out, everything=True)
        self.end_step(out)
        chunk: Chunk = {"type": "finish"}
        if finish_reason is not None:
            chunk["finishReason"] = finish_reason
        if metadata is not None:
            chunk["messageMetadata"] = metadata
        out.append(chunk)
        self.phase = Phase.CLOSED

    def abort(self, out: list[Chunk], reason: str | None) -> None:
        """Close the open parts and send ``abort``."""
        self.begin(out)
        self.close_parts(out, everything=True)
        chunk: Chunk = {"type": "abort"}
        if reason is not None:
            chunk["reason"] = reason
        out.append(chunk)
        self.phase = Phase.CLOSED

    def pending_tool_calls(self) -> list[str]:
        """Ids of the current step's tool calls that wait for a result from the client."""
        return [
            tool_call_id
            for tool_call_id, tool in self.tools.items()
            if tool.step == self.step_index
            and tool.state in ("input-available", "approval-requested")
            and not tool.provider_executed
        ]

    # --- hand-written chunks -------------------------------------------------------------------

    def prepare(self, chunk: Chunk, out: list[Chunk]) -> None:
        """Add the chunks that must precede a hand-written ``chunk``, and track its effect.

        ``chunk`` itself is not added to ``out``. ``start``, ``finish`` and ``abort`` are handled
        by the context, not here.

        Raises:
            StreamStateError: The client would reject ``chunk`` at this point.
        """
        kind: str = chunk["type"]
        self._check_open()
        if kind == "start-step":
            self.end_step(out)
            self.begin(out)
            self.step_open = True
            self.step_index += 1
            return
        if kind == "finish-step":
            if not self.step_open:
                raise StreamStateError("finish-step was written while no step is open.")
            self.close_parts(out, everything=self.target.finish_step_closes_parts)
            self.step_open = False
            return
        if kind == "reset-step":
            self.begin(out)
            self.text_id = self.reasoning_id = None
            self._open_text.clear()
            self._open_reasoning.clear()
            for tool_call_id in [i for i, t in self.tools.items() if t.step == self.step_index]:
                del self.tools[tool_call_id]
            return
        earlier = self.tools.get(chunk.get("toolCallId", "")) if kind in _RESULTS else None
        if kind in _STEP_CONTENT and (earlier is None or earlier.step >= 0):
            self.ensure_step(out)
        else:  # results for calls of the message being continued come before any new step
            self.begin(out)
        if kind in _TOOL_CHUNKS:
            self._prepare_tool(kind, chunk, out)
        elif kind.startswith("text-"):
            self._prepare_part(kind, chunk, self._open_text, "text", out)
        elif kind.startswith("reasoning-") and kind != "reasoning-file":
            self._prepare_part(kind, chunk, self._open_reasoning, "reasoning", out)
        elif kind == "error":
            self.close_parts(out, everything=True)

    def _prepare_part(
        self, kind: str, chunk: Chunk, open_ids: set[str], family: str, out: list[Chunk]
    ) -> None:
        part_id: str = chunk["id"]
        if kind.endswith("-start"):
            open_ids.add(part_id)
            return
        if part_id not in open_ids:
            if kind.endswith("-delta"):  # a delta for a new id opens its part first
                open_ids.add(part_id)
                out.append({"type": f"{family}-start", "id": part_id})
                return
            raise StreamStateError(
                f"{kind} for {family} part {part_id!r}, which is not open: send {family}-start "
                "first (ai 5/6 clients also close parts at finish-step)."
            )
        if kind.endswith("-end"):
            open_ids.discard(part_id)
            if self.text_id == part_id:
                self.text_id = None
            if self.reasoning_id == part_id:
                self.reasoning_id = None

    def _prepare_tool(self, kind: str, chunk: Chunk, out: list[Chunk]) -> None:
        self.close_parts(out)
        if kind == "tool-approval-response":
            approval_id: str = chunk["approvalId"]
            if approval_id not in self.approvals:
                raise StreamStateError(
                    f"Unknown approval id {approval_id!r}: send tool-approval-request first."
                )
            tool = self.tools[self.approvals[approval_id]]
            if not chunk["approved"]:
                tool.state = "approval-responded"
            return
        tool_call_id: str = chunk["toolCallId"]
        if kind in ("tool-input-start", "tool-input-available", "tool-input-error"):
            tool = self.tools.get(tool_call_id) or ToolCallState(
                chunk["toolName"], dynamic=bool(chunk.get("dynamic")), step=self.step_index
            )
            self.tools[tool_call_id] = tool
            if chunk.get("providerExecuted") is not None:
                tool.provider_executed = chunk["providerExecuted"]
            if kind == "tool-input-start":
                tool.state = "input-streaming"
                tool.input_text.clear()
            elif kind == "tool-input-available":
                tool.state = "input-available"
                tool.input = chunk["input"]
            else:
                tool.state = "output-error"
                tool.input = chunk["input"]
            return
        tool = self.tool(tool_call_id)
        if kind == "tool-input-delta":
            if tool.state != "input-streaming":
                raise StreamStateError(
                    f"tool-input-delta for tool call {tool_call_id!r}, whose input is not "
                    "streaming: send tool-input-start first."
                )
            tool.input_text.append(chunk["inputTextDelta"])
        elif kind == "tool-approval-request":
            tool.state = "approval-requested"
            tool.approval_id = chunk["approvalId"]
            self.approvals[chunk["approvalId"]] = tool_call_id
        elif kind == "tool-output-available":
            tool.state = "output-available"
            if tool.dynamic and "dynamic" not in chunk:
                chunk["dynamic"] = True
        elif kind == "tool-output-error":
            tool.state = "output-error"
            if tool.dynamic and "dynamic" not in chunk:
                chunk["dynamic"] = True
        elif kind == "tool-output-denied":
            tool.state = "output-denied"

    def streamed_input(self, tool_call_id: str) -> Any:
        """Parse the input text streamed so far for a tool call (``None`` if empty).

        Raises:
            ValueError: The streamed text is not valid JSON.
        """
        text = "".join(self.tool(tool_call_id).input_text)
        return json.loads(text) if text.strip() else None
