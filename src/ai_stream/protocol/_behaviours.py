"""How each ``ai`` client release *processes* chunks: the behaviour half of the release table.

:mod:`ai_stream.protocol._client_releases` (generated) says what each release's chunk schema
*accepts*; this module says how its ``processUIMessageStream`` (and the helpers it uses) *behaves*.
:class:`~ai_stream.protocol.versions.ClientTarget` answers both kinds of question from the two
tables together, and nothing else in the package keeps a copy of either.

Each entry names one change and the first release of each major that has it (``None``: no release
of that major has it). The fixtures check 5.0.0, 5.0.60, 5.0.277, 6.0.0, 6.0.230, 6.0.326, 7.0.0
and 7.0.173. The other first releases come from the packages' CHANGELOGs, cross-checked by running
the same cases on 80 more published bundles (most often the release just before the change) and
against the schema changes recorded in the generated table. Not probed beyond the CHANGELOG:
reasoning_id (5.0.234, 6.0.253), read_reset (5.0.274, 6.0.303), fix_json_unicode (6.0.208),
rename_tool_type (6.0.313), approval_response_signature (7.0.19). secure_json_v2 follows the
``@ai-sdk/provider-utils`` version each release depends on.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

__all__ = ("BEHAVIOURS", "MAX_EVENT_SIZE", "Behaviour")

MAX_EVENT_SIZE: Final = 64 * 1024 * 1024
"""The longest SSE event (characters) of the releases with ``max_event_size``."""

BEHAVIOURS: Final[dict[str, dict[int, str | None]]] = {
    # tool-input-error is handled; tool parts carry rawInput (5.0.7 "handle invalid tool calls")
    "input_error": {5: "5.0.7", 6: "6.0.0", 7: "7.0.0"},
    # tool-output-available carries `preliminary` (5.0.11 "preliminary tool results")
    "preliminary": {5: "5.0.11", 6: "6.0.0", 7: "7.0.0"},
    # dynamic tool parts keep `providerExecuted`; tool-output-error passes it
    "dynamic_provider_executed": {5: "5.0.86", 6: "6.0.0", 7: "7.0.0"},
    # a tool result for a call whose input is still streaming completes the call (ai 4 keeps a
    # partial call without args: the writer sends the call first)
    "result_for_streaming_input": {4: None, 5: "5.0.0", 6: "6.0.0", 7: "7.0.0"},
    # a second tool-input-start for a call whose input streams starts it over in its part (ai 4
    # adds a second invocation with that id)
    "restart_streaming_input": {4: None, 5: "5.0.0", 6: "6.0.0", 7: "7.0.0"},
    # `finish.finishReason` is recorded
    "finish_reason": {5: "5.0.92", 6: "6.0.0", 7: "7.0.0"},
    # v6: tool parts get `title`
    "title": {5: None, 6: "6.0.0", 7: "7.0.0"},
    # tool-input-start passes `providerMetadata` (callProviderMetadata)
    "input_start_provider_metadata": {5: None, 6: "6.0.39", 7: "7.0.0"},
    # tool-input-error keeps the type (static/dynamic) of an existing part with that id
    "input_error_existing_type": {5: None, 6: "6.0.101", 7: "7.0.0"},
    # file parts keep `providerMetadata`
    "file_provider_metadata": {5: None, 6: "6.0.114", 7: "7.0.0"},
    # result chunks set `resultProviderMetadata`; call chunks set `callProviderMetadata` always
    "result_provider_metadata": {5: None, 6: "6.0.120", 7: "7.0.0"},
    # tool parts carry `toolMetadata`
    "tool_metadata": {5: None, 6: "6.0.176", 7: "7.0.0"},
    # merge_objects skips "constructor" and "prototype" keys
    "merge_skips_proto_keys": {5: "5.0.181", 6: "6.0.171", 7: "7.0.0"},
    # tool-approval-request copies `signature` into the approval
    "approval_signature": {5: None, 6: "6.0.202", 7: "7.0.0"},
    # tool parts are looked up in the current step first, then in the whole message
    "step_lookup": {5: "5.0.218", 6: "6.0.233", 7: "7.0.33"},
    # reasoning parts keep the chunk's `id`
    "reasoning_id": {5: "5.0.234", 6: "6.0.253", 7: "7.0.63"},
    # tool-approval-request copies `approvalDescriptor` (as `descriptor`)
    "approval_descriptor": {5: None, 6: "6.0.274", 7: "7.0.87"},
    # tool-approval-request copies `inputSchemaInput`
    "approval_input_schema_input": {5: None, 6: "6.0.290", 7: "7.0.113"},
    # tool-output-* take `toolMetadata` from the chunk, falling back to the part's
    "output_tool_metadata": {5: None, 6: "6.0.296", 7: "7.0.120"},
    # resumable partial tool input: tool-input-delta stores `rawInput`, dynamic parts overwrite
    # it, and a continued message's input-streaming tool parts accept further deltas
    "partial_input_hydration": {5: "5.0.270", 6: "6.0.297", 7: "7.0.121"},
    # read mode: a `start` with a different messageId discards the message built so far
    "read_reset": {5: "5.0.274", 6: "6.0.303", 7: "7.0.137"},
    # tool-input-start `inputEncoding` ("text" input is not JSON-parsed)
    "input_encoding": {5: None, 6: "6.0.308", 7: "7.0.142"},
    # an existing static tool part is renamed to the chunk's toolName
    "rename_tool_type": {5: None, 6: "6.0.313", 7: "7.0.147"},
    # fixJson understands partial \\uXXXX escapes
    "fix_json_unicode": {5: None, 6: "6.0.208", 7: "7.0.0"},
    # fixJson: a lone "-" right after "[" no longer counts as valid
    "fix_json_array_minus": {5: None, 6: None, 7: "7.0.158"},
    # secureJsonParse also detects \\u-escaped "__proto__"/"constructor" keys and tolerates
    # `"constructor": null`
    "secure_json_v2": {4: None, 5: "5.0.146", 6: "6.0.115", 7: "7.0.0"},
    # v7 chunk types: custom, reasoning-file, tool-approval-response; approval `isAutomatic`
    "v7_parts": {5: None, 6: None, 7: "7.0.0"},
    # tool-approval-response keeps the request's `signature`
    "approval_response_signature": {5: None, 6: None, 7: "7.0.19"},
    # reset-step chunk
    "reset_step": {5: None, 6: None, 7: "7.0.70"},
    # finish-step no longer forgets the open text/reasoning parts
    "finish_step_keeps_parts": {5: None, 6: None, 7: "7.0.79"},
    # tool-approval-request `reason` is kept as `requestReason`
    "approval_request_reason": {5: None, 6: None, 7: "7.0.82"},
    # tool-approval-response spreads the existing approval
    "approval_response_spread": {5: None, 6: None, 7: "7.0.87"},
    # tool-input-error stores the bad input in `input` instead of `rawInput`
    "input_error_in_input": {5: None, 6: None, 7: "7.0.119"},
    # text-end `citations`
    "citations": {5: None, 6: None, 7: "7.0.138"},
    # steering-message chunk
    "steering_message": {5: None, 6: None, 7: "7.0.163"},
    # the "unknown tool call id" error says `No tool invocation found for tool call ID "…".`
    # (before: `no tool invocation found for tool call …`)
    "tool_invocation_error_v2": {5: None, 6: "6.0.35", 7: "7.0.0"},
    # parseJsonEventStream drops the whole stream at an SSE event over MAX_EVENT_SIZE characters
    # (@ai-sdk/provider-utils 5.0.84, DEFAULT_MAX_EVENT_SIZE; 7.0.185 checked, 7.0.173 has none)
    "max_event_size": {5: None, 6: None, 7: "7.0.182"},
}
"""Behaviour name → first release of each major that has it."""


@dataclass(frozen=True, slots=True)
class Behaviour:
    """The behaviour flags of one exact release, as attributes (for the reducer's hot paths).

    Built by :meth:`ClientTarget.behaviour <ai_stream.protocol.versions.ClientTarget.behaviour>`
    from :data:`BEHAVIOURS`; every field is the table entry of the same name.
    """

    major: int
    input_error: bool
    preliminary: bool
    dynamic_provider_executed: bool
    result_for_streaming_input: bool
    restart_streaming_input: bool
    finish_reason: bool
    title: bool
    input_start_provider_metadata: bool
    input_error_existing_type: bool
    file_provider_metadata: bool
    result_provider_metadata: bool
    tool_metadata: bool
    merge_skips_proto_keys: bool
    approval_signature: bool
    step_lookup: bool
    reasoning_id: bool
    approval_descriptor: bool
    approval_input_schema_input: bool
    output_tool_metadata: bool
    partial_input_hydration: bool
    read_reset: bool
    input_encoding: bool
    rename_tool_type: bool
    fix_json_unicode: bool
    fix_json_array_minus: bool
    secure_json_v2: bool
    v7_parts: bool
    approval_response_signature: bool
    reset_step: bool
    finish_step_keeps_parts: bool
    approval_request_reason: bool
    approval_response_spread: bool
    input_error_in_input: bool
    citations: bool
    steering_message: bool
    tool_invocation_error_v2: bool
    max_event_size: bool

    @property
    def tool_invocation_error(self) -> str:
        """Message template (``{id}``) of the client's "unknown tool call id" error."""
        if self.major == 5:
            return "tool-output-error must be preceded by a tool-input-available"
        if not self.tool_invocation_error_v2:
            return "no tool invocation found for tool call {id}"
        return 'No tool invocation found for tool call ID "{id}".'


_FIELDS: Final = frozenset(f.name for f in fields(Behaviour)) - {"major"}
if _FIELDS != set(BEHAVIOURS):  # pragma: no cover - guards the table against typos
    raise AssertionError(f"behaviour flags out of sync: {sorted(_FIELDS ^ set(BEHAVIOURS))}")
