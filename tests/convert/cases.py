"""Shared histories for the converter tests, and strict validation against SDK request types."""

from __future__ import annotations

import base64
import functools
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter

from ai_stream.protocol.messages import DataUIPart, UIMessage

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
PDF = base64.b64encode(b"%PDF-1.4\n").decode()
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TXT = base64.b64encode("Notes: café".encode()).decode()

#: Every part type and every tool state, as ``useChat`` sends them.
EVERY_PART: list[dict[str, Any]] = [
    {"id": "s1", "role": "system", "parts": [{"type": "text", "text": "Be brief."}]},
    {
        "id": "u1",
        "role": "user",
        "parts": [
            {"type": "text", "text": "What is the weather in Paris?"},
            {
                "type": "file",
                "mediaType": "image/png",
                "url": f"data:image/png;base64,{PNG}",
                "filename": "map.png",
            },
            {"type": "data-context", "data": {"page": "/home"}},
        ],
    },
    {
        "id": "a1",
        "role": "assistant",
        "parts": [
            {"type": "step-start"},
            {
                "type": "reasoning",
                "text": "The user wants the weather.",
                "providerMetadata": {"anthropic": {"signature": "sig-1"}},
            },
            {"type": "reasoning", "text": "Unsigned thoughts."},
            {"type": "text", "text": "Let me check."},
            {
                "type": "tool-weather",
                "toolCallId": "call-1",
                "state": "output-available",
                "input": {"city": "Paris"},
                "output": {"temperature": 21, "unit": "°C"},
            },
            {
                "type": "dynamic-tool",
                "toolName": "lookup",
                "toolCallId": "call-2",
                "state": "output-error",
                "input": {"q": "Paris"},
                "errorText": "Lookup service down",
            },
            {"type": "source-url", "sourceId": "src-1", "url": "https://example.com"},
            {
                "type": "source-document",
                "sourceId": "src-2",
                "mediaType": "application/pdf",
                "title": "Report",
            },
            {"type": "data-progress", "data": {"percent": 100}},
            {"type": "step-start"},
            {
                "type": "tool-delete_file",
                "toolCallId": "call-3",
                "state": "output-denied",
                "input": {"path": "/tmp/a"},
                "approval": {"id": "approval-1", "approved": False, "reason": "Not allowed"},
            },
            {
                "type": "tool-delete_file",
                "toolCallId": "call-4",
                "state": "approval-responded",
                "input": {"path": "/tmp/b"},
                "approval": {"id": "approval-2", "approved": False},
            },
            {
                "type": "tool-send_email",
                "toolCallId": "call-5",
                "state": "approval-responded",
                "input": {"to": "a@example.com"},
                "approval": {"id": "approval-3", "approved": True},
            },
            {
                "type": "tool-web_search",
                "toolCallId": "call-6",
                "state": "output-available",
                "input": {"query": "paris weather"},
                "output": [{"url": "https://example.com", "title": "Weather"}],
                "providerExecuted": True,
            },
            {"type": "step-start"},
            {"type": "text", "text": "It is 21°C."},
            {"type": "file", "mediaType": "image/png", "url": "https://example.com/chart.png"},
            {"type": "custom", "kind": "openai.compaction"},
            {
                "type": "reasoning-file",
                "mediaType": "image/png",
                "url": "https://example.com/r.png",
            },
            {
                "type": "steering-message",
                "id": "steer-1",
                "parts": [{"type": "text", "text": "And tomorrow?"}],
            },
            {"type": "step-start"},
            {"type": "text", "text": "Tomorrow: 18°C."},
            {
                "type": "tool-ask_user",
                "toolCallId": "call-7",
                "state": "input-available",
                "input": {"question": "Celsius?"},
            },
            {
                "type": "tool-weather",
                "toolCallId": "call-8",
                "state": "input-streaming",
                "input": {"ci": None},
            },
            {
                "type": "tool-delete_file",
                "toolCallId": "call-9",
                "state": "approval-requested",
                "input": {"path": "/"},
                "approval": {"id": "approval-4"},
            },
            {
                "type": "tool-weather",
                "toolCallId": "call-10",
                "state": "output-available",
                "input": {"city": "Rome"},
                "output": "partial",
                "preliminary": True,
            },
            {"type": "something-new", "payload": 1},
        ],
    },
    {"id": "u2", "role": "user", "parts": [{"type": "text", "text": "Thanks!"}]},
]

#: Every kind of file in a user message.
FILES: list[dict[str, Any]] = [
    {
        "id": "u1",
        "role": "user",
        "parts": [
            {"type": "text", "text": "Files:"},
            {"type": "file", "mediaType": "image/png", "url": f"data:image/png;base64,{PNG}"},
            {"type": "file", "mediaType": "image/*", "url": f"data:image/png;base64,{PNG}"},
            {"type": "file", "mediaType": "image/jpeg", "url": "https://example.com/a.jpg"},
            {
                "type": "file",
                "mediaType": "image/png",
                "url": "https://example.com/b.png",
                "providerMetadata": {"openai": {"imageDetail": "low"}},
            },
            {
                "type": "file",
                "mediaType": "application/pdf",
                "url": f"data:application/pdf;base64,{PDF}",
                "filename": "report.pdf",
            },
            {
                "type": "file",
                "mediaType": "application/pdf",
                "url": f"data:application/pdf;base64,{PDF}",
            },
            {"type": "file", "mediaType": "application/pdf", "url": "https://example.com/c.pdf"},
            {
                "type": "file",
                "mediaType": "application/pdf",
                "url": "https://example.com/d.pdf",
                "providerReference": {"openai": "file-openai-1", "anthropic": "file_anthropic_1"},
            },
            {
                "type": "file",
                "mediaType": "text/plain",
                "url": f"data:text/plain;base64,{TXT}",
                "filename": "notes.txt",
            },
            {
                "type": "file",
                "mediaType": "image/svg+xml",
                "url": "data:image/svg+xml,%3Csvg%2F%3E",
            },
            {
                "type": "file",
                "mediaType": DOCX,
                "url": "data:application/octet-stream;base64,UEsDBA==",
                "filename": "cv.docx",
            },
            {"type": "file", "mediaType": "image/png", "url": "blob:https://example.com/1"},
        ],
    }
]

#: Reasoning from OpenAI and from Anthropic (signed and redacted) in one answer.
REASONING: list[dict[str, Any]] = [
    {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Think."}]},
    {
        "id": "a1",
        "role": "assistant",
        "parts": [
            {"type": "step-start"},
            {
                "type": "reasoning",
                "text": "First summary.",
                "providerMetadata": {"openai": {"itemId": "rs_1"}},
            },
            {
                "type": "reasoning",
                "text": "Second summary.",
                "providerMetadata": {
                    "openai": {"itemId": "rs_1", "reasoningEncryptedContent": "enc-1"}
                },
            },
            {
                "type": "reasoning",
                "text": "Signed.",
                "providerMetadata": {"anthropic": {"signature": "sig-1"}},
            },
            {
                "type": "reasoning",
                "text": "",
                "providerMetadata": {"anthropic": {"redactedData": "redacted-1"}},
            },
            {"type": "text", "text": "Done."},
            {
                "type": "tool-weather",
                "toolCallId": "call-1",
                "state": "output-available",
                "input": {"city": "Paris"},
                "output": "sunny",
            },
            {"type": "step-start"},
            {"type": "reasoning", "text": "Only reasoning in this step."},
        ],
    },
]

#: Tool edge cases: raw input of a failed parse, string output, an unavailable dynamic tool.
TOOL_EDGES: list[dict[str, Any]] = [
    {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Go."}]},
    {
        "id": "a1",
        "role": "assistant",
        "parts": [
            {
                "type": "tool-weather",
                "toolCallId": "call-1",
                "state": "output-error",
                "rawInput": '{"city": "Par',
                "errorText": "Invalid JSON",
            },
            {
                "type": "tool-weather",
                "toolCallId": "call-2",
                "state": "output-error",
                "input": ["not", "an", "object"],
                "errorText": "Bad input",
            },
            {
                "type": "dynamic-tool",
                "toolName": "gone",
                "toolCallId": "call-3",
                "state": "output-available",
                "input": {},
                "output": {"secret": 1},
                "dynamic": False,
            },
            {
                "type": "tool-echo",
                "toolCallId": "call-4",
                "state": "output-available",
                "input": {"text": "hi"},
                "output": None,
            },
        ],
    },
]


#: Data parts: with text, dropped by the callback, and alone in a message (left out without
#: ``data``), in user and assistant messages, after a system message.
DATA_PARTS: list[dict[str, Any]] = [
    {"id": "s1", "role": "system", "parts": [{"type": "text", "text": "Be kind."}]},
    {
        "id": "u1",
        "role": "user",
        "parts": [
            {"type": "text", "text": "Hi"},
            {"type": "data-page", "data": "/home"},
            {"type": "data-skip", "data": 0},
        ],
    },
    {
        "id": "a1",
        "role": "assistant",
        "parts": [
            {"type": "data-status", "data": "ok"},
            {"type": "text", "text": "Hello"},
            {"type": "data-skip", "data": 0},
        ],
    },
    {"id": "u2", "role": "user", "parts": [{"type": "data-page", "data": "/about"}]},
    {"id": "a2", "role": "assistant", "parts": [{"type": "data-status", "data": "done"}]},
]


def data_text(part: DataUIPart) -> str | None:
    """The ``data`` callback for :data:`DATA_PARTS`: ``[name: data]``, ``data-skip`` left out."""
    return None if part.name == "skip" else f"[{part.name}: {part.data}]"


#: Files no target takes: a named CSV (``data:`` URL) and an unnamed WAV (http URL).
UNSUPPORTED_FILES: list[dict[str, Any]] = [
    {
        "id": "u1",
        "role": "user",
        "parts": [
            {
                "type": "file",
                "mediaType": "text/csv",
                "url": "data:text/csv,a%2Cb",
                "filename": "t.csv",
            },
            {"type": "file", "mediaType": "audio/wav", "url": "https://example.com/a.wav"},
        ],
    }
]


def as_models(history: list[dict[str, Any]]) -> list[UIMessage]:
    """``history`` as validated :class:`UIMessage` models."""
    return [UIMessage.model_validate(message) for message in history]


def _materialize(value: Any) -> Any:
    """Consume the lazy iterators pydantic returns for ``Iterable`` fields (validating them)."""
    assert not isinstance(value, BaseModel), f"matched a response model, not a param: {value!r}"
    if isinstance(value, dict):
        return {key: _materialize(item) for key, item in value.items()}
    if isinstance(value, list | tuple | Iterator):
        return [_materialize(item) for item in value]
    return value


def validate_strict(type_: Any, value: Any) -> None:
    """Validate ``value`` against an SDK TypedDict type: no unknown keys, nested items included.

    ``extra="forbid"`` makes every nested TypedDict refuse keys it does not declare; required
    keys and literal values are checked as usual. The validated value must equal the input
    (nothing coerced).
    """
    assert _materialize(_adapter(type_).validate_python(value)) == value


@functools.cache
def _adapter(type_: Any) -> TypeAdapter[Any]:
    return TypeAdapter(type_, config=ConfigDict(extra="forbid", strict=True))
