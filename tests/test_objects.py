"""ObjectStreamContext: writers, refusals, the final value, disconnects (asyncio and trio)."""

from __future__ import annotations

import math
from typing import Any

import anyio
import httpx
import pytest
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from ai_stream import (
    ObjectResult,
    ObjectStreamContext,
    ObjectValidationError,
    StreamContext,
    UIMessageStreamResponse,
)
from ai_stream.protocol.partial_json import UNDEFINED
from ai_stream.testing import collect_stream
from tests.test_responses import Disconnecting, _scope


class Stop(BaseModel):
    name: str
    minutes: int = 0


class Trip(BaseModel):
    city: str
    stops: list[Stop] = []


async def _body(obj: ObjectStreamContext[Any]) -> bytes:
    return await collect_stream(obj.context)


async def test_partial_values_grow_the_text_and_close_at_the_end() -> None:
    results: list[ObjectResult[Trip]] = []
    obj = ObjectStreamContext(Trip, on_finish=results.append)
    shown: list[Any] = []

    async def work(obj: ObjectStreamContext[Trip]) -> None:
        shown.append(obj.partial)
        for value in (
            {"city": "Ly"},
            {"city": "Lyon", "stops": []},
            {"city": "Lyon", "stops": [{"name": "Gare"}]},
            Trip(city="Lyon", stops=[Stop(name="Gare Part-Dieu", minutes=5)]),
        ):
            await obj.write_partial(value)
            shown.append((obj.text, obj.partial, obj.validate_partial()))

    await obj.run(work)
    body = await _body(obj)
    final = '{"city":"Lyon","stops":[{"name":"Gare Part-Dieu","minutes":5}]}'
    assert (body.decode(), obj.text, obj.result, obj.error) == (
        final,
        final,
        Trip(city="Lyon", stops=[Stop(name="Gare Part-Dieu", minutes=5)]),
        None,
    )
    assert shown == [
        UNDEFINED,
        ('{"city":"Ly', {"city": "Ly"}, Trip(city="Ly")),
        ('{"city":"Lyon","stops":[', {"city": "Lyon", "stops": []}, Trip(city="Lyon")),
        (
            '{"city":"Lyon","stops":[{"name":"Gare',
            {"city": "Lyon", "stops": [{"name": "Gare"}]},
            Trip(city="Lyon", stops=[Stop(name="Gare")]),
        ),
        (
            '{"city":"Lyon","stops":[{"name":"Gare Part-Dieu","minutes":5',
            {"city": "Lyon", "stops": [{"name": "Gare Part-Dieu", "minutes": 5}]},
            Trip(city="Lyon", stops=[Stop(name="Gare Part-Dieu", minutes=5)]),
        ),
    ]
    [result] = results
    assert (result.object, result.error, result.text, result.aborted) == (
        obj.result,
        None,
        final,
        False,
    )


async def test_an_array_stream_sends_complete_elements() -> None:
    obj = ObjectStreamContext(list[Stop], output="array")
    partials: list[Any] = []

    async def work(obj: ObjectStreamContext[list[Stop]]) -> None:
        await obj.write_element(Stop(name="a"))
        partials.append(obj.partial)
        await obj.write_element({"name": "b", "minutes": 2})
        partials.append(obj.partial)
        with pytest.raises(ObjectValidationError, match="at 'minutes'"):
            await obj.write_element({"name": "c", "minutes": "soon"})

    await obj.run(work)
    assert (await _body(obj)).decode() == '[{"name":"a","minutes":0},{"name":"b","minutes":2}]'
    assert partials == [
        [{"name": "a", "minutes": 0}],
        [{"name": "a", "minutes": 0}, {"name": "b", "minutes": 2}],
    ]
    assert obj.result == [Stop(name="a"), Stop(name="b", minutes=2)]


async def test_an_array_stream_without_elements_is_an_empty_array() -> None:
    obj = ObjectStreamContext(list[Stop], output="array")

    async def work(obj: ObjectStreamContext[list[Stop]]) -> None:
        pass

    await obj.run(work)
    assert (await _body(obj), obj.result) == (b"[]", [])


async def test_json_text_deltas_pass_as_they_come() -> None:
    obj = ObjectStreamContext(Trip)
    pieces = ['{"ci', 'ty": "Pa', 'ris", "st', 'ops": [{"name": "\\u00e9', '"}]}']

    async def work(obj: ObjectStreamContext[Trip]) -> None:
        for piece in pieces:
            await obj.write_json(piece)
        await obj.write_json("")  # (nothing)

    await obj.run(work)
    assert (await _body(obj)).decode() == "".join(pieces)
    assert obj.result == Trip(city="Paris", stops=[Stop(name="é")])


async def test_a_whole_object_is_validated_before_it_is_sent() -> None:
    obj = ObjectStreamContext(Trip)

    async def work(obj: ObjectStreamContext[Trip]) -> None:
        with pytest.raises(ObjectValidationError, match="at 'city': Field required") as info:
            await obj.write_object({"stops": []})
        assert info.value.errors[0]["type"] == "missing"
        assert obj.text == ""
        await obj.write_object(Trip(city="Nice"))
        with pytest.raises(ObjectValidationError, match="was closed"):
            await obj.write_json(" ")

    await obj.run(work)
    assert (await _body(obj), obj.result) == (b'{"city":"Nice","stops":[]}', Trip(city="Nice"))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([{"city": "Lyon"}, {"city": "Paris"}], "must extend the previous one"),
        ([{"city": "Lyon", "stops": []}, {"stops": [], "city": "Lyon"}], "must extend"),
        ([{"city": math.nan}], "not JSON"),
        ([{"city": object()}], "not JSON"),
    ],
)
async def test_partial_values_that_cannot_extend_the_text_are_refused(
    values: list[Any], message: str
) -> None:
    obj = ObjectStreamContext(Trip)

    async def work(obj: ObjectStreamContext[Trip]) -> None:
        *good, bad = values
        for value in good:
            await obj.write_partial(value)
        sent = obj.text
        with pytest.raises(ObjectValidationError, match=message):
            await obj.write_partial(bad)
        assert obj.text == sent  # (nothing of it was sent)

    await obj.run(work)
    await _body(obj)


async def test_a_lone_surrogate_escapes_itself_only() -> None:
    """A value with a lone surrogate is written with ``\\udXXX`` for it alone (UTF-8 cannot
    carry it), so the text of the value before it stays a prefix (DEL and é are not escaped)."""
    obj: ObjectStreamContext[dict[str, str]] = ObjectStreamContext(dict[str, str])

    async def work(obj: ObjectStreamContext[dict[str, str]]) -> None:
        await obj.write_partial({"city": "\x7fé"})
        await obj.write_partial({"city": "\x7fé", "note": "a\ud800"})

    await obj.run(work)
    assert await _body(obj) == '{"city":"\x7fé","note":"a\\ud800"}'.encode()
    assert obj.result == {"city": "\x7fé", "note": "a\ud800"}


@pytest.mark.parametrize(
    ("value", "outcome"),
    [
        ({"n": 1.5, "s": "NaN"}, {"n": 1.5, "s": "NaN"}),  # (the word NaN in a string is text)
        ({"n": math.inf, "s": ""}, "not JSON"),
        ({"n": 2.0, "s": "Infinity\ud800"}, {"n": 2.0, "s": "Infinity\ud800"}),
    ],
)
async def test_final_values_are_json_whatever_encoder_validates_them(
    value: dict[str, Any], outcome: Any
) -> None:
    """write_object validates with pydantic's encoder when it can; a non-finite number is
    refused as not JSON (pydantic's JSON parser would take Infinity), a lone surrogate kept."""

    class Value(BaseModel):
        n: float
        s: str

    obj = ObjectStreamContext(Value)

    async def work(obj: ObjectStreamContext[Value]) -> None:
        if isinstance(outcome, str):
            with pytest.raises(ObjectValidationError, match=outcome):
                await obj.write_object(value)
            await obj.write_object({"n": 0, "s": ""})
        else:
            await obj.write_object(value)

    await obj.run(work)
    await _body(obj)
    assert obj.result is not None
    expected = {"n": 0.0, "s": ""} if isinstance(outcome, str) else outcome
    assert obj.result.model_dump() == expected


async def test_a_final_text_that_fails_the_model_is_refused_and_the_body_just_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    results: list[ObjectResult[Trip]] = []
    obj = ObjectStreamContext(Trip, on_finish=results.append)

    async def work(obj: ObjectStreamContext[Trip]) -> None:
        await obj.write_json('{"city": 7}')

    await obj.run(work)
    assert await _body(obj) == b'{"city": 7}'  # (no error text in the JSON)
    assert obj.result is None
    assert isinstance(obj.error, ObjectValidationError)
    assert str(obj.error) == (
        "The value does not match the schema at 'city': Input should be a valid string."
    )
    assert results[0].error is obj.error and results[0].record.finish_reason == "error"
    assert "Stream work failed" in caplog.text


async def test_a_failing_work_is_the_error_and_nothing_is_appended() -> None:
    results: list[ObjectResult[Trip]] = []
    obj = ObjectStreamContext(Trip, on_finish=results.append)

    async def work(obj: ObjectStreamContext[Trip]) -> None:
        await obj.write_partial({"city": "Ly"})
        raise RuntimeError("provider down (secret detail)")

    await obj.run(work)
    assert await _body(obj) == b'{"city":"Ly'
    assert isinstance(results[0].error, RuntimeError)
    assert results[0].object is None


async def test_nothing_sent_is_no_value() -> None:
    obj = ObjectStreamContext(Trip)

    async def work(obj: ObjectStreamContext[Trip]) -> None:
        pass

    await obj.run(work)
    assert await _body(obj) == b""
    assert (
        str(obj.error)
        == "The streamed text is not JSON, not even a truncated JSON value: nothing was sent."
    )


def test_misuse_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match=r"takes a list type, such as list\[Step\]"):
        ObjectStreamContext(Stop, output="array")
    with pytest.raises(ValueError, match='must be "object" or "array"'):
        ObjectStreamContext(Stop, output="table")  # type: ignore[arg-type]


async def test_write_element_needs_an_array_stream() -> None:
    obj = ObjectStreamContext(Trip)
    with pytest.raises(ObjectValidationError, match='needs output="array"'):
        await obj.write_element({"name": "x"})


def test_the_json_schema_is_the_models() -> None:
    assert ObjectStreamContext(Trip).json_schema == Trip.model_json_schema()
    schema = ObjectStreamContext(list[Stop], output="array").json_schema
    assert (schema["type"], schema["items"]) == ("array", {"$ref": "#/$defs/Stop"})


async def test_served_as_plain_text_over_http() -> None:
    async def endpoint(request: Request) -> UIMessageStreamResponse:
        obj = ObjectStreamContext(Trip)

        async def work(obj: ObjectStreamContext[Trip]) -> None:
            await obj.write_partial({"city": "Lyon"})

        await obj.run(work)
        return UIMessageStreamResponse(obj)

    app = Starlette(routes=[Route("/object", endpoint, methods=["POST"])])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/object", json={"prompt": "a trip"})
    assert (response.headers["content-type"], response.text) == (
        "text/plain; charset=utf-8",
        '{"city":"Lyon"}',
    )


@pytest.mark.parametrize("kind", ["chat-text", "completion-text", "object"])
async def test_a_disconnect_cancels_the_work(kind: str) -> None:
    """useChat over text, useCompletion and useObject: the client going away cancels the work
    and the record is aborted."""
    cancelled = anyio.Event()
    finished: list[bool] = []

    async def tick(write: Any) -> None:
        try:
            for i in range(100_000):
                await write(f'"{i}",')
                await anyio.sleep(0.001)
        except anyio.get_cancelled_exc_class():
            cancelled.set()
            raise

    if kind == "object":
        obj = ObjectStreamContext(list[str], on_finish=lambda r: finished.append(r.aborted))

        async def object_work(obj: ObjectStreamContext[list[str]]) -> None:
            await obj.write_json("[")
            await tick(obj.write_json)

        await obj.run(object_work)
        context = obj.context
    else:
        context = StreamContext(
            stream_protocol="text", on_finish=lambda r: finished.append(r.aborted)
        )

        async def text_work(ctx: StreamContext[None]) -> None:
            await tick(ctx.write_text)

        await context.run(text_work)
    client = Disconnecting(after=3)
    with anyio.fail_after(2):
        await UIMessageStreamResponse(context)(_scope(), client.receive, client.send)
    assert cancelled.is_set()
    assert finished == [True]
