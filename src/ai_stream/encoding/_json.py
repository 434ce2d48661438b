r"""JSON as the client reads it: encoding, and the wire form of every value a writer is given.

Two jobs, both pure:

* :func:`encode_json` / :func:`encode_json_string` write compact JSON the way ``JSON.stringify``
  does (raw UTF-8, lone surrogates as ``\udxxx`` escapes, non-finite numbers as ``null``).
* :func:`wire_value` turns a value a writer was given into exactly what the client will hold
  after ``JSON.parse``, or refuses it with a clear error. Writers call it *before* they change any
  state, so a refused value leaves the stream untouched, and the record (which keeps the
  normalised value) equals what the browser shows: dict keys become strings, tuples lists,
  pydantic models and dataclasses their JSON, ``NaN``/``±inf`` ``null``, integers beyond
  ``±2**53`` the double ``JSON.parse`` makes of them, and surrogate pairs split over two code
  points one character.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

from pydantic_core import PydanticSerializationError, to_json, to_jsonable_python

from ai_stream.exceptions import EventTooLargeError
from ai_stream.protocol._js import join_surrogates

__all__ = (
    "check_prototype_keys",
    "check_str_size",
    "encode_json",
    "encode_json_string",
    "wire_str",
    "wire_value",
)

_LONE_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_MAX_SAFE: Final = 2**53
_TOO_DEEP: Final = "A value is nested more than 254 levels deep; flatten it."
_UNENCODABLE: Final = (
    "A value cannot be encoded as JSON; pass JSON-compatible data (dict, list, str, int, float, "
    "bool, None), pydantic models or dataclasses."
)
_SURROGATE_IN_OBJECT: Final = (
    "A model or dataclass holds a string with a lone surrogate, which pydantic cannot serialize; "
    "pass it as a dict, or fix the text."
)


def _escape_surrogates(text: str) -> bytes:
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", text).encode()


def encode_json_string(text: str) -> bytes:
    r"""Encode ``text`` as a JSON string literal the way ``JSON.stringify`` does.

    ``"``, ``\`` and control characters are escaped; everything else is raw UTF-8. Lone
    surrogates (which UTF-8 cannot carry) are written as ``\udxxx`` escapes, as in JavaScript.
    """
    literal = json.encoder.encode_basestring(text)
    try:
        return literal.encode()
    except UnicodeEncodeError:
        return _escape_surrogates(literal)


def encode_json(value: Any) -> bytes:
    """Encode ``value`` as compact JSON bytes, like ``JSON.stringify``.

    Pydantic models, dataclasses, datetimes, UUIDs and enums are converted the way pydantic does;
    non-finite floats become ``null``.

    Raises:
        TypeError: ``value`` holds an object that has no JSON form.
        ValueError: ``value`` is nested more than 254 levels deep.
    """
    try:
        return to_json(value, inf_nan_mode="null")
    except PydanticSerializationError as exc:
        if "depth exceeded" in str(exc):
            raise ValueError(_TOO_DEEP) from None
        if "surrogates not allowed" not in str(exc):
            raise TypeError(_UNENCODABLE) from exc
    # A str holds a lone surrogate, which pydantic-core cannot carry: convert to plain JSON types
    # here, then escape it by hand.
    text = json.dumps(_plain(value, 0), ensure_ascii=False, separators=(",", ":"))
    return _escape_surrogates(text)


def _plain(value: Any, depth: int) -> Any:
    """``value`` as plain JSON types, as :func:`encode_json` writes it, lone surrogates kept."""
    if depth > 254:
        raise ValueError(_TOO_DEEP)
    cls = value.__class__
    if cls is str or cls is int or cls is bool or value is None:
        return value
    if cls is float:
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {_key(key): _plain(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item, depth + 1) for item in value]
    try:
        plain = to_jsonable_python(value, inf_nan_mode="null")
    except UnicodeEncodeError:
        raise ValueError(_SURROGATE_IN_OBJECT) from None
    except PydanticSerializationError as exc:
        raise TypeError(_UNENCODABLE) from exc
    return _plain(plain, depth + 1)


def _key(key: Any) -> str:
    if key.__class__ is str:
        return key
    try:
        written: str = next(iter(to_jsonable_python({key: None})))  # the key pydantic writes
        return written
    except (UnicodeEncodeError, PydanticSerializationError) as exc:
        raise TypeError(_UNENCODABLE) from exc


wire_str: Final = join_surrogates
"""``text`` as the client holds it: a surrogate pair split over two code points joined."""


def _js_int(text: str) -> int | float | None:
    value = int(text)
    if -_MAX_SAFE <= value <= _MAX_SAFE:
        return value
    try:
        return int(float(value))  # the double JSON.parse makes of it
    except OverflowError:
        return None  # Infinity, which JSON.stringify writes as null


def check_prototype_keys(data: bytes) -> None:
    """Refuse JSON that the client's ``secureJsonParse`` rejects (it would fail the stream).

    ``__proto__`` keys, and ``constructor`` keys holding ``null`` (older releases throw) or an
    object with a ``prototype`` key, are refused wherever they are nested.

    Raises:
        ValueError: ``data`` holds such a key.
    """
    if b'"__proto__":' in data:
        raise ValueError(
            "A value holds the key '__proto__': the client's JSON parser rejects it and fails "
            "the whole stream. Rename the key."
        )
    if b'"constructor":' in data and _has_bad_constructor(json.loads(data)):
        raise ValueError(
            "A value holds a 'constructor' key whose value is null or has a 'prototype' key: the "
            "client's JSON parser rejects it and fails the whole stream. Rename the key."
        )


def _has_bad_constructor(value: Any) -> bool:
    nodes = [value]
    while nodes:
        node = nodes.pop()
        if isinstance(node, dict):
            if "constructor" in node:
                ctor = node["constructor"]
                if ctor is None or (isinstance(ctor, dict) and "prototype" in ctor):
                    return True
            nodes.extend(node.values())
        elif isinstance(node, list):
            nodes.extend(node)
    return False


def wire_value(value: Any, max_size: int | None = None) -> Any:
    """Return ``value`` as the client holds it after ``JSON.parse`` (a new plain JSON value).

    Args:
        value: Data, a tool input or output, metadata: anything :func:`encode_json` takes.
        max_size: Refuse a value whose JSON is larger than this many bytes.

    Raises:
        TypeError: ``value`` has no JSON form.
        ValueError: ``value`` holds a key the client's JSON parser rejects (``__proto__``), or is
            nested more than 254 levels deep.
        EventTooLargeError: Its JSON is larger than ``max_size``.
    """
    if value is None or value is True or value is False:
        return value
    cls = value.__class__
    if cls is str:
        text = wire_str(value)
        if max_size is not None:
            check_str_size(text, max_size)
        return text
    if cls is int:
        return value if -_MAX_SAFE <= value <= _MAX_SAFE else _js_int(str(value))
    if cls is float:
        return value if math.isfinite(value) else None
    data = encode_json(value)
    if max_size is not None and len(data) > max_size:
        raise EventTooLargeError(len(data), max_size)
    check_prototype_keys(data)
    return json.loads(data, parse_int=_js_int)


def check_str_size(text: str, max_size: int) -> None:
    """Refuse a string whose JSON is larger than ``max_size`` bytes.

    It is measured only when its characters' worst escapes (six bytes each) could reach that.

    Raises:
        EventTooLargeError: It is.
    """
    if len(text) * 6 + 2 > max_size and (size := len(encode_json_string(text))) > max_size:
        raise EventTooLargeError(size, max_size)
