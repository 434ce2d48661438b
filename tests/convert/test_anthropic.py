from __future__ import annotations

from typing import Any, Literal

import pytest
from anthropic.types import ContentBlockParam, MessageParam
from pydantic import ValidationError
from typing_extensions import TypedDict

from ai_stream.convert import to_anthropic
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


class StrictMessageParam(TypedDict):
    """``anthropic.types.MessageParam`` without the response blocks its content also accepts.

    ``MessageParam.content`` also takes the SDK's response models (``TextBlock``...), which allow
    unknown keys; checking against the request block types only is what catches a wrong key.
    """

    role: Literal["user", "assistant"]
    content: str | list[ContentBlockParam]


def check(messages: list[MessageParam]) -> None:
    validate_strict(list[StrictMessageParam], messages)
    validate_strict(list[MessageParam], messages)


def test_every_part_type_and_tool_state() -> None:
    system, messages = to_anthropic(EVERY_PART)

    assert system == "Be brief."
    assert messages == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is the weather in Paris?"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                },
            ],
        },
        {
            "role": "assistant",
            "content": [
                {
                    "type": "thinking",
                    "thinking": "The user wants the weather.",
                    "signature": "sig-1",
                },
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "call-1", "name": "weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "call-2", "name": "lookup", "input": {"q": "Paris"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "call-1",
                    "content": '{"temperature":21,"unit":"°C"}',
                },
                {
                    "type": "tool_result",
                    "tool_use_id": "call-2",
                    "content": "Lookup service down",
                    "is_error": True,
                },
            ],
        },
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "call-3",
                    "name": "delete_file",
                    "input": {"path": "/tmp/a"},
                },
                {
                    "type": "tool_use",
                    "id": "call-4",
                    "name": "delete_file",
                    "input": {"path": "/tmp/b"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "call-3",
                    "content": "Tool call execution denied. Reason: Not allowed",
                    "is_error": True,
                },
                {
                    "type": "tool_result",
                    "tool_use_id": "call-4",
                    "content": "Tool call execution denied.",
                    "is_error": True,
                },
            ],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "It is 21°C."}]},
        {"role": "user", "content": [{"type": "text", "text": "And tomorrow?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Tomorrow: 18°C."}]},
        {"role": "user", "content": [{"type": "text", "text": "Thanks!"}]},
    ]
    check(messages)


def test_files() -> None:
    system, messages = to_anthropic(FILES)

    png = {"type": "base64", "media_type": "image/png", "data": PNG}
    pdf = {"type": "base64", "media_type": "application/pdf", "data": PDF}
    assert system is None
    assert messages == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Files:"},
                {"type": "image", "source": png},
                {"type": "image", "source": png},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/a.jpg"}},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/b.png"}},
                {"type": "document", "source": pdf, "title": "report.pdf"},
                {"type": "document", "source": pdf},
                {"type": "document", "source": {"type": "url", "url": "https://example.com/c.pdf"}},
                {"type": "document", "source": {"type": "file", "file_id": "file_anthropic_1"}},
                {
                    "type": "document",
                    "source": {"type": "text", "media_type": "text/plain", "data": "Notes: café"},
                    "title": "notes.txt",
                },
                {"type": "text", "text": "[Attached file omitted: image/svg+xml]"},
                {"type": "text", "text": f"[Attached file omitted: cv.docx ({DOCX})]"},
                {"type": "text", "text": "[Attached file omitted: image/png]"},
            ],
        }
    ]
    check(messages)


def test_signed_and_redacted_reasoning_is_sent_by_default() -> None:
    system, messages = to_anthropic(REASONING)

    assert messages == [
        {"role": "user", "content": [{"type": "text", "text": "Think."}]},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Signed.", "signature": "sig-1"},
                {"type": "redacted_thinking", "data": "redacted-1"},
                {"type": "text", "text": "Done."},
                {"type": "tool_use", "id": "call-1", "name": "weather", "input": {"city": "Paris"}},
            ],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "call-1", "content": "sunny"}],
        },
    ]
    check(messages)


def test_reasoning_can_be_left_out() -> None:
    _, messages = to_anthropic(REASONING, include_reasoning=False)

    assert messages == [
        {"role": "user", "content": [{"type": "text", "text": "Think."}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Done."},
                {"type": "tool_use", "id": "call-1", "name": "weather", "input": {"city": "Paris"}},
            ],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "call-1", "content": "sunny"}],
        },
    ]
    check(messages)


def test_tool_inputs_are_objects_and_errors_are_flagged() -> None:
    _, messages = to_anthropic(TOOL_EDGES)

    assert messages == [
        {"role": "user", "content": [{"type": "text", "text": "Go."}]},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "call-1", "name": "weather", "input": {}},
                {"type": "tool_use", "id": "call-2", "name": "weather", "input": {}},
                {"type": "tool_use", "id": "call-3", "name": "gone", "input": {}},
                {"type": "tool_use", "id": "call-4", "name": "echo", "input": {"text": "hi"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "call-1",
                    "content": "Invalid JSON",
                    "is_error": True,
                },
                {
                    "type": "tool_result",
                    "tool_use_id": "call-2",
                    "content": "Bad input",
                    "is_error": True,
                },
                {
                    "type": "tool_result",
                    "tool_use_id": "call-3",
                    "content": "Tool output omitted because the tool is no longer available.",
                },
                {"type": "tool_result", "tool_use_id": "call-4", "content": "null"},
            ],
        },
    ]
    check(messages)


def test_roles_alternate_system_is_joined_and_the_prefill_is_trimmed() -> None:
    history: list[dict[str, Any]] = [
        {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]},
        {
            "id": "u2",
            "role": "user",
            "parts": [{"type": "text", "text": "  "}, {"type": "text", "text": "Anyone?"}],
        },
        {"id": "s1", "role": "system", "parts": [{"type": "text", "text": "Late system."}]},
        {
            "id": "a1",
            "role": "assistant",
            "parts": [
                {"type": "step-start"},
                {"type": "text", "text": "Step one."},
                {"type": "step-start"},
                {"type": "text", "text": "Step two."},
                {
                    "type": "tool-t",
                    "toolCallId": "c1",
                    "state": "output-available",
                    "input": {},
                    "output": "ok",
                },
                {
                    "type": "steering-message",
                    "id": "steer-1",
                    "parts": [
                        {"type": "text", "text": "Hurry"},
                        {
                            "type": "file",
                            "mediaType": "image/png",
                            "url": "https://example.com/a.png",
                        },
                        {"type": "file", "mediaType": "image/png"},
                        {"type": "mystery"},
                    ],
                },
                {"type": "step-start"},
                {"type": "text", "text": "Final answer.  \n"},
            ],
        },
    ]

    system, messages = to_anthropic(history, system="Be brief.")

    assert system == "Be brief.\n\nLate system."
    assert messages == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": "Anyone?"}],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Step one."},
                {"type": "text", "text": "Step two."},
                {"type": "tool_use", "id": "c1", "name": "t", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "c1", "content": "ok"},
                {"type": "text", "text": "Hurry"},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
            ],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "Final answer."}]},
    ]
    check(messages)


def test_a_blank_final_text_is_dropped() -> None:
    history: list[dict[str, Any]] = [
        {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]},
        {"id": "a1", "role": "assistant", "parts": [{"type": "text", "text": "Hello. "}]},
        {"id": "a2", "role": "assistant", "parts": [{"type": "data-x", "data": 1}]},
    ]

    _, messages = to_anthropic(history, data=lambda part: " \n")

    assert messages == [
        {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Hello."}]},
    ]
    _, only_user = to_anthropic(history[:1] + [{"id": "a", "role": "assistant", "parts": []}])
    assert only_user == [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]


def test_a_final_thinking_block_is_kept_as_it_is() -> None:
    """An answer cut right after its (signed) thinking, sent back last: nothing to trim."""
    history: list[dict[str, Any]] = [
        {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Think hard."}]},
        {
            "id": "a1",
            "role": "assistant",
            "parts": [
                {"type": "step-start"},
                {
                    "type": "reasoning",
                    "text": "Let me think. ",
                    "state": "done",
                    "providerMetadata": {"anthropic": {"signature": "sig-9"}},
                },
            ],
        },
    ]

    _, messages = to_anthropic(history)

    assert messages == [
        {"role": "user", "content": [{"type": "text", "text": "Think hard."}]},
        {
            "role": "assistant",
            "content": [{"type": "thinking", "thinking": "Let me think. ", "signature": "sig-9"}],
        },
    ]
    check(messages)


def test_data_parts_become_text_through_the_callback() -> None:
    system, messages = to_anthropic(DATA_PARTS, system="Be brief.", data=data_text)

    assert system == "Be brief.\n\nBe kind."
    assert messages == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": "[page: /home]"}],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "[status: ok]"},
                {"type": "text", "text": "Hello"},
            ],
        },
        {"role": "user", "content": [{"type": "text", "text": "[page: /about]"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "[status: done]"}]},
    ]
    check(messages)
    assert to_anthropic(DATA_PARTS) == (
        "Be kind.",
        [
            {"role": "user", "content": [{"type": "text", "text": "Hi"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "Hello"}]},
        ],
    )


def test_models_and_dicts_convert_the_same() -> None:
    assert to_anthropic(as_models(EVERY_PART)) == to_anthropic(EVERY_PART)


def test_the_sdk_check_catches_wrong_keys() -> None:
    wrong_key: Any = [
        {"role": "user", "content": [{"type": "text", "text": "x", "is_error": True}]}
    ]
    wrong_type: Any = [
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "c", "name": "n", "input": "x"}],
        }
    ]
    for messages in (wrong_key, wrong_type):
        with pytest.raises(ValidationError):
            check(messages)
