from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    is_data_content_block,
)
from langchain_core.messages.utils import convert_to_openai_messages

from ai_stream.convert import to_langchain, to_openai_chat
from tests.convert.cases import (
    DATA_PARTS,
    DOCX,
    EVERY_PART,
    FILES,
    PDF,
    PNG,
    REASONING,
    TOOL_EDGES,
    UNSUPPORTED_FILES,
    as_models,
    data_text,
)


def test_every_part_type_and_tool_state() -> None:
    messages = to_langchain(EVERY_PART)

    assert messages == [
        SystemMessage(content="Be brief."),
        HumanMessage(
            content=[
                {"type": "text", "text": "What is the weather in Paris?"},
                {"type": "image", "base64": PNG, "mime_type": "image/png"},
            ]
        ),
        AIMessage(
            content="Let me check.",
            tool_calls=[
                {"type": "tool_call", "id": "call-1", "name": "weather", "args": {"city": "Paris"}},
                {"type": "tool_call", "id": "call-2", "name": "lookup", "args": {"q": "Paris"}},
            ],
        ),
        ToolMessage(
            content='{"temperature":21,"unit":"°C"}', tool_call_id="call-1", name="weather"
        ),
        ToolMessage(
            content="Lookup service down", tool_call_id="call-2", name="lookup", status="error"
        ),
        AIMessage(
            content="",
            tool_calls=[
                {
                    "type": "tool_call",
                    "id": "call-3",
                    "name": "delete_file",
                    "args": {"path": "/tmp/a"},
                },
                {
                    "type": "tool_call",
                    "id": "call-4",
                    "name": "delete_file",
                    "args": {"path": "/tmp/b"},
                },
            ],
        ),
        ToolMessage(
            content="Tool call execution denied. Reason: Not allowed",
            tool_call_id="call-3",
            name="delete_file",
            status="error",
        ),
        ToolMessage(
            content="Tool call execution denied.",
            tool_call_id="call-4",
            name="delete_file",
            status="error",
        ),
        AIMessage(content="It is 21°C."),
        HumanMessage(content="And tomorrow?"),
        AIMessage(content="Tomorrow: 18°C."),
        HumanMessage(content="Thanks!"),
    ]


def _normalized(messages: list[Any]) -> list[dict[str, Any]]:
    """OpenAI chat messages with parsed arguments and without the optional tool ``name``."""
    out = []
    for message in messages:
        message = {
            k: v for k, v in message.items() if not (message["role"] == "tool" and k == "name")
        }
        if "tool_calls" in message:
            message["tool_calls"] = [
                {
                    **call,
                    "function": {
                        **call["function"],
                        "arguments": json.loads(call["function"]["arguments"]),
                    },
                }
                for call in message["tool_calls"]
            ]
        out.append(message)
    return out


def test_langchain_translates_the_messages_like_the_openai_converter() -> None:
    for history in (EVERY_PART, TOOL_EDGES[:1]):
        translated = convert_to_openai_messages(to_langchain(history))
        assert _normalized(translated) == _normalized(to_openai_chat(history))


def test_files() -> None:
    messages = to_langchain(FILES)

    assert messages == [
        HumanMessage(
            content=[
                {"type": "text", "text": "Files:"},
                {"type": "image", "base64": PNG, "mime_type": "image/png"},
                {"type": "image", "base64": PNG, "mime_type": "image/png"},
                {"type": "image", "url": "https://example.com/a.jpg", "mime_type": "image/jpeg"},
                {"type": "image", "url": "https://example.com/b.png", "mime_type": "image/png"},
                {
                    "type": "file",
                    "base64": PDF,
                    "mime_type": "application/pdf",
                    "extras": {"filename": "report.pdf"},
                },
                {"type": "file", "base64": PDF, "mime_type": "application/pdf"},
                {
                    "type": "file",
                    "url": "https://example.com/c.pdf",
                    "mime_type": "application/pdf",
                },
                {
                    "type": "file",
                    "url": "https://example.com/d.pdf",
                    "mime_type": "application/pdf",
                },
                {"type": "text", "text": "[Attached file omitted: notes.txt (text/plain)]"},
                {"type": "text", "text": "[Attached file omitted: image/svg+xml]"},
                {"type": "text", "text": f"[Attached file omitted: cv.docx ({DOCX})]"},
                {"type": "text", "text": "[Attached file omitted: image/png]"},
            ]
        )
    ]
    blocks = messages[0].content
    assert isinstance(blocks, list)
    data_blocks = [b for b in blocks if isinstance(b, dict) and b["type"] != "text"]
    assert len(data_blocks) == 8
    assert all(is_data_content_block(block) for block in data_blocks)


def test_reasoning_is_dropped_by_default() -> None:
    assert to_langchain(REASONING) == [
        HumanMessage(content="Think."),
        AIMessage(
            content="Done.",
            tool_calls=[
                {"type": "tool_call", "id": "call-1", "name": "weather", "args": {"city": "Paris"}}
            ],
        ),
        ToolMessage(content="sunny", tool_call_id="call-1", name="weather"),
    ]


def test_include_reasoning_adds_standard_reasoning_blocks() -> None:
    assert to_langchain(REASONING, include_reasoning=True) == [
        HumanMessage(content="Think."),
        AIMessage(
            content=[
                {"type": "reasoning", "reasoning": "First summary."},
                {"type": "reasoning", "reasoning": "Second summary."},
                {"type": "reasoning", "reasoning": "Signed.", "extras": {"signature": "sig-1"}},
                {"type": "text", "text": "Done."},
            ],
            tool_calls=[
                {"type": "tool_call", "id": "call-1", "name": "weather", "args": {"city": "Paris"}}
            ],
        ),
        ToolMessage(content="sunny", tool_call_id="call-1", name="weather"),
        AIMessage(content=[{"type": "reasoning", "reasoning": "Only reasoning in this step."}]),
    ]


def test_tool_edge_cases() -> None:
    assert to_langchain(TOOL_EDGES) == [
        HumanMessage(content="Go."),
        AIMessage(
            content="",
            tool_calls=[
                {"type": "tool_call", "id": "call-1", "name": "weather", "args": {}},
                {"type": "tool_call", "id": "call-2", "name": "weather", "args": {}},
                {"type": "tool_call", "id": "call-3", "name": "gone", "args": {}},
                {"type": "tool_call", "id": "call-4", "name": "echo", "args": {"text": "hi"}},
            ],
        ),
        ToolMessage(content="Invalid JSON", tool_call_id="call-1", name="weather", status="error"),
        ToolMessage(content="Bad input", tool_call_id="call-2", name="weather", status="error"),
        ToolMessage(
            content="Tool output omitted because the tool is no longer available.",
            tool_call_id="call-3",
            name="gone",
        ),
        ToolMessage(content="null", tool_call_id="call-4", name="echo"),
    ]


def test_data_parts_and_system_prompt() -> None:
    assert to_langchain(DATA_PARTS, system="Be brief.", data=data_text) == [
        SystemMessage(content="Be brief."),
        SystemMessage(content="Be kind."),
        HumanMessage(
            content=[{"type": "text", "text": "Hi"}, {"type": "text", "text": "[page: /home]"}]
        ),
        AIMessage(content="[status: ok]Hello"),
        HumanMessage(content="[page: /about]"),
        AIMessage(content="[status: done]"),
    ]
    assert to_langchain(DATA_PARTS) == [
        SystemMessage(content="Be kind."),
        HumanMessage(content="Hi"),
        AIMessage(content="Hello"),
    ]


def test_unsupported_files_go_through_the_fallback() -> None:
    def fallback(part: Any) -> str | None:
        return f"<{part.filename}>" if part.filename else None

    assert to_langchain(UNSUPPORTED_FILES, unsupported_file=fallback) == [
        HumanMessage(content="<t.csv>")
    ]
    assert to_langchain(UNSUPPORTED_FILES, unsupported_file=lambda part: None) == []


def test_models_and_dicts_convert_the_same() -> None:
    converted: list[BaseMessage] = to_langchain(as_models(EVERY_PART))
    assert converted == to_langchain(EVERY_PART)


def test_missing_langchain_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "langchain_core.messages", None)

    with pytest.raises(ImportError, match=r"ai-stream\[langchain\]"):
        to_langchain(EVERY_PART)
