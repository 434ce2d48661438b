"""What a stream sent, kept for persistence: ``StreamContext(collect=True).record``.

The record replays every chunk through :class:`~ai_stream.reducer.UIMessageReducer` with the
semantics of ``useChat`` for the target client, so :meth:`StreamRecord.to_ui_message` is exactly
the assistant ``UIMessage`` the browser ended up with — store it and send it back as history.
The flat views (``text``, ``tool_calls``, ``sources`` …) are derived from that message.

Deltas cost next to nothing: a run of consecutive deltas of one part is one list, shared by the
reducer (which joins it into the part's text when the message is read) and the writers' fast path
(which appends to it), so recording keeps the fast path.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ai_stream.protocol.messages import tool_part_name
from ai_stream.protocol.versions import ClientTarget
from ai_stream.reducer import UIMessageReducer

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ai_stream.protocol.versions import SdkVersion

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


class _DeltaRun:
    """A run of plain deltas of one part in the chunk log (its list grows while it is open)."""

    __slots__ = ("deltas", "id", "kind")

    def __init__(self, kind: str, part_id: str, deltas: list[str]) -> None:
        self.kind = kind
        self.id = part_id
        self.deltas = deltas


class StreamRecord:
    """Everything one :class:`~ai_stream.StreamContext` sent, as the client understood it.

    Args:
        target: The client the stream was written for.
        message_id: The assistant message id.
        message: The assistant message the stream continues, if any.
    """

    def __init__(
        self,
        target: ClientTarget,
        message_id: str,
        *,
        message: Mapping[str, Any] | None = None,
    ) -> None:
        self._target = target
        self._base_message = message
        # ai 4 clients keep another message shape; the record keeps the ai 5 UIMessage (the
        # behaviour of an ai 4 target says how).
        self._reducer = UIMessageReducer(
            target, message=message, message_id=message_id, mode="chat", owned=True
        )
        # Every chunk, to rebuild the message for another release of the target.
        self._log: list[Mapping[str, Any] | _DeltaRun] = []
        self.finish_reason: str | None = None
        """Why the message finished (``stop``, ``tool-calls``, ``error`` …), also for clients
        that are not sent the field (ai 5.0.0–5.0.91); ``None`` until ``finish``."""
        self.message_id = message_id
        """The assistant message id."""
        self.aborted = False
        """``True`` when the stream was aborted or the client disconnected before ``finish``."""
        self.abort_reason: str | None = None
        """Why it was aborted (``"client-disconnected"`` when the client went away)."""
        self.errors: list[str] = []
        """The texts of the ``error`` chunks sent (masked as the client saw them)."""

    def apply(self, chunk: Mapping[str, Any]) -> list[str] | None:
        """Record one sent chunk (the record keeps it: do not change it afterwards).

        Returns:
            For a plain ``text-delta``/``reasoning-delta``: the list that later deltas of the
            same part may be appended to directly, until the next chunk is recorded. Else
            ``None``.

        Raises:
            UIMessageStreamError: The client would reject the chunk here.
        """
        kind = chunk["type"]
        if (kind == "text-delta" or kind == "reasoning-delta") and len(chunk) == 3:
            deltas = self._reducer.delta_run(chunk)
            log = self._log
            if not (log and isinstance(log[-1], _DeltaRun) and log[-1].deltas is deltas):
                log.append(_DeltaRun(kind, chunk["id"], deltas))
            return deltas
        if kind == "error":
            self.errors.append(chunk["errorText"])
        elif kind == "finish" and "finishReason" in chunk:
            self.finish_reason = chunk["finishReason"]
        self._reducer.apply(chunk)
        self._log.append(chunk)
        return None

    @property
    def chunk_count(self) -> int:
        """How many chunks were sent."""
        return sum(len(e.deltas) if isinstance(e, _DeltaRun) else 1 for e in self._log)

    def to_ui_message(self, sdk_version: SdkVersion | ClientTarget | None = None) -> dict[str, Any]:
        """Return the assistant ``UIMessage`` as ``useChat`` shows it after this stream (a copy).

        A ``step-start`` that nothing was published after is left out, as the client leaves it
        out of its messages (only ``onFinish`` of the TypeScript server sees it).

        Args:
            sdk_version: The client release whose ``useChat`` built it; by default the
                stream's target (for a major: its latest release). Releases of one major may
                differ in details: e.g. reasoning parts carry their ``id`` only in newer ones.
        """
        if sdk_version is None or ClientTarget.parse(sdk_version) == self._target:
            return self._reducer.shown
        reducer = UIMessageReducer(
            sdk_version, message=self._base_message, message_id=self.message_id, mode="chat"
        )
        for entry in self._log:
            if isinstance(entry, _DeltaRun):
                reducer.apply({"type": entry.kind, "id": entry.id, "delta": "".join(entry.deltas)})
            else:
                reducer.apply(entry)
        return reducer.shown

    @property
    def text(self) -> str:
        """All text parts, concatenated."""
        return _text(self.to_ui_message(), "text")

    @property
    def reasoning(self) -> str:
        """All reasoning parts, concatenated."""
        return _text(self.to_ui_message(), "reasoning")

    @property
    def metadata(self) -> Any:
        """The merged message metadata (``None`` if none was sent)."""
        return self.to_ui_message().get("metadata")

    @property
    def step_count(self) -> int:
        """The number of steps (``step-start`` parts)."""
        return _step_count(self.to_ui_message())

    @property
    def tool_calls(self) -> list[ToolCallRecord]:
        """Every tool call, in order."""
        return _tool_calls(self.to_ui_message())

    @property
    def sources(self) -> list[SourceRecord]:
        """Every source part, in order."""
        return _sources(self.to_ui_message())

    @property
    def files(self) -> list[FileRecord]:
        """Every file part, in order."""
        return _files(self.to_ui_message())

    @property
    def data(self) -> list[DataRecord]:
        """Every stored data part, in order."""
        return _data(self.to_ui_message())

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-compatible summary for storage, including the full ``message``."""
        message = self.to_ui_message()
        return {
            "message_id": self.message_id,
            "text": _text(message, "text"),
            "reasoning": _text(message, "reasoning"),
            "tool_calls": [asdict(c) for c in _tool_calls(message)],
            "sources": [asdict(s) for s in _sources(message)],
            "files": [asdict(f) for f in _files(message)],
            "data": [asdict(d) for d in _data(message)],
            "metadata": message.get("metadata"),
            "finish_reason": self.finish_reason,
            "step_count": _step_count(message),
            "aborted": self.aborted,
            "abort_reason": self.abort_reason,
            "errors": list(self.errors),
            "message": message,
        }


def _parts(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = message["parts"]
    return parts


def _text(message: Mapping[str, Any], kind: str) -> str:
    return "".join(p["text"] for p in _parts(message) if p["type"] == kind)


def _step_count(message: Mapping[str, Any]) -> int:
    return sum(1 for p in _parts(message) if p["type"] == "step-start")


def _tool_calls(message: Mapping[str, Any]) -> list[ToolCallRecord]:
    calls = []
    for p in _parts(message):
        name = tool_part_name(p)
        if name is not None:
            calls.append(
                ToolCallRecord(
                    tool_call_id=p["toolCallId"],
                    tool_name=name,
                    input=p.get("input", p.get("rawInput")),
                    output=p.get("output"),
                    error_text=p.get("errorText"),
                    state=p["state"],
                    dynamic=p["type"] == "dynamic-tool",
                )
            )
    return calls


def _sources(message: Mapping[str, Any]) -> list[SourceRecord]:
    return [
        SourceRecord(
            source_id=p["sourceId"],
            url=p.get("url"),
            title=p.get("title"),
            media_type=p.get("mediaType"),
            filename=p.get("filename"),
        )
        for p in _parts(message)
        if p["type"] in ("source-url", "source-document")
    ]


def _files(message: Mapping[str, Any]) -> list[FileRecord]:
    return [FileRecord(p["url"], p["mediaType"]) for p in _parts(message) if p["type"] == "file"]


def _data(message: Mapping[str, Any]) -> list[DataRecord]:
    return [
        DataRecord(p["type"][5:], p["data"], p.get("id"))
        for p in _parts(message)
        if p["type"].startswith("data-")
    ]
