from __future__ import annotations

from typing import Any

import pytest

from ai_stream.encoding import (
    DONE_FRAME,
    KEEP_ALIVE_FRAME,
    STREAM_OPEN_FRAME,
    UI_MESSAGE_STREAM_HEADERS,
    SSEEncoder,
    comment_frame,
    encode_json,
    encode_json_string,
    encode_sse,
)


@pytest.mark.parametrize(
    ("chunk", "frame"),
    [
        ({"type": "start"}, b'data: {"type":"start"}\n\n'),
        (
            {"type": "text-delta", "id": "x0", "delta": "Hé 👋"},
            'data: {"type":"text-delta","id":"x0","delta":"Hé 👋"}\n\n'.encode(),
        ),
        (
            {"type": "tool-input-delta", "toolCallId": "c", "inputTextDelta": '{"city":"Paris"}'},
            b'data: {"type":"tool-input-delta","toolCallId":"c",'
            b'"inputTextDelta":"{\\"city\\":\\"Paris\\"}"}\n\n',
        ),
        (
            {"type": "tool-output-available", "toolCallId": "c", "output": None},
            b'data: {"type":"tool-output-available","toolCallId":"c","output":null}\n\n',
        ),
        (
            {"type": "data-x", "data": {"n": float("nan"), "l": [1, True, None]}},
            b'data: {"type":"data-x","data":{"n":null,"l":[1,true,null]}}\n\n',
        ),
    ],
)
def test_encode_sse_exact_bytes(chunk: dict[str, Any], frame: bytes) -> None:
    assert encode_sse(chunk) == frame
    assert SSEEncoder.encode(chunk) == frame


@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("plain", b'"plain"'),
        ('q"b\\s/', b'"q\\"b\\\\s/"'),
        ("\n\r\t\b\f", b'"\\n\\r\\t\\b\\f"'),
        ("\x00\x1f\x7f", b'"\\u0000\\u001f\x7f"'),
        ("\u2028\u2029", '"\u2028\u2029"'.encode()),
        ("lone \ud800 surrogate", b'"lone \\ud800 surrogate"'),
        ("😀", '"😀"'.encode()),
    ],
)
def test_json_string_matches_json_stringify(text: str, literal: bytes) -> None:
    # Expected values are what JavaScript's JSON.stringify produces (well-formed stringify).
    assert encode_json_string(text) == literal


def test_delta_affixes_build_the_same_frame_as_the_encoder() -> None:
    prefix, suffix = SSEEncoder.delta_affixes("text-delta", 'id"1')
    frame = prefix + encode_json_string("hi ✓") + suffix
    assert frame == encode_sse({"type": "text-delta", "id": 'id"1', "delta": "hi ✓"})


def test_constants_match_the_reference_server() -> None:
    assert UI_MESSAGE_STREAM_HEADERS == {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        "connection": "keep-alive",
        "x-vercel-ai-ui-message-stream": "v1",
        "x-accel-buffering": "no",
    }
    assert (DONE_FRAME, STREAM_OPEN_FRAME, KEEP_ALIVE_FRAME) == (
        b"data: [DONE]\n\n",
        b": stream-open\n\n",
        b": keep-alive\n\n",
    )
    assert comment_frame("a\nb") == b": a b\n\n"
    assert comment_frame() == b":\n\n"


def test_unencodable_values_raise_type_error() -> None:
    with pytest.raises(TypeError, match="cannot be encoded as JSON"):
        encode_json({"x": object()})


def test_lone_surrogate_inside_objects_is_escaped() -> None:
    assert encode_json({"s": "a\ud800"}) == b'{"s":"a\\ud800"}'
