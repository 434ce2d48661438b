from __future__ import annotations

from typing import Any

import pytest
from openai.types.chat import ChatCompletionMessageParam
from pydantic import ValidationError

from ai_stream.convert import to_openai_chat
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
    validate_strict,
)


def check(messages: list[ChatCompletionMessageParam]) -> None:
    validate_strict(list[ChatCompletionMessageParam], messages)


def test_every_part_type_and_tool_state() -> None:
    messages = to_openai_chat(EVERY_PART)

    assert messages == [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is the weather in Paris?"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            ],
        },
        {
            "role": "assistant",
            "content": "Let me check.",
            "tool_calls": [
                {
                    "id": "call-1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city":"Paris"}'},
                },
                {
                    "id": "call-2",
                    "type": "function",
                    "function": {"name": "lookup", "arguments": '{"q":"Paris"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call-1", "content": '{"temperature":21,"unit":"°C"}'},
        {"role": "tool", "tool_call_id": "call-2", "content": "Lookup service down"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call-3",
                    "type": "function",
                    "function": {"name": "delete_file", "arguments": '{"path":"/tmp/a"}'},
                },
                {
                    "id": "call-4",
                    "type": "function",
                    "function": {"name": "delete_file", "arguments": '{"path":"/tmp/b"}'},
                },
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call-3",
            "content": "Tool call execution denied. Reason: Not allowed",
        },
        {"role": "tool", "tool_call_id": "call-4", "content": "Tool call execution denied."},
        {"role": "assistant", "content": "It is 21°C."},
        {"role": "user", "content": "And tomorrow?"},
        {"role": "assistant", "content": "Tomorrow: 18°C."},
        {"role": "user", "content": "Thanks!"},
    ]
    check(messages)


def test_files() -> None:
    messages = to_openai_chat(FILES)

    pdf = f"data:application/pdf;base64,{PDF}"
    assert messages == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Files:"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}},
                {
                    "type": "image_url",
                    "image_url": {"url": "https://example.com/b.png", "detail": "low"},
                },
                {"type": "file", "file": {"filename": "report.pdf", "file_data": pdf}},
                {"type": "file", "file": {"filename": "part-6.pdf", "file_data": pdf}},
                {"type": "text", "text": "[Attached file omitted: application/pdf]"},
                {"type": "file", "file": {"file_id": "file-openai-1"}},
                {"type": "text", "text": "[Attached file omitted: notes.txt (text/plain)]"},
                {"type": "text", "text": "[Attached file omitted: image/svg+xml]"},
                {"type": "text", "text": f"[Attached file omitted: cv.docx ({DOCX})]"},
                {"type": "text", "text": "[Attached file omitted: image/png]"},
            ],
        }
    ]
    check(messages)


def test_unsupported_files_go_through_the_fallback() -> None:
    seen: list[str] = []

    def fallback(part: Any) -> str | None:
        seen.append(part.media_type)
        return f"<{part.filename}>" if part.filename else None

    assert to_openai_chat(UNSUPPORTED_FILES, unsupported_file=fallback) == [
        {"role": "user", "content": "<t.csv>"}
    ]
    assert seen == ["text/csv", "audio/wav"]
    assert to_openai_chat(UNSUPPORTED_FILES, unsupported_file=lambda part: None) == []


def test_reasoning_is_dropped_by_default() -> None:
    messages = to_openai_chat(REASONING)

    assert messages == [
        {"role": "user", "content": "Think."},
        {
            "role": "assistant",
            "content": "Done.",
            "tool_calls": [
                {
                    "id": "call-1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call-1", "content": "sunny"},
    ]
    check(messages)


def test_include_reasoning_adds_reasoning_content() -> None:
    messages = to_openai_chat(REASONING, include_reasoning=True)

    assert messages == [
        {"role": "user", "content": "Think."},
        {
            "role": "assistant",
            "content": "Done.",
            "tool_calls": [
                {
                    "id": "call-1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city":"Paris"}'},
                }
            ],
            "reasoning_content": "First summary.\n\nSecond summary.\n\nSigned.",
        },
        {"role": "tool", "tool_call_id": "call-1", "content": "sunny"},
        {"role": "assistant", "content": "", "reasoning_content": "Only reasoning in this step."},
    ]
    # reasoning_content is an extension of OpenAI-compatible servers, not in the SDK's types
    with pytest.raises(ValidationError, match="reasoning_content"):
        check(messages)


def test_tool_edge_cases() -> None:
    messages = to_openai_chat(TOOL_EDGES)

    assert messages == [
        {"role": "user", "content": "Go."},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call-1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '"{\\"city\\": \\"Par"'},
                },
                {
                    "id": "call-2",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '["not","an","object"]'},
                },
                {
                    "id": "call-3",
                    "type": "function",
                    "function": {"name": "gone", "arguments": "{}"},
                },
                {
                    "id": "call-4",
                    "type": "function",
                    "function": {"name": "echo", "arguments": '{"text":"hi"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call-1", "content": "Invalid JSON"},
        {"role": "tool", "tool_call_id": "call-2", "content": "Bad input"},
        {
            "role": "tool",
            "tool_call_id": "call-3",
            "content": "Tool output omitted because the tool is no longer available.",
        },
        {"role": "tool", "tool_call_id": "call-4", "content": "null"},
    ]
    check(messages)


def test_data_parts_become_text_through_the_callback() -> None:
    messages = to_openai_chat(DATA_PARTS, system="Be brief.", data=data_text)

    assert messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "system", "content": "Be kind."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Hi"},
                {"type": "text", "text": "[page: /home]"},
            ],
        },
        {"role": "assistant", "content": "[status: ok]Hello"},
        {"role": "user", "content": "[page: /about]"},
        {"role": "assistant", "content": "[status: done]"},
    ]
    check(messages)
    assert to_openai_chat(DATA_PARTS) == [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
    ]


def test_system_prompt_goes_first_and_system_messages_stay_in_place() -> None:
    history: list[dict[str, Any]] = [
        {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]},
        {"id": "s1", "role": "system", "parts": [{"type": "text", "text": "Now in French."}]},
        {
            "id": "s2",
            "role": "system",
            "parts": [{"type": "file", "mediaType": "image/png", "url": "https://x.io/a.png"}],
        },
    ]

    messages = to_openai_chat(history, system="Be brief.")

    assert messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "system", "content": "Now in French."},
    ]
    check(messages)


def test_models_and_dicts_convert_the_same() -> None:
    assert to_openai_chat(as_models(EVERY_PART)) == to_openai_chat(EVERY_PART)


def test_invalid_messages_are_refused() -> None:
    with pytest.raises(ValidationError):
        to_openai_chat([{"id": "u1", "role": "robot", "parts": []}])


def test_the_sdk_check_catches_wrong_keys() -> None:
    wrong_key: Any = [{"role": "tool", "tool_call_id": "c", "content": "x", "is_error": True}]
    wrong_nested_key: Any = [
        {"role": "user", "content": [{"type": "image_url", "image_url": {"uri": "x"}}]}
    ]
    for messages in (wrong_key, wrong_nested_key):
        with pytest.raises(ValidationError):
            check(messages)


def test_data_urls_are_normalized_to_base64() -> None:
    history: list[dict[str, Any]] = [
        {
            "id": "u1",
            "role": "user",
            "parts": [
                {"type": "file", "mediaType": "image/png", "url": "data:image/png,%89PNG"},
                {
                    "type": "file",
                    "mediaType": "image/png",
                    "url": "DATA:image/png;charset=x;BASE64,iVBORw",
                },
                {"type": "file", "mediaType": "image/png", "url": "data:image/png;base64,abcde"},
                {"type": "file", "mediaType": "image/*", "url": "data:text/plain;base64,aGk="},
            ],
        }
    ]

    assert to_openai_chat(history) == [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}},
                {"type": "text", "text": "[Attached file omitted: image/png]"},
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,aGk="}},
            ],
        }
    ]
