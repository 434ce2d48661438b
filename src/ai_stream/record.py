"""What a stream sent, kept for persistence: ``StreamContext(collect=True).record``.

The record replays every chunk through :class:`~ai_stream.reducer.UIMessageReducer` with the
semantics of ``useChat`` for the target client, so :meth:`StreamRecord.to_ui_message` is exactly
the assistant ``UIMessage`` the browser ended up with — store it and send it back as history.
The flat views (``text``, ``tool_calls``, ``sources`` …) are derived from that message.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Final

from ai_stream.protocol.versions import ClientTarget
from ai_stream.reducer import UIMessageReducer

if TYPE_CHECKING:
    from ai_stream.protocol.versions import SdkVersion

_DELTAS: Final = frozenset({"text-delta", "reasoning-delta"})

__all__ = ("DataRecord", "FileRecord", "SourceRecord", "StreamRecord", "ToolCallRecord")


@dataclass(frozen=True)
class ToolCallRecord:
    """One tool call of the message, in its final state."""

    tool_call_id: str
    tool_name: str
    input: Any
    output: Any = None
    error_text: str | None = None
    state: str = "input-available"
    """The client's tool part state, e.g. ``output-available`` or ``output-error``."""
    dynamic: bool = False


@dataclass(frozen=True)
class SourceRecord:
    """A ``source-url`` or ``source-document`` part."""

    source_id: str
    url: str | None = None
    title: str | None = None
    media_type: str | None = None
    filename: str | None = None


@dataclass(frozen=True)
class FileRecord:
    """A ``file`` part."""

    url: str
    media_type: str


@dataclass(frozen=True)
class DataRecord:
    """A stored ``data-<name>`` part (transient data parts are not stored)."""

    name: str
    data: Any
    id: str | None = None


class StreamRecord:
    """Everything one :class:`~ai_stream.StreamContext` sent, as the client understood it."""

    def __init__(
        self,
        target: ClientTarget,
        message_id: str,
        *,
        message: dict[str, Any] | None = None,
    ) -> None:
        self._target = target
        self._base_message = message
        # ai 4 clients keep another message shape; the record keeps the ai 5 UIMessage.
        shape = target if target.major >= 5 else ClientTarget.parse(5)
        self._reducer = UIMessageReducer(shape, message=message, message_id=message_id, mode="chat")
        # Every chunk, kept to rebuild the message for a given release (adjacent deltas of one
        # part are merged: the client appends them all the same).
        self._chunks: list[dict[str, Any]] = []
        self._deltas: dict[int, list[str]] = {}
        self.message_id = message_id
        """The assistant message id."""
        self.aborted = False
        """``True`` when the stream was aborted or the client disconnected before ``finish``."""
        self.abort_reason: str | None = None
        """Why it was aborted (``"client-disconnected"`` when the client went away)."""
        self.errors: list[str] = []
        """The texts of the ``error`` chunks sent (masked as the client saw them)."""
        self.chunk_count = 0
        """How many chunks were sent."""
        self._snapshot_at = -1
        self._snapshot_message: dict[str, Any] = {}

    def apply(self, chunk: dict[str, Any]) -> None:
        """Record one sent chunk."""
        self.chunk_count += 1
        kind = chunk["type"]
        if kind == "error":
            self.errors.append(chunk["errorText"])
        self._reducer.apply(chunk)
        chunks = self._chunks
        if (
            kind in _DELTAS
            and len(chunk) == 3
            and chunks
            and chunks[-1]["type"] == kind
            and chunks[-1]["id"] == chunk["id"]
            and len(chunks[-1]) == 3
        ):
            self._deltas.setdefault(len(chunks) - 1, [chunks[-1]["delta"]]).append(chunk["delta"])
        else:
            chunks.append(chunk)

    @property
    def finish_reason(self) -> str | None:
        """The ``finishReason`` sent with ``finish`` (``None`` if none was sent)."""
        return self._reducer.finish_reason

    def to_ui_message(self, sdk_version: SdkVersion | ClientTarget | None = None) -> dict[str, Any]:
        """Return the assistant ``UIMessage`` the client built from this stream (a copy).

        Args:
            sdk_version: The client release whose ``useChat`` built it; by default the
                stream's target (for a major: its latest release). Releases of one major may
                differ in details: e.g. reasoning parts carry their ``id`` only in newer ones.
        """
        if sdk_version is None or ClientTarget.parse(sdk_version) == self._target:
            return self._reducer.message
        reducer = UIMessageReducer(
            sdk_version, message=self._base_message, message_id=self.message_id, mode="chat"
        )
        deltas = self._deltas
        for index, chunk in enumerate(self._chunks):
            if index in deltas:
                chunk = {**chunk, "delta": "".join(deltas[index])}
            reducer.apply(chunk)
        return reducer.message

    def _snapshot(self) -> dict[str, Any]:
        """One copy of the message for the flat views, made again only after new chunks."""
        if self._snapshot_at != self.chunk_count:
            self._snapshot_message = self._reducer.message
            self._snapshot_at = self.chunk_count
        return self._snapshot_message

    @property
    def _parts(self) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = self._snapshot()["parts"]
        return parts

    @property
    def text(self) -> str:
        """All text parts, concatenated."""
        return "".join(p["text"] for p in self._parts if p["type"] == "text")

    @property
    def reasoning(self) -> str:
        """All reasoning parts, concatenated."""
        return "".join(p["text"] for p in self._parts if p["type"] == "reasoning")

    @property
    def metadata(self) -> Any:
        """The merged message metadata (``None`` if none was sent)."""
        return self._snapshot().get("metadata")

    @property
    def step_count(self) -> int:
        """The number of steps (``step-start`` parts)."""
        return sum(1 for p in self._parts if p["type"] == "step-start")

    @property
    def tool_calls(self) -> list[ToolCallRecord]:
        """Every tool call, in order."""
        calls = []
        for p in self._parts:
            kind: str = p["type"]
            if kind == "dynamic-tool" or kind.startswith("tool-"):
                calls.append(
                    ToolCallRecord(
                        tool_call_id=p["toolCallId"],
                        tool_name=p["toolName"] if kind == "dynamic-tool" else kind[5:],
                        input=p.get("input", p.get("rawInput")),
                        output=p.get("output"),
                        error_text=p.get("errorText"),
                        state=p["state"],
                        dynamic=kind == "dynamic-tool",
                    )
                )
        return calls

    @property
    def sources(self) -> list[SourceRecord]:
        """Every source part, in order."""
        return [
            SourceRecord(
                source_id=p["sourceId"],
                url=p.get("url"),
                title=p.get("title"),
                media_type=p.get("mediaType"),
                filename=p.get("filename"),
            )
            for p in self._parts
            if p["type"] in ("source-url", "source-document")
        ]

    @property
    def files(self) -> list[FileRecord]:
        """Every file part, in order."""
        return [FileRecord(p["url"], p["mediaType"]) for p in self._parts if p["type"] == "file"]

    @property
    def data(self) -> list[DataRecord]:
        """Every stored data part, in order."""
        return [
            DataRecord(p["type"][5:], p["data"], p.get("id"))
            for p in self._parts
            if p["type"].startswith("data-")
        ]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-compatible summary for storage, including the full ``message``."""
        return {
            "message_id": self.message_id,
            "text": self.text,
            "reasoning": self.reasoning,
            "tool_calls": [asdict(c) for c in self.tool_calls],
            "sources": [asdict(s) for s in self.sources],
            "files": [asdict(f) for f in self.files],
            "data": [asdict(d) for d in self.data],
            "metadata": self.metadata,
            "finish_reason": self.finish_reason,
            "step_count": self.step_count,
            "aborted": self.aborted,
            "abort_reason": self.abort_reason,
            "errors": list(self.errors),
            "message": self.to_ui_message(),
        }
