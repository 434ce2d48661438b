"""JavaScript value semantics and ports of the client's JSON helpers.

The reducer (:mod:`ai_stream.reducer`) replays ``processUIMessageStream``, which leans on
JavaScript's value rules (``undefined`` vs ``null``, truthiness, ``String(x)``, UTF-16 strings)
and on small helpers of the ``ai`` packages. They live here, each ported once:

* ``mergeObjects`` (``packages/ai/src/util/merge-objects.ts``): message metadata;
* ``fixJson`` and ``parsePartialJson`` (``util/fix-json.ts``, ``util/parse-partial-json.ts``):
  partial tool input;
* ``secureJsonParse`` (``@ai-sdk/provider-utils``): ``JSON.parse`` that refuses prototype keys.

Variants that differ between releases take the release's
:class:`~ai_stream.protocol._behaviours.Behaviour` flags.
"""

from __future__ import annotations

import copy
import json
import math
import re
from typing import TYPE_CHECKING, Any, Final

from ai_stream.exceptions import UIMessageStreamError
from ai_stream.protocol.versions import ClientTarget, SdkVersion

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ai_stream.protocol._behaviours import Behaviour


class _Undefined:
    """JavaScript ``undefined``: a value that makes the key disappear from the JSON message."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "undefined"

    def __copy__(self) -> _Undefined:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Undefined:
        return self


UNDEFINED: Final = _Undefined()

# ---------------------------------------------------------------------------------------------
# JavaScript value helpers
# ---------------------------------------------------------------------------------------------


def js_get(obj: Mapping[str, Any], key: str) -> Any:
    """``obj.key``: the value, or :data:`UNDEFINED` when the key is absent."""
    return obj[key] if key in obj else UNDEFINED


def nullish(value: Any) -> bool:
    """``value == null`` in JavaScript (``null`` or ``undefined``)."""
    return value is None or value is UNDEFINED


def coalesce(value: Any, fallback: Any) -> Any:
    """``value ?? fallback``."""
    return fallback if nullish(value) else value


def js_put(obj: dict[str, Any], key: str, value: Any) -> None:
    """``obj.key = value``; assigning ``undefined`` removes the key from the JSON shape."""
    if value is UNDEFINED:
        obj.pop(key, None)
    else:
        obj[key] = value


def truthy(value: Any) -> bool:
    """JavaScript truthiness of a JSON value (``[]`` and ``{}`` are truthy)."""
    if value is UNDEFINED or value is None or value is False:
        return False
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


def utf16_units(text: str) -> list[str]:
    """The string as JavaScript sees it: one item per UTF-16 code unit."""
    if text.isascii():
        return list(text)
    data = text.encode("utf-16-le", "surrogatepass")
    return [chr(unit) for unit in memoryview(data).cast("H")]


def join_utf16(units: list[str]) -> str:
    """Inverse of :func:`utf16_units` (re-pairs surrogates; lone ones stay lone)."""
    text = "".join(units)
    if text.isascii():
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def join_surrogates(text: str) -> str:
    """``text`` as JavaScript holds it: surrogate pairs split over two code points joined.

    A JavaScript string is UTF-16: two strings ending and starting with the halves of a pair
    concatenate to one character, where Python keeps two lone surrogates. Lone ones stay lone.
    """
    if text.isascii():
        return text
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return text


def js_concat(left: str, right: str) -> str:
    """``left + right`` with JavaScript's string semantics (see :func:`join_surrogates`)."""
    if right.isascii():
        return left + right
    if left and "\ud800" <= left[-1] <= "\udbff" and "\udc00" <= right[0] <= "\udfff":
        return left[:-1] + join_surrogates(left[-1] + right)
    return left + join_surrogates(right)


def js_number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits, n = _shortest_digits(abs(value))
    k = len(digits)
    # Number::toString (ECMA-262 6.1.6.1.20): value = digits × 10^(n - k)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    exponent = f"e{'+' if n > 0 else '-'}{abs(n - 1)}"
    return sign + (digits if k == 1 else digits[0] + "." + digits[1:]) + exponent


def _shortest_digits(value: float) -> tuple[str, int]:
    """The shortest digits that round-trip ``value`` (> 0) and the decimal point's position."""
    text = repr(value)  # the shortest round trip, as in JavaScript
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    n = len(whole) + (int(exponent) if exponent else 0)
    stripped = digits.lstrip("0")
    n -= len(digits) - len(stripped)
    return stripped.rstrip("0"), n


def js_string(value: Any) -> str:
    """``String(value)`` for a JSON value."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return js_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join("" if nullish(item) else js_string(item) for item in value)
    return "[object Object]"


def is_object(value: Any) -> bool:
    """A non-array object (``typeof value === "object"``, not ``null``, not an array)."""
    return isinstance(value, dict)


def own_entries(value: Any) -> list[tuple[str, Any]]:
    """The own enumerable properties of a JSON value (what ``{...value}`` and ``for in`` see)."""
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return [(str(index), item) for index, item in enumerate(value)]
    if isinstance(value, str):
        return [(str(index), unit) for index, unit in enumerate(utf16_units(value))]
    return []


# ---------------------------------------------------------------------------------------------
# mergeObjects, fixJson, parsePartialJson
# ---------------------------------------------------------------------------------------------

_PROTO_KEYS: Final = frozenset({"__proto__", "constructor", "prototype"})


def merge_metadata(base: Any, overrides: Any, *, skip_proto_keys: bool) -> Any:
    if base is UNDEFINED and overrides is UNDEFINED:
        return UNDEFINED
    if base is UNDEFINED:
        return overrides
    if overrides is UNDEFINED:
        return base
    result: dict[str, Any] = dict(own_entries(base))
    for key, value in own_entries(overrides):
        if key == "__proto__" or (skip_proto_keys and key in _PROTO_KEYS):
            # Skipped since 5.0.181 / 6.0.171; before, assigning `__proto__` set the prototype,
            # which JSON never shows.
            continue
        if value is UNDEFINED:
            continue
        if isinstance(base, dict):
            base_value = base.get(key, UNDEFINED)
        elif isinstance(base, list):
            base_value = base[int(key)] if key.isdigit() and int(key) < len(base) else UNDEFINED
        else:
            raise UIMessageStreamError(
                f"Cannot use 'in' operator to search for '{key}' in {js_string(base)}"
            )
        if is_object(value) and is_object(base_value):
            result[key] = merge_metadata(base_value, value, skip_proto_keys=skip_proto_keys)
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
    behaviour = ClientTarget.parse(sdk_version).behaviour
    return merge_metadata(
        copy.deepcopy(base),
        copy.deepcopy(overrides),
        skip_proto_keys=behaviour.merge_skips_proto_keys,
    )


_VALUE_START: Final = frozenset("0123456789")
_HEX: Final = frozenset("0123456789abcdefABCDEF")


def fix_json_text(text: str, *, unicode_escapes: bool, array_minus: bool) -> str:
    units = utf16_units(text)
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

    result = join_utf16(units[: last_valid + 1])
    for state in reversed(stack):
        if state == "INSIDE_STRING":
            result += '"'
        elif state.startswith("INSIDE_OBJECT_"):
            result += "}"
        elif state.startswith("INSIDE_ARRAY_"):
            result += "]"
        elif state == "INSIDE_LITERAL":
            partial = join_utf16(units[literal_start:])
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
    behaviour = ClientTarget.parse(sdk_version).behaviour
    return fix_json_text(
        text,
        unicode_escapes=behaviour.fix_json_unicode,
        array_minus=behaviour.fix_json_array_minus,
    )


class JSONParseFailure(Exception):
    pass


_MAX_SAFE_INTEGER: Final = 2**53


def _reject_constant(name: str) -> Any:
    raise JSONParseFailure(name)


def js_parse_int(text: str) -> int | float:
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


def secure_json_parse(text: str, *, v2: bool) -> Any:
    """``secureJsonParse`` of ``@ai-sdk/provider-utils``: ``JSON.parse`` minus prototype keys."""
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_int=js_parse_int)
    except (ValueError, RecursionError) as exc:
        raise JSONParseFailure(str(exc)) from exc
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
                raise JSONParseFailure("Object contains forbidden prototype property")
            if "constructor" in node:
                constructor = node["constructor"]
                if constructor is None and not v2:
                    # hasOwnProperty.call(null, ...) throws a TypeError
                    raise JSONParseFailure("Cannot convert undefined or null to object")
                if isinstance(constructor, dict) and "prototype" in constructor:
                    raise JSONParseFailure("Object contains forbidden prototype property")
            nodes.extend(item for item in node.values() if isinstance(item, dict | list))
        else:
            nodes.extend(item for item in node if isinstance(item, dict | list))
    return value


def parse_partial_input(text: str, behaviour: Behaviour) -> Any:
    try:
        return secure_json_parse(text, v2=behaviour.secure_json_v2)
    except JSONParseFailure:
        pass
    repaired = fix_json_text(
        text,
        unicode_escapes=behaviour.fix_json_unicode,
        array_minus=behaviour.fix_json_array_minus,
    )
    try:
        return secure_json_parse(repaired, v2=behaviour.secure_json_v2)
    except JSONParseFailure:
        return UNDEFINED


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
    value = parse_partial_input(text, ClientTarget.parse(sdk_version).behaviour)
    return (False, None) if value is UNDEFINED else (True, value)
