"""The lifecycle is pure: these tests run without an event loop."""

from __future__ import annotations

from typing import Any

import pytest

from ai_stream import StreamClosedError, StreamStateError
from ai_stream._lifecycle import Lifecycle, Phase
from ai_stream.protocol import ClientTarget


def lifecycle(sdk: int | str = 6) -> Lifecycle:
    return Lifecycle(ClientTarget.parse(sdk), "m", lambda: "x")


def test_text_then_reasoning_then_tool_then_finish() -> None:
    life = lifecycle()
    out: list[dict[str, Any]] = []
    assert life.open_text(out) == "text-1"
    assert life.open_text(out) == "text-1"  # idempotent
    life.open_reasoning(out)
    life.prepare(
        {"type": "tool-input-available", "toolCallId": "c", "toolName": "t", "input": 1}, out
    )
    life.finish(out, "tool-calls", None)
    assert out == [
        {"type": "start", "messageId": "m"},
        {"type": "start-step"},
        {"type": "text-start", "id": "text-1"},
        {"type": "text-end", "id": "text-1"},
        {"type": "reasoning-start", "id": "reasoning-2"},
        {"type": "reasoning-end", "id": "reasoning-2"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "tool-calls"},
    ]
    assert life.phase is Phase.CLOSED
    assert life.pending_tool_calls() == ["c"]
    with pytest.raises(StreamClosedError):
        life.open_text(out)


def test_new_step_and_abort() -> None:
    life = lifecycle()
    out: list[dict[str, Any]] = []
    life.new_step(out)
    life.open_text(out)
    life.new_step(out)
    life.abort(out, "stop")
    assert [c["type"] for c in out] == [
        "start", "start-step", "text-start", "text-end", "finish-step", "start-step", "abort",
    ]  # fmt: skip


@pytest.mark.parametrize(("sdk", "closes"), [(5, True), (6, True), (7, False)])
def test_finish_step_closes_hand_opened_parts_only_where_the_client_forgets_them(
    sdk: int, closes: bool
) -> None:
    life = lifecycle(sdk)
    out: list[dict[str, Any]] = []
    life.prepare({"type": "text-start", "id": "a"}, out)
    life.prepare({"type": "finish-step"}, out)
    assert ({"type": "text-end", "id": "a"} in out) is closes


def test_reset_step_forgets_the_step() -> None:
    life = lifecycle(7)
    out: list[dict[str, Any]] = []
    life.open_text(out)
    life.prepare({"type": "tool-input-start", "toolCallId": "c", "toolName": "t"}, out)
    life.prepare({"type": "reset-step"}, out)
    assert life.text_id is None and "c" not in life.tools


def test_streamed_input_is_parsed_or_refused() -> None:
    life = lifecycle()
    out: list[dict[str, Any]] = []
    life.prepare({"type": "tool-input-start", "toolCallId": "c", "toolName": "t"}, out)
    life.prepare({"type": "tool-input-delta", "toolCallId": "c", "inputTextDelta": '{"a":'}, out)
    with pytest.raises(ValueError):
        life.streamed_input("c")
    life.prepare({"type": "tool-input-delta", "toolCallId": "c", "inputTextDelta": "1}"}, out)
    assert life.streamed_input("c") == {"a": 1}


def test_finish_step_without_a_step_is_refused() -> None:
    with pytest.raises(StreamStateError, match="no step is open"):
        lifecycle().prepare({"type": "finish-step"}, [])


def test_continuation_tools_can_be_remembered() -> None:
    life = lifecycle()
    life.remember_tool("old", "t", state="input-available")
    out: list[dict[str, Any]] = []
    life.prepare({"type": "tool-output-available", "toolCallId": "old", "output": 1}, out)
    assert life.tools["old"].state == "output-available"
