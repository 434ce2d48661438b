from __future__ import annotations

import pytest

from ai_stream import ChunkParseError, DataChunk, StartChunk, TextDeltaChunk
from ai_stream.testing import parse_sse, parse_sse_json, read_ui_message


def test_parse_sse_reads_the_client_framing() -> None:
    body = (
        "\ufeff: stream-open\r\n\r\n"
        'data: {"type":"start",\r\ndata: "messageId":"m"}\r\n\r\n'
        'event: ignored\nid: 7\ndata:{"type":"data-x","data":1}\n\n'
        "data: [DONE]\n\n"
    ).encode()
    assert parse_sse(body) == [StartChunk(message_id="m"), DataChunk(type="data-x", data=1)]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'data: {"type":"start"}\n\n', "does not end with 'data: \\[DONE\\]'"),
        (b'data: {"type":"start"}\n\ndata: [DONE]', "does not end with a blank line"),
        (b"data: {nope}\n\ndata: [DONE]\n\n", "not hold valid JSON"),
        (b"data: [1]\n\ndata: [DONE]\n\n", "not hold a JSON object"),
        (b'data: {"type":"start","messageId":null}\n\ndata: [DONE]\n\n', "is null"),
    ],
)
def test_parse_sse_flags_what_the_client_would_not_take(body: bytes, message: str) -> None:
    with pytest.raises(ChunkParseError, match=message):
        parse_sse(body)


def test_parse_sse_without_done() -> None:
    assert parse_sse_json(b'data: {"type":"start"}\n\n', require_done=False) == [{"type": "start"}]


def test_read_ui_message_accepts_models_and_dicts() -> None:
    message = read_ui_message(
        [
            StartChunk(message_id="m"),
            {"type": "text-start", "id": "t"},
            TextDeltaChunk(id="t", delta="Hi"),
            {"type": "text-end", "id": "t"},
        ],
        6,
    )
    assert message == {
        "id": "m",
        "role": "assistant",
        "parts": [{"type": "text", "text": "Hi", "state": "done"}],
    }
