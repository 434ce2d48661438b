"""The example backend's completion and trip routes (``/api/completion``, ``/api/trip``).

In process with FastAPI's TestClient on the demo model; a stop over a real server; and the
real-model path against a fake OpenAI-compatible server (what the app sends it, what it makes
of the streamed answer).
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from ai_stream.protocol.partial_json import parse_partial_json
from ai_stream.testing import parse_sse_json
from tests.helpers import serve

BACKEND = Path(__file__).resolve().parents[2] / "example" / "backend"
SECRET = "example-test-secret-0123456789"
END = "Set OPENAI_API_KEY to get the same page from a real model."


def _modules() -> tuple[Any, Any, Any, Any]:
    if str(BACKEND) not in sys.path:
        sys.path.insert(0, str(BACKEND))
    return (
        importlib.import_module("main"),
        importlib.import_module("settings"),
        importlib.import_module("schemas"),
        importlib.import_module("services.demo_model"),
    )


def _app(tmp_path: Path, **options: Any) -> Any:
    main, settings, _, _ = _modules()
    options.setdefault("demo_delay", 0)
    return main.create_app(
        settings.Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path}/chat.db", secret=SECRET, **options
        )
    )


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(_app(tmp_path)) as client:
        yield client


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiosqlite runs on asyncio


# --- /api/completion ---------------------------------------------------------------------------


def test_completion_text_protocol_is_the_plain_text(client: TestClient) -> None:
    response = client.post("/api/completion", json={"prompt": " a  dragon ", "protocol": "text"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert len(response.headers["x-request-id"]) == 8
    assert response.text.startswith("Here is a completion for “a dragon”, written by the offline")
    assert response.text.endswith(END)


def test_completion_data_protocol_is_the_ui_message_stream(client: TestClient) -> None:
    text = client.post("/api/completion", json={"prompt": "a dragon", "protocol": "text"}).text
    response = client.post("/api/completion", json={"prompt": "a dragon"})  # useCompletion()
    assert response.headers["content-type"].startswith("text/event-stream")
    chunks = parse_sse_json(response.content)
    deltas = [c["delta"] for c in chunks if c["type"] == "text-delta"]
    assert len(deltas) > 50  # word by word
    assert "".join(deltas) == text
    assert chunks[-1]["type"] == "finish"


def test_completion_error_mid_stream(client: TestClient) -> None:
    """``data``: the partial text, then the masked error; ``text``: the text just ends."""
    data = client.post("/api/completion", json={"prompt": "Trigger an error"})
    chunks = parse_sse_json(data.content)
    text = "".join(c["delta"] for c in chunks if c["type"] == "text-delta")
    assert text.startswith("Here is a completion for “Trigger an error”") and END not in text
    assert {"type": "error", "errorText": "An error occurred."} in chunks
    assert "is down" not in data.text  # the exception stays on the server
    plain = client.post("/api/completion", json={"prompt": "an error", "protocol": "text"})
    assert plain.status_code == 200
    assert plain.text.startswith("Here is a completion for “an error”") and END not in plain.text


@pytest.mark.parametrize(
    ("body", "message", "path"),
    [
        ({"text": "no prompt"}, "Invalid completion request at prompt: Field required.", "prompt"),
        ({"prompt": " \n "}, "Write a prompt first.", "prompt"),
        ({"prompt": "x" * 2001}, "The prompt is too long (2001 characters, at most 2000).",
         "prompt"),
        ({"prompt": "hi", "protocol": "xml"}, 'protocol must be "data" or "text".', "protocol"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("route", ["/api/completion", "/api/trip"])
def test_bad_requests_are_422_before_anything_streams(
    client: TestClient, route: str, body: dict[str, Any], message: str, path: str
) -> None:
    response = client.post(route, json=body)
    if route == "/api/trip" and path == "protocol":  # (the trip has no protocol field)
        assert response.status_code == 200
        return
    assert response.status_code == 422
    assert response.json() == {"error": {"type": "invalid_request", "message": message,
                                         "path": path}}  # fmt: skip


def test_a_body_that_is_not_json_is_refused(client: TestClient) -> None:
    for route in ("/api/completion", "/api/trip"):
        response = client.post(
            route, content=b"{oops", headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, route
        assert response.json()["error"]["type"] == "invalid_request"


# --- /api/trip ---------------------------------------------------------------------------------


def test_trip_streams_the_typed_itinerary(client: TestClient) -> None:
    _, _, schemas, demo = _modules()
    response = client.post("/api/trip", json={"prompt": "A 4-day trip to New York"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    itinerary = schemas.Itinerary.model_validate_json(response.text)
    assert itinerary.destination == "New York"
    assert [d.day for d in itinerary.days] == [1, 2, 3, 4]
    assert all(len(d.activities) == 3 for d in itinerary.days) and len(itinerary.tips) == 3
    assert json.loads(response.text) == demo.demo_itinerary("A 4-day trip to New York")


@pytest.mark.parametrize(
    ("prompt", "destination", "days"),
    [
        ("plan something nice", "Lisbon", 3),
        ("A weekend in Vienna", "Vienna", 2),
        ("visit Rio de Janeiro for 12 days", "Rio", 5),
        ("1 day to Oslo", "Oslo", 1),
    ],
)
def test_demo_itinerary_reads_the_prompt(prompt: str, destination: str, days: int) -> None:
    _, _, schemas, demo = _modules()
    itinerary = schemas.Itinerary.model_validate(demo.demo_itinerary(prompt))
    assert (itinerary.destination, len(itinerary.days)) == (destination, days)
    assert demo.demo_itinerary(prompt) == demo.demo_itinerary(prompt)  # deterministic


def test_growing_values_each_extend_the_last() -> None:
    _, _, _, demo = _modules()
    value = {"a": "one two", "b": [], "c": [{"d": 1, "e": ["x y"]}], "f": {}}
    steps = list(demo.growing(value))
    assert steps[0] == {"a": "one "} and steps[-1] == value
    assert {"a": "one two", "b": [], "c": [{"d": 1}]} in steps
    assert list(demo.growing("")) == [""]


def test_trip_error_mid_stream_ends_the_text_short(client: TestClient) -> None:
    """The text ends during the second day: what the client makes of it lacks ``tips``, so its
    schema refuses it (the page shows that)."""
    _, _, schemas, _ = _modules()
    response = client.post("/api/trip", json={"prompt": "A weekend trip to Rome with an error"})
    assert response.status_code == 200
    shown = parse_partial_json(response.text).value
    assert isinstance(shown, dict)
    assert isinstance(shown["days"], list)
    assert shown["destination"] == "Rome" and len(shown["days"]) == 1 and "tips" not in shown
    with pytest.raises(ValueError, match="tips"):
        schemas.Itinerary.model_validate(shown)


async def test_a_stop_cancels_the_work(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The browser hangs up (Stop): the work is cancelled, and the log says so."""
    caplog.set_level(logging.INFO, logger="example")
    async with serve(_app(tmp_path, demo_delay=0.03), lifespan="on") as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            for route in ("/api/completion", "/api/trip"):
                body = {"prompt": "A 5-day trip to Kyoto", "protocol": "text"}
                async with http.stream("POST", route, json=body) as response:
                    rid = response.headers["x-request-id"]
                    received = b""
                    async for data in response.aiter_bytes():
                        received += data
                        if len(received) > 40:
                            break  # Stop
                kind = route.rsplit("/", 1)[1]
                with anyio.fail_after(5):
                    while not any(f"{kind} {rid}: stopped" in m for m in caplog.messages):
                        await anyio.sleep(0.02)
                line = next(m for m in caplog.messages if f"{kind} {rid}: stopped" in m)
                assert "(client-disconnected)" in line, line
                assert not any(f"{kind} {rid}: finished" in m for m in caplog.messages)


# --- the real model (OPENAI_API_KEY): a fake OpenAI-compatible server ---------------------------


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    chunk = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "fake-model",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    return f"data: {json.dumps(chunk)}\n\n".encode()


ITINERARY = {
    "destination": "Nice",
    "summary": "Two sunny days.",
    "days": [{"day": 1, "title": "Port", "activities": ["Swim"]},
             {"day": 2, "title": "Old town", "activities": ["Market", "Castle hill"]}],
    "tips": ["Bring a hat."],
}  # fmt: skip


@pytest.fixture
async def fake_openai() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A fake ``/v1/chat/completions``: streams a text, or the itinerary's JSON in pieces when
    asked for structured output (``refuse`` in the prompt: a refusal)."""
    requests: list[dict[str, Any]] = []

    async def completions(request: Request) -> StreamingResponse:
        body = await request.json()
        requests.append(body)
        prompt = body["messages"][-1]["content"]

        async def answer() -> AsyncIterator[bytes]:
            if "refuse" in prompt:
                yield _chunk({"role": "assistant", "refusal": "I can't help with that."})
            elif "response_format" in body:
                text = json.dumps(ITINERARY)
                for start in range(0, len(text), 7):
                    yield _chunk({"content": text[start : start + 7]})
            else:
                for word in ("Once", " upon", " a", " time."):
                    yield _chunk({"content": word})
            yield _chunk({}, "stop")
            yield b"data: [DONE]\n\n"

        return StreamingResponse(answer(), media_type="text/event-stream")

    app = Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])
    async with serve(app) as server:
        yield f"{server.url}/v1", requests


async def test_the_real_model_path(
    tmp_path: Path, fake_openai: tuple[str, list[dict[str, Any]]]
) -> None:
    """With OPENAI_API_KEY: the completion streams the model's text in either protocol, and the
    trip asks for strict structured output with the Itinerary's JSON schema and passes the JSON
    text on as it comes; a refusal is a failure (the text ends empty)."""
    _, _, schemas, _ = _modules()
    base_url, requests = fake_openai
    app = _app(tmp_path, openai_api_key="sk-test", openai_base_url=base_url, openai_model="m1")
    async with serve(app, lifespan="on") as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            text = await http.post("/api/completion", json={"prompt": "go", "protocol": "text"})
            assert text.text == "Once upon a time."
            data = await http.post("/api/completion", json={"prompt": "go"})
            chunks = parse_sse_json(data.content)
            assert "".join(c["delta"] for c in chunks if c["type"] == "text-delta") == (
                "Once upon a time."
            )
            trip = await http.post("/api/trip", json={"prompt": "two days in Nice"})
            assert json.loads(trip.text) == ITINERARY
            refused = await http.post("/api/trip", json={"prompt": "please refuse"})
            assert refused.status_code == 200 and refused.text == ""
    assert [r["model"] for r in requests] == ["m1"] * 4
    assert requests[0]["messages"][-1] == {"role": "user", "content": "go"}
    assert requests[0]["stream"] is True and "response_format" not in requests[0]
    response_format = requests[2]["response_format"]
    assert response_format == {
        "type": "json_schema",
        "json_schema": {
            "name": "itinerary",
            "schema": schemas.Itinerary.model_json_schema(),
            "strict": True,
        },
    }
    schema = response_format["json_schema"]["schema"]
    for obj in (schema, schema["$defs"]["TripDay"]):  # what strict structured outputs require
        assert obj["additionalProperties"] is False
        assert set(obj["required"]) == set(obj["properties"])
