"""``UIMessage`` history → a provider-neutral list of turns (a port of ``convertToModelMessages``).

This is the step every target shares; ``_openai``, ``_anthropic`` and ``_langchain`` only render
the turns (with the helpers at the end of this module). It follows ``convertToModelMessages`` of
ai 6.0.326 / 7.0.173 (``packages/ai/src/ui/convert-to-model-messages.ts``) with these
differences, all deliberate:

* Pending tool calls are dropped, call and all: ``input-streaming``, ``input-available``,
  ``approval-requested``, ``approval-responded`` with ``approved: true`` (the app runs the tool
  before it calls the model) and a ``preliminary`` output. The AI SDK keeps some of them because
  ``streamText`` resolves approvals itself; a provider API sent an unanswered call fails instead.
  This is the AI SDK's ``ignoreIncompleteToolCalls: true``.
* Calls the provider executed (``providerExecuted``) are dropped with their results. Their
  output is the AI SDK's reshaped provider payload, which cannot be sent back faithfully.
* A denied call (``output-denied``, or ``approval-responded`` with ``approved: false``) gets an
  error result ``"Tool call execution denied."`` followed by ``" Reason: …"`` when the user gave
  one. The AI SDK sends the bare reason, which reads like tool output.
* Files in assistant messages are dropped (no target takes them as input).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar
from urllib.parse import unquote_to_bytes

from pydantic import ValidationError

from ai_stream.protocol.messages import (
    DataUIPart,
    DynamicToolUIPart,
    FileUIPart,
    ReasoningUIPart,
    SteeringMessageUIPart,
    StepStartUIPart,
    TextUIPart,
    ToolUIPart,
    UIMessage,
)

if TYPE_CHECKING:
    from ai_stream.protocol._base import JSONValue, ProviderMetadata

DataPartConverter: TypeAlias = Callable[[DataUIPart], str | None]
"""Turns a ``data-<name>`` part into text for the model, or ``None`` to leave it out."""

FileFallback: TypeAlias = Callable[[FileUIPart], str | None]
"""Turns a file the target cannot take into text for the model, or ``None`` to leave it out."""

DENIED_TEXT = "Tool call execution denied."
UNAVAILABLE_TEXT = "Tool output omitted because the tool is no longer available."
UNKNOWN_ERROR_TEXT = "unknown error"


# --- turns -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    """A text part (also what a data part or a steering message turns into)."""

    text: str


@dataclass(frozen=True, slots=True)
class Reasoning:
    """A reasoning part, with the provider metadata that signs it."""

    text: str
    provider_metadata: ProviderMetadata | None

    def metadata(self, provider: str) -> dict[str, JSONValue]:
        """The metadata of ``provider`` (``{}`` when absent)."""
        return (self.provider_metadata or {}).get(provider) or {}


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A completed tool call."""

    tool_call_id: str
    tool_name: str
    input: JSONValue
    """The input; ``None`` when absent. For a call whose input did not parse (``output-error``),
    the raw input text, as the AI SDK does."""

    @property
    def arguments(self) -> str:
        """The input as a JSON string (``"{}"`` when absent)."""
        return "{}" if self.input is None else to_json(self.input)

    @property
    def input_object(self) -> dict[str, JSONValue]:
        """The input as an object, as tool-use APIs require (``{}`` for anything else)."""
        return dict(self.input) if isinstance(self.input, dict) else {}


@dataclass(frozen=True, slots=True)
class ToolResult:
    """The result of a tool call: its output, error or denial as text."""

    tool_call_id: str
    tool_name: str
    content: str
    is_error: bool


@dataclass(frozen=True, slots=True)
class SystemTurn:
    """A system message."""

    text: str


@dataclass(frozen=True, slots=True)
class UserTurn:
    """A user message: text and files."""

    content: list[Text | FileUIPart]


@dataclass(frozen=True, slots=True)
class AssistantTurn:
    """One step of an assistant message: text, reasoning and tool calls, in order."""

    content: list[Text | Reasoning | ToolCall]

    @property
    def text(self) -> str:
        """The text parts, concatenated."""
        return "".join(p.text for p in self.content if isinstance(p, Text))

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls, in order."""
        return [p for p in self.content if isinstance(p, ToolCall)]

    @property
    def reasoning(self) -> list[Reasoning]:
        """The reasoning parts, in order."""
        return [p for p in self.content if isinstance(p, Reasoning)]


@dataclass(frozen=True, slots=True)
class ToolTurn:
    """The results of the tool calls of the step before."""

    results: list[ToolResult]


Turn: TypeAlias = SystemTurn | UserTurn | AssistantTurn | ToolTurn


# --- conversion ------------------------------------------------------------------------------


def to_json(value: JSONValue) -> str:
    """Serialize like ``JSON.stringify``: compact, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _message(value: UIMessage | Mapping[str, Any]) -> UIMessage:
    if isinstance(value, UIMessage):
        return value
    return UIMessage.model_validate(value)


def to_turns(
    messages: Iterable[UIMessage | Mapping[str, Any]],
    *,
    data: DataPartConverter | None = None,
) -> list[Turn]:
    """Convert a ``UIMessage`` history to turns.

    Args:
        messages: The history, as models or as the JSON objects ``useChat`` sends.
        data: Turns ``data-*`` parts into text; without it they are left out.

    Raises:
        pydantic.ValidationError: A message is not a valid ``UIMessage``.
    """
    turns: list[Turn] = []
    for value in messages:
        message = _message(value)
        if message.role == "system":
            text = "".join(p.text for p in message.parts if isinstance(p, TextUIPart))
            if text:
                turns.append(SystemTurn(text))
        elif message.role == "user":
            content: list[Text | FileUIPart] = []
            for part in message.parts:
                _add_user_part(content, part, data)
            if content:
                turns.append(UserTurn(content))
        else:
            _assistant_turns(turns, message, data)
    return turns


def _add_user_part(
    content: list[Text | FileUIPart], part: object, data: DataPartConverter | None
) -> None:
    if isinstance(part, TextUIPart):
        if part.text:
            content.append(Text(part.text))
    elif isinstance(part, FileUIPart):
        content.append(part)
    elif isinstance(part, DataUIPart):
        text = data(part) if data is not None else None
        if text:
            content.append(Text(text))


def _steering_content(part: SteeringMessageUIPart) -> list[Text | FileUIPart]:
    content: list[Text | FileUIPart] = []
    for item in part.parts:
        kind = item.get("type")
        try:
            if kind == "text":
                _add_user_part(content, TextUIPart.model_validate(item), None)
            elif kind == "file":
                _add_user_part(content, FileUIPart.model_validate(item), None)
        except ValidationError:
            continue  # a malformed steering part carries nothing the model can use
    return content


def _assistant_turns(turns: list[Turn], message: UIMessage, data: DataPartConverter | None) -> None:
    block: list[object] = []
    for part in message.parts:
        if isinstance(part, StepStartUIPart):
            _flush_step(turns, block, data)
            block = []
        elif isinstance(part, SteeringMessageUIPart):
            # ai 7: user input injected between two steps; it ends the step before it
            _flush_step(turns, block, data)
            block = []
            content = _steering_content(part)
            if content:
                turns.append(UserTurn(content))
        else:
            block.append(part)
    _flush_step(turns, block, data)


def _is_complete(part: ToolUIPart | DynamicToolUIPart) -> bool:
    if part.provider_executed:
        return False
    if part.state == "output-available":
        return part.preliminary is not True
    if part.state == "approval-responded":
        return part.approval is not None and part.approval.approved is False
    return part.state in ("output-error", "output-denied")


def _denied_text(part: ToolUIPart | DynamicToolUIPart) -> str:
    reason = part.approval.reason if part.approval is not None else None
    return f"{DENIED_TEXT} Reason: {reason}" if reason else DENIED_TEXT


def _result(part: ToolUIPart | DynamicToolUIPart) -> ToolResult:
    if part.state == "output-error":
        content, is_error = part.error_text or UNKNOWN_ERROR_TEXT, True
    elif part.state in ("output-denied", "approval-responded"):
        content, is_error = _denied_text(part), True
    elif isinstance(part, DynamicToolUIPart) and (part.model_extra or {}).get("dynamic") is False:
        # ai 6.0.326+: the part of a tool that is no longer registered keeps its raw output,
        # which the tool's toModelOutput would have filtered; the AI SDK withholds it too
        content, is_error = UNAVAILABLE_TEXT, False
    else:
        output = part.output
        content, is_error = (output if isinstance(output, str) else to_json(output)), False
    return ToolResult(part.tool_call_id, part.tool_name, content, is_error)


def _flush_step(turns: list[Turn], block: list[object], data: DataPartConverter | None) -> None:
    content: list[Text | Reasoning | ToolCall] = []
    results: list[ToolResult] = []
    for part in block:
        if isinstance(part, TextUIPart):
            if part.text:
                content.append(Text(part.text))
        elif isinstance(part, ReasoningUIPart):
            content.append(Reasoning(part.text, part.provider_metadata))
        elif isinstance(part, ToolUIPart | DynamicToolUIPart):
            if not _is_complete(part):
                continue
            call_input = part.input
            if call_input is None and part.state == "output-error":
                call_input = part.raw_input
            content.append(ToolCall(part.tool_call_id, part.tool_name, call_input))
            results.append(_result(part))
        elif isinstance(part, DataUIPart):
            text = data(part) if data is not None else None
            if text:
                content.append(Text(text))
    if content:
        turns.append(AssistantTurn(content))
    if results:
        turns.append(ToolTurn(results))


# --- files -----------------------------------------------------------------------------------

FileKind: TypeAlias = Literal["image", "pdf", "text", "other"]

IMAGE_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
"""The image types every target takes inline (base64)."""


@dataclass(frozen=True, slots=True)
class FileSource:
    """Where a file's bytes are: inline (a ``data:`` URL) or at an http(s) URL."""

    kind: FileKind
    media_type: str
    """The media type, made specific (``image/*`` → the data URL's type, else ``image/jpeg``)."""
    base64: str | None
    """The base64 data of a ``data:`` URL."""
    url: str | None
    """The http(s) URL."""

    @property
    def data_url(self) -> str:
        """The file as a base64 ``data:`` URL (only for inline files)."""
        return f"data:{self.media_type};base64,{self.base64}"

    def text(self) -> str:
        """The inline data decoded as UTF-8 text."""
        return base64.b64decode(self.base64 or "").decode("utf-8", errors="replace")


def _parse_data_url(url: str) -> tuple[str, str] | None:
    """Return ``(media_type, base64)`` of a ``data:`` URL, or ``None`` if it is not one."""
    if url[:5].lower() != "data:" or "," not in url:
        return None
    header, _, payload = url[5:].partition(",")
    params = header.split(";")
    media_type = params[0].strip().lower()
    if any(p.strip().lower() == "base64" for p in params[1:]):
        payload = "".join(payload.split())
        payload += "=" * (-len(payload) % 4)  # browsers pad; be lenient with those that do not
        try:
            raw = base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError):
            return None
    else:
        raw = unquote_to_bytes(payload)
    return media_type, base64.b64encode(raw).decode("ascii")


def file_source(part: FileUIPart) -> FileSource:
    """Classify a file part and find its bytes (neither ``base64`` nor ``url`` for other URLs)."""
    media_type = part.media_type.lower()
    parsed = _parse_data_url(part.url)
    if parsed is not None and media_type.endswith("/*") and parsed[0].startswith(media_type[:-1]):
        media_type = parsed[0]
    if media_type == "image/*":
        media_type = "image/jpeg"
    kind: FileKind
    if media_type.startswith("image/"):
        kind = "image"
    elif media_type == "application/pdf":
        kind = "pdf"
    elif media_type == "text/plain":
        kind = "text"
    else:
        kind = "other"
    if parsed is not None:
        if kind == "image" and media_type not in IMAGE_MEDIA_TYPES:
            kind = "other"
        return FileSource(kind, media_type, parsed[1], None)
    if part.url[:8].lower().startswith(("https://", "http://")):
        return FileSource(kind, media_type, None, part.url)
    return FileSource(kind, media_type, None, None)


def file_note(part: FileUIPart) -> str:
    """The default text for a file the target cannot take."""
    what = f"{part.filename} ({part.media_type})" if part.filename else part.media_type
    return f"[Attached file omitted: {what}]"


def fallback_text(part: FileUIPart, fallback: FileFallback | None) -> str | None:
    """The text standing in for a file the target cannot take (``None``: leave it out)."""
    return (fallback or file_note)(part)


# --- rendering -------------------------------------------------------------------------------

_M = TypeVar("_M")
_B = TypeVar("_B")


def render_turns(
    messages: Iterable[UIMessage | Mapping[str, Any]],
    *,
    system: str | None,
    data: DataPartConverter | None,
    system_message: Callable[[str], _M],
    user_message: Callable[[UserTurn], _M | None],
    assistant_messages: Callable[[AssistantTurn], Iterable[_M]],
    tool_message: Callable[[ToolResult], _M],
) -> list[_M]:
    """Convert a history to turns and render them, in order, as a target's messages.

    ``system`` (when given) comes first as ``system_message(system)``, then each system turn as
    ``system_message(text)``, each user turn as ``user_message(turn)`` (``None`` leaves it out),
    each assistant step as ``assistant_messages(turn)`` and each tool result as
    ``tool_message(result)``.
    """
    out: list[_M] = []
    if system:
        out.append(system_message(system))
    for turn in to_turns(messages, data=data):
        if isinstance(turn, SystemTurn):
            out.append(system_message(turn.text))
        elif isinstance(turn, UserTurn):
            if (message := user_message(turn)) is not None:
                out.append(message)
        elif isinstance(turn, AssistantTurn):
            out.extend(assistant_messages(turn))
        elif isinstance(turn, ToolTurn):
            out.extend(tool_message(result) for result in turn.results)
    return out


def user_blocks(
    turn: UserTurn,
    fallback: FileFallback | None,
    *,
    text: Callable[[str], _B | None],
    file: Callable[[FileUIPart, int], _B | None],
) -> list[_B]:
    """Render the content of a user turn as a target's blocks, in order.

    Text becomes ``text(text)``; a file becomes ``file(part, index)`` (``index``: its position in
    the turn) or, when that is ``None``, ``text`` of its :func:`fallback_text` (if any). A
    ``None`` block is left out.
    """
    blocks: list[_B] = []
    for index, item in enumerate(turn.content):
        if isinstance(item, Text):
            block = text(item.text)
        elif (block := file(item, index)) is None and (note := fallback_text(item, fallback)):
            block = text(note)
        if block is not None:
            blocks.append(block)
    return blocks


def text_or_blocks(blocks: list[_B]) -> str | list[_B]:
    """A lone text block as its text (the short form of a message's content), else the blocks."""
    if len(blocks) == 1 and isinstance(block := blocks[0], dict) and block["type"] == "text":
        return str(block["text"])
    return blocks
