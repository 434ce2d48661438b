"""experimental_useObject: a typed itinerary streamed as it grows, checked in process.

Run it: ``python docs/examples/hooks_object.py`` posts what ``useObject`` posts, and checks the
JSON text the hook reads, what it shows while the answer grows, and the final typed value.
"""

from typing import Any

from fastapi import FastAPI, Request
from pydantic import BaseModel

from ai_stream import ObjectResult, ObjectStreamContext, UIMessageStreamResponse


# --8<-- [start:model]
class Day(BaseModel):
    title: str
    activities: list[str] = []


class Itinerary(BaseModel):
    destination: str
    days: list[Day] = []


# --8<-- [end:model]

app = FastAPI()
saved: list[Itinerary] = []


# --8<-- [start:route]
async def plan(obj: ObjectStreamContext[Itinerary], destination: str) -> None:
    """Stands in for a framework that yields growing objects (each extends the last)."""
    await obj.write_partial({"destination": destination})
    await obj.write_partial({"destination": destination, "days": [{"title": "Old town"}]})
    await obj.write_partial(
        {"destination": destination, "days": [{"title": "Old town", "activities": ["Cathedral"]}]}
    )


async def save(result: ObjectResult[Itinerary]) -> None:
    if result.object is not None:  # None when aborted or refused by the model
        saved.append(result.object)


@app.post("/api/trip")
async def trip(request: Request) -> UIMessageStreamResponse:
    body: dict[str, Any] = await request.json()  # useObject posts its submit(input) as JSON
    obj = ObjectStreamContext(Itinerary, on_finish=save)
    await obj.run(plan, str(body.get("destination", "Lyon"))[:100])
    return UIMessageStreamResponse(obj)


# --8<-- [end:route]


# --8<-- [start:provider]
async def from_a_provider(obj: ObjectStreamContext[Itinerary]) -> None:
    """A provider's structured output arrives as JSON text: pass it on as it comes."""
    for delta in ['{"destination": "Ni', 'ce", "days": [{"ti', 'tle": "Port"}]}']:
        await obj.write_json(delta)  # (with OpenAI: response_format={"type": "json_schema",
        # "json_schema": {"name": "itinerary", "schema": obj.json_schema, ...}})


# --8<-- [end:provider]


# --8<-- [start:array]
async def days_one_by_one(obj: ObjectStreamContext[list[Day]]) -> None:
    for title in ("Port", "Castle hill"):
        await obj.write_element(Day(title=title))  # validated, then sent whole


# --8<-- [end:array]


async def checks() -> None:
    from ai_stream.testing import collect_stream

    # --8<-- [start:check-provider]
    obj = ObjectStreamContext(Itinerary)
    await obj.run(from_a_provider)
    body = await collect_stream(obj.context)
    assert body == b'{"destination": "Nice", "days": [{"title": "Port"}]}'
    assert obj.result == Itinerary(destination="Nice", days=[Day(title="Port")])
    # --8<-- [end:check-provider]

    # --8<-- [start:check-array]
    days = ObjectStreamContext(list[Day], output="array")
    await days.run(days_one_by_one)
    body = await collect_stream(days.context)
    assert body == b'[{"title":"Port","activities":[]},{"title":"Castle hill","activities":[]}]'
    # --8<-- [end:check-array]


def main() -> None:
    import anyio
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        # --8<-- [start:check]
        response = client.post("/api/trip", json={"destination": "Lyon"})
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.text == (
            '{"destination":"Lyon","days":[{"title":"Old town","activities":["Cathedral"]}]}'
        )
        assert saved == [
            Itinerary(destination="Lyon", days=[Day(title="Old town", activities=["Cathedral"])])
        ]
        # --8<-- [end:check]
    anyio.run(checks)


if __name__ == "__main__":
    main()
