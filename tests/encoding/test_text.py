from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ai_stream.encoding import encoder_for
from ai_stream.encoding.text import TEXT_STREAM_HEADERS, TextStreamEncoder, well_formed
from ai_stream.protocol.versions import ClientTarget


def test_only_text_deltas_have_bytes() -> None:
    encoder = TextStreamEncoder()
    chunks = [
        {"type": "start", "messageId": "m"},
        {"type": "start-step"},
        {"type": "text-start", "id": "t"},
        {"type": "text-delta", "id": "t", "delta": "Grüße 😀"},
        {"type": "text-end", "id": "t"},
        {"type": "finish", "finishReason": "stop"},
    ]
    assert b"".join(encoder.encode(c) for c in chunks) == "Grüße 😀".encode()
    assert (encoder.headers, encoder.terminator) == (TEXT_STREAM_HEADERS, b"")
    with pytest.raises(NotImplementedError):
        encoder.delta_affixes("text-delta", "t")


@pytest.mark.parametrize(
    ("deltas", "body"),
    [
        (["\ufeffHi"], "\ufeff\ufeffHi"),
        (["", "\ufeff", "\ufeff"], "\ufeff\ufeff\ufeff"),
        (["Hi", "\ufeff"], "Hi\ufeff"),
        (["", "Hi"], "Hi"),
    ],
)
def test_a_text_that_opens_with_a_byte_order_mark_keeps_it(deltas: list[str], body: str) -> None:
    """The client's TextDecoderStream drops a BOM that opens the body: one more is sent."""
    encoder = TextStreamEncoder()
    chunks = [{"type": "text-delta", "id": "t", "delta": d} for d in deltas]
    sent = b"".join(encoder.encode(c) for c in chunks)
    assert sent.decode() == body
    assert sent.decode("utf-8-sig") == "".join(deltas)  # what a BOM-dropping decoder shows


@given(st.text())
def test_well_formed_is_what_utf8_carries(text: str) -> None:
    fixed = well_formed(text)
    assert fixed.encode().decode() == fixed
    assert len(fixed) == len(text)
    assert all(
        a == b or (0xD800 <= ord(a) <= 0xDFFF and b == "\ufffd")
        for a, b in zip(text, fixed, strict=True)
    )


def test_encoder_for_each_wire() -> None:
    wires = {
        wire: type(encoder_for(target)).__name__
        for wire, target in {
            "sse": ClientTarget.parse(6),
            "data": ClientTarget.parse(4),
            "text": ClientTarget.parse(7).as_text(),
        }.items()
    }
    assert wires == {"sse": "SSEEncoder", "data": "DataStreamEncoder", "text": "TextStreamEncoder"}
