from __future__ import annotations

import dataclasses
import logging

import pytest

from ai_stream import UnsupportedByClientError
from ai_stream.protocol import ClientTarget, normalize_finish_reason
from ai_stream.protocol._behaviours import BEHAVIOURS
from ai_stream.protocol._client_releases import FEATURES, FIRST, LATEST


def test_parse_majors_and_releases() -> None:
    assert ClientTarget.parse(6) == ClientTarget(6) == ClientTarget.parse("6")
    assert ClientTarget.parse("v6.0.0") == ClientTarget(6, (6, 0, 0))
    assert ClientTarget.parse(ClientTarget(7)) == ClientTarget(7)
    assert ClientTarget.parse(5).label == "ai 5.x (5.0.0 … 5.0.277)"
    assert ClientTarget.parse("5.0.60").label == "ai 5.0.60"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (3, "not supported"),
        (8, "not supported"),
        ("6.x", "not a release"),
        ("six", "not a release"),
        (True, "must be a major"),
    ],
)
def test_invalid_versions(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ClientTarget.parse(value)  # type: ignore[arg-type]


def test_a_major_accepts_only_what_its_first_and_latest_release_accept() -> None:
    for major in (5, 6, 7):
        first = ClientTarget.parse(FIRST[major])
        latest = ClientTarget.parse(LATEST[major])
        both = ClientTarget.parse(major)
        for name, _since, _until in FEATURES[major]:
            kind, _, rest = name.partition(":")
            if kind == "chunk":
                assert both.accepts_chunk(rest) == (
                    first.accepts_chunk(rest) and latest.accepts_chunk(rest)
                ), name
            elif kind == "field":
                chunk, _, field = rest.rpartition(".")
                assert both.accepts_field(chunk, field) == (
                    first.accepts_field(chunk, field) and latest.accepts_field(chunk, field)
                ), name


@pytest.mark.parametrize(
    ("release", "strict", "finish_reason", "abort_reason", "tool_input_error"),
    [
        ("5.0.0", True, False, False, False),
        ("5.0.7", True, False, False, True),
        ("5.0.92", True, True, False, True),
        ("5.0.217", False, True, False, True),
        ("6.0.0", True, True, False, True),
        ("6.0.15", True, True, True, True),
        ("6.0.231", False, True, True, True),
        ("7.0.0", True, True, True, True),
        ("7.0.32", False, True, True, True),
    ],
)
def test_release_boundaries_from_the_scanned_table(
    release: str, strict: bool, finish_reason: bool, abort_reason: bool, tool_input_error: bool
) -> None:
    target = ClientTarget.parse(release)
    assert target.strict is strict
    assert target.accepts_field("finish", "finishReason") is finish_reason
    assert target.accepts_field("abort", "reason") is abort_reason
    assert target.accepts_chunk("tool-input-error") is tool_input_error


def test_releases_newer_than_the_table_behave_as_the_latest() -> None:
    assert ClientTarget.parse("6.0.999").accepts_field("tool-input-start", "inputEncoding")
    with pytest.raises(ValueError, match="must belong"):
        ClientTarget(6, (5, 9, 9))


def test_fit_drops_unknown_fields_and_refuses_unknown_types() -> None:
    target = ClientTarget.parse("6.0.0")
    chunk = {
        "type": "tool-input-start",
        "toolCallId": "c",
        "toolName": "n",
        "inputEncoding": "json",
    }
    assert target.fit(chunk) == {"type": "tool-input-start", "toolCallId": "c", "toolName": "n"}
    same = {"type": "text-delta", "id": "t", "delta": "x"}
    assert target.fit(same) is same
    assert target.fit({"type": "data-x", "data": 1, "transient": True})["transient"] is True
    with pytest.raises(UnsupportedByClientError, match="'reset-step' is not accepted by"):
        target.fit({"type": "reset-step"})


@pytest.mark.parametrize(
    ("value", "sdk", "expected"),
    [
        ("tool_calls", 6, "tool-calls"),
        ("function_call", 6, "tool-calls"),
        ("content_filter", 6, "content-filter"),
        ("end_turn", 6, "stop"),
        ("stop_sequence", 6, "stop"),
        ("max_tokens", 6, "length"),
        ("tool_use", 6, "tool-calls"),
        ("refusal", 6, "content-filter"),
        ("unknown", "5.0.277", "unknown"),
        ("unknown", 6, "other"),
        ("interrupted", "7.0.173", "interrupted"),
        ("interrupted", 6, "other"),
        ("Content-Filter", None, "content-filter"),
    ],
)
def test_normalize_finish_reason(value: str, sdk: int | str | None, expected: str) -> None:
    target = None if sdk is None else ClientTarget.parse(sdk)
    assert normalize_finish_reason(value, target) == expected


def test_unknown_finish_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown finish reason 'done'"):
        normalize_finish_reason("done")


def test_an_ai4_target_behaves_as_the_ai5_message_its_record_keeps() -> None:
    """Latest ai 5 processing, except where the behaviour table has an ai 4 entry."""
    ai4, ai5 = ClientTarget.parse(4).behaviour, ClientTarget.parse(5).behaviour
    assert ai4.major == 5
    assert ai5.secure_json_v2 and not ai4.secure_json_v2  # ai 4's secure-json-parse
    ai4_entries = {name for name, since in BEHAVIOURS.items() if 4 in since}
    assert ai4_entries >= {"secure_json_v2", "result_for_streaming_input"}
    assert dataclasses.replace(ai4, **dict.fromkeys(ai4_entries, True)) == ai5


def test_a_release_newer_than_the_table_warns_once_and_is_the_newest_known(
    caplog: pytest.LogCaptureFixture,
) -> None:
    newest = ClientTarget.parse(LATEST[7])
    with caplog.at_level(logging.WARNING, logger="ai_stream"):
        targets = [ClientTarget.parse("7.99.0") for _ in range(3)]
    assert [r.getMessage() for r in caplog.records] == [
        f"ai 7.99.0 is newer than the releases ai_stream knows; it is treated as ai {LATEST[7]},"
        " the newest known release of ai 7. Upgrade ai_stream, or refresh the table: node "
        "scripts/scan_client_releases.mjs (see its header)."
    ]
    assert targets[0].behaviour == newest.behaviour
    names = {name for name, _since, _until in FEATURES[7]}
    kinds = {n.removeprefix("chunk:") for n in names if n.startswith("chunk:")}
    assert {k for k in kinds if targets[0].accepts_chunk(k)} == {
        k for k in kinds if newest.accepts_chunk(k)
    }
    caplog.clear()
    ClientTarget.parse(LATEST[7])
    assert caplog.records == []
