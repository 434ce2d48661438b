"""The ports of JavaScript semantics and of the client's JSON helpers, against JavaScript itself.

Every expected value was produced by node: ``parsePartialJson`` of the ai releases installed in
``tests/conformance/node`` (5.0.0, 6.0.0, 7.0.173), and ``String(value)`` for ``js_string``.
"""

from __future__ import annotations

import json
import math
import random
import struct
import subprocess
from typing import Any

import pytest

from ai_stream.exceptions import UIMessageStreamError
from ai_stream.protocol._js import UNDEFINED, js_string, truthy
from ai_stream.reducer import UIMessageReducer, merge_objects, parse_partial_json

FAIL = object()
"""``parsePartialJson`` answered ``failed-parse``."""

RELEASES = ("5.0.0", "6.0.0", "7.0.173")

PARTIAL_JSON: list[tuple[str, Any, Any, Any]] = [
    # text, then what ai 5.0.0, 6.0.0 and 7.0.173 make of it
    ("[[1]", [[1]], [[1]], [[1]]),
    ("[[]", [[]], [[]], [[]]),
    ('[["a"]', [["a"]], [["a"]], [["a"]]),
    ('["a" ', ["a"], ["a"], ["a"]),
    ("[1 ", [1], [1], [1]),
    ("[1 x", FAIL, FAIL, FAIL),
    ('[{"a":1} ', [{"a": 1}], [{"a": 1}], [{"a": 1}]),
    ("[tru", [True], [True], [True]),
    ('{"a":fals', {"a": False}, {"a": False}, {"a": False}),
    ('{"a":nx', FAIL, FAIL, FAIL),
    ("[1e", [1], [1], [1]),
    ("[1.5,", [1.5], [1.5], [1.5]),
    ('{"a":-', {}, {}, {}),
    ('["\\\\', ["\\"], ["\\"], ["\\"]),
    ('{"k":1 ', {"k": 1}, {"k": 1}, {"k": 1}),
    ('{"a":{}', {"a": {}}, {"a": {}}, {"a": {}}),
    ('{"a" :', {}, {}, {}),
    ('{"a":1,"b', {"a": 1}, {"a": 1}, {"a": 1}),
    ("[-", FAIL, FAIL, []),
    ("[-1", [-1], [-1], [-1]),
    ('{"s":"caf\\u00', FAIL, FAIL, {"s": "caf"}),
    ('{"s":"caf\\u00e9', {"s": "café"}, {"s": "café"}, {"s": "café"}),
    ('["x\\u12', FAIL, FAIL, ["x"]),
    ('{"constructor":{"prototype":1}}', FAIL, FAIL, FAIL),
    ('[{"constructor":null}]', FAIL, FAIL, [{"constructor": None}]),
    ('{"__proto__":1}', FAIL, FAIL, FAIL),
    ('{"\\u005f_proto__":1}', {"__proto__": 1}, {"__proto__": 1}, FAIL),
    (
        '{"\\u0063onstructor":{"prototype":1}}',
        {"constructor": {"prototype": 1}},
        {"constructor": {"prototype": 1}},
        FAIL,
    ),
    ('[{"a":[{"constructor":{"prototype":{}}}]}]', FAIL, FAIL, FAIL),
    # JSON.parse makes doubles of big integers
    (
        '{"n":12345678901234567890',
        {"n": 1.2345678901234567e19},
        {"n": 1.2345678901234567e19},
        {"n": 1.2345678901234567e19},
    ),
    ("[9007199254740993]", [9007199254740992.0], [9007199254740992.0], [9007199254740992.0]),
    ("NaN", FAIL, FAIL, FAIL),
    ('"str', "str", "str", "str"),
    ("tr", True, True, True),
    ("12", 12, 12, 12),
    ('["😀', ["😀"], ["😀"], ["😀"]),
    ('{"a":[1,{"b":tr', {"a": [1, {"b": True}]}, {"a": [1, {"b": True}]}, {"a": [1, {"b": True}]}),
]


@pytest.mark.parametrize(("text", "v5", "v6", "v7"), PARTIAL_JSON)
def test_parse_partial_json_is_the_clients(text: str, v5: Any, v6: Any, v7: Any) -> None:
    results = [parse_partial_json(text, release).value for release in RELEASES]
    expected = [UNDEFINED if value is FAIL else value for value in (v5, v6, v7)]
    assert results == expected
    for value, want in zip(results, expected, strict=True):
        assert type(value) is type(want)  # doubles stay doubles


@pytest.mark.parametrize(
    ("value", "string"),
    [
        (UNDEFINED, "undefined"),
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (12, "12"),
        (1.5, "1.5"),
        (100.0, "100"),
        (-0.0, "0"),
        (0.1, "0.1"),
        (1e21, "1e+21"),
        (1e300, "1e+300"),
        (1.5e-7, "1.5e-7"),
        (1e-7, "1e-7"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
        ("s", "s"),
        ([1, None, [2, 3], UNDEFINED], "1,,2,3,"),
        ([], ""),
        ({}, "[object Object]"),
        (123456789012345680000.0, "123456789012345680000"),
        (0.000001, "0.000001"),
        (-1.25e-6, "-0.00000125"),
    ],
    ids=repr,
)
def test_js_string_is_javascripts_string(value: Any, string: str) -> None:
    assert js_string(value) == string


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (UNDEFINED, False),
        (None, False),
        (False, False),
        (True, True),
        (0, False),
        (0.0, False),
        (-0.0, False),
        (float("nan"), False),
        (2, True),
        (-0.5, True),
        ("", False),
        ("0", True),
        ("false", True),
        ([], True),
        ({}, True),
    ],
    ids=repr,
)
def test_truthy_is_javascripts_truthiness(value: Any, expected: bool) -> None:
    assert truthy(value) is expected


def test_merge_objects_with_undefined_keeps_the_other_side() -> None:
    # mergeObjects(undefined, x) is x, mergeObjects(x, undefined) is x, and an undefined value in
    # the overrides leaves the key of the base alone
    assert merge_objects(UNDEFINED, UNDEFINED) is UNDEFINED
    assert merge_objects(UNDEFINED, {"a": 1}) == {"a": 1}
    assert merge_objects({"a": 1}, UNDEFINED) == {"a": 1}
    assert merge_objects({"a": 1, "b": 2}, {"a": UNDEFINED, "b": 3}) == {"a": 1, "b": 3}
    assert merge_objects(["x", "y"], {"1": {"z": 1}, "5": 2}) == {"0": "x", "1": {"z": 1}, "5": 2}
    with pytest.raises(UIMessageStreamError, match="Cannot use 'in' operator to search for 'k'"):
        merge_objects(True, {"k": 1})


def test_merge_objects_skips_prototype_keys_as_the_release_does() -> None:
    overrides = {"constructor": {"x": 1}, "prototype": 2, "kept": 3}
    # ai 5.0.181 and 6.0.171 started skipping "constructor" and "prototype"
    assert merge_objects({}, overrides, "6.0.0") == overrides
    assert merge_objects({}, overrides, 7) == {"kept": 3}


def test_a_surrogate_pair_split_over_deltas_is_one_character_when_read_in_between() -> None:
    reducer = UIMessageReducer(7)
    reducer.apply({"type": "text-start", "id": "t"})
    reducer.apply({"type": "text-delta", "id": "t", "delta": "a\ud83d"})
    assert reducer.message["parts"] == [{"type": "text", "text": "a\ud83d", "state": "streaming"}]
    reducer.apply({"type": "text-delta", "id": "t", "delta": "\ude00b"})
    reducer.apply({"type": "text-end", "id": "t"})
    assert reducer.message["parts"] == [{"type": "text", "text": "a😀b", "state": "done"}]


def test_js_number_matches_node_on_random_doubles() -> None:
    """``String(x)`` in Node for 3,000 doubles of every magnitude (and some integers)."""
    rng = random.Random(7)
    values: list[float] = [
        float(f"{rng.choice('-+')}{rng.random()}e{rng.randint(-330, 310)}") for _ in range(2_000)
    ]
    values += [float(rng.randint(-(10**23), 10**23)) for _ in range(500)]
    values += [struct.unpack("<d", rng.randbytes(8))[0] for _ in range(500)]
    values = [v for v in values if math.isfinite(v)]
    script = (
        "process.stdout.write(JSON.stringify(JSON.parse(require('fs').readFileSync(0, 'utf8'))"
        ".map(String)))"
    )
    node = subprocess.run(
        ["node", "-e", script],
        input=json.dumps(values),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    expected = json.loads(node.stdout)
    mismatches = [
        (v, js_string(v), e) for v, e in zip(values, expected, strict=True) if js_string(v) != e
    ]
    assert mismatches == []
