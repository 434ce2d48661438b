"""ai_stream.django under a real uvicorn server: the real ai 6 client, and disconnects."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import anyio
import anyio.to_thread
import django
import httpx
import pytest
import uvicorn

from ai_stream import StreamContext
from ai_stream.django import streaming_response
from tests.conformance.client import replay
from tests.frameworks.django_app import application
from tests.frameworks.scenario import JSON, body_for, observed, oversized_bodies

RELEASE = "6.0.326"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # Django's ASGIHandler runs on asyncio


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    """The URL of the Django app served by uvicorn on 127.0.0.1 (a free port)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(application, log_level="error", lifespan="off", timeout_graceful_shutdown=5)
    )
    with sock:
        async with anyio.create_task_group() as group:
            group.start_soon(server.serve, [sock])
            with anyio.fail_after(10):
                while not server.started:
                    await anyio.sleep(0.01)
            yield f"http://127.0.0.1:{port}"
            server.should_exit = True


async def test_real_v6_client_accepts_the_stream(base_url: str) -> None:
    with anyio.fail_after(20):
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(
                f"{base_url}/api/chat",
                content=body_for("django-full", "full"),
                headers=JSON,
            )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["x-vercel-ai-ui-message-stream"] == "v1"
    assert response.text.endswith("data: [DONE]\n\n")
    seen = observed("django-full")
    (record,) = seen.records
    assert not record.aborted
    assert seen.tag == "view of django-full"  # context variables flow from the view

    body = response.text
    result = (
        await anyio.to_thread.run_sync(
            replay, [{"name": "django", "body": body, "versions": [RELEASE]}]
        )
    )["django"][RELEASE]
    assert result["chunkErrors"] == []
    chat = result["chat"]
    assert chat["status"] == "ready", chat
    assistant = chat["messages"][-1]
    assert [p["type"] for p in assistant["parts"] if p["type"] != "step-start"] == [
        "reasoning",
        "tool-weather",
        "text",
    ]
    tool = assistant["parts"][[p["type"] for p in assistant["parts"]].index("tool-weather")]
    assert tool["state"] == "output-available"
    assert tool["output"] == {"temperature": 21, "unit": "C"}
    assert assistant["parts"][-1]["text"] == "Hello! It is 21 °C in Paris."
    assert assistant == record.to_ui_message(RELEASE)


@pytest.mark.skipif(
    django.VERSION < (5, 0), reason="Django < 5.0 does not listen for http.disconnect"
)
@pytest.mark.parametrize(
    ("answer", "paced", "until"),
    [
        ("endless", False, b"tick 2 "),
        # With a middleware that awaits between body parts, Django's cancellation lands
        # outside the context's stream: the response itself must close it.
        ("endless", True, b"tick 2 "),
        # A silent model: Django's ASGI handler hears the disconnect without any write.
        ("silent", False, b"thinking"),
    ],
    ids=["writing", "wrapping-middleware", "silent"],
)
async def test_client_disconnect_cancels_the_work(
    base_url: str, answer: str, paced: bool, until: bytes
) -> None:
    chat_id = f"django-disconnect-{answer}-{paced}"
    seen = observed(chat_id)
    headers = {**JSON, "x-paced": "1"} if paced else JSON
    with anyio.fail_after(10):
        async with httpx.AsyncClient(timeout=10) as client:
            async with client.stream(
                "POST",
                f"{base_url}/api/chat",
                content=body_for(chat_id, answer),
                headers=headers,
            ) as response:
                assert response.status_code == 200
                received = b""
                async for data in response.aiter_bytes():
                    received += data
                    if until in received:
                        break
        # The connection is closed: the server must cancel the work and finalise the record.
    with anyio.fail_after(2):
        while not seen.records:
            await anyio.sleep(0.01)
    assert seen.started
    assert seen.cancelled
    (record,) = seen.records
    assert record.aborted
    assert record.abort_reason == "client-disconnected"


def test_a_sync_view_is_refused() -> None:
    ctx: StreamContext[None] = StreamContext()
    with pytest.raises(RuntimeError, match="async views served over ASGI"):
        streaming_response(ctx)


async def test_wsgi_iteration_is_refused() -> None:
    async def work(ctx: StreamContext[None]) -> None:
        await ctx.write_text("hi")

    ctx: StreamContext[None] = StreamContext()
    await ctx.run(work)
    response = streaming_response(ctx, status=201, headers={"x-extra": "1"})
    assert response.status_code == 201
    assert response["x-extra"] == "1"
    assert response["content-type"] == "text/event-stream"
    assert "connection" not in response  # hop-by-hop: the server's business
    with pytest.raises(TypeError, match="iterated synchronously"):
        iter(response)
    with anyio.fail_after(5):
        body = b"".join([part async for part in response])
    assert b'"delta":"hi"' in body
    assert body.endswith(b"data: [DONE]\n\n")


async def test_bad_and_oversized_bodies_get_json_errors(base_url: str) -> None:
    """The README's pattern (read_chat_request + error_response): 413 for a body declared too
    large and for one that hides its size (at most MAX_SIZE + 1 bytes are read; Django's ASGI
    handler spools the body to a file first), 422 and 415 as JSON; memory stays small."""
    answers, peak = await anyio.to_thread.run_sync(oversized_bodies, f"{base_url}/api/chat")
    assert answers[0] == (413, "invalid_request")
    assert answers[1] in ((413, "invalid_request"), (0, "connection closed"))
    assert answers[2:] == [(422, "invalid_request"), (415, "invalid_request")]
    assert peak < 48 * 1024 * 1024, peak


async def test_a_completion_is_read_and_answered_as_text(base_url: str) -> None:
    """useCompletion's body through ``read_completion_request``; the text protocol's answer;
    a body without a prompt gets the same 4xx JSON as a bad chat body."""
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(f"{base_url}/api/completion", json={"prompt": "hé 🚆"})
        bad = await client.post(f"{base_url}/api/completion", json={"promt": "typo"})
    assert (answer.status_code, answer.headers["content-type"], answer.text) == (
        200,
        "text/plain; charset=utf-8",
        "You said: hé 🚆",
    )
    assert (bad.status_code, bad.json()["error"]["path"]) == (422, "prompt")
