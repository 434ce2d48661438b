from __future__ import annotations

from typing import Any

import pytest

from ai_stream import ChunkParseError
from ai_stream.protocol import (
    CHUNK_TYPES,
    Citation,
    DataChunk,
    DocumentCitationSource,
    FinishChunk,
    StartChunk,
    SteeringMessageChunk,
    SteeringTextPart,
    TextEndChunk,
    ToolInputAvailableChunk,
    ToolOutputAvailableChunk,
    parse_chunk,
)

ONE_OF_EACH: list[dict[str, Any]] = [
    {"type": "start", "messageId": "m", "messageMetadata": {"a": 1}},
    {"type": "finish", "finishReason": "stop", "messageMetadata": {"x": 1}},
    {"type": "abort", "reason": "stop"},
    {"type": "error", "errorText": "x"},
    {"type": "message-metadata", "messageMetadata": None},
    {"type": "start-step"},
    {"type": "finish-step"},
    {"type": "reset-step"},
    {"type": "text-start", "id": "t", "providerMetadata": {"p": {"k": 1}}},
    {"type": "text-delta", "id": "t", "delta": "d"},
    {
        "type": "text-end",
        "id": "t",
        "citations": [
            {
                "source": {"type": "source", "sourceType": "url", "id": "s", "url": "u"},
                "startIndex": 0,
            }
        ],
    },
    {"type": "reasoning-start", "id": "r"},
    {"type": "reasoning-delta", "id": "r", "delta": "d"},
    {"type": "reasoning-end", "id": "r"},
    {
        "type": "tool-input-start",
        "toolCallId": "c",
        "toolName": "n",
        "inputEncoding": "json",
        "title": "T",
    },
    {"type": "tool-input-delta", "toolCallId": "c", "inputTextDelta": "{"},
    {"type": "tool-input-available", "toolCallId": "c", "toolName": "n", "input": None},
    {
        "type": "tool-input-error",
        "toolCallId": "c",
        "toolName": "n",
        "input": "{",
        "errorText": "e",
    },
    {"type": "tool-approval-request", "approvalId": "a", "toolCallId": "c", "isAutomatic": True},
    {"type": "tool-approval-response", "approvalId": "a", "approved": False, "reason": "no"},
    {"type": "tool-output-available", "toolCallId": "c", "output": [1], "preliminary": True},
    {"type": "tool-output-error", "toolCallId": "c", "errorText": "e"},
    {"type": "tool-output-denied", "toolCallId": "c"},
    {"type": "source-url", "sourceId": "s", "url": "u", "title": "t"},
    {"type": "source-document", "sourceId": "s", "mediaType": "application/pdf", "title": "t"},
    {"type": "file", "url": "u", "mediaType": "image/png"},
    {"type": "reasoning-file", "url": "u", "mediaType": "image/png"},
    {"type": "custom", "kind": "openai.x"},
    {
        "type": "steering-message",
        "id": "s",
        "parts": [{"type": "text", "text": "t"}, {"type": "file", "mediaType": "m", "url": "u"}],
    },
    {"type": "data-weather", "id": "w", "data": {"t": 1}, "transient": True},
]


def test_every_chunk_type_has_a_model_that_round_trips() -> None:
    assert len(CHUNK_TYPES) == 30 == len(ONE_OF_EACH)
    for raw in ONE_OF_EACH:
        assert parse_chunk(raw).to_wire() == raw


def test_parse_from_json_text_and_bytes() -> None:
    assert parse_chunk('{"type":"start"}') == StartChunk()
    assert parse_chunk(b'{"type":"data-x","data":1}') == DataChunk(type="data-x", data=1)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not json", "not valid JSON"),
        ("[1]", "JSON object with a string 'type'"),
        ({"type": 3}, "JSON object with a string 'type'"),
        ({"type": "text"}, "Invalid 'text' chunk"),
        ({"type": "start", "messageId": None}, "'messageId' is null"),
        ({"type": "tool-output-error", "toolCallId": "c", "error": "x"}, "at 'errorText'"),
        ({"type": "tool-output-available", "toolCallId": "c"}, "at 'output'"),
        ({"type": "finish", "finishReason": "done"}, "finishReason"),
        ({"type": "text-delta", "id": "t", "delta": "d", "extra": 1}, "extra"),
    ],
)
def test_invalid_chunks_raise_a_clear_error(raw: Any, message: str) -> None:
    with pytest.raises(ChunkParseError, match=message):
        parse_chunk(raw)


def test_absent_optional_fields_are_left_out_and_unknown_fields_kept_when_null() -> None:
    assert FinishChunk().to_wire() == {"type": "finish"}
    assert ToolOutputAvailableChunk(tool_call_id="c", output=None).to_wire() == {
        "type": "tool-output-available",
        "toolCallId": "c",
        "output": None,
    }
    assert ToolInputAvailableChunk(tool_call_id="c", tool_name="n", input={"a": 1}).to_wire() == {
        "type": "tool-input-available",
        "toolCallId": "c",
        "toolName": "n",
        "input": {"a": 1},
    }


def test_nested_models_serialise_camel_case() -> None:
    citation = Citation(
        source=DocumentCitationSource(id="d", media_type="application/pdf", title="T"),
        cited_text="x",
    )
    assert TextEndChunk(id="t", citations=[citation]).to_wire() == {
        "type": "text-end",
        "id": "t",
        "citations": [
            {
                "source": {
                    "type": "source",
                    "sourceType": "document",
                    "id": "d",
                    "mediaType": "application/pdf",
                    "title": "T",
                },
                "citedText": "x",
            }
        ],
    }
    steering = SteeringMessageChunk(id="s", parts=[SteeringTextPart(text="hi")])
    assert steering.to_wire() == {
        "type": "steering-message",
        "id": "s",
        "parts": [{"type": "text", "text": "hi"}],
    }


def test_data_chunk_type_must_start_with_data() -> None:
    with pytest.raises(ValueError, match="data-"):
        DataChunk(type="weather", data=1)


def test_models_are_frozen() -> None:
    chunk = StartChunk(message_id="m")
    with pytest.raises(ValueError, match="frozen"):
        chunk.message_id = "other"  # type: ignore[misc]
