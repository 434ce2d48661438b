from __future__ import annotations

from typing import Any

import pytest
from openai.types.responses import ResponseInputItemParam
from pydantic import ValidationError

from ai_stream.convert import to_openai_responses
from tests.convert.cases import (
    DATA_PARTS,
    DOCX,
    EVERY_PART,
    FILES,
    PDF,
    PNG,
    REASONING,
    TOOL_EDGES,
    as_models,
    data_text,
    validate_strict,
)


def check(items: list[ResponseInputItemParam]) -> None:
    validate_strict(list[ResponseInputItemParam], items)


def test_every_part_type_and_tool_state() -> None:
    items = to_openai_responses(EVERY_PART)

    assert items == [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "What is the weather in Paris?"},
                {
                    "type": "input_image",
                    "detail": "auto",
                    "image_url": f"data:image/png;base64,{PNG}",
                },
            ],
        },
        {"role": "assistant", "content": "Let me check."},
        {
            "type": "function_call",
            "call_id": "call-1",
            "name": "weather",
            "arguments": '{"city":"Paris"}',
        },
        {
            "type": "function_call",
            "call_id": "call-2",
            "name": "lookup",
            "arguments": '{"q":"Paris"}',
        },
        {
            "type": "function_call_output",
            "call_id": "call-1",
            "output": '{"temperature":21,"unit":"°C"}',
        },
        {"type": "function_call_output", "call_id": "call-2", "output": "Lookup service down"},
        {
            "type": "function_call",
            "call_id": "call-3",
            "name": "delete_file",
            "arguments": '{"path":"/tmp/a"}',
        },
        {
            "type": "function_call",
            "call_id": "call-4",
            "name": "delete_file",
            "arguments": '{"path":"/tmp/b"}',
        },
        {
            "type": "function_call_output",
            "call_id": "call-3",
            "output": "Tool call execution denied. Reason: Not allowed",
        },
        {
            "type": "function_call_output",
            "call_id": "call-4",
            "output": "Tool call execution denied.",
        },
        {"role": "assistant", "content": "It is 21°C."},
        {"role": "user", "content": [{"type": "input_text", "text": "And tomorrow?"}]},
        {"role": "assistant", "content": "Tomorrow: 18°C."},
        {"role": "user", "content": [{"type": "input_text", "text": "Thanks!"}]},
    ]
    check(items)


def test_files() -> None:
    items = to_openai_responses(FILES)

    pdf = f"data:application/pdf;base64,{PDF}"
    png = f"data:image/png;base64,{PNG}"
    assert items == [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Files:"},
                {"type": "input_image", "detail": "auto", "image_url": png},
                {"type": "input_image", "detail": "auto", "image_url": png},
                {"type": "input_image", "detail": "auto", "image_url": "https://example.com/a.jpg"},
                {"type": "input_image", "detail": "low", "image_url": "https://example.com/b.png"},
                {"type": "input_file", "filename": "report.pdf", "file_data": pdf},
                {"type": "input_file", "filename": "part-6.pdf", "file_data": pdf},
                {"type": "input_file", "file_url": "https://example.com/c.pdf"},
                {"type": "input_file", "file_id": "file-openai-1"},
                {"type": "input_text", "text": "[Attached file omitted: notes.txt (text/plain)]"},
                {"type": "input_text", "text": "[Attached file omitted: image/svg+xml]"},
                {"type": "input_text", "text": f"[Attached file omitted: cv.docx ({DOCX})]"},
                {"type": "input_text", "text": "[Attached file omitted: image/png]"},
            ],
        }
    ]
    check(items)


def test_image_by_file_id() -> None:
    history: list[dict[str, Any]] = [
        {
            "id": "u1",
            "role": "user",
            "parts": [
                {
                    "type": "file",
                    "mediaType": "image/png",
                    "url": "https://example.com/a.png",
                    "providerReference": {"openai": "file-img-1"},
                }
            ],
        }
    ]

    items = to_openai_responses(history)

    assert items == [
        {
            "role": "user",
            "content": [{"type": "input_image", "detail": "auto", "file_id": "file-img-1"}],
        }
    ]
    check(items)


def test_reasoning_is_dropped_by_default() -> None:
    items = to_openai_responses(REASONING)

    assert items == [
        {"role": "user", "content": [{"type": "input_text", "text": "Think."}]},
        {"role": "assistant", "content": "Done."},
        {
            "type": "function_call",
            "call_id": "call-1",
            "name": "weather",
            "arguments": '{"city":"Paris"}',
        },
        {"type": "function_call_output", "call_id": "call-1", "output": "sunny"},
    ]
    check(items)


def test_include_reasoning_sends_openai_reasoning_items_merged_by_id() -> None:
    items = to_openai_responses(REASONING, include_reasoning=True)

    assert items == [
        {"role": "user", "content": [{"type": "input_text", "text": "Think."}]},
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [
                {"type": "summary_text", "text": "First summary."},
                {"type": "summary_text", "text": "Second summary."},
            ],
            "encrypted_content": "enc-1",
        },
        {"role": "assistant", "content": "Done."},
        {
            "type": "function_call",
            "call_id": "call-1",
            "name": "weather",
            "arguments": '{"city":"Paris"}',
        },
        {"type": "function_call_output", "call_id": "call-1", "output": "sunny"},
    ]
    check(items)


def test_text_and_calls_keep_their_order_within_a_step() -> None:
    history: list[dict[str, Any]] = [
        {
            "id": "a1",
            "role": "assistant",
            "parts": [
                {"type": "text", "text": "One, "},
                {"type": "text", "text": "two."},
                {
                    "type": "tool-count",
                    "toolCallId": "c1",
                    "state": "output-available",
                    "input": {},
                    "output": 3,
                },
                {"type": "text", "text": "Three."},
            ],
        }
    ]

    items = to_openai_responses(history)

    assert items == [
        {"role": "assistant", "content": "One, two."},
        {"type": "function_call", "call_id": "c1", "name": "count", "arguments": "{}"},
        {"role": "assistant", "content": "Three."},
        {"type": "function_call_output", "call_id": "c1", "output": "3"},
    ]
    check(items)


def test_tool_edge_cases() -> None:
    items = to_openai_responses(TOOL_EDGES)

    assert items == [
        {"role": "user", "content": [{"type": "input_text", "text": "Go."}]},
        {
            "type": "function_call",
            "call_id": "call-1",
            "name": "weather",
            "arguments": '"{\\"city\\": \\"Par"',
        },
        {
            "type": "function_call",
            "call_id": "call-2",
            "name": "weather",
            "arguments": '["not","an","object"]',
        },
        {"type": "function_call", "call_id": "call-3", "name": "gone", "arguments": "{}"},
        {
            "type": "function_call",
            "call_id": "call-4",
            "name": "echo",
            "arguments": '{"text":"hi"}',
        },
        {"type": "function_call_output", "call_id": "call-1", "output": "Invalid JSON"},
        {"type": "function_call_output", "call_id": "call-2", "output": "Bad input"},
        {
            "type": "function_call_output",
            "call_id": "call-3",
            "output": "Tool output omitted because the tool is no longer available.",
        },
        {"type": "function_call_output", "call_id": "call-4", "output": "null"},
    ]
    check(items)


def test_data_parts_and_system_prompt() -> None:
    items = to_openai_responses(DATA_PARTS, system="Be brief.", data=data_text)

    assert items == [
        {"role": "system", "content": "Be brief."},
        {"role": "system", "content": "Be kind."},
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Hi"},
                {"type": "input_text", "text": "[page: /home]"},
            ],
        },
        {"role": "assistant", "content": "[status: ok]Hello"},
        {"role": "user", "content": [{"type": "input_text", "text": "[page: /about]"}]},
        {"role": "assistant", "content": "[status: done]"},
    ]
    check(items)
    assert to_openai_responses(DATA_PARTS) == [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
        {"role": "assistant", "content": "Hello"},
    ]


def test_models_and_dicts_convert_the_same() -> None:
    assert to_openai_responses(as_models(EVERY_PART)) == to_openai_responses(EVERY_PART)


def test_the_sdk_check_catches_wrong_keys() -> None:
    wrong_key: Any = [
        {"type": "function_call_output", "call_id": "c", "output": "x", "is_error": 1}
    ]
    missing_key: Any = [
        {"role": "user", "content": [{"type": "input_image", "image_url": "https://x"}]}
    ]
    for items in (wrong_key, missing_key):
        with pytest.raises(ValidationError):
            check(items)
