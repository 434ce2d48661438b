"""The lifecycle is pure: these tests run without an event loop.

Each intent returns the whole chunk sequence it causes, so every sequence is checked in one
assertion; refused calls must leave the lifecycle exactly as it was (atomic refusals).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import pytest

from ai_stream import StreamClosedError, StreamStateError, UnsupportedByClientError
from ai_stream._lifecycle import Lifecycle, Phase
from ai_stream.protocol import ClientTarget


def lifecycle(sdk: int | str = 6, **options: Any) -> Lifecycle:
    counter = iter(range(1, 1000))
    return Lifecycle(ClientTarget.parse(sdk), "m", lambda: f"g{next(counter)}", **options)


def state(life: Lifecycle) -> dict[str, Any]:
    """Everything the lifecycle holds, as a comparable deep copy."""
    return {name: copy.deepcopy(getattr(life, name)) for name in Lifecycle.__slots__}


def assert_refused(
    life: Lifecycle, call: Callable[[], object], error: type[Exception], match: str
) -> None:
    before = state(life)
    with pytest.raises(error, match=match):
        call()
    assert state(life) == before


def test_text_then_reasoning_then_tool_then_finish() -> None:
    life = lifecycle()
    out = [
        *life.text("Hi"),
        *life.text(" there"),
        *life.reasoning("hmm"),
        *life.tool_call("c", "t", 1),
        *life.finish(),
    ]
    assert out == [
        {"type": "start", "messageId": "m"},
        {"type": "start-step"},
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "Hi"},
        {"type": "text-delta", "id": "text-1", "delta": " there"},
        {"type": "text-end", "id": "text-1"},
        {"type": "reasoning-start", "id": "reasoning-2"},
        {"type": "reasoning-delta", "id": "reasoning-2", "delta": "hmm"},
        {"type": "reasoning-end", "id": "reasoning-2"},
        {"type": "tool-input-available", "toolCallId": "c", "toolName": "t", "input": 1},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "tool-calls"},
    ]
    assert life.phase is Phase.CLOSED
    assert life.pending_tool_calls() == ["c"]
    with pytest.raises(StreamClosedError):
        life.text("late")


def test_new_step_and_abort() -> None:
    life = lifecycle()
    types = [c["type"] for c in [*life.new_step(), *life.text("x"), *life.new_step()]]
    types += [c["type"] for c in life.abort("stop")]
    assert types == [
        "start", "start-step", "text-start", "text-delta", "text-end", "finish-step",
        "start-step", "abort",
    ]  # fmt: skip


def test_reasoning_after_end_reasoning_opens_a_new_part() -> None:
    life = lifecycle()
    life.reasoning("x")
    assert life.end_reasoning() == [{"type": "reasoning-end", "id": "reasoning-1"}]
    assert life.reasoning("y") == [
        {"type": "reasoning-start", "id": "reasoning-2"},
        {"type": "reasoning-delta", "id": "reasoning-2", "delta": "y"},
    ]
    assert life.end_reasoning() + life.end_reasoning() == [
        {"type": "reasoning-end", "id": "reasoning-2"}
    ]


@pytest.mark.parametrize(
    ("sdk", "closes"), [(5, True), (6, True), (7, True), ("7.0.78", True), ("7.0.79", False)]
)
def test_finish_step_closes_hand_opened_parts_where_some_release_forgets_them(
    sdk: int | str, closes: bool
) -> None:
    life = lifecycle(sdk)
    life.hand_written({"type": "text-start", "id": "a"})
    out = life.hand_written({"type": "finish-step"})
    assert out == ([{"type": "text-end", "id": "a"}] if closes else []) + [{"type": "finish-step"}]
    assert ("a" in life.open_text) is not closes


def test_finish_step_outside_a_step_and_a_second_start_are_legal() -> None:
    life = lifecycle(message_metadata={"a": 1})
    assert life.hand_written({"type": "finish-step"}) == [
        {"type": "start", "messageId": "m", "messageMetadata": {"a": 1}},
        {"type": "finish-step"},
    ]
    assert life.start({"b": 2}) == [
        {"type": "start", "messageId": "m", "messageMetadata": {"b": 2}}
    ]
    assert life.start() == []


def test_reset_step_forgets_the_step_and_every_streaming_input() -> None:
    life = lifecycle("7.0.173")
    life.tool_input_start("early", "t")  # step 1, still streaming
    life.new_step()
    life.text("x")
    life.tool_input_start("c", "t")
    life.hand_written({"type": "reset-step"})
    assert life.text_id is None and not life.open_text
    assert "c" not in life.tools and "early" in life.tools
    assert_refused(
        life,
        lambda: life.tool_input_delta("early", "{"),
        StreamStateError,
        "reset-step forgets streaming inputs",
    )
    assert_refused(
        life, lambda: life.tool_output("c", 1), StreamStateError, "Unknown tool call id 'c'"
    )
    # its input can still be completed: the client keeps the part
    assert life.tool_call("early", None, {})[-1]["type"] == "tool-input-available"


def test_reset_step_needs_a_release_that_knows_it() -> None:
    life = lifecycle(7)  # 7.0.0 lacks reset-step
    assert_refused(
        life, lambda: life.hand_written({"type": "reset-step"}), UnsupportedByClientError, "reset"
    )


def test_streamed_input_is_parsed_or_refused() -> None:
    life = lifecycle()
    life.tool_input_start("c", "t")
    life.tool_input_delta("c", '{"a":')
    assert_refused(life, lambda: life.tool_call("c", None), ValueError, "not valid JSON")
    life.tool_input_delta("c", "1}")
    assert life.tool_call("c", None)[-1]["input"] == {"a": 1}


def test_refusals_are_atomic() -> None:
    life = lifecycle()  # nothing sent yet: a refusal must not send start or start-step
    assert_refused(
        life, lambda: life.tool_input_delta("nope", "{"), StreamStateError, "Unknown tool call"
    )
    assert_refused(life, lambda: life.tool_output("nope", 1), StreamStateError, "Unknown")
    assert_refused(
        life,
        lambda: life.hand_written({"type": "text-end", "id": "x"}),
        StreamStateError,
        "not open",
    )
    assert_refused(life, lambda: life.data("d", {"__proto__": 1}, None, None), ValueError, "proto")
    assert_refused(life, lambda: life.text("x", provider_metadata=5), ValueError, "provider")
    assert_refused(
        life, lambda: life.tool_call("c", "t", {}, tool_metadata=[1]), ValueError, "tool_metadata"
    )
    assert_refused(life, lambda: life.finish("done"), ValueError, "Unknown finish reason")
    assert_refused(life, lambda: life.data("d", object(), None, None), TypeError, "JSON")
    assert_refused(
        life,
        lambda: life.approval_request("c", lambda i, t: "never"),
        StreamStateError,
        "Unknown tool call",
    )
    assert life.phase is Phase.IDLE


def test_metadata_the_client_cannot_merge_is_refused() -> None:
    life = lifecycle(message_metadata=True)
    life.text("x")
    assert_refused(
        life, lambda: life.message_metadata({"a": 1}), ValueError, "cannot merge new keys"
    )
    assert_refused(life, lambda: life.finish(metadata={"a": 1}), ValueError, "cannot merge")
    assert life.message_metadata(5)[-1] == {"type": "message-metadata", "messageMetadata": 5}
    objects = lifecycle()
    objects.message_metadata({"a": 1})
    assert objects.message_metadata("text")  # replaced by the object merge: no error
    assert objects.message_metadata({"b": 2})


def test_values_take_their_wire_form_before_anything_is_sent() -> None:
    life = lifecycle()
    value = {1: "a", "n": math.nan, "big": 2**53 + 1, "t": (1, 2), "s": "\ud83d" + "\ude00"}
    out = life.data("d", value, "i", None)
    assert out[-1] == {
        "type": "data-d",
        "id": "i",
        "data": {"1": "a", "n": None, "big": 2**53, "t": [1, 2], "s": "\U0001f600"},
    }


def test_approvals_and_automatic_decisions() -> None:
    life = lifecycle("7.0.173")
    life.tool_call("c", "t", {"x": 1})
    out = life.approval_request("c", lambda i, t: f"sig-{i}-{t.tool_name}", reason="why")
    assert out == [
        {
            "type": "tool-approval-request",
            "approvalId": "sig-c-t",
            "toolCallId": "c",
            "reason": "why",
        }
    ]
    assert life.pending_tool_calls() == ["c"]
    assert_refused(
        life, lambda: life.decide_approval("c", True, None), StreamStateError, "cannot be approved"
    )
    life.tool_call("d", "t", {})
    assert [c["type"] for c in life.decide_approval("d", False, "no")] == [
        "tool-approval-request", "tool-approval-response", "tool-output-denied",
    ]  # fmt: skip
    assert life.tools["d"].state == "output-denied"


def test_continuation_takes_over_the_message_tools() -> None:
    message = {
        "id": "a1",
        "role": "assistant",
        "metadata": "scalar",
        "parts": [
            {"type": "step-start"},
            {"type": "tool-old", "toolCallId": "o", "state": "input-available", "input": {}},
            {"type": "step-start"},
            {
                "type": "dynamic-tool",
                "toolName": "dyn",
                "toolCallId": "d",
                "state": "input-streaming",
                "rawInput": '{"a":',
            },
        ],
    }
    life = lifecycle("6.0.326", continued=message)
    assert life.tools["o"].step == -1 and life.tools["d"].step == 0
    assert life.tools["d"].streaming and life.tools["d"].dynamic
    # a result for a call of the continued message comes before any new step
    assert life.tool_output("o", 1) == [
        {"type": "start", "messageId": "m"},
        {"type": "tool-output-available", "toolCallId": "o", "output": 1},
    ]
    assert life.tool_input_delta("d", "1}")[-1]["inputTextDelta"] == "1}"
    assert life.tool_call("d", None)[-1]["input"] == {"a": 1}
    assert_refused(life, lambda: life.message_metadata({"k": 1}), ValueError, "cannot merge")
    # ai 6.0.0 cannot take further deltas of a continued input
    early = lifecycle(6, continued=message)
    assert not early.tools["d"].streaming


def test_v4_files_must_carry_their_bytes() -> None:
    life = lifecycle(4)
    assert_refused(
        life,
        lambda: life.file("https://x/y.png", "image/png", None),
        UnsupportedByClientError,
        "base64",
    )
    assert life.file("data:image/png;base64,AA==", "image/png", None)[-1]["type"] == "file"
