"""Object streams (``experimental_useObject``) through the real client code of every release.

Random values of a pydantic model are streamed four ways (raw JSON deltas, growing partial
values, whole elements of an array, one whole object); the body is replayed, in the pieces the
writes made, through useObject's own path (``object_streams.mjs``: the release's
``parsePartialJson`` and ``isDeepEqualData``, then ``safeValidateTypes`` against the model's JSON
schema). Every partial object the client shows is the server's partial sequence, and the final
object is the model's dump — or, for a value that fails the model, both sides refuse it.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import anyio
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from ai_stream import ObjectStreamContext, ObjectValidationError
from ai_stream.protocol.partial_json import UNDEFINED, parse_partial_json
from ai_stream.testing import collect_stream
from tests.conformance.client import replay_objects

WRITER = "7.0.185"  # (the server's own partial sequence is taken for this release)
RELEASES = ("5.0.0", "5.0.277", "6.0.0", "6.0.333", "7.0.0", "7.0.185")


class Stop(BaseModel):
    name: str
    minutes: int = 0
    tags: list[str] = []


class Trip(BaseModel):
    city: str = ""
    days: int | None = None
    budget: float = 0
    stops: list[Stop] = []
    notes: dict[str, str] = {}
    booked: bool = False


Mode = Literal["json", "partial", "array", "object"]
Writer = Callable[[ObjectStreamContext[Any], Callable[[], None]], Awaitable[None]]

TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(['"', "\\", "\n", "é", "🚆", "\u2028", "\x00", "/", "\ud800", "\udfff"]),
    ),
    max_size=8,
)
STOPS = st.builds(Stop, name=TEXT, minutes=st.integers(-5, 10**6), tags=st.lists(TEXT, max_size=3))
TRIPS = st.builds(
    Trip,
    city=TEXT,
    days=st.none() | st.integers(0, 30),
    budget=st.floats(allow_nan=False, allow_infinity=False, width=32) | st.integers(-10, 10**9),
    stops=st.lists(STOPS, max_size=3),
    notes=st.dictionaries(TEXT, TEXT, max_size=2),
    booked=st.booleans(),
)


@dataclass
class Streamed:
    """What the server wrote: the body, its pieces, the partial sequence and the result."""

    body: bytes
    pieces: list[str]
    partials: list[Any]
    result: Any
    error: BaseException | None


def _program(mode: Mode, trip: Trip, cuts: list[int]) -> tuple[Any, Writer]:
    """The schema and the work writing ``trip`` (for ``array``: its stops) in ``mode``."""
    schema: Any = list[Stop] if mode == "array" else Trip
    if mode == "partial":  # (a number cut in its exponent reads as another number: "1.2e-3"
        # as 0.0012, which no larger value extends; a producer of growing values has none.
        # Keys such as "0" come first in a JavaScript object, so the client's view of a prefix
        # is in another order than the text; a producer's own values keep their order.)
        budget = float(max(min(int(trip.budget), 10**9), -(10**9)))
        notes = {key: value for key, value in trip.notes.items() if not key.isdigit()}
        trip = trip.model_copy(update={"budget": budget, "notes": notes})
    text = json.dumps(trip.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
    points = sorted({min(c, len(text)) for c in cuts} | {len(text)})

    async def work(obj: ObjectStreamContext[Any], wrote: Callable[[], None]) -> None:
        if mode == "json":
            start = 0
            for point in points:
                await obj.write_json(text[start:point])
                start = point
                wrote()
        elif mode == "partial":  # the client's view of each prefix, then the whole value
            for point in points:
                value = parse_partial_json(text[:point]).value
                # (a number cut in its exponent reads as another number: "1.2e-3" as 0.0012,
                # which does not extend "1.2": a producer of growing values does not yield it)
                if value is UNDEFINED:
                    continue
                before = obj.text
                try:
                    await obj.write_partial(value)
                except ObjectValidationError:
                    assert obj.text == before  # (refused before anything was sent)
                    continue
                wrote()
            await obj.write_partial(trip)
            wrote()
        elif mode == "array":
            for stop in trip.stops:
                await obj.write_element(stop)
                wrote()
        else:
            await obj.write_object(trip)
            wrote()

    return schema, work


async def _stream(schema: Any, work: Writer) -> Streamed:
    """Run ``work``, noting the text and the partial value after each of its writes."""
    output: Literal["object", "array"] = "array" if schema == list[Stop] else "object"
    obj: ObjectStreamContext[Any] = ObjectStreamContext(schema, output=output, sdk_version=WRITER)
    ends: list[int] = [0]
    partials: list[Any] = []

    def wrote() -> None:
        ends.append(len(obj.text))
        partials.append(obj.partial)

    await obj.run(lambda obj: work(obj, wrote))
    body = await collect_stream(obj.context)
    wrote()  # (after the closers)
    text = obj.text
    pieces = [text[a:b] for a, b in zip(ends, ends[1:], strict=False) if b > a]
    return Streamed(body, pieces, partials, obj.result, obj.error)


def _normal(value: Any) -> Any:
    """A value as a JavaScript number sees it: integral floats are integers while exact, and
    integers past 2**53 are doubles."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value) if abs(value) < 2**53 else value
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53:
        return float(value)
    if isinstance(value, list):
        return [_normal(item) for item in value]
    if isinstance(value, dict):
        return {key: _normal(item) for key, item in value.items()}
    return value


def _shown(partials: list[Any]) -> list[Any]:
    """The values a client shows for this sequence: each one not deep-equal to the last.

    It starts from ``undefined``, and shows ``undefined`` again (``null`` here) when a later
    text does not parse.
    """
    shown: list[Any] = []
    last = "undefined"
    for value in partials:
        key = "undefined" if value is UNDEFINED else json.dumps(_normal(value), sort_keys=True)
        if key != last:
            shown.append(None if value is UNDEFINED else _normal(value))
            last = key
    return shown


def _case(name: str, streamed: Streamed, schema: dict[str, Any]) -> dict[str, Any]:
    chunks = [base64.b64encode(piece.encode()).decode() for piece in streamed.pieces]
    return {"name": name, "chunksBase64": chunks, "schema": schema, "versions": list(RELEASES)}


def _partials_for(release: str, pieces: list[str]) -> list[Any]:
    """The server's partial sequence for another release (its ``parsePartialJson`` variant)."""
    text, out = "", []
    for piece in pieces:
        text += piece
        out.append(parse_partial_json(text, release).value)
    return out


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    programs=st.lists(
        st.tuples(
            st.sampled_from(["json", "partial", "array", "object"]),
            TRIPS,
            st.lists(st.integers(0, 400), max_size=12),
        ),
        min_size=8,
        max_size=8,
    )
)
@example(  # (an index key: the client's view of a prefix puts "0" first)
    programs=[("partial", Trip(notes={"": "", "0": ""}), []), *[("json", Trip(), [])] * 7]
)
@example(  # (a lone surrogate once escaped every character of the text: DEL did not extend)
    programs=[
        ("partial", Trip(city="\x7f", notes={"": "\ud800"}), [10]),
        *[("json", Trip(), [])] * 7,
    ]
)
def test_use_object_shows_the_servers_partial_sequence_and_final_object(
    programs: list[tuple[Mode, Trip, list[int]]],
) -> None:
    streamed = [anyio.run(_stream, *_program(mode, trip, cuts)) for mode, trip, cuts in programs]
    for s in streamed:
        assert (s.body.decode(), s.error) == ("".join(s.pieces), None)
        assert _shown(s.partials) == _shown(_partials_for(WRITER, s.pieces))  # (obj.partial)
    schemas = [
        (
            ObjectStreamContext(list[Stop], output="array")
            if mode == "array"
            else ObjectStreamContext(Trip)
        ).json_schema
        for mode, _, _ in programs
    ]
    cases = [
        _case(str(i), s, schema)
        for i, (s, schema) in enumerate(zip(streamed, schemas, strict=True))
    ]
    results = _normal(replay_objects(cases))
    expected = {
        str(i): {
            release: {
                "objects": _shown(_partials_for(release, s.pieces)),
                "final": {"success": True, "value": _normal(_dump(s.result))},
            }
            for release in RELEASES
        }
        for i, s in enumerate(streamed)
    }
    assert results == expected


def _dump(result: Any) -> Any:
    if isinstance(result, list):
        return [item.model_dump(mode="json") for item in result]
    assert isinstance(result, BaseModel)
    return result.model_dump(mode="json")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("wrong type", '{"city": 5}'),
        ("not an object", "[1, 2]"),
        ("not JSON", "Sorry, I cannot do that."),
        ("nothing", ""),
    ],
)
def test_a_value_that_fails_the_model_is_refused_on_both_sides(name: str, text: str) -> None:
    async def work(obj: ObjectStreamContext[Any], wrote: Callable[[], None]) -> None:
        await obj.write_json(text)

    streamed = anyio.run(_stream, Trip, work)
    assert streamed.body == text.encode()
    assert isinstance(streamed.error, ObjectValidationError)
    assert streamed.result is None
    results = replay_objects([_case(name, streamed, ObjectStreamContext(Trip).json_schema)])
    finals = {release: run["final"]["success"] for release, run in results[name].items()}
    assert finals == dict.fromkeys(RELEASES, False)


def test_a_text_cut_short_is_the_value_the_client_repairs_it_to() -> None:
    """useObject validates its last partial value, not the text: a provider that stopped
    mid-value leaves a valid object on both sides when the repair fits the model."""

    async def work(obj: ObjectStreamContext[Any], wrote: Callable[[], None]) -> None:
        await obj.write_json('{"city": "Ly')

    streamed = anyio.run(_stream, Trip, work)
    assert (streamed.error, streamed.result) == (None, Trip(city="Ly"))
    results = replay_objects([_case("cut", streamed, ObjectStreamContext(Trip).json_schema)])
    finals = {release: run["final"] for release, run in results["cut"].items()}
    assert finals == dict.fromkeys(RELEASES, {"success": True, "value": _dump(Trip(city="Ly"))})
