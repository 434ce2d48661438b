"""JavaScript value semantics and ports of the client's JSON helpers.

The reducer (:mod:`ai_stream.reducer`) replays ``processUIMessageStream``, which leans on
JavaScript's value rules (``undefined`` vs ``null``, truthiness, ``String(x)``, UTF-16 strings)
and on small helpers of the ``ai`` packages. They live here, each ported once:

* ``mergeObjects`` (``packages/ai/src/util/merge-objects.ts``): message metadata;
* (``fixJson``, ``secureJsonParse`` and ``parsePartialJson`` are in
  :mod:`ai_stream.protocol.partial_json`).

Variants that differ between releases take the release's
:class:`~ai_stream.protocol._behaviours.Behaviour` flags.
"""

from __future__ import annotations

import copy
import enum
import math
from typing import TYPE_CHECKING, Any, Final

from ai_stream.exceptions import UIMessageStreamError
from ai_stream.protocol.versions import ClientTarget, SdkVersion

if TYPE_CHECKING:
    from collections.abc import Mapping


class Undefined(enum.Enum):
    """The type of :data:`UNDEFINED` (a one-member enum, so that ``is UNDEFINED`` narrows)."""

    UNDEFINED = "undefined"

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Final = Undefined.UNDEFINED
"""JavaScript ``undefined``: a value that makes the key disappear from the JSON message."""

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
# mergeObjects
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
