"""JSON as the client reads it: encode_json, and the wire form of what writers are given."""

from __future__ import annotations

import dataclasses
import datetime
import enum
from typing import Any

import pydantic
import pytest

from ai_stream import StreamContext
from ai_stream.encoding import encode_json
from tests.helpers import transcript


@dataclasses.dataclass
class Point:
    x: float
    label: str


@dataclasses.dataclass
class Bag:
    items: dict[Any, Any]


class Note(pydantic.BaseModel):
    text: str


class Colour(enum.Enum):
    RED = "red"


def nested(depth: int) -> Any:
    value: Any = [None]
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        # a lone surrogate anywhere makes the whole value go through the escaping path, which
        # must write everything else exactly as the fast path does
        (
            {"s": "\ud800", "n": [1.5, float("inf"), float("nan"), True, None], "t": (1, "a")},
            b'{"s":"\\ud800","n":[1.5,null,null,true,null],"t":[1,"a"]}',
        ),
        (
            {"s": "\udfff", 3: "int", 2.5: "float", Colour.RED: "enum", (1, 2): "tuple"},
            b'{"s":"\\udfff","3":"int","2.5":"float","red":"enum","1,2":"tuple"}',
        ),
        (
            {"s": "\ud800", datetime.date(2024, 1, 2): datetime.date(2024, 3, 4)},
            b'{"s":"\\ud800","2024-01-02":"2024-03-04"}',
        ),
        (
            ["\ud800", Point(float("-inf"), "p"), Note(text="n"), Colour.RED],
            b'["\\ud800",{"x":null,"label":"p"},{"text":"n"},"red"]',
        ),
        # a model or dataclass holding a lone surrogate in a string value is escaped too
        (
            [Point(1.0, "\ud800"), Note(text="\udc00")],
            b'[{"x":1.0,"label":"\\ud800"},{"text":"\\udc00"}]',
        ),
        ({"\ud800": "key"}, b'{"\\ud800":"key"}'),
    ],
)
def test_lone_surrogates_are_escaped_and_the_rest_written_as_usual(
    value: Any, encoded: bytes
) -> None:
    assert encode_json(value) == encoded


def test_the_same_value_without_a_surrogate_encodes_to_the_same_json() -> None:
    value: dict[Any, Any] = {3: [Point(2.0, "p"), (1, None)], "n": float("nan"), Colour.RED: 1}
    with_surrogate = {**value, "s": "\ud800"}
    assert encode_json(with_surrogate) == encode_json(value)[:-1] + b',"s":"\\ud800"}'


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (nested(260), ValueError, "nested more than 254 levels deep"),
        (["\ud800", nested(260)], ValueError, "nested more than 254 levels deep"),
        (object(), TypeError, "cannot be encoded as JSON"),
        (["\ud800", object()], TypeError, "cannot be encoded as JSON"),
        ({"s": "\ud800", ("\ud800",): 1}, TypeError, "cannot be encoded as JSON"),
        (
            ["\ud800", Bag({"\ud800": 1})],
            ValueError,
            "model or dataclass holds a string with a lone surrogate",
        ),
    ],
    ids=[
        "too-deep",
        "too-deep-with-surrogate",
        "object",
        "object-with-surrogate",
        "surrogate-in-tuple-key",
        "surrogate-key-in-dataclass",
    ],
)
def test_values_without_a_json_form_are_refused(
    value: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        encode_json(value)


async def test_data_reaches_the_client_as_json_parse_makes_it() -> None:
    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.write_data(
            "numbers",
            {"huge": 10**400, "tiny": -(10**400), "big": 2**60 + 1, "safe": 2**53, "in": [2**70]},
        )
        await ctx.write_data("alone", 10**400)
        await ctx.write_data("surrogates", {"pair": "\ud83d" + "\ude00", "lone": "\ud800"})
        await ctx.write_data("constructor", {"constructor": "fine", "c": {"constructor": {}}})

    assert await transcript(work) == [
        {"type": "start", "messageId": "id-1"},
        {
            "type": "data-numbers",
            "data": {
                # beyond ±2**53 the double JSON.parse makes; beyond a double, Infinity → null
                "huge": None,
                "tiny": None,
                "big": 2**60,
                "safe": 2**53,
                "in": [2**70],
            },
        },
        {"type": "data-alone", "data": None},
        {"type": "data-surrogates", "data": {"pair": "\U0001f600", "lone": "\ud800"}},
        {"type": "data-constructor", "data": {"constructor": "fine", "c": {"constructor": {}}}},
        {"type": "finish", "finishReason": "stop"},
    ]


@pytest.mark.parametrize(
    "data",
    [
        {"__proto__": {"polluted": True}},
        [{"deep": [{"__proto__": 1}]}],
        {"constructor": None},
        {"a": [{"b": {"constructor": {"prototype": {}}}}]},
    ],
    ids=["proto", "nested-proto", "null-constructor", "nested-constructor-prototype"],
)
async def test_keys_the_clients_json_parser_rejects_are_refused_and_nothing_is_sent(
    data: Any,
) -> None:
    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.write_text("before")
        with pytest.raises(ValueError, match="the client's JSON parser rejects it"):
            await ctx.write_data("bad", data)
        await ctx.write_text(" after")

    assert await transcript(work) == [
        {"type": "start", "messageId": "id-1"},
        {"type": "start-step"},
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "before"},
        {"type": "text-delta", "id": "text-1", "delta": " after"},
        {"type": "text-end", "id": "text-1"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
    ]
