r"""The client's ``parsePartialJson``, ported exactly (pure, no I/O).

``experimental_useObject`` (and ``streamObject``) show, after each piece of streamed JSON text,
what ``parsePartialJson`` of the ``ai`` package makes of the text received so far: the text is
parsed as is (``safeParseJSON``), else once more after ``fixJson`` closed it, else nothing. This
module answers the same question on the server, for any release of the ``ai`` client 5, 6 or 7.

The three pieces, and where they live in the JavaScript packages:

* ``fixJson`` (``packages/ai/src/util/fix-json.ts``): a single pass over the UTF-16 code units
  that remembers the last "valid" position and the stack of open constructs, then cuts the text
  there and closes what is open (completing a partial ``true``/``false``/``null``); an astral
  character is two units to it (``[true😀`` keeps the second one and fails, ``[true`` repairs);
* ``safeParseJSON`` (``@ai-sdk/provider-utils``, ``parse-json.ts``): ``secureJsonParse`` without a
  schema; any exception (syntax or prototype key) makes the attempt fail;
* ``secureJsonParse`` (``@ai-sdk/provider-utils``, ``secure-json-parse.ts``, adapted from the npm
  ``secure-json-parse`` with its defaults ``protoAction: "error"`` and ``constructorAction:
  "error"``): ``JSON.parse``, then, when a regular expression finds a suspect key in the *text*, a
  walk over the value that throws on an own ``__proto__`` key or on a ``constructor`` key whose
  value has an own ``prototype``. A refused text therefore fails the attempt: the original text
  falls through to ``fixJson``, whose result holds the same key and fails too (``failed-parse``),
  unless the key lies in the part that ``fixJson`` cuts off.

The releases differ in three changes, flags of the release's behaviour
(:mod:`ai_stream.protocol._behaviours`, the one place that knows which releases have them):

* ``fix_json_unicode``: a partial ``\uXXXX`` escape in an open string is cut off whole
  (before, ``"\u00`` was kept and closed as ``"\u00"``, which does not parse);
* ``fix_json_array_minus``: the character after ``[`` counts as valid only when it starts a value
  (before, ``[-``, ``[x`` and the like were kept, so their repair failed; now they give ``[]``);
* ``secure_json_v2``: the suspect-key expressions also match ``\u``-escaped spellings of
  ``__proto__`` and ``constructor`` (before, ``{"\u005f_proto__":1}`` passed), and
  ``{"constructor": null}`` is accepted (before, ``hasOwnProperty.call(null, …)`` threw a
  ``TypeError``, so the text failed).

Values follow ``JSON.parse``:

* objects are :class:`dict` (a duplicate key keeps its first position and its last value; keys
  that are array indices, ``"0"`` to ``"4294967294"`` without leading zeros, come first in
  ascending order, as JavaScript orders them), arrays are :class:`list`;
* strings are :class:`str` holding the same UTF-16 code units (surrogate pairs joined, lone
  surrogates from ``\ud800``-style escapes kept lone);
* a number written as an integer (no fraction, no exponent) is an :class:`int` when
  ``JSON.parse`` yields exactly that integer, else the :class:`float` it yields
  (``9007199254740993`` → ``9007199254740992.0``, ``-0`` → ``-0.0``, 400 digits →
  ``inf``); a number with a fraction or an exponent is always a :class:`float` (``1.0`` →
  ``1.0``, ``1e400`` → ``inf``, ``-1e400`` → ``-inf``);
* JavaScript ``undefined`` (the value of ``undefined-input`` and ``failed-parse``) is
  :data:`UNDEFINED`.

Everything runs in time linear in the length of the text (plus sorting index keys, if any).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

from ai_stream.protocol._js import UNDEFINED, Undefined, join_surrogates
from ai_stream.protocol.versions import ClientTarget, SdkVersion

if TYPE_CHECKING:
    from collections.abc import Callable

    from ai_stream.protocol._behaviours import Behaviour

__all__ = (
    "UNDEFINED",
    "JsonValue",
    "PartialJson",
    "PartialJsonState",
    "Undefined",
    "fix_json",
    "parse_partial_json",
    "parse_with",
)

# ---------------------------------------------------------------------------------------------
# Public types
# ---------------------------------------------------------------------------------------------

JsonValue: TypeAlias = "dict[str, JsonValue] | list[JsonValue] | str | int | float | bool | None"
"""A value ``JSON.parse`` can return, in Python (see the module docstring for the mapping)."""

PartialJsonState: TypeAlias = Literal[
    "undefined-input", "successful-parse", "repaired-parse", "failed-parse"
]
"""The ``state`` of ``parsePartialJson``'s result."""


@dataclass(frozen=True, slots=True)
class PartialJson:
    """What ``parsePartialJson`` returns.

    Attributes:
        value: The parsed value, or :data:`UNDEFINED` when ``state`` is ``"undefined-input"`` or
            ``"failed-parse"``.
        state: ``"successful-parse"`` when the text itself is JSON, ``"repaired-parse"`` when
            only ``fixJson``'s repair of it is, ``"failed-parse"`` when neither is,
            ``"undefined-input"`` when there was no text (``None``).
    """

    value: JsonValue | Literal[Undefined.UNDEFINED]
    state: PartialJsonState


# ---------------------------------------------------------------------------------------------
# fixJson
# ---------------------------------------------------------------------------------------------

# The states of fix-json.ts (FINISH: the root value is complete; nothing changes after it).
(
    _ROOT,
    _FINISH,
    _OBJECT_START,
    _OBJECT_AFTER_COMMA,
    _OBJECT_KEY,
    _OBJECT_AFTER_KEY,
    _OBJECT_BEFORE_VALUE,
    _OBJECT_AFTER_VALUE,
    _STRING,
    _STRING_ESCAPE,
    _STRING_UNICODE_ESCAPE,
    _ARRAY_START,
    _ARRAY_AFTER_VALUE,
    _ARRAY_AFTER_COMMA,
    _NUMBER,
    _LITERAL,
) = range(16)

_CLOSERS: Final = {
    _STRING: '"',
    _OBJECT_KEY: "}",
    _OBJECT_AFTER_KEY: "}",
    _OBJECT_AFTER_COMMA: "}",
    _OBJECT_START: "}",
    _OBJECT_BEFORE_VALUE: "}",
    _OBJECT_AFTER_VALUE: "}",
    _ARRAY_START: "]",
    _ARRAY_AFTER_COMMA: "]",
    _ARRAY_AFTER_VALUE: "]",
}
_DIGITS: Final = frozenset("0123456789")
_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")
_LITERALS: Final = ("true", "false", "null")
_STRING_RUN: Final = re.compile(r'[^"\\]+')
_ASTRAL: Final = re.compile("[\U00010000-\U0010ffff]")


def _encodable(text: str) -> bool:
    """Whether ``text`` holds no surrogate code point (UTF-8 carries it; faster than a search)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _utf16_units(text: str) -> str:
    """``text`` with every astral character split into its two surrogates (JS code units)."""
    if text.isascii() or _ASTRAL.search(text) is None:
        return text
    data = text.encode("utf-16-le", "surrogatepass")
    return "".join(map(chr, memoryview(data).cast("H")))


def _fix_json(text: str, behaviour: Behaviour) -> str:
    units = _utf16_units(text)
    size = len(units)
    stack = [_ROOT]
    last_valid = -1
    literal_start = 0
    unicode_digits = 0

    def value_start(char: str, i: int, swap: int) -> None:
        # processValueStart
        nonlocal last_valid, literal_start
        if char == '"':
            last_valid = i
            stack[-1] = swap
            stack.append(_STRING)
        elif char in "ftn":
            last_valid = i
            literal_start = i
            stack[-1] = swap
            stack.append(_LITERAL)
        elif char == "-":
            stack[-1] = swap
            stack.append(_NUMBER)
        elif char in _DIGITS:
            last_valid = i
            stack[-1] = swap
            stack.append(_NUMBER)
        elif char == "{":
            last_valid = i
            stack[-1] = swap
            stack.append(_OBJECT_START)
        elif char == "[":
            last_valid = i
            stack[-1] = swap
            stack.append(_ARRAY_START)

    def after_object_value(char: str, i: int) -> None:
        # processAfterObjectValue
        nonlocal last_valid
        if char == ",":
            stack[-1] = _OBJECT_AFTER_COMMA
        elif char == "}":
            last_valid = i
            stack.pop()

    def after_array_value(char: str, i: int) -> None:
        # processAfterArrayValue
        nonlocal last_valid
        if char == ",":
            stack[-1] = _ARRAY_AFTER_COMMA
        elif char == "]":
            last_valid = i
            stack.pop()

    i = 0
    while i < size:
        char = units[i]
        state = stack[-1]
        if state == _STRING:
            if char == '"':
                stack.pop()
                last_valid = i
            elif char == "\\":
                stack.append(_STRING_ESCAPE)
            else:
                # every other unit is valid: skip the whole run at once
                run = _STRING_RUN.match(units, i)
                assert run is not None
                i = run.end()
                last_valid = i - 1
                continue
        elif state == _OBJECT_KEY:
            if char != '"':
                # nothing happens inside a key until a quote (backslashes included)
                i = units.find('"', i)
                if i < 0:
                    break
                continue
            stack[-1] = _OBJECT_AFTER_KEY
        elif state == _FINISH:
            break
        elif state == _ROOT:
            value_start(char, i, _FINISH)
        elif state == _OBJECT_START:
            if char == '"':
                stack[-1] = _OBJECT_KEY
            elif char == "}":
                last_valid = i
                stack.pop()
        elif state == _OBJECT_AFTER_COMMA:
            if char == '"':
                stack[-1] = _OBJECT_KEY
        elif state == _OBJECT_AFTER_KEY:
            if char == ":":
                stack[-1] = _OBJECT_BEFORE_VALUE
        elif state == _OBJECT_BEFORE_VALUE:
            value_start(char, i, _OBJECT_AFTER_VALUE)
        elif state == _OBJECT_AFTER_VALUE:
            after_object_value(char, i)
        elif state == _ARRAY_START:
            if char == "]":
                last_valid = i
                stack.pop()
            else:
                if not behaviour.fix_json_array_minus:
                    last_valid = i
                value_start(char, i, _ARRAY_AFTER_VALUE)
        elif state == _ARRAY_AFTER_VALUE:
            if char == ",":
                stack[-1] = _ARRAY_AFTER_COMMA
            elif char == "]":
                last_valid = i
                stack.pop()
            else:
                last_valid = i
        elif state == _ARRAY_AFTER_COMMA:
            value_start(char, i, _ARRAY_AFTER_VALUE)
        elif state == _STRING_ESCAPE:
            stack.pop()
            if behaviour.fix_json_unicode and char == "u":
                unicode_digits = 0
                stack.append(_STRING_UNICODE_ESCAPE)
            else:
                last_valid = i
        elif state == _STRING_UNICODE_ESCAPE:
            if char in _HEX_DIGITS:
                unicode_digits += 1
                if unicode_digits == 4:
                    stack.pop()
                    last_valid = i
        elif state == _NUMBER:
            if char in _DIGITS:
                last_valid = i
            elif char in "eE-.":
                pass
            elif char == ",":
                stack.pop()
                if stack[-1] == _ARRAY_AFTER_VALUE:
                    after_array_value(char, i)
                if stack[-1] == _OBJECT_AFTER_VALUE:
                    after_object_value(char, i)
            elif char == "}":
                stack.pop()
                if stack[-1] == _OBJECT_AFTER_VALUE:
                    after_object_value(char, i)
            elif char == "]":
                stack.pop()
                if stack[-1] == _ARRAY_AFTER_VALUE:
                    after_array_value(char, i)
            else:
                stack.pop()
        else:  # _LITERAL: at most "false" plus this unit, so the slice is short
            partial = units[literal_start : i + 1]
            if not any(literal.startswith(partial) for literal in _LITERALS):
                stack.pop()
                if stack[-1] == _OBJECT_AFTER_VALUE:
                    after_object_value(char, i)
                elif stack[-1] == _ARRAY_AFTER_VALUE:
                    after_array_value(char, i)
            else:
                last_valid = i
        i += 1

    tail: list[str] = []
    for state in reversed(stack):
        if state == _LITERAL:
            # still a prefix of one of them, or the state would have been left
            partial = units[literal_start:]
            literal = next(word for word in _LITERALS if word.startswith(partial))
            tail.append(literal[len(partial) :])
        else:
            tail.append(_CLOSERS.get(state, ""))
    head = units[: last_valid + 1]
    return (join_surrogates(head) if units is not text else head) + "".join(tail)


def fix_json(text: str, sdk_version: SdkVersion | ClientTarget = 7) -> str:
    r"""Close a truncated JSON text the way the client's ``fixJson`` does.

    The text is cut after the last character that ``fixJson`` counts as valid (a dangling key,
    colon, comma, ``-`` or partial ``\u`` escape goes), then open strings, arrays and objects are
    closed and a partial ``true``/``false``/``null`` is completed. The result is meant to be
    parsed; it is not always JSON (``fixJson`` does not validate what it keeps).

    Args:
        text: The JSON text received so far.
        sdk_version: The ``ai`` client whose ``fixJson`` to follow: a major (4 to 7) or an
            exact release such as ``"7.0.185"`` (see :class:`ClientTarget`).

    Returns:
        The repaired text (surrogate pairs joined when the text holds astral characters).

    Raises:
        ValueError: ``sdk_version`` names no supported major or no valid release.
    """
    return _fix_json(text, ClientTarget.parse(sdk_version).behaviour)


# ---------------------------------------------------------------------------------------------
# JSON.parse and secureJsonParse
# ---------------------------------------------------------------------------------------------


class _Refused(ValueError):
    """The text is not JSON to ``JSON.parse``, or ``secureJsonParse`` refuses its value."""


_MAX_SAFE_DIGITS: Final = 15  # every integer of up to 15 digits is a double exactly
_MAX_DOUBLE_DIGITS: Final = 309  # no finite double has more integer digits
_MAX_ARRAY_INDEX: Final = 2**32 - 2


def _js_integer(literal: str) -> int | float:
    """An integer literal as ``JSON.parse`` reads it (see the module docstring)."""
    digits = len(literal) - (literal[0] == "-")
    if digits <= _MAX_SAFE_DIGITS:
        return -0.0 if literal == "-0" else int(literal)
    as_double = float(literal)  # correctly rounded, as in JavaScript (inf past the range)
    if digits > _MAX_DOUBLE_DIGITS or as_double in (float("inf"), float("-inf")):
        return as_double
    exact = int(literal)
    return exact if int(as_double) == exact else as_double


def _refuse_constant(name: str) -> Any:
    # NaN, Infinity and -Infinity are Python's extensions, not JSON
    raise _Refused(f"{name} is not JSON")


def _is_array_index(key: str) -> bool:
    return (
        0 < len(key) <= 10
        and key.isascii()
        and key.isdigit()
        and (key[0] != "0" or key == "0")
        and int(key) <= _MAX_ARRAY_INDEX
    )


def _js_key_order(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with its array-index keys first, ascending, as a JavaScript object has them."""
    indices = [key for key in obj if _is_array_index(key)]
    if not indices:
        return obj
    indices.sort(key=int)
    keys = list(obj)
    if keys[: len(indices)] == indices:
        return obj
    ordered = {key: obj[key] for key in indices}
    ordered.update((key, value) for key, value in obj.items() if key not in ordered)
    return ordered


_DECODER: Final = json.JSONDecoder(parse_int=_js_integer, parse_constant=_refuse_constant)
_ORDERING_DECODER: Final = json.JSONDecoder(
    parse_int=_js_integer, parse_constant=_refuse_constant, object_hook=_js_key_order
)
# a key that may be an array index starts with a digit, written as is or escaped
_MAYBE_INDEX_KEY: Final = re.compile(r'"(?:[0-9]|\\u003[0-9])(?:[^"\\]|\\.)*"[ \t\n\r]*:')
# (a string followed by ":", i.e. a key; a value such as "09:30" does not need the ordering)
_WHITESPACE_RX: Final = re.compile(r"[ \t\n\r]*")
# json.decoder's string scanner (C): exactly JSON.parse's strings, escaped surrogate pairs joined
_scanstring: Final[Callable[[str, int, bool], tuple[str, int]]] = json.decoder.scanstring  # type: ignore[attr-defined]
_NUMBER_RX: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def _json_parse(text: str) -> Any:
    """``JSON.parse(text)``; raises :class:`_Refused` where it throws."""
    if not text.isascii() and not _encodable(text):
        # raw surrogates: only the iterative parser joins them as JavaScript strings do
        return _json_parse_iterative(text)
    decoder = _ORDERING_DECODER if _MAYBE_INDEX_KEY.search(text) else _DECODER
    try:
        return decoder.decode(text)
    except RecursionError:  # deeper than Python's stack; JSON.parse has no such limit
        return _json_parse_iterative(text)
    except ValueError as exc:
        raise _Refused(str(exc)) from exc


def _json_parse_iterative(text: str) -> Any:
    """``JSON.parse(text)`` without recursion (any depth), joining surrogate pairs in strings."""

    def skip(pos: int) -> int:
        end = _WHITESPACE_RX.match(text, pos)
        assert end is not None
        return end.end()

    def string(pos: int) -> tuple[str, int]:
        if text.startswith('"', pos):
            try:
                value, end = _scanstring(text, pos + 1, True)
            except ValueError as exc:
                raise _Refused(str(exc)) from exc
            return join_surrogates(value), end
        raise _Refused(f"expected a string at {pos}")

    def member_key(pos: int) -> tuple[str, int]:
        key, pos = string(pos)
        pos = skip(pos)
        if not text.startswith(":", pos):
            raise _Refused(f"expected ':' at {pos}")
        return key, skip(pos + 1)

    # Open containers, innermost last: (dict, pending key) or (list, None).
    stack: list[tuple[dict[str, Any] | list[Any], str | None]] = []
    pos = skip(0)
    while True:
        # a value starts at pos
        char = text[pos : pos + 1]
        value: Any
        if char == "{":
            pos = skip(pos + 1)
            if text.startswith("}", pos):
                value, pos = {}, pos + 1
            else:
                key, pos = member_key(pos)
                stack.append(({}, key))
                continue
        elif char == "[":
            pos = skip(pos + 1)
            if text.startswith("]", pos):
                value, pos = [], pos + 1
            else:
                stack.append(([], None))
                continue
        elif char == '"':
            value, pos = string(pos)
        elif (number := _NUMBER_RX.match(text, pos)) is not None:
            literal = number.group()
            is_integer = number.group(1) is None and number.group(2) is None
            value, pos = (_js_integer(literal) if is_integer else float(literal)), number.end()
        elif text.startswith("true", pos):
            value, pos = True, pos + 4
        elif text.startswith("false", pos):
            value, pos = False, pos + 5
        elif text.startswith("null", pos):
            value, pos = None, pos + 4
        else:
            raise _Refused(f"expected a value at {pos}")
        # the value is complete: put it in its container, closing the containers it completes
        while True:
            pos = skip(pos)
            if not stack:
                if pos != len(text):
                    raise _Refused(f"unexpected text at {pos}")
                return value
            container, pending = stack[-1]
            if isinstance(container, list):
                container.append(value)
                closer = "]"
            else:
                assert pending is not None
                container[pending] = value
                closer = "}"
            if text.startswith(",", pos):
                pos = skip(pos + 1)
                if isinstance(container, dict):
                    key, pos = member_key(pos)
                    stack[-1] = (container, key)
                break
            if not text.startswith(closer, pos):
                raise _Refused(f"expected ',' or {closer!r} at {pos}")
            pos += 1
            stack.pop()
            value = _js_key_order(container) if isinstance(container, dict) else container


# The suspect-key expressions of secure-json-parse.ts (JavaScript's \s spelled out).
_JS_SPACE: Final = r"[\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
_PROTO_V1: Final = re.compile(r'"__proto__"' + _JS_SPACE + "*:")
_CONSTRUCTOR_V1: Final = re.compile(r'"constructor"' + _JS_SPACE + "*:")
_PROTO_V2: Final = re.compile(
    r'"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)'
    r'(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"' + _JS_SPACE + "*:"
)
_CONSTRUCTOR_V2: Final = re.compile(
    r'"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)'
    r'(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"' + _JS_SPACE + "*:"
)


def _secure_json_parse(text: str, secure_v2: bool) -> Any:
    """``secureJsonParse(text)``; raises :class:`_Refused` where it throws."""
    value = _json_parse(text)
    if not isinstance(value, dict | list):
        return value
    if "\\u" not in text and '"__proto__"' not in text and '"constructor"' not in text:
        return value  # (the suspect keys are not spelled, plainly or escaped: no search)
    proto, constructor = (_PROTO_V2, _CONSTRUCTOR_V2) if secure_v2 else (_PROTO_V1, _CONSTRUCTOR_V1)
    if proto.search(text) is None and constructor.search(text) is None:
        return value
    nodes: list[Any] = [value]
    while nodes:
        node = nodes.pop()
        if isinstance(node, dict):
            if "__proto__" in node:
                raise _Refused("Object contains forbidden prototype property")
            if "constructor" in node:
                ctor = node["constructor"]
                if ctor is None and not secure_v2:
                    raise _Refused("Cannot convert undefined or null to object")
                if isinstance(ctor, dict) and "prototype" in ctor:
                    raise _Refused("Object contains forbidden prototype property")
            nodes.extend(child for child in node.values() if isinstance(child, dict | list))
        else:
            nodes.extend(child for child in node if isinstance(child, dict | list))
    return value


# ---------------------------------------------------------------------------------------------
# parsePartialJson
# ---------------------------------------------------------------------------------------------


def parse_partial_json(text: str | None, sdk_version: SdkVersion | ClientTarget = 7) -> PartialJson:
    """What the client's ``parsePartialJson`` makes of ``text``.

    Args:
        text: The JSON text received so far, or ``None`` for JavaScript ``undefined``.
        sdk_version: The ``ai`` client to follow: a major (4 to 7) or an exact release such as
            ``"7.0.185"`` (see :class:`ClientTarget`).

    Returns:
        The value and state the client gets (see :class:`PartialJson`).

    Raises:
        ValueError: ``sdk_version`` names no supported major or no valid release.
    """
    return parse_with(text, ClientTarget.parse(sdk_version).behaviour)


def parse_with(text: str | None, behaviour: Behaviour) -> PartialJson:
    """:func:`parse_partial_json` for a release's behaviour flags (the reducer's hot path)."""
    if text is None:
        return PartialJson(UNDEFINED, "undefined-input")
    secure_v2 = behaviour.secure_json_v2
    try:
        return PartialJson(_secure_json_parse(text, secure_v2), "successful-parse")
    except _Refused:
        pass
    try:
        repaired = _secure_json_parse(_fix_json(text, behaviour), secure_v2)
    except _Refused:
        return PartialJson(UNDEFINED, "failed-parse")
    return PartialJson(repaired, "repaired-parse")
