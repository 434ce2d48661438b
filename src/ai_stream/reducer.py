"""Rebuild the assistant ``UIMessage`` from UI message chunks, exactly as the ``ai`` client does.

A Python port of the client's ``processUIMessageStream`` and ``createStreamingUIMessageState``
(``packages/ai/src/ui/process-ui-message-stream.ts``), plus the helpers they use:
``parsePartialJson`` / ``fixJson`` (partial tool input) and ``mergeObjects`` (message metadata).
It covers ai 5, 6 and 7, release by release, and was checked against the real packages
(``tests/fixtures/reducer/cases.json`` holds the messages the real clients built).

Chunks are plain mappings with the wire's camelCase keys, e.g.
``{"type": "text-delta", "id": "t1", "delta": "Hi"}``; they are expected to be valid for the
release (:mod:`ai_stream.protocol` checks that). The message is JSON-shaped: a key the client
leaves ``undefined`` is absent, a key the client sets to ``null`` holds ``None``.

Two modes, matching the two ways the client consumes a stream:

* ``"read"`` is ``readUIMessageStream``: an ``error`` chunk is recorded and processing goes on;
  since ai 5.0.274 / 6.0.303 / 7.0.137 a ``start`` chunk with a *different* ``messageId``
  discards the message built so far (a new response).
* ``"chat"`` is ``useChat`` / ``AbstractChat`` sending a message: an ``error`` chunk stops
  processing (later chunks are ignored); a ``start`` with another ``messageId`` only renames.

Where the client throws (a delta for a part that was never started, an unknown tool call id, ...),
:meth:`UIMessageReducer.apply` raises :class:`~ai_stream.exceptions.UIMessageStreamError` with
the client's message, and the reducer stops like the client does.

Deliberate limits: data-part and metadata *schemas* (``dataPartSchemas``,
``messageMetadataSchema``) are not applied, ``onToolCall``/``onData`` callbacks do not exist, and
ids named after ``Object.prototype`` members (``"constructor"``, ``"__proto__"`` ...) behave like
any other id, as in the releases that use prototype-free id maps (5.0.198+, 6.0.200+, 7.x).
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from functools import cache
from typing import Any, Final, Literal

from ai_stream.exceptions import ChunkParseError, UIMessageStreamError
from ai_stream.protocol.versions import ClientTarget, SdkVersion

__all__ = (
    "UIMessageReducer",
    "fix_json",
    "merge_objects",
    "parse_partial_json",
    "read_ui_message",
)

Mode = Literal["read", "chat"]
Release = tuple[int, int, int]


class _Undefined:
    """JavaScript ``undefined``: a value that makes the key disappear from the JSON message."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "undefined"

    def __copy__(self) -> _Undefined:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Undefined:
        return self


_U: Final = _Undefined()
_LATEST: Final = 1 << 30  # "the latest release of the major" compares above every real patch


# ---------------------------------------------------------------------------------------------
# Per-release behaviour.
#
# Each flag names one change of processUIMessageStream (or of a helper) and the first release of
# each major that has it (None: no release of that major has it). The fixtures check 5.0.0, 5.0.60,
# 5.0.277, 6.0.0, 6.0.230, 6.0.326, 7.0.0 and 7.0.173. The other first releases come from the
# packages' CHANGELOGs, cross-checked by running the same cases on 80 more published bundles
# (most often the release just before the change) and against the schema changes recorded in
# ai_stream.protocol._client_releases. Not probed beyond the CHANGELOG: reasoning_id (5.0.234,
# 6.0.253), read_reset (5.0.274, 6.0.303), fix_json_unicode (6.0.208), rename_tool_type (6.0.313),
# approval_response_signature (7.0.19). secure_json_v2 follows the @ai-sdk/provider-utils version
# each release depends on.
# ---------------------------------------------------------------------------------------------

_SINCE: Final[dict[str, dict[int, str | None]]] = {
    # tool-input-error is handled; tool parts carry rawInput (5.0.7 "handle invalid tool calls")
    "input_error": {5: "5.0.7", 6: "6.0.0", 7: "7.0.0"},
    # tool-output-available carries `preliminary` (5.0.11 "preliminary tool results")
    "preliminary": {5: "5.0.11", 6: "6.0.0", 7: "7.0.0"},
    # dynamic tool parts keep `providerExecuted`; tool-output-error passes it
    "dynamic_provider_executed": {5: "5.0.86", 6: "6.0.0", 7: "7.0.0"},
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
    "secure_json_v2": {5: "5.0.146", 6: "6.0.115", 7: "7.0.0"},
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
}


@dataclass(frozen=True, slots=True)
class _Behaviour:
    major: int
    release: Release
    input_error: bool
    preliminary: bool
    dynamic_provider_executed: bool
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

    @property
    def tool_invocation_error(self) -> str:
        """Message template (``{id}``) of the client's "unknown tool call id" error."""
        if self.major == 5:
            return "tool-output-error must be preceded by a tool-input-available"
        if self.release < (6, 0, 35):
            return "no tool invocation found for tool call {id}"
        return 'No tool invocation found for tool call ID "{id}".'


def _parse_release(text: str) -> Release:
    major, minor, patch = (int(part) for part in text.split("."))
    return major, minor, patch


@cache
def _behaviour(major: int, release: Release) -> _Behaviour:
    flags: dict[str, bool] = {}
    for name, since_by_major in _SINCE.items():
        since = since_by_major.get(major)
        flags[name] = since is not None and release >= _parse_release(since)
    names = {f.name for f in fields(_Behaviour)} - {"major", "release"}
    if names != set(flags):  # pragma: no cover - guards the table against typos
        raise AssertionError(f"behaviour flags out of sync: {sorted(names ^ set(flags))}")
    return _Behaviour(major=major, release=release, **flags)


def _behaviour_for(sdk_version: SdkVersion | ClientTarget) -> _Behaviour:
    target = ClientTarget.parse(sdk_version)
    release = target.release if target.release is not None else (target.major, 0, _LATEST)
    return _behaviour(target.major, release)


# ---------------------------------------------------------------------------------------------
# JavaScript value helpers
# ---------------------------------------------------------------------------------------------


def _get(obj: Mapping[str, Any], key: str) -> Any:
    """``obj.key``: the value, or :data:`_U` when the key is absent."""
    return obj[key] if key in obj else _U


def _nullish(value: Any) -> bool:
    """``value == null`` in JavaScript (``null`` or ``undefined``)."""
    return value is None or value is _U


def _coalesce(value: Any, fallback: Any) -> Any:
    """``value ?? fallback``."""
    return fallback if _nullish(value) else value


def _put(obj: dict[str, Any], key: str, value: Any) -> None:
    """``obj.key = value``; assigning ``undefined`` removes the key from the JSON shape."""
    if value is _U:
        obj.pop(key, None)
    else:
        obj[key] = value


def _truthy(value: Any) -> bool:
    """JavaScript truthiness of a JSON value (``[]`` and ``{}`` are truthy)."""
    if value is _U or value is None or value is False:
        return False
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


def _utf16_units(text: str) -> list[str]:
    """The string as JavaScript sees it: one item per UTF-16 code unit."""
    if text.isascii():
        return list(text)
    data = text.encode("utf-16-le", "surrogatepass")
    return [chr(unit) for unit in memoryview(data).cast("H")]


def _join_utf16(units: list[str]) -> str:
    """Inverse of :func:`_utf16_units` (re-pairs surrogates; lone ones stay lone)."""
    text = "".join(units)
    if text.isascii():
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _js_number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa.removesuffix('.0')}e{sign}{exponent.lstrip('+-').lstrip('0')}"
    return text


def _js_string(value: Any) -> str:
    """``String(value)`` for a JSON value."""
    if value is _U:
        return "undefined"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return _js_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join("" if _nullish(item) else _js_string(item) for item in value)
    return "[object Object]"


def _is_object(value: Any) -> bool:
    """A non-array object (``typeof value === "object"``, not ``null``, not an array)."""
    return isinstance(value, dict)


def _own_entries(value: Any) -> list[tuple[str, Any]]:
    """The own enumerable properties of a JSON value (what ``{...value}`` and ``for in`` see)."""
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return [(str(index), item) for index, item in enumerate(value)]
    if isinstance(value, str):
        return [(str(index), unit) for index, unit in enumerate(_utf16_units(value))]
    return []


# ---------------------------------------------------------------------------------------------
# mergeObjects, fixJson, parsePartialJson
# ---------------------------------------------------------------------------------------------

_PROTO_KEYS: Final = frozenset({"__proto__", "constructor", "prototype"})


def _merge_objects(base: Any, overrides: Any, *, skip_proto_keys: bool) -> Any:
    if base is _U and overrides is _U:
        return _U
    if base is _U:
        return overrides
    if overrides is _U:
        return base
    result: dict[str, Any] = dict(_own_entries(base))
    for key, value in _own_entries(overrides):
        if key == "__proto__" or (skip_proto_keys and key in _PROTO_KEYS):
            # Skipped since 5.0.181 / 6.0.171; before, assigning `__proto__` set the prototype,
            # which JSON never shows.
            continue
        if value is _U:
            continue
        if isinstance(base, dict):
            base_value = base.get(key, _U)
        elif isinstance(base, list):
            base_value = base[int(key)] if key.isdigit() and int(key) < len(base) else _U
        else:
            raise UIMessageStreamError(
                f"Cannot use 'in' operator to search for '{key}' in {_js_string(base)}"
            )
        if _is_object(value) and _is_object(base_value):
            result[key] = _merge_objects(base_value, value, skip_proto_keys=skip_proto_keys)
        else:
            result[key] = value
    return result


def merge_objects(base: Any, overrides: Any, sdk_version: SdkVersion | ClientTarget = 7) -> Any:
    """Deep-merge message metadata like the client's ``mergeObjects``.

    Plain objects merge recursively; arrays and primitives replace. A primitive or array ``base``
    is spread like JavaScript's ``{...base}`` (``"ab"`` becomes ``{"0": "a", "1": "b"}``).

    Args:
        base: The current metadata.
        overrides: The new metadata.
        sdk_version: The client release whose variant to use.

    Returns:
        A new merged value (the inputs are not modified).

    Raises:
        UIMessageStreamError: ``base`` is a string, number or boolean and ``overrides`` has keys
            (the client throws a ``TypeError`` there).
    """
    behaviour = _behaviour_for(sdk_version)
    return _merge_objects(
        copy.deepcopy(base),
        copy.deepcopy(overrides),
        skip_proto_keys=behaviour.merge_skips_proto_keys,
    )


_VALUE_START: Final = frozenset("0123456789")
_HEX: Final = frozenset("0123456789abcdefABCDEF")


def _fix_json(text: str, *, unicode_escapes: bool, array_minus: bool) -> str:
    units = _utf16_units(text)
    stack = ["ROOT"]
    last_valid = -1
    literal_start = 0
    unicode_digits = 0

    def value_start(char: str, i: int, swap: str) -> None:
        nonlocal last_valid, literal_start
        if char == '"':
            last_valid = i
            stack.pop()
            stack.append(swap)
            stack.append("INSIDE_STRING")
        elif char in ("f", "t", "n"):
            last_valid = i
            literal_start = i
            stack.pop()
            stack.append(swap)
            stack.append("INSIDE_LITERAL")
        elif char == "-":
            stack.pop()
            stack.append(swap)
            stack.append("INSIDE_NUMBER")
        elif char in _VALUE_START:
            last_valid = i
            stack.pop()
            stack.append(swap)
            stack.append("INSIDE_NUMBER")
        elif char == "{":
            last_valid = i
            stack.pop()
            stack.append(swap)
            stack.append("INSIDE_OBJECT_START")
        elif char == "[":
            last_valid = i
            stack.pop()
            stack.append(swap)
            stack.append("INSIDE_ARRAY_START")

    def after_object_value(char: str, i: int) -> None:
        nonlocal last_valid
        if char == ",":
            stack.pop()
            stack.append("INSIDE_OBJECT_AFTER_COMMA")
        elif char == "}":
            last_valid = i
            stack.pop()

    def after_array_value(char: str, i: int) -> None:
        nonlocal last_valid
        if char == ",":
            stack.pop()
            stack.append("INSIDE_ARRAY_AFTER_COMMA")
        elif char == "]":
            last_valid = i
            stack.pop()

    for i, char in enumerate(units):
        state = stack[-1]
        if state == "ROOT":
            value_start(char, i, "FINISH")
        elif state == "INSIDE_OBJECT_START":
            if char == '"':
                stack.pop()
                stack.append("INSIDE_OBJECT_KEY")
            elif char == "}":
                last_valid = i
                stack.pop()
        elif state == "INSIDE_OBJECT_AFTER_COMMA":
            if char == '"':
                stack.pop()
                stack.append("INSIDE_OBJECT_KEY")
        elif state == "INSIDE_OBJECT_KEY":
            if char == '"':
                stack.pop()
                stack.append("INSIDE_OBJECT_AFTER_KEY")
        elif state == "INSIDE_OBJECT_AFTER_KEY":
            if char == ":":
                stack.pop()
                stack.append("INSIDE_OBJECT_BEFORE_VALUE")
        elif state == "INSIDE_OBJECT_BEFORE_VALUE":
            value_start(char, i, "INSIDE_OBJECT_AFTER_VALUE")
        elif state == "INSIDE_OBJECT_AFTER_VALUE":
            after_object_value(char, i)
        elif state == "INSIDE_STRING":
            if char == '"':
                stack.pop()
                last_valid = i
            elif char == "\\":
                stack.append("INSIDE_STRING_ESCAPE")
            else:
                last_valid = i
        elif state == "INSIDE_ARRAY_START":
            if char == "]":
                last_valid = i
                stack.pop()
            else:
                if not array_minus:
                    last_valid = i
                value_start(char, i, "INSIDE_ARRAY_AFTER_VALUE")
        elif state == "INSIDE_ARRAY_AFTER_VALUE":
            if char == ",":
                stack.pop()
                stack.append("INSIDE_ARRAY_AFTER_COMMA")
            elif char == "]":
                last_valid = i
                stack.pop()
            else:
                last_valid = i
        elif state == "INSIDE_ARRAY_AFTER_COMMA":
            value_start(char, i, "INSIDE_ARRAY_AFTER_VALUE")
        elif state == "INSIDE_STRING_ESCAPE":
            stack.pop()
            if unicode_escapes and char == "u":
                unicode_digits = 0
                stack.append("INSIDE_STRING_UNICODE_ESCAPE")
            else:
                last_valid = i
        elif state == "INSIDE_STRING_UNICODE_ESCAPE":
            if char in _HEX:
                unicode_digits += 1
                if unicode_digits == 4:
                    stack.pop()
                    last_valid = i
        elif state == "INSIDE_NUMBER":
            if char in _VALUE_START:
                last_valid = i
            elif char in ("e", "E", "-", "."):
                pass
            elif char == ",":
                stack.pop()
                if stack[-1] == "INSIDE_ARRAY_AFTER_VALUE":
                    after_array_value(char, i)
                if stack[-1] == "INSIDE_OBJECT_AFTER_VALUE":
                    after_object_value(char, i)
            elif char == "}":
                stack.pop()
                if stack[-1] == "INSIDE_OBJECT_AFTER_VALUE":
                    after_object_value(char, i)
            elif char == "]":
                stack.pop()
                if stack[-1] == "INSIDE_ARRAY_AFTER_VALUE":
                    after_array_value(char, i)
            else:
                stack.pop()
        elif state == "INSIDE_LITERAL":
            partial = "".join(units[literal_start : i + 1])
            if not (
                "false".startswith(partial)
                or "true".startswith(partial)
                or "null".startswith(partial)
            ):
                stack.pop()
                if stack[-1] == "INSIDE_OBJECT_AFTER_VALUE":
                    after_object_value(char, i)
                elif stack[-1] == "INSIDE_ARRAY_AFTER_VALUE":
                    after_array_value(char, i)
            else:
                last_valid = i

    result = _join_utf16(units[: last_valid + 1])
    for state in reversed(stack):
        if state == "INSIDE_STRING":
            result += '"'
        elif state.startswith("INSIDE_OBJECT_"):
            result += "}"
        elif state.startswith("INSIDE_ARRAY_"):
            result += "]"
        elif state == "INSIDE_LITERAL":
            partial = _join_utf16(units[literal_start:])
            for literal in ("true", "false", "null"):
                if literal.startswith(partial):
                    result += literal[len(partial) :]
                    break
    return result


def fix_json(text: str, sdk_version: SdkVersion | ClientTarget = 7) -> str:
    r"""Close a truncated JSON text the way the client's ``fixJson`` does.

    Open strings, arrays and objects are closed, a partial ``true``/``false``/``null`` is
    completed, and a dangling key, comma or partial number is cut off. The result is meant to be
    parsed; it is not always valid JSON.

    Args:
        text: The JSON received so far.
        sdk_version: The client release whose variant to use (they differ in partial
            ``\u`` escapes and in a lone ``-`` after ``[``).

    Returns:
        The repaired text.
    """
    behaviour = _behaviour_for(sdk_version)
    return _fix_json(
        text,
        unicode_escapes=behaviour.fix_json_unicode,
        array_minus=behaviour.fix_json_array_minus,
    )


class _JSONError(Exception):
    pass


_MAX_SAFE_INTEGER: Final = 2**53


def _reject_constant(name: str) -> Any:
    raise _JSONError(name)


def _parse_int(text: str) -> int | float:
    value = int(text)
    # JSON.parse yields doubles: big integers lose precision
    return value if abs(value) <= _MAX_SAFE_INTEGER else float(text)


_PROTO_RX_V1: Final = re.compile(r'"__proto__"\s*:')
_CONSTRUCTOR_RX_V1: Final = re.compile(r'"constructor"\s*:')
_PROTO_RX_V2: Final = re.compile(
    r'"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)'
    r'(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"\s*:'
)
_CONSTRUCTOR_RX_V2: Final = re.compile(
    r'"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)'
    r'(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"\s*:'
)


def _secure_json_parse(text: str, *, v2: bool) -> Any:
    """``secureJsonParse`` of ``@ai-sdk/provider-utils``: ``JSON.parse`` minus prototype keys."""
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)
    except (ValueError, RecursionError) as exc:
        raise _JSONError(str(exc)) from exc
    if not isinstance(value, dict | list):
        return value
    proto_rx, constructor_rx = (
        (_PROTO_RX_V2, _CONSTRUCTOR_RX_V2) if v2 else (_PROTO_RX_V1, _CONSTRUCTOR_RX_V1)
    )
    if proto_rx.search(text) is None and constructor_rx.search(text) is None:
        return value
    nodes: list[Any] = [value]
    while nodes:
        node = nodes.pop()
        if isinstance(node, dict):
            if "__proto__" in node:
                raise _JSONError("Object contains forbidden prototype property")
            if "constructor" in node:
                constructor = node["constructor"]
                if constructor is None and not v2:
                    # hasOwnProperty.call(null, ...) throws a TypeError
                    raise _JSONError("Cannot convert undefined or null to object")
                if isinstance(constructor, dict) and "prototype" in constructor:
                    raise _JSONError("Object contains forbidden prototype property")
            nodes.extend(item for item in node.values() if isinstance(item, dict | list))
        else:
            nodes.extend(item for item in node if isinstance(item, dict | list))
    return value


def _parse_partial_json(text: str, behaviour: _Behaviour) -> Any:
    try:
        return _secure_json_parse(text, v2=behaviour.secure_json_v2)
    except _JSONError:
        pass
    repaired = _fix_json(
        text,
        unicode_escapes=behaviour.fix_json_unicode,
        array_minus=behaviour.fix_json_array_minus,
    )
    try:
        return _secure_json_parse(repaired, v2=behaviour.secure_json_v2)
    except _JSONError:
        return _U


def parse_partial_json(text: str, sdk_version: SdkVersion | ClientTarget = 7) -> tuple[bool, Any]:
    """Best-effort parse of a truncated JSON text, like the client's ``parsePartialJson``.

    The text is parsed as is, then once more after :func:`fix_json`. Values holding a
    ``__proto__`` key (or a ``constructor`` with a ``prototype``) are refused, as the client's
    ``secureJsonParse`` does.

    Args:
        text: The JSON received so far (e.g. the concatenated ``inputTextDelta`` values).
        sdk_version: The client release whose variant to use.

    Returns:
        ``(True, value)`` on success; ``(False, None)`` when both attempts fail (the client then
        leaves the tool part's ``input`` undefined).
    """
    value = _parse_partial_json(text, _behaviour_for(sdk_version))
    return (False, None) if value is _U else (True, value)


# ---------------------------------------------------------------------------------------------
# The reducer
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _PartialToolCall:
    text: str
    tool_name: Any
    dynamic: Any
    input_encoding: Any = _U
    title: Any = _U
    tool_metadata: Any = _U


def _is_static_tool(part: Mapping[str, Any]) -> bool:
    kind = part.get("type")
    return isinstance(kind, str) and kind.startswith("tool-")


def _is_dynamic_tool(part: Mapping[str, Any]) -> bool:
    return part.get("type") == "dynamic-tool"


def _is_any_tool(part: Mapping[str, Any]) -> bool:
    return _is_static_tool(part) or _is_dynamic_tool(part)


def _static_tool_name(part: Mapping[str, Any]) -> str:
    return str(part["type"]).split("-", 1)[1]


def _missing_part_error(chunk_type: str, kind: str, chunk_id: Any) -> UIMessageStreamError:
    start = chunk_type.rsplit("-", 1)[0] + "-start"
    noun = "tool call" if kind == "tool" else f"{kind} part"
    return UIMessageStreamError(
        f'Received {chunk_type} for missing {noun} with ID "{_js_string(chunk_id)}". '
        f'Ensure a "{start}" chunk is sent before any "{chunk_type}" chunks.',
        chunk_type=chunk_type,
        chunk_id=_js_string(chunk_id),
    )


def _required(chunk: Mapping[str, Any], key: str) -> Any:
    if key not in chunk:
        raise ChunkParseError(
            f"A {chunk.get('type')!r} chunk lacks its required field {key!r}; "
            "the client would reject it."
        )
    return chunk[key]


def _required_str(chunk: Mapping[str, Any], key: str) -> str:
    value = _required(chunk, key)
    if not isinstance(value, str):
        raise ChunkParseError(
            f"The field {key!r} of a {chunk.get('type')!r} chunk must be a string; "
            "the client would reject it."
        )
    return value


_OUTPUT_STATES: Final = frozenset({"output-available", "output-error"})


class UIMessageReducer:
    """Applies UI message chunks to an assistant message, like the ``ai`` client.

    Example::

        reducer = UIMessageReducer(sdk_version=6)
        for chunk in chunks:
            reducer.apply(chunk)
        reducer.message  # {"id": ..., "role": "assistant", "parts": [...]}

    Args:
        sdk_version: The client: a major (``5``, ``6``, ``7``: its latest release) or an exact
            release (``"6.0.0"``); see :class:`~ai_stream.protocol.ClientTarget`.
        message: The last message of the conversation, to continue; like
            ``createStreamingUIMessageState``, only an assistant message is continued. It is
            deep-copied.
        message_id: The id of a new message.
        mode: ``"read"`` (``readUIMessageStream``) or ``"chat"`` (``useChat`` sending a message);
            see the module docstring.
    """

    def __init__(
        self,
        sdk_version: SdkVersion | ClientTarget = 6,
        *,
        message: Mapping[str, Any] | None = None,
        message_id: str = "",
        mode: Mode = "read",
    ) -> None:
        if mode not in ("read", "chat"):
            raise ValueError(f"mode must be 'read' or 'chat', not {mode!r}.")
        self._b = _behaviour_for(sdk_version)
        self._mode: Mode = mode
        self._errors: list[str] = []
        self._stopped = False
        self._finish_reason: str | None = None
        self._written = False
        self._pending_step_starts = 0
        self._active_text: dict[str, dict[str, Any]] = {}
        self._active_reasoning: dict[str, dict[str, Any]] = {}
        self._partial: dict[str, _PartialToolCall] = {}
        # Deltas not yet joined into their part's text, so that long streams stay linear.
        self._pieces: dict[int, tuple[dict[str, Any], list[str]]] = {}
        if message is not None and message.get("role") == "assistant":
            self._message: dict[str, Any] = copy.deepcopy(dict(message))
            if not isinstance(self._message.get("parts"), list):
                raise ValueError("The message to continue needs a 'parts' list.")
            if self._b.partial_input_hydration:
                self._hydrate_partial_tool_calls()
        else:
            self._message = {"id": message_id, "role": "assistant", "parts": []}

    # -- public state -------------------------------------------------------------------------

    @property
    def message(self) -> dict[str, Any]:
        """The message as processed so far (a deep copy; what ``onFinish`` receives)."""
        self._join_pieces()
        return copy.deepcopy(self._message)

    def _join_pieces(self) -> None:
        if self._pieces:
            for part, pieces in self._pieces.values():
                part["text"] += "".join(pieces)
            self._pieces.clear()

    def _append_delta(self, part: dict[str, Any], chunk: Mapping[str, Any]) -> None:
        delta = _required_str(chunk, "delta")
        entry = self._pieces.get(id(part))
        if entry is None:
            self._pieces[id(part)] = (part, [delta])
        else:
            entry[1].append(delta)
        if "providerMetadata" in chunk:
            self._keep_provider_metadata(part, chunk)
        self._write()

    @property
    def snapshot(self) -> dict[str, Any] | None:
        """The last message the client published, or ``None`` if none was published yet.

        ``readUIMessageStream`` yielded it, ``useChat`` rendered it. It differs from
        :attr:`message` only by trailing ``step-start`` parts: ``start-step`` is the one chunk that
        changes the message without publishing it.
        """
        if not self._written:
            return None
        self._join_pieces()
        snapshot = copy.deepcopy(self._message)
        if self._pending_step_starts:
            del snapshot["parts"][-self._pending_step_starts :]
        return snapshot

    @property
    def finish_reason(self) -> str | None:
        """The ``finishReason`` of the ``finish`` chunk (ai 5 before 5.0.92 ignores it)."""
        return self._finish_reason

    @property
    def errors(self) -> list[str]:
        """The ``errorText`` of each ``error`` chunk applied."""
        return list(self._errors)

    @property
    def stopped(self) -> bool:
        """Processing has stopped: an ``error`` chunk in chat mode, or a chunk the client refuses.

        Later chunks are ignored, as by the client.
        """
        return self._stopped

    # -- applying chunks ----------------------------------------------------------------------

    def apply(self, chunk: Mapping[str, Any]) -> None:
        """Apply one chunk to the message.

        Args:
            chunk: A UI message chunk with the wire's camelCase keys.

        Raises:
            UIMessageStreamError: The client would throw on this chunk (e.g. a ``text-delta``
                without ``text-start``, an unknown ``toolCallId``). The reducer stops.
            ChunkParseError: The chunk lacks a field that processing needs.
        """
        if self._stopped:
            return
        if not isinstance(chunk, Mapping) or not isinstance(chunk.get("type"), str):
            raise ChunkParseError("A UI message chunk must be a mapping with a string 'type'.")
        try:
            self._apply(chunk)
        except UIMessageStreamError:
            self._stopped = True
            raise

    def _write(self) -> None:
        self._written = True
        self._pending_step_starts = 0

    def _apply(self, chunk: Mapping[str, Any]) -> None:
        b = self._b
        kind: str = chunk["type"]
        if self._pieces and kind != "text-delta" and kind != "reasoning-delta":
            self._join_pieces()
        if kind == "text-start":
            self._text_start(chunk)
        elif kind == "text-delta":
            self._text_delta(chunk)
        elif kind == "text-end":
            self._text_end(chunk)
        elif kind == "reasoning-start":
            self._reasoning_start(chunk)
        elif kind == "reasoning-delta":
            self._reasoning_delta(chunk)
        elif kind == "reasoning-end":
            self._reasoning_end(chunk)
        elif kind == "file" or (kind == "reasoning-file" and b.v7_parts):
            self._file(chunk)
        elif kind == "custom" and b.v7_parts:
            part: dict[str, Any] = {"type": "custom", "kind": _required(chunk, "kind")}
            _put(part, "providerMetadata", copy.deepcopy(_get(chunk, "providerMetadata")))
            self._push(part)
        elif kind == "source-url":
            part = {
                "type": "source-url",
                "sourceId": _required(chunk, "sourceId"),
                "url": _required(chunk, "url"),
            }
            _put(part, "title", _get(chunk, "title"))
            _put(part, "providerMetadata", copy.deepcopy(_get(chunk, "providerMetadata")))
            self._push(part)
        elif kind == "source-document":
            part = {
                "type": "source-document",
                "sourceId": _required(chunk, "sourceId"),
                "mediaType": _required(chunk, "mediaType"),
            }
            _put(part, "title", _get(chunk, "title"))
            _put(part, "filename", _get(chunk, "filename"))
            _put(part, "providerMetadata", copy.deepcopy(_get(chunk, "providerMetadata")))
            self._push(part)
        elif kind == "tool-input-start":
            self._tool_input_start(chunk)
        elif kind == "tool-input-delta":
            self._tool_input_delta(chunk)
        elif kind == "tool-input-available":
            self._tool_input_available(chunk)
        elif kind == "tool-input-error" and b.input_error:
            self._tool_input_error(chunk)
        elif kind == "tool-approval-request" and b.major >= 6:
            self._tool_approval_request(chunk)
        elif kind == "tool-approval-response" and b.v7_parts:
            self._tool_approval_response(chunk)
        elif kind == "tool-output-denied" and b.major >= 6:
            invocation = self._tool_invocation(_required(chunk, "toolCallId"))
            invocation["state"] = "output-denied"
            self._write()
        elif kind == "tool-output-available":
            self._tool_output(chunk, "output-available")
        elif kind == "tool-output-error":
            self._tool_output(chunk, "output-error")
        elif kind == "steering-message" and b.steering_message:
            self._push(
                {
                    "type": "steering-message",
                    "id": _required(chunk, "id"),
                    "parts": copy.deepcopy(_required(chunk, "parts")),
                }
            )
        elif kind == "start-step":
            self._message["parts"].append({"type": "step-start"})
            self._pending_step_starts += 1
        elif kind == "finish-step":
            if not b.finish_step_keeps_parts:
                self._active_text = {}
                self._active_reasoning = {}
        elif kind == "reset-step" and b.reset_step:
            self._reset_step()
        elif kind == "start":
            self._start(chunk)
        elif kind == "finish":
            reason = _get(chunk, "finishReason")
            if b.finish_reason and not _nullish(reason):
                self._finish_reason = reason
            self._update_metadata(_get(chunk, "messageMetadata"))
        elif kind == "message-metadata":
            self._update_metadata(_get(chunk, "messageMetadata"))
        elif kind == "error":
            self._errors.append(_js_string(_get(chunk, "errorText")))
            if self._mode == "chat":
                self._stopped = True
        elif kind.startswith("data-"):
            self._data(chunk)
        # anything else (abort, or a type this release does not know) changes nothing

    # -- parts --------------------------------------------------------------------------------

    def _push(self, part: dict[str, Any]) -> None:
        self._message["parts"].append(part)
        self._write()

    def _text_start(self, chunk: Mapping[str, Any]) -> None:
        part: dict[str, Any] = {"type": "text", "text": ""}
        _put(part, "providerMetadata", copy.deepcopy(_get(chunk, "providerMetadata")))
        part["state"] = "streaming"
        self._active_text[_js_string(_required(chunk, "id"))] = part
        self._push(part)

    def _text_delta(self, chunk: Mapping[str, Any]) -> None:
        part = self._active_text.get(_js_string(_required(chunk, "id")))
        if part is None:
            raise _missing_part_error("text-delta", "text", chunk["id"])
        self._append_delta(part, chunk)

    def _text_end(self, chunk: Mapping[str, Any]) -> None:
        key = _js_string(_required(chunk, "id"))
        part = self._active_text.get(key)
        if part is None:
            raise _missing_part_error("text-end", "text", chunk["id"])
        part["state"] = "done"
        citations = _get(chunk, "citations")
        if self._b.citations and not _nullish(citations):
            part["citations"] = copy.deepcopy(citations)
        self._keep_provider_metadata(part, chunk)
        del self._active_text[key]
        self._write()

    def _reasoning_start(self, chunk: Mapping[str, Any]) -> None:
        part: dict[str, Any] = {"type": "reasoning"}
        if self._b.reasoning_id:
            part["id"] = _required(chunk, "id")
        part["text"] = ""
        _put(part, "providerMetadata", copy.deepcopy(_get(chunk, "providerMetadata")))
        part["state"] = "streaming"
        self._active_reasoning[_js_string(_required(chunk, "id"))] = part
        self._push(part)

    def _reasoning_delta(self, chunk: Mapping[str, Any]) -> None:
        part = self._active_reasoning.get(_js_string(_required(chunk, "id")))
        if part is None:
            raise _missing_part_error("reasoning-delta", "reasoning", chunk["id"])
        self._append_delta(part, chunk)

    def _reasoning_end(self, chunk: Mapping[str, Any]) -> None:
        key = _js_string(_required(chunk, "id"))
        part = self._active_reasoning.get(key)
        if part is None:
            raise _missing_part_error("reasoning-end", "reasoning", chunk["id"])
        self._keep_provider_metadata(part, chunk)
        part["state"] = "done"
        del self._active_reasoning[key]
        self._write()

    @staticmethod
    def _keep_provider_metadata(part: dict[str, Any], chunk: Mapping[str, Any]) -> None:
        value = _coalesce(_get(chunk, "providerMetadata"), _get(part, "providerMetadata"))
        _put(part, "providerMetadata", copy.deepcopy(value))

    def _file(self, chunk: Mapping[str, Any]) -> None:
        part: dict[str, Any] = {
            "type": chunk["type"],
            "mediaType": _required(chunk, "mediaType"),
            "url": _required(chunk, "url"),
        }
        metadata = _get(chunk, "providerMetadata")
        if self._b.file_provider_metadata and not _nullish(metadata):
            part["providerMetadata"] = copy.deepcopy(metadata)
        self._push(part)

    def _data(self, chunk: Mapping[str, Any]) -> None:
        if _truthy(_get(chunk, "transient")):
            return
        data_id = _get(chunk, "id")
        existing = None
        if not _nullish(data_id):
            existing = next(
                (
                    part
                    for part in self._message["parts"]
                    if part.get("type") == chunk["type"] and part.get("id", _U) == data_id
                ),
                None,
            )
        if existing is not None:
            _put(existing, "data", copy.deepcopy(_get(chunk, "data")))
            self._write()
        else:
            self._push(copy.deepcopy(dict(chunk)))

    # -- steps, start, metadata ---------------------------------------------------------------

    def _step_start_index(self) -> int:
        parts = self._message["parts"]
        index = len(parts) - 1
        while index >= 0 and parts[index].get("type") != "step-start":
            index -= 1
        return index + 1

    def _reset_step(self) -> None:
        start = self._step_start_index()
        self._active_text = {}
        self._active_reasoning = {}
        self._partial = {}
        if start < len(self._message["parts"]):
            del self._message["parts"][start:]
            self._write()

    def _start(self, chunk: Mapping[str, Any]) -> None:
        message_id = _get(chunk, "messageId")
        reset = (
            self._mode == "read"
            and self._b.read_reset
            and not _nullish(message_id)
            and message_id != self._message.get("id")
        )
        if reset:
            self._message = {"id": message_id, "role": "assistant", "parts": []}
            self._active_text = {}
            self._active_reasoning = {}
            self._partial = {}
            self._finish_reason = None
            self._pending_step_starts = 0
        if not _nullish(message_id):
            self._message["id"] = message_id
        metadata = _get(chunk, "messageMetadata")
        self._update_metadata(metadata, write=False)
        if reset or not _nullish(message_id) or not _nullish(metadata):
            self._write()

    def _update_metadata(self, metadata: Any, *, write: bool = True) -> None:
        if _nullish(metadata):
            return
        current = _get(self._message, "metadata")
        merged = (
            _merge_objects(
                current,
                copy.deepcopy(metadata),
                skip_proto_keys=self._b.merge_skips_proto_keys,
            )
            if not _nullish(current)
            else copy.deepcopy(metadata)
        )
        self._message["metadata"] = merged
        if write:
            self._write()

    # -- tools --------------------------------------------------------------------------------

    def _hydrate_partial_tool_calls(self) -> None:
        """Let the input-streaming tool parts of a continued message take further deltas.

        As ``createStreamingUIMessageState`` does, for the current step of the message only.
        """
        b = self._b
        for part in self._message["parts"][self._step_start_index() :]:
            if not isinstance(part, dict) or not _is_any_tool(part):
                continue
            if part.get("state") != "input-streaming":
                continue
            dynamic = _is_dynamic_tool(part)
            raw = _coalesce(_get(part, "rawInput"), "")
            partial = _PartialToolCall(
                text=raw if isinstance(raw, str) else _js_string(raw),
                tool_name=_get(part, "toolName") if dynamic else _static_tool_name(part),
                dynamic=dynamic,
            )
            if b.input_encoding:
                partial.input_encoding = _get(part, "inputEncoding")
            if b.title:
                partial.title = _get(part, "title")
            if b.tool_metadata:
                partial.tool_metadata = _get(part, "toolMetadata")
            self._partial[_js_string(_get(part, "toolCallId"))] = partial

    def _find_tool(self, tool_call_id: Any, *, dynamic_only: bool = False) -> dict[str, Any] | None:
        """``getToolInvocation`` without the error.

        ai 5 looks only at static parts (or only at dynamic ones, for chunks flagged ``dynamic``);
        ai 6/7 at both.
        """
        b = self._b
        if dynamic_only:
            matches = _is_dynamic_tool
        elif b.major == 5:
            matches = _is_static_tool
        else:
            matches = _is_any_tool
        parts: list[dict[str, Any]] = self._message["parts"]
        if not b.step_lookup:
            return next(
                (p for p in parts if matches(p) and p.get("toolCallId") == tool_call_id), None
            )
        current = parts[self._step_start_index() :]
        found = next(
            (p for p in current if matches(p) and p.get("toolCallId") == tool_call_id), None
        )
        if found is None:
            found = next(
                (p for p in reversed(parts) if matches(p) and p.get("toolCallId") == tool_call_id),
                None,
            )
        return found

    def _tool_invocation(self, tool_call_id: Any, *, dynamic_only: bool = False) -> dict[str, Any]:
        part = self._find_tool(tool_call_id, dynamic_only=dynamic_only)
        if part is None:
            text = _js_string(tool_call_id)
            raise UIMessageStreamError(
                self._b.tool_invocation_error.format(id=text),
                chunk_type="tool-invocation",
                chunk_id=text,
            )
        return part

    def _scope(self) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = self._message["parts"]
        return parts[self._step_start_index() :] if self._b.step_lookup else parts

    def _set_provider_metadata(self, part: dict[str, Any], options: Mapping[str, Any]) -> None:
        metadata = _get(options, "providerMetadata")
        if _nullish(metadata):
            return
        if self._b.result_provider_metadata:
            key = (
                "resultProviderMetadata"
                if options["state"] in _OUTPUT_STATES
                else "callProviderMetadata"
            )
            part[key] = copy.deepcopy(metadata)
        elif part.get("state") == "input-available":
            part["callProviderMetadata"] = copy.deepcopy(metadata)

    def _new_provider_metadata(self, part: dict[str, Any], options: Mapping[str, Any]) -> None:
        metadata = _get(options, "providerMetadata")
        if _nullish(metadata):
            return
        key = "callProviderMetadata"
        if self._b.result_provider_metadata and options["state"] in _OUTPUT_STATES:
            key = "resultProviderMetadata"
        part[key] = copy.deepcopy(metadata)

    @staticmethod
    def _update_common(part: dict[str, Any], options: Mapping[str, Any]) -> None:
        """The assignments ``updateToolPart`` and ``updateDynamicToolPart`` share."""
        _put(part, "input", copy.deepcopy(_get(options, "input")))
        _put(part, "output", copy.deepcopy(_get(options, "output")))
        _put(part, "errorText", _get(options, "errorText"))

    def _update_tail(
        self, part: dict[str, Any], options: Mapping[str, Any], *, provider_executed: bool
    ) -> None:
        b = self._b
        if b.input_encoding:
            encoding = _get(options, "inputEncoding")
            if not _nullish(encoding):
                part["inputEncoding"] = encoding
            else:
                part.pop("inputEncoding", None)
        if b.preliminary:
            _put(part, "preliminary", _get(options, "preliminary"))
        if b.title and _get(options, "title") is not _U:
            part["title"] = options["title"]
        if b.tool_metadata and _get(options, "toolMetadata") is not _U:
            part["toolMetadata"] = copy.deepcopy(options["toolMetadata"])
        if provider_executed:
            _put(
                part,
                "providerExecuted",
                _coalesce(_get(options, "providerExecuted"), _get(part, "providerExecuted")),
            )
        self._set_provider_metadata(part, options)

    def _find_in_step(
        self, kind: Callable[[Mapping[str, Any]], bool], tool_call_id: Any
    ) -> dict[str, Any] | None:
        """The tool part of the current step with this call id and kind, if any."""
        return next(
            (p for p in self._scope() if kind(p) and p.get("toolCallId") == tool_call_id), None
        )

    def _update_tool_part(
        self, options: Mapping[str, Any], existing: dict[str, Any] | None = None
    ) -> None:
        """``updateToolPart``: create or update the static part ``tool-<toolName>``."""
        b = self._b
        part = (
            existing
            if existing is not None
            else self._find_in_step(_is_static_tool, options["toolCallId"])
        )
        if part is not None:
            part["state"] = options["state"]
            if b.rename_tool_type:
                part["type"] = f"tool-{_js_string(options['toolName'])}"
            self._update_common(part, options)
            if b.input_error:
                _put(part, "rawInput", copy.deepcopy(_get(options, "rawInput")))
            self._update_tail(part, options, provider_executed=True)
            return
        new: dict[str, Any] = {
            "type": f"tool-{_js_string(options['toolName'])}",
            "toolCallId": options["toolCallId"],
            "state": options["state"],
        }
        self._new_common(new, options)
        if b.input_error:
            _put(new, "rawInput", copy.deepcopy(_get(options, "rawInput")))
        _put(new, "providerExecuted", _get(options, "providerExecuted"))
        self._new_provider_metadata(new, options)
        self._message["parts"].append(new)

    def _update_dynamic_tool_part(
        self, options: Mapping[str, Any], existing: dict[str, Any] | None = None
    ) -> None:
        """``updateDynamicToolPart``: create or update a ``dynamic-tool`` part."""
        b = self._b
        part = (
            existing
            if existing is not None
            else self._find_in_step(_is_dynamic_tool, options["toolCallId"])
        )
        if part is not None:
            part["state"] = options["state"]
            _put(part, "toolName", options["toolName"])
            self._update_common(part, options)
            raw_input = _get(options, "rawInput")
            if b.partial_input_hydration:
                _put(part, "rawInput", raw_input)
            elif not _nullish(raw_input):
                part["rawInput"] = raw_input
            self._update_tail(part, options, provider_executed=b.dynamic_provider_executed)
            return
        new: dict[str, Any] = {"type": "dynamic-tool"}
        _put(new, "toolName", options["toolName"])
        new["toolCallId"] = options["toolCallId"]
        new["state"] = options["state"]
        self._new_common(new, options)
        if b.dynamic_provider_executed:
            _put(new, "providerExecuted", _get(options, "providerExecuted"))
        self._new_provider_metadata(new, options)
        self._message["parts"].append(new)

    def _new_common(self, new: dict[str, Any], options: Mapping[str, Any]) -> None:
        b = self._b
        if b.title:
            _put(new, "title", _get(options, "title"))
        if b.tool_metadata and _get(options, "toolMetadata") is not _U:
            new["toolMetadata"] = copy.deepcopy(options["toolMetadata"])
        _put(new, "input", copy.deepcopy(_get(options, "input")))
        if b.input_encoding and not _nullish(_get(options, "inputEncoding")):
            new["inputEncoding"] = options["inputEncoding"]
        _put(new, "output", copy.deepcopy(_get(options, "output")))
        _put(new, "errorText", _get(options, "errorText"))
        if b.preliminary:
            _put(new, "preliminary", _get(options, "preliminary"))

    def _update_either(self, dynamic: bool, options: Mapping[str, Any]) -> None:
        if dynamic:
            self._update_dynamic_tool_part(options)
        else:
            self._update_tool_part(options)

    def _tool_input_start(self, chunk: Mapping[str, Any]) -> None:
        b = self._b
        tool_call_id = _required(chunk, "toolCallId")
        tool_name = _required(chunk, "toolName")
        partial = _PartialToolCall(text="", tool_name=tool_name, dynamic=_get(chunk, "dynamic"))
        options: dict[str, Any] = {
            "toolCallId": tool_call_id,
            "toolName": tool_name,
            "state": "input-streaming",
            "providerExecuted": _get(chunk, "providerExecuted"),
        }
        if b.input_encoding:
            partial.input_encoding = options["inputEncoding"] = _get(chunk, "inputEncoding")
        if b.title:
            partial.title = options["title"] = _get(chunk, "title")
        if b.tool_metadata:
            partial.tool_metadata = options["toolMetadata"] = _get(chunk, "toolMetadata")
        if b.input_start_provider_metadata:
            options["providerMetadata"] = _get(chunk, "providerMetadata")
        self._partial[_js_string(tool_call_id)] = partial
        self._update_either(_truthy(partial.dynamic), options)
        self._write()

    def _tool_input_delta(self, chunk: Mapping[str, Any]) -> None:
        b = self._b
        tool_call_id = _required(chunk, "toolCallId")
        partial = self._partial.get(_js_string(tool_call_id))
        if partial is None:
            raise _missing_part_error("tool-input-delta", "tool", tool_call_id)
        partial.text += _required_str(chunk, "inputTextDelta")
        if b.input_encoding and partial.input_encoding == "text":
            value: Any = partial.text
        else:
            value = _parse_partial_json(partial.text, b)
        options: dict[str, Any] = {
            "toolCallId": tool_call_id,
            "toolName": partial.tool_name,
            "state": "input-streaming",
            "input": value,
        }
        if b.input_encoding:
            options["inputEncoding"] = partial.input_encoding
        if b.partial_input_hydration:
            options["rawInput"] = partial.text
        if b.title:
            options["title"] = partial.title
        if b.tool_metadata:
            options["toolMetadata"] = partial.tool_metadata
        self._update_either(_truthy(partial.dynamic), options)
        self._write()

    def _tool_input_available(self, chunk: Mapping[str, Any]) -> None:
        b = self._b
        options: dict[str, Any] = {
            "toolCallId": _required(chunk, "toolCallId"),
            "toolName": _required(chunk, "toolName"),
            "state": "input-available",
            "input": _required(chunk, "input"),
            "providerExecuted": _get(chunk, "providerExecuted"),
            "providerMetadata": _get(chunk, "providerMetadata"),
        }
        if b.title:
            options["title"] = _get(chunk, "title")
        if b.tool_metadata:
            options["toolMetadata"] = _get(chunk, "toolMetadata")
        self._update_either(_truthy(_get(chunk, "dynamic")), options)
        self._write()

    def _tool_input_error(self, chunk: Mapping[str, Any]) -> None:
        b = self._b
        tool_call_id = _required(chunk, "toolCallId")
        dynamic = _truthy(_get(chunk, "dynamic"))
        if b.input_error_existing_type:
            existing = next(
                (
                    p
                    for p in self._scope()
                    if _is_any_tool(p) and p.get("toolCallId") == tool_call_id
                ),
                None,
            )
            if existing is not None:
                dynamic = _is_dynamic_tool(existing)
        bad_input = _required(chunk, "input")
        options: dict[str, Any] = {
            "toolCallId": tool_call_id,
            "toolName": _required(chunk, "toolName"),
            "state": "output-error",
            "errorText": _required(chunk, "errorText"),
            "providerExecuted": _get(chunk, "providerExecuted"),
            "providerMetadata": _get(chunk, "providerMetadata"),
        }
        if b.tool_metadata:
            options["toolMetadata"] = _get(chunk, "toolMetadata")
        if dynamic or b.input_error_in_input:
            options["input"] = bad_input
        else:
            options["rawInput"] = bad_input
        self._update_either(dynamic, options)
        self._write()

    def _tool_output(self, chunk: Mapping[str, Any], state: str) -> None:
        b = self._b
        tool_call_id = _required(chunk, "toolCallId")
        if b.major == 5:
            dynamic = _truthy(_get(chunk, "dynamic"))
            invocation = self._tool_invocation(tool_call_id, dynamic_only=dynamic)
        else:
            invocation = self._tool_invocation(tool_call_id)
            dynamic = _is_dynamic_tool(invocation)
        options: dict[str, Any] = {
            "toolCallId": tool_call_id,
            "toolName": _get(invocation, "toolName") if dynamic else _static_tool_name(invocation),
            "state": state,
            "input": _get(invocation, "input"),
        }
        if state == "output-available":
            options["output"] = _required(chunk, "output")
            options["preliminary"] = _get(chunk, "preliminary")
        else:
            options["errorText"] = _required(chunk, "errorText")
            if not dynamic:
                options["rawInput"] = _get(invocation, "rawInput")
        # ai 5 passes no providerExecuted for dynamic output-available, and none for any
        # tool-output-error before 5.0.86
        if not (b.major == 5 and dynamic and state == "output-available") and (
            b.dynamic_provider_executed or state == "output-available"
        ):
            options["providerExecuted"] = _get(chunk, "providerExecuted")
        if b.result_provider_metadata:
            options["providerMetadata"] = _get(chunk, "providerMetadata")
        if b.title:
            options["title"] = _get(invocation, "title")
        if b.tool_metadata:
            own = _get(invocation, "toolMetadata")
            options["toolMetadata"] = (
                _coalesce(_get(chunk, "toolMetadata"), own) if b.output_tool_metadata else own
            )
        if dynamic:
            self._update_dynamic_tool_part(options, invocation)
        else:
            self._update_tool_part(options, invocation)
        self._write()

    def _tool_approval_request(self, chunk: Mapping[str, Any]) -> None:
        b = self._b
        approval: dict[str, Any] = {"id": _required(chunk, "approvalId")}
        invocation = self._tool_invocation(_required(chunk, "toolCallId"))
        invocation["state"] = "approval-requested"
        descriptor = _get(chunk, "approvalDescriptor")
        if b.approval_descriptor and not _nullish(descriptor):
            approval["descriptor"] = copy.deepcopy(descriptor)
        if b.approval_input_schema_input and "inputSchemaInput" in chunk:
            approval["inputSchemaInput"] = copy.deepcopy(chunk["inputSchemaInput"])
        reason = _get(chunk, "reason")
        if b.approval_request_reason and not _nullish(reason):
            approval["requestReason"] = reason
        if b.v7_parts and _get(chunk, "isAutomatic") is True:
            approval["isAutomatic"] = True
        signature = _get(chunk, "signature")
        if b.approval_signature and not _nullish(signature):
            approval["signature"] = signature
        invocation["approval"] = approval
        self._write()

    def _tool_approval_response(self, chunk: Mapping[str, Any]) -> None:
        b = self._b
        approval_id = _required(chunk, "approvalId")
        invocation = next(
            (
                p
                for p in self._message["parts"]
                if _is_any_tool(p)
                and isinstance(p.get("approval"), dict)
                and p["approval"].get("id", _U) == approval_id
            ),
            None,
        )
        if invocation is None:
            text = _js_string(approval_id)
            raise UIMessageStreamError(
                f'No tool invocation found for approval ID "{text}".',
                chunk_type="tool-approval-response",
                chunk_id=text,
            )
        previous: dict[str, Any] = invocation["approval"]
        invocation["state"] = "approval-responded"
        reason = _get(chunk, "reason")
        approval: dict[str, Any]
        if b.approval_response_spread:
            approval = dict(previous)
            approval["id"] = approval_id
            _put(approval, "approved", _get(chunk, "approved"))
            if not _nullish(reason):
                approval["reason"] = reason
        else:
            approval = {"id": approval_id}
            _put(approval, "approved", _get(chunk, "approved"))
            if b.approval_request_reason and not _nullish(_get(previous, "requestReason")):
                approval["requestReason"] = previous["requestReason"]
            if not _nullish(reason):
                approval["reason"] = reason
            if previous.get("isAutomatic") is True:
                approval["isAutomatic"] = True
            if b.approval_response_signature and not _nullish(_get(previous, "signature")):
                approval["signature"] = previous["signature"]
        invocation["approval"] = approval
        provider_executed = _get(chunk, "providerExecuted")
        if not _nullish(provider_executed):
            invocation["providerExecuted"] = provider_executed
        metadata = _get(chunk, "providerMetadata")
        if not _nullish(metadata):
            invocation["callProviderMetadata"] = copy.deepcopy(metadata)
        self._write()


def read_ui_message(
    chunks: Iterable[Mapping[str, Any]],
    sdk_version: SdkVersion | ClientTarget = 6,
    *,
    message: Mapping[str, Any] | None = None,
    message_id: str = "",
) -> dict[str, Any]:
    """Apply all chunks in read mode (``readUIMessageStream``) and return the message.

    Args:
        chunks: The UI message chunks, in order.
        sdk_version: The client release; see :class:`UIMessageReducer`.
        message: The message to continue. As in ``readUIMessageStream``, its id is also the id
            of the new message when it is not an assistant message.
        message_id: The id of the new message when ``message`` is not given.

    Returns:
        The message after the last chunk.

    Raises:
        UIMessageStreamError: The client would throw on one of the chunks.
        ChunkParseError: A chunk lacks a field that processing needs.
    """
    if message is not None:
        message_id = _js_string(message.get("id", ""))
    reducer = UIMessageReducer(sdk_version, message=message, message_id=message_id)
    for chunk in chunks:
        reducer.apply(chunk)
    return reducer.message
