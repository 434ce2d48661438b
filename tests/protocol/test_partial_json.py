"""``ai_stream.protocol.partial_json`` against the real ``parsePartialJson`` of the ai releases.

The examples hold what the client does (each one is also run through every installed release in
one node call, ``tests/conformance/node/partial_json.mjs``). The property test draws JSON values,
writes them with random whitespace, escapes and number spellings (plus garbage and mutated
texts), and compares every prefix of every text with the client, once per distinct behaviour.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import subprocess
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from ai_stream.protocol.partial_json import (
    UNDEFINED,
    PartialJson,
    fix_json,
    parse_partial_json,
)
from ai_stream.protocol.partial_json import (
    _json_parse as json_parse,
)
from ai_stream.protocol.partial_json import (
    _json_parse_iterative as json_parse_iterative,
)
from ai_stream.protocol.partial_json import (
    _Refused as Refused,
)
from ai_stream.protocol.versions import ClientTarget


def variant(release: str) -> tuple[bool, bool, bool]:
    """The release's parsePartialJson flags (``_behaviours``: the one place that knows them)."""
    b = ClientTarget.parse(release).behaviour
    return (b.fix_json_unicode, b.fix_json_array_minus, b.secure_json_v2)


NODE_DIR = Path(__file__).parents[1] / "conformance" / "node"

# One release per behaviour (fixJson original / \u-aware / strict after "[";
# secureJsonParse v1 / v2). 6.0.0 behaves as 5.0.0, and 7.0.0 as 6.0.333.
A1, A2, B2, C2 = "5.0.0", "5.0.277", "6.0.333", "7.0.185"
REPRESENTATIVES = (A1, A2, B2, C2)

F = ("failed-parse", UNDEFINED)


def S(value: Any) -> tuple[str, Any]:
    return ("successful-parse", value)


def R(value: Any) -> tuple[str, Any]:
    return ("repaired-parse", value)


def per_release(
    a1: tuple[str, Any], a2: tuple[str, Any], b2: tuple[str, Any], c2: tuple[str, Any]
) -> dict[str, tuple[str, Any]]:
    return dict(zip(REPRESENTATIVES, (a1, a2, b2, c2), strict=True))


EXAMPLES: list[tuple[str | None, tuple[str, Any] | dict[str, tuple[str, Any]]]] = [
    # text, then (state, value) for every release, or per representative release
    (None, ("undefined-input", UNDEFINED)),
    ("", F),
    ("  \n", F),
    ("{", R({})),
    ('{"a', R({})),
    ('{"a" :', R({})),
    ('{"a":1', R({"a": 1})),
    ('{"a":1,', R({"a": 1})),
    ('{"a":1,"b', R({"a": 1})),
    ('{"a":-', R({})),
    ('{"a":1 x', R({"a": 1})),
    ('{"a":[1,2', R({"a": [1, 2]})),
    ('{"a":{"b":tr', R({"a": {"b": True}})),
    ('{"a":nx', F),
    ("[1,-", R([1])),
    ("[1 2", F),
    ("[1e", R([1])),
    ("-", F),
    ("1 2", R(1)),
    ("1.", R(1)),
    ("1.5e-", R(1.5)),
    ("tr", R(True)),
    ("fals", R(False)),
    ("n", R(None)),
    ("tx", F),
    ("true ", S(True)),
    ('"abc', R("abc")),
    ('"abc\\', R("abc")),
    ('"ab\\n', R("ab\n")),
    ('"a\nb"', F),  # a raw control character: JSON.parse refuses it, fixJson keeps it
    ("[ ", R([])),
    ("[[]", R([[]])),
    # --- fixJson: partial \u escapes (6.0.208 / 7.0.0 on) ---
    ('"\\u', per_release(F, F, R(""), R(""))),
    ('"\\u00', per_release(F, F, R(""), R(""))),
    ('{"s":"caf\\u00', per_release(F, F, R({"s": "caf"}), R({"s": "caf"}))),
    ('{"s":"caf\\u00e9', R({"s": "café"})),
    ('"\\u12"x', per_release(F, F, R(""), R(""))),  # the unicode state swallows the quote
    ('"\\ud83d', R("\ud83d")),  # a lone surrogate, as JSON.parse makes it
    ('"\\ud83d\\ude00"', S("😀")),
    # --- fixJson: the character after "[" (7.0.158 on) ---
    ("[-", per_release(F, F, F, R([]))),
    ("[x", per_release(F, F, F, R([]))),
    ("[NaN", per_release(F, F, F, R([]))),
    ("[-1", R([-1])),
    ('{"a":[-', per_release(F, F, F, R({"a": []}))),
    # --- fixJson counts UTF-16 code units: an astral character is two of them ---
    ("[true😀", F),
    ("[t😀", F),
    ('{"a":true😀', R({"a": True})),
    ('["😀', R(["😀"])),
    ('"a😀', R("a😀")),
    # --- secureJsonParse ---
    ('{"__proto__":1}', F),
    ('{"__proto__":1', F),
    ('{"b":1,"__proto__":', R({"b": 1})),
    ('{"a":{"__proto__":{}}}', F),
    ('{"\\u005f_proto__":1}', per_release(S({"__proto__": 1}), F, F, F)),
    ('{"\\u005F\\u005Fproto__":1', per_release(R({"__proto__": 1}), F, F, F)),
    (
        '{"constructor":null}',
        per_release(F, S({"constructor": None}), *[S({"constructor": None})] * 2),
    ),
    ('[{"constructor":null}]', per_release(F, *[S([{"constructor": None}])] * 3)),
    ('{"constructor":{"prototype":1}}', F),
    ('{"constructor":{"prototype":1', F),
    ('{"constructor":{"prototyp', R({"constructor": {}})),
    ('{"constructor":"x","b":[]}', S({"constructor": "x", "b": []})),
    ('{"constructor":[]}', S({"constructor": []})),
    ('{"constructor":{"a":{"prototype":1}}}', S({"constructor": {"a": {"prototype": 1}}})),
    (
        '{"\\u0063onstructor":{"prototype":1}}',
        per_release(S({"constructor": {"prototype": 1}}), F, F, F),
    ),
    ('{"x\\"__proto__":1}', S({'x"__proto__': 1})),  # the expression matches, the walk passes
    ('{"a":"\\"__proto__\\":"}', S({"a": '"__proto__":'})),
    # --- JSON.parse: numbers ---
    ("12", S(12)),
    ("-0", S(-0.0)),
    ("-0.0", S(-0.0)),
    ("1.0", S(1.0)),
    ("1E2", S(100.0)),
    ("1e400", S(math.inf)),
    ("-1e400", S(-math.inf)),
    ("1e-400", S(0.0)),
    ("2e-324", S(0.0)),
    ("3e-324", S(5e-324)),
    ("9007199254740992", S(9007199254740992)),
    ("9007199254740993", S(9007199254740992.0)),
    ("18014398509481984", S(18014398509481984)),
    ("123456789012345678901234567890", S(1.2345678901234568e29)),
    ("1" + "0" * 400, S(math.inf)),
    ("-" + "9" * 5000, S(-math.inf)),
    (str(2**1000), S(2**1000)),
    ("NaN", F),
    ("Infinity", F),
    ("-Infinity", F),
    ("[NaN]", F),
    ("01", F),
    ("+1", F),
    # --- JSON.parse: objects ---
    ('{"a":1,"a":2}', S({"a": 2})),
    ('{"a":1,"b":2,"a":3}', S({"a": 3, "b": 2})),
    ('{"b":1,"2":2,"1":3}', S({"1": 3, "2": 2, "b": 1})),
    ('{"01":1,"1":2,"-1":3,"1.5":4}', S({"1": 2, "01": 1, "-1": 3, "1.5": 4})),
    ('{"4294967295":1,"4294967294":2}', S({"4294967294": 2, "4294967295": 1})),
    ('{"b":0,"\\u0031":1}', S({"1": 1, "b": 0})),
    ('{"b":0,"1":1', R({"1": 1, "b": 0})),
    # --- JSON.parse: strings ---
    ("\ufeff{}", F),  # a BOM is not whitespace to JSON.parse
    ('"\\ud800"', S("\ud800")),
    ('"\\udc00\\ud800"', S("\udc00\ud800")),
    ('"\ud800"', S("\ud800")),  # a raw lone surrogate (a JavaScript string may hold one)
    ('"\\ud83d\ude00"', S("😀")),  # an escaped and a raw half: one character in JavaScript
    ('{"\\ud83d\ude00":1,"😀":2}', S({"😀": 2})),
    ('["\ud83d', R(["\ud83d"])),  # a text cut inside a surrogate pair
    ('"\\/\\b\\f\\n\\r\\t\\"\\\\"', S('/\b\f\n\r\t"\\')),
    ('"\\x"', F),
]


def _key(value: Any) -> Any:
    """A comparable form of a value: key order, -0.0, int and float all count."""
    if value is UNDEFINED:
        return ("undefined",)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, int | float):
        return (type(value).__name__, repr(value))
    if isinstance(value, list):
        return ("array", tuple(_key(item) for item in value))
    assert isinstance(value, dict)
    return ("object", tuple((key, _key(item)) for key, item in value.items()))


@pytest.mark.parametrize(
    ("text", "expected"), EXAMPLES, ids=[repr(text)[:40] for text, _ in EXAMPLES]
)
def test_examples(text: str | None, expected: tuple[str, Any] | dict[str, tuple[str, Any]]) -> None:
    for release in REPRESENTATIVES:
        state, value = expected[release] if isinstance(expected, dict) else expected
        result = parse_partial_json(text, release)
        assert isinstance(result, PartialJson)
        assert (result.state, _key(result.value)) == (state, _key(value)), release


@pytest.mark.parametrize(
    ("text", "release", "fixed"),
    [
        ("", C2, ""),
        ('{"a":[1,{"b":"c\\u00', A1, '{"a":[1,{"b":"c\\u00"}]}'),
        ('{"a":[1,{"b":"c\\u00', B2, '{"a":[1,{"b":"c"}]}'),
        ('{"a":nul', C2, '{"a":null}'),
        ('{"a":t,', C2, '{"a":t}'),
        ("[-", A1, "[-]"),
        ("[-", C2, "[]"),
        ("[1,", C2, "[1]"),
        ('{"a\\"b":1', C2, '{"a\\"b":1}'),  # keys know no escapes: it works by accident
        ('["😀x', C2, '["😀x"]'),
        ("[t😀", C2, "[t😀]"),  # the first half ends the literal, the second counts as valid
        ("[true😀", C2, "[true😀]"),
        ('"\ud83d', C2, '"\ud83d"'),
        ("1 2", C2, "1"),
    ],
)
def test_fix_json(text: str, release: str, fixed: str) -> None:
    assert fix_json(text, release) == fixed


def test_fix_json_defaults_to_the_latest_release() -> None:
    assert fix_json("[-") == "[]"
    assert parse_partial_json("[-") == PartialJson([], "repaired-parse")


@pytest.mark.parametrize(
    ("release", "flags"),
    [
        ("5.0.0", (False, False, False)),
        ("5.0.145", (False, False, False)),
        ("5.0.146", (False, False, True)),
        ("6.0.114", (False, False, False)),
        ("6.0.115", (False, False, True)),
        ("6.0.207", (False, False, True)),
        ("6.0.208", (True, False, True)),
        ("7.0.0", (True, False, True)),
        ("7.0.157", (True, False, True)),
        ("7.0.158", (True, True, True)),
        ("7.1.0", (True, True, True)),
    ],
)
def test_release_table(release: str, flags: tuple[bool, bool, bool]) -> None:
    assert tuple(variant(release)) == flags


@pytest.mark.parametrize("release", ["8.0.0", "3.0.0", "7.0", "7.0.0-beta.1", ""])
def test_unknown_releases_are_refused(release: str) -> None:
    with pytest.raises(ValueError, match="sdk_version"):
        parse_partial_json("{}", release)
    with pytest.raises(ValueError, match="sdk_version"):
        fix_json("{}", release)


def test_undefined() -> None:
    assert repr(UNDEFINED) == "UNDEFINED"
    assert parse_partial_json(None) == PartialJson(UNDEFINED, "undefined-input")


def _nested_depth(value: Any) -> int:
    depth = 0
    while isinstance(value, list | dict):
        depth += 1
        value = (value or [0])[0] if isinstance(value, list) else value.get("a", 0)
    return depth


def test_deep_nesting_has_no_limit() -> None:
    # JSON.parse takes any depth (node: these four texts give the same states and depths in
    # 5.0.0 and 7.0.185; JSON.parse alone up to 1,000,000); json's C parser stops at Python's
    # recursion limit, and the iterative parser takes over.
    depth = 20_000
    result = parse_partial_json("[" * depth)
    assert result.state == "repaired-parse"
    assert _nested_depth(result.value) == depth
    result = parse_partial_json('{"a":' * depth + "1" + "}" * depth)
    assert result.state == "successful-parse"
    assert _nested_depth(result.value) == depth
    assert parse_partial_json("[" * depth + "]" * (depth - 1) + "x").state == "failed-parse"
    text = '{"a":' * depth + '{"__proto__":1}' + "}" * depth
    assert parse_partial_json(text).state == "failed-parse"


def test_long_texts_take_linear_time() -> None:
    # fixJson is one pass (runs inside strings and keys are skipped whole): a few MB stay fast
    def elapsed(text: str) -> float:
        best = math.inf
        for _ in range(2):
            started = time.perf_counter()
            parse_partial_json(text)
            best = min(best, time.perf_counter() - started)
        return best

    unit = '{"k":"' + "x" * 50 + '","n":[1,2.5,true,null],"s":"\\u00e9"},'
    small, large = "[" + unit * 1_000, "[" + unit * 10_000
    ratio = elapsed(large) / max(elapsed(small), 1e-6)
    assert ratio < 30  # 10x the text: linear is ~10, quadratic would be ~100


# ---------------------------------------------------------------------------------------------
# Against the real client
# ---------------------------------------------------------------------------------------------


@cache
def installed_releases() -> tuple[str, ...]:
    """The ``ai-<version>`` aliases of the node harness with major >= 5."""
    package = json.loads((NODE_DIR / "package.json").read_text())
    names = [name[3:] for name in package["dependencies"] if name.startswith("ai-")]
    return tuple(name for name in names if int(name.split(".")[0]) >= 5)


def behaviours() -> dict[Any, list[str]]:
    """The installed releases by distinct behaviour (of the release table)."""
    groups: dict[Any, list[str]] = {}
    for release in installed_releases():
        groups.setdefault(variant(release), []).append(release)
    return groups


def run_clients(texts: list[str | None], releases: list[str]) -> dict[str, list[Any]]:
    """``parsePartialJson`` of each release on each text, in one node process."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed; the conformance checks need Node 20+.")
    if not (NODE_DIR / "node_modules").is_dir():
        raise RuntimeError("Run `make install` (npm ci in tests/conformance/node) first.")
    proc = subprocess.run(
        [node, "partial_json.mjs"],
        input=json.dumps({"releases": releases, "texts": texts}).encode(),
        cwd=NODE_DIR,
        capture_output=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"partial_json.mjs failed: {proc.stderr.decode(errors='replace')[-2000:]}"
        )
    results: dict[str, list[Any]] = json.loads(proc.stdout)["results"]
    return results


def _client_key(encoded: Any) -> Any:
    """:func:`_key` of the value ``partial_json.mjs`` encoded (numbers: by value only)."""
    if isinstance(encoded, list):
        tag = encoded[0]
        if tag == "u":
            return ("undefined",)
        if tag == "n":
            return ("number", repr(float(encoded[1])))
        if tag == "a":
            return ("array", tuple(_client_key(item) for item in encoded[1]))
        return ("object", tuple((key, _client_key(item)) for key, item in encoded[1]))
    return (type(encoded).__name__, encoded)


def _number_blind_key(value: Any) -> Any:
    """:func:`_key` with int and float merged (JavaScript has only numbers)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return ("number", repr(float(value)))
    if isinstance(value, list):
        return ("array", tuple(_number_blind_key(item) for item in value))
    if isinstance(value, dict):
        return ("object", tuple((k, _number_blind_key(v)) for k, v in value.items()))
    return _key(value)


def compare_with_clients(texts: list[str | None]) -> list[str]:
    """Every (text, release) where the port and an installed client differ.

    Every installed release (ai >= 5) runs every text, in one node process; the port runs once
    per distinct behaviour.
    """
    results = run_clients(texts, list(installed_releases()))
    mismatches: list[str] = []
    for releases in behaviours().values():
        for index, text in enumerate(texts):
            mine = parse_partial_json(text, releases[0])
            got = (mine.state, _number_blind_key(mine.value))
            for release in releases:
                client = results[release][index]
                want = (client["state"], _client_key(client["value"]))
                if got != want:
                    mismatches.append(f"{release} {text!r}: port {got}, client {want}")
    return mismatches


def test_examples_are_the_clients() -> None:
    mismatches = compare_with_clients([text for text, _ in EXAMPLES])
    assert not mismatches, "\n".join(mismatches[:20])


# --- the property test -------------------------------------------------------------------------

_KEYS = st.one_of(
    st.sampled_from(["a", "b", "c", ""]),
    st.sampled_from(["0", "1", "2", "10", "01", "-1", "1.5", "4294967294", "4294967295"]),
    st.sampled_from(["__proto__", "constructor", "prototype"]),
    st.text(max_size=3),
)
_SPECIAL_NUMBERS = st.sampled_from(
    [
        "-0",
        "-0.0",
        "1e400",
        "-1e400",
        "1e-400",
        "4.9e-324",
        "2.4703282292062328e-324",
        "9007199254740993",
        "18014398509481985",
        "123456789012345678901234567890",
        "1.7976931348623158e308",
        "0.1E+1",
        "1e0",
    ]
)
_TEXT_ALPHABET = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(list('"\\/\b\f\n\r\t u{}[]:,') + ["é", "😀", "\u2028", "\x7f", "\x00"]),
)


class _Number(str):
    """A number literal to write as is."""


class _Object(list[tuple[str, Any]]):
    """An object to write: its members in order (a key may repeat)."""


def _object(*members: tuple[str, Any]) -> _Object:
    return _Object(members)


# objects that secureJsonParse or JavaScript's key order treat specially
_TRICKY_OBJECTS = st.sampled_from(
    [
        _object(("constructor", None)),
        _object(("constructor", _object(("prototype", 1)))),
        _object(("constructor", _object(("prototype", None)))),
        _object(("constructor", _object())),
        _object(("constructor", [])),
        _object(("constructor", "x")),
        _object(("__proto__", 1)),
        _object(("__proto__", None)),
        _object(("a", 1), ("__proto__", _object())),
        _object(("b", 1), ("1", 2), ("0", 3)),
        _object(("b", 1), ("01", 2), ("1", 3), ("a", 4), ("1", 5)),
    ]
)

_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**64), max_value=2**64),
        st.floats(allow_nan=False, allow_infinity=False),
        _SPECIAL_NUMBERS.map(_Number),
        st.text(alphabet=_TEXT_ALPHABET, max_size=6),
        _TRICKY_OBJECTS,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(st.tuples(_KEYS, children), max_size=4).map(_Object),
    ),
    max_leaves=8,
)

_WHITESPACE = ["", "", "", "", "", "", " ", "\n", "\t", "\r\n  "]
# what a broken writer or a cut stream may leave between tokens
_JUNK = ["😀", "\ud83d", "\ude00", "é", "x", "\ufeff", "\x01", ",", ":", "-", ".", "e", '"', "\\"]
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n"}
_SHORT_ESCAPES |= {"\r": "\\r", "\t": "\\t"}


@st.composite
def json_texts(draw: st.DrawFn, *, junk: bool = False) -> str:
    """A JSON text of a drawn value, with drawn whitespace, escapes and number spellings.

    With ``junk``, the whitespace between tokens is sometimes a stray character instead.
    """
    value = draw(_VALUES)
    space = st.sampled_from(_WHITESPACE + _JUNK if junk else _WHITESPACE)
    out: list[str] = []

    def ws() -> None:
        out.append(draw(space))

    def string(text: str) -> None:
        out.append('"')
        for char in text:
            style = draw(st.integers(0, 11))
            must = char in '"\\' or char < " "
            if (must or style == 0) and char in _SHORT_ESCAPES and style < 9:
                out.append(_SHORT_ESCAPES[char])
            elif must or style == 1:
                data = char.encode("utf-16-be", "surrogatepass")
                for k in range(0, len(data), 2):
                    hexits = data[k : k + 2].hex()
                    out.append("\\u" + (hexits.upper() if draw(st.booleans()) else hexits))
            else:
                out.append(char)
        out.append('"')

    def write(item: Any) -> None:
        ws()
        if isinstance(item, _Number):
            out.append(str(item))
        elif item is None or isinstance(item, bool):
            out.append(json.dumps(item))
        elif isinstance(item, int):
            suffix = draw(st.sampled_from(["", "", "", "e0", "E+1", ".0"]))
            out.append(str(item) + suffix)
        elif isinstance(item, float):
            out.append(repr(item).replace("e", draw(st.sampled_from(["e", "E"]))))
        elif isinstance(item, str):
            string(item)
        elif isinstance(item, _Object):
            out.append("{")
            for index, (key, child) in enumerate(item):
                if index:
                    out.append(",")
                ws()
                string(key)
                ws()
                out.append(":")
                write(child)
            ws()
            out.append("}")
        else:
            out.append("[")
            for index, child in enumerate(item):
                if index:
                    out.append(",")
                write(child)
            ws()
            out.append("]")
        ws()

    write(value)
    return "".join(out)


@st.composite
def mutated_texts(draw: st.DrawFn) -> str:
    """A JSON text with a few characters inserted, deleted or replaced."""
    chars = list(draw(json_texts()))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(chars)))
        junk = draw(st.sampled_from([*_JUNK, "{", "}", "[", "]", "t", "n", "0", "u"]))
        action = draw(st.integers(0, 2))
        if action == 0 or at == len(chars):
            chars.insert(at, junk)
        elif action == 1:
            del chars[at]
        else:
            chars[at] = junk
    return "".join(chars)


# token soup: reaches fixJson's states in orders no JSON writer produces
_TOKENS = st.sampled_from(
    [
        *list('{}[],:" '),
        *['"a"', '"0"', '"1"', '"constructor"', '"__proto__"', '"\\u005f_proto__"', '"prototype"'],
        *["true", "fals", "n", "null", "t", "1", "-", "-0", "2.5e", "1e400", "0x", "NaN"],
        *['"\\', '\\"', '"\\u', '"\\u00e', '"\\ud83d', "\\n", "x"],
        *_JUNK,
    ]
)
_SOUP = st.lists(_TOKENS, max_size=12).map("".join)


def prefixes(text: str) -> list[str]:
    """Every prefix of ``text``, also those that end between the halves of a surrogate pair."""
    out = [text[:end] for end in range(len(text) + 1)]
    for end, char in enumerate(text):
        if char > "\uffff":
            high = char.encode("utf-16-le", "surrogatepass")[:2].decode(
                "utf-16-le", "surrogatepass"
            )
            out.append(text[:end] + high)
    return out


PROPERTY_EXAMPLES = int(os.environ.get("AI_STREAM_PARTIAL_JSON_EXAMPLES", "400"))
"""Texts drawn (each gives all its prefixes); more, from a random seed, when set."""
PROPERTY_SEED = int(
    os.environ.get(
        "AI_STREAM_PARTIAL_JSON_SEED",
        random.randrange(2**32) if "AI_STREAM_PARTIAL_JSON_EXAMPLES" in os.environ else 20260611,
    )
)


def test_every_prefix_is_the_clients() -> None:
    texts: set[str] = set()

    @seed(PROPERTY_SEED)
    @settings(
        max_examples=PROPERTY_EXAMPLES,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(st.one_of(json_texts(), json_texts(junk=True), mutated_texts(), _SOUP))
    def collect(text: str) -> None:
        texts.update(prefixes(text))

    collect()
    ordered = sorted(texts, key=lambda text: (len(text), text))
    started = time.perf_counter()
    mismatches = compare_with_clients(list[str | None](ordered))
    print(
        f"{len(ordered)} distinct texts x {len(installed_releases())} releases "
        f"({len(behaviours())} behaviours), seed {PROPERTY_SEED}, "
        f"{time.perf_counter() - started:.1f} s"
    )
    assert not mismatches, f"{len(mismatches)} mismatches, shortest first:\n" + "\n".join(
        mismatches[:20]
    )

    # The iterative parser (deep texts, raw surrogates) is JSON.parse too: same as the C one
    for text in ordered:
        for candidate in (text, fix_json(text, A1), fix_json(text, C2)):
            assert _parse_outcome(json_parse_iterative, candidate) == _parse_outcome(
                json_parse, candidate
            ), candidate


def _parse_outcome(parse: Any, text: str) -> Any:
    try:
        return _key(parse(text))
    except Refused:
        return "refused"
