"""Every distinct failure the property suite found, kept as a minimal program.

Each entry is a shrunk writer program (data, as ``test_programs.py`` draws them), the targets it
fails on, and what went wrong; it is replayed through the same check (``checks.py``): collect and
no-collect runs, refusals that change nothing, and the real clients of each target. A test
passes once the library handles the program correctly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from tests.property.checks import Target, assert_conforms, run_program
from tests.property.programs import Program, op, program
from tests.property.replayer import Replayer

ALL = (4, 5, 6, 7)
UI = (5, 6, 7)


@dataclass(frozen=True)
class Regression:
    """A minimal failing program, the targets it fails on, and the bug it shows."""

    program: Program
    targets: tuple[Target, ...]
    bug: str


REGRESSIONS: dict[str, Regression] = {
    # --- lone surrogates in the delta fast path --------------------------------------------------
    "lone_surrogate_text_delta_drops_deltas": Regression(
        program(op("write_text", "a"), op("write_text", "\ud800"), op("write_text", "b")),
        ALL,
        "The fast path joins deltas and encodes them as UTF-8: a lone surrogate raises "
        "UnicodeEncodeError when the run is sealed (here in run()'s finish), the deltas are "
        "dropped and the stream ends with the masked error instead of the text.",
    ),
    "lone_surrogate_reasoning_delta_crashes_next_call": Regression(
        program(
            op("write_reasoning", "x"),
            op("write_reasoning", "\udc00"),
            op("begin_tool_call", "search", {}),
        ),
        ALL,
        "The same UnicodeEncodeError escapes from the next writer call (any call that seals the "
        "run), which is not a documented refusal.",
    ),
    "lone_surrogate_delta_then_failing_work_leaves_stream_unfinished": Regression(
        program(op("write_reasoning", "x"), op("write_reasoning", "\ude00"), op("raise")),
        (6, "6.0.326"),
        "When the work then fails, run() sends the masked error, which seals the run again: the "
        "UnicodeEncodeError escapes from the supervising task, the stream has no error and no "
        "finish chunk, and the record says the reasoning is done and holds the lost delta.",
    ),
    "lone_surrogate_and_negative_infinity_give_invalid_json": Regression(
        program(op("write_data", "x", {"a\ud800": -math.inf})),
        ALL,
        "encode_json falls back to json.dumps when a string holds a lone surrogate and then "
        "replaces 'Infinity' by 'null' textually: -inf becomes '-null', invalid JSON that every "
        "client rejects.",
    ),
    "lone_surrogate_corrupts_nan_string": Regression(
        program(op("write_source_document", "\ud83d", "text/plain", "NaN")),
        UI,
        "The same textual replacement turns the string 'NaN' (here the title) into 'null' "
        "whenever a lone surrogate sends the chunk through the fallback: wire != record.",
    ),
    # --- refusals that are not atomic ------------------------------------------------------------
    "refused_tool_input_delta_loses_start_and_step": Regression(
        program(op("stream_tool_input_delta", "unknown", "x")),
        ALL,
        "stream_tool_input_delta for an unknown id opens the message and the step in the "
        "lifecycle before refusing: start and start-step are never sent (the client names the "
        "message itself, the record does not), and finish-step comes without a step.",
    ),
    "refused_tool_input_delta_closes_open_text_silently": Regression(
        program(
            op("write_text", "a"),
            op("stream_tool_input_delta", "unknown", "x"),
            op("write_text", "b"),
        ),
        UI,
        "The refused call also closes the open text part in the lifecycle without sending "
        "text-end: the next text opens a second part and the first stays 'streaming'.",
    ),
    "refused_hand_written_text_end_loses_start": Regression(
        program(op("write", {"type": "text-end", "id": "t9"})),
        UI,
        "write() of a text-end for a part that is not open is refused after prepare() opened "
        "the message and the step: start and start-step are lost.",
    ),
    "refused_hand_written_tool_output_loses_start": Regression(
        program(
            op(
                "write_event_to_stream",
                {"type": "tool-output-available", "toolCallId": "unknown", "output": 1},
            )
        ),
        ALL,
        "The same through write_event_to_stream() and the tool path of prepare().",
    ),
    "ai4_refused_file_loses_step": Regression(
        program(op("write_file", "https://example.com/a.png", "image/png")),
        (4,),
        "For ai 4 a file without a data: URL is refused by the encoder, after the lifecycle "
        "opened the message and the step: the f: (start_step) line is never sent.",
    ),
    "reasoning_delta_after_end_reasoning": Regression(
        program(op("write_reasoning", "x"), op("end_reasoning"), op("write_reasoning", "y")),
        ALL,
        "After end_reasoning() the next write_reasoning() takes the fast path for the ended "
        "part: without collect it sends a reasoning-delta for a closed part (the client throws), "
        "with collect the record refuses it (UIMessageStreamError): bytes depend on collect.",
    ),
    # --- message metadata -------------------------------------------------------------------------
    "non_object_message_metadata_then_merge": Regression(
        program(op("write_message_metadata", {"a": 1}), message_metadata=True),
        UI,
        "message_metadata=True (any non-object) then an object to merge: without collect the "
        "client throws a TypeError while merging; with collect the record's reducer refuses the "
        "call after start was applied, so start is never sent.",
    ),
    "message_metadata_merge_crashes_on_bool_key": Regression(
        program(op("write_message_metadata", {True: None}), message_metadata=[]),
        (6,),
        "Merging {True: None} into list metadata raises AttributeError ('bool' object has no "
        "attribute 'isdigit') inside the writer: a crash, not a refusal.",
    ),
    # --- values the client rejects or reads differently -------------------------------------------
    "proto_key_in_data_rejects_stream": Regression(
        program(op("write_data", "x", {"__proto__": 1})),
        UI,
        "A '__proto__' key is sent as is; the client's secure JSON parser rejects the chunk "
        "('forbidden prototype property') and useChat ends in error.",
    ),
    "constructor_null_key_rejected_by_ai_5_0_0": Regression(
        program(op("write_data", "x", {"constructor": None})),
        (5,),
        "ai 5.0.0's secure JSON parser rejects {'constructor': null} ('Cannot convert undefined "
        "or null to object'); later releases accept it.",
    ),
    "non_dict_provider_metadata_sent": Regression(
        program(op("write_text", "a", provider_metadata="x")),
        UI,
        "provider_metadata that is not a Record<string, Record<string, JSON>> is sent; every "
        "client rejects the chunk (schema error).",
    ),
    "non_object_inner_provider_metadata_sent": Regression(
        program(op("write_source", "s1", "https://example.com", provider_metadata={"p": 1})),
        UI,
        "The same with an inner value that is not an object.",
    ),
    "non_dict_tool_metadata_sent": Regression(
        program(op("begin_tool_call", "search", {}, tool_metadata=1)),
        ("6.0.326", "7.0.173"),
        "tool_metadata that is not an object is sent; the client rejects the chunk.",
    ),
    "nan_record_differs_from_wire": Regression(
        program(op("write_data", "x", {"a": math.nan})),
        UI,
        "NaN is sent as null but the record keeps NaN: record != what the browser shows.",
    ),
    "ai4_infinity_in_tool_args_record_differs": Regression(
        program(op("begin_tool_call", "search", {"a": math.inf})),
        (4,),
        "The same for ai 4 tool arguments.",
    ),
    "non_string_keys_record_differs_from_wire": Regression(
        program(op("write_data", "x", {1: "a"})),
        ALL[1:],
        "Non-string keys are sent as strings ({'1': 'a'}) but the record keeps the int key.",
    ),
    "ai4_non_string_keys_in_tool_args": Regression(
        program(op("begin_tool_call", "search", {1: "a"})),
        (4,),
        "The same for ai 4 tool arguments.",
    ),
    "integer_beyond_2_53_record_differs": Regression(
        program(op("write_data", "x", 2**53 + 1)),
        UI,
        "Integers beyond 2**53 are sent exactly but the browser holds the nearest double: the "
        "record (and the Python reducer) keep the exact integer.",
    ),
    "ai4_integer_beyond_2_53_in_tool_args": Regression(
        program(op("begin_tool_call", "search", {"n": 2**64 + 1})),
        (4,),
        "The same for ai 4 tool arguments.",
    ),
    # --- lifecycle vs client ----------------------------------------------------------------------
    "reset_step_forgets_only_current_step_tool_inputs": Regression(
        program(
            op("start_tool_input", "search", tool_call_id="c1"),
            op("new_step"),
            op("write", {"type": "reset-step"}),
            op("stream_tool_input_delta", "c1", "{}"),
        ),
        ("7.0.173",),
        "reset-step makes the client forget every streaming tool input, the lifecycle only "
        "those of the current step: a later delta for c1 is sent without collect (the client "
        "throws) and refused with collect (bytes depend on collect).",
    ),
    "text_part_across_steps_rejected_by_ai_7_0_0": Regression(
        program(
            op("write", {"type": "text-start", "id": "t2"}),
            op("new_step"),
            op("write", {"type": "text-end", "id": "t2"}),
        ),
        (7,),
        "For sdk_version=7 parts are kept open across finish-step, but ai 7.0.0-7.0.78 forget "
        "them there like ai 5/6: the text-end is rejected by 7.0.0, and "
        "record.to_ui_message('7.0.0') raises UIMessageStreamError.",
    ),
    "second_start_with_metadata_refused": Regression(
        program(op("start", metadata={"a": 1}), op("start", metadata={"b": 2})),
        UI,
        "A second start(metadata=...) is refused (StreamStateError) although every client "
        "accepts a start chunk with the same messageId and merges its metadata.",
    ),
    "finish_step_outside_step_refused": Regression(
        program(op("write", {"type": "finish-step"})),
        UI,
        "write() of a finish-step while no step is open is refused (StreamStateError) although "
        "every client accepts it (it only forgets the open parts).",
    ),
    "trailing_step_start_in_read_ui_message": Regression(
        program(op("new_step")),
        UI,
        "The client adds step-start without publishing the message (no write()), so a step "
        "with nothing after it never reaches readUIMessageStream; read_ui_message() shows it.",
    ),
    "trailing_step_start_in_record_after_tool_call": Regression(
        program(op("begin_tool_call", "search", {}), op("new_step")),
        UI,
        "In useChat the message was last published (cloned) at the tool call; the empty step "
        "that new_step() and finish leave behind is in the record and the reducer, not in the "
        "browser.",
    ),
    "step_start_after_the_only_publication_shows_in_use_chat": Regression(
        program(op("new_step")),
        UI,
        "useChat's first publication stores the message object itself (pushMessage), later ones "
        "a copy: a step-start added after the only publication (here the start chunk) shows in "
        "the chat, while readUIMessageStream's copy lacks it. The record must follow the chat.",
    ),
    # --- found by the 5,000-program run ------------------------------------------------------
    "lone_surrogate_in_metadata_key_crashes": Regression(
        program(op("write_message_metadata", {"\ude00b": None})),
        ALL,
        "A lone surrogate in a dict key: pydantic-core's fallback conversion raises "
        "UnicodeEncodeError from the writer instead of escaping it as JSON.stringify does.",
    ),
    "lone_surrogate_in_provider_metadata_key_crashes": Regression(
        program(op("complete_tool_call", "", None, provider_metadata={"openai": {"\ud800": None}})),
        ALL,
        "The same UnicodeEncodeError from a tool result's provider metadata.",
    ),
    "ai4_result_for_a_streaming_input_has_no_args": Regression(
        program(
            op(
                "write_event_to_stream",
                {"type": "tool-input-start", "toolCallId": "c", "toolName": ""},
            ),
            op("complete_tool_call", "c", None),
        ),
        (4,),
        "ai 4 keeps a result for a partial call (b: without 9:) as an invocation without args, "
        "where ai 5+ complete the call; the writer must send the call first for ai 4.",
    ),
    "ai4_preliminary_result_leaves_a_partial_call": Regression(
        program(
            op(
                "write_event_to_stream",
                {"type": "tool-input-start", "toolCallId": "c", "toolName": ""},
            ),
            op("complete_tool_call", "c", None, preliminary=True),
        ),
        (4,),
        "ai 4 has no preliminary results, so the call stayed a partial call in ai 4 while the "
        "record (ai 5 shape) says its input is available.",
    ),
    "refused_new_tool_call_consumes_an_id": Regression(
        program(
            op("begin_tool_call", "", None, provider_metadata={"nested": None}),
            op("begin_tool_call", "", None),
        ),
        UI,
        "A new call's id was generated before its values were checked: the refused call "
        "consumed an id, so the next call's id differs from a run without the refused call.",
    ),
    "ai4_call_begun_twice_keeps_its_first_args": Regression(
        program(
            op("begin_tool_call", "", {"k": None}, tool_call_id="call-1"),
            op("begin_tool_call", "", None, tool_call_id="call-1"),
            op("complete_tool_call", "call-1", None),
        ),
        ALL,
        "A call begun again in its step: ai 5+ replace the input, ai 4 keeps the first args. "
        "The writers now refuse it (one id per call).",
    ),
    "ai4_preliminary_output_after_the_final_error": Regression(
        program(
            op("start_tool_input", "", tool_call_id="call-1"),
            op("fail_tool_call", "call-1", ""),
            op("complete_tool_call", "call-1", None, preliminary=True),
        ),
        ALL,
        "An output after the call's final error: ai 5+ show it, ai 4 drops preliminary outputs "
        "and keeps the error. The writers now refuse a result after the final one.",
    ),
    "ai4_streamed_call_started_again": Regression(
        program(
            op("start_tool_input", "", tool_call_id="call-streamed"),
            op("start_tool_input", "", tool_call_id="call-streamed"),
            op("complete_tool_call", "call-streamed", None),
        ),
        ALL,
        "A streamed call started again in its step: ai 5+ start it over in its part, ai 4 adds a "
        "second invocation that keeps no args. The writers refuse it for ai 4 (make fuzz).",
    ),
    "ai4_abort_sends_a_keep_alive_comment": Regression(
        program(op("abort")),
        (4,),
        "The data stream has no terminator; the outbox queued the empty one and the reader "
        "turned the empty body into an SSE keep-alive comment, which the ai 4 parser rejects.",
    ),
    # --- continuations (programs with continue_at) ----------------------------------------------
    "continued_scalar_metadata_refuses_every_call": Regression(
        program(op("write_text", ""), message_metadata="{", continue_at=0),
        UI,
        "A stream that continues a message whose metadata is a string, with message_metadata "
        "for its start: the client cannot merge the two, so every call was refused and run()'s "
        "own finish failed (a body of [DONE] alone, the work's error logged); the refused call "
        "had also opened the message. The constructor now refuses the combination.",
    ),
    # --- text streams (the "text" target, since the suite covers it) --------------------------
    "text_stream_hand_written_step_makes_a_second_part": Regression(
        program(op("write_text", ""), op("write", {"type": "start-step"})),
        ("text",),
        "A hand-written start-step on a text stream opened a second step (and text part) in the "
        "record, while the body has no bytes for steps: the client shows one step with one part.",
    ),
    "text_stream_run_of_empty_deltas_sends_a_keep_alive": Regression(
        program(op("write_text", ""), op("write_text", "")),
        ("text",),
        "Once a text stream's deltas took the outbox's run path, a run of empty deltas was "
        "sealed as an empty frame, which the reader sends as an SSE keep-alive comment: the "
        "client showed ': keep-alive' as text.",
    ),
    "text_stream_opening_byte_order_mark_is_dropped": Regression(
        program(op("write_text", "\ufeff")),
        ("text",),
        "The client's TextDecoderStream drops a U+FEFF that opens the body: the record showed "
        "'\\ufeff', the client ''. The encoder now sends one more U+FEFF before such a text.",
    ),
}

CASES = [(name, target) for name, case in REGRESSIONS.items() for target in case.targets]


@pytest.mark.parametrize(("name", "target"), CASES, ids=[f"{n}-{t}" for n, t in CASES])
def test_regression(name: str, target: Target, replayer: Replayer) -> None:
    assert_conforms(REGRESSIONS[name].program, target, replayer)


def test_the_suite_can_request_approvals() -> None:
    """Approvals must reach the wire in the suite (a too-short secret once refused them all)."""
    run = run_program(
        program(op("begin_tool_call", "t", {}, tool_call_id="c"), op("request_tool_approval", "c")),
        6,
        collect=False,
    )
    assert (run.refusals, run.crashes) == ([], [])
    assert b'"type":"tool-approval-request"' in run.body


def test_ai4_streamed_input_with_a_constructor_null_key(replayer: Replayer) -> None:
    assert_conforms(
        program(
            op("start_tool_input", "", tool_call_id="call-2"),
            op("stream_tool_input_delta", "call-2", '{"a": {"constructor": null}}'),
        ),
        4,
        replayer,
    )
