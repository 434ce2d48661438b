"""ai_stream.flask under werkzeug's threaded WSGI server: the real ai 6 client, concurrency,
and disconnects."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from werkzeug.serving import make_server

from ai_stream import StreamContext
from ai_stream.exceptions import StreamStateError
from ai_stream.flask import streaming_response
from tests.conformance.client import replay
from tests.frameworks.flask_app import app
from tests.frameworks.scenario import (
    JSON,
    SLOW_STEP_SECONDS,
    SLOW_STEPS,
    body_for,
    observed,
    oversized_bodies,
)

RELEASE = "6.0.326"


@pytest.fixture
def base_url() -> Iterator[str]:
    """The URL of the Flask app served by werkzeug (threaded) on 127.0.0.1 (a free port)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        assert not thread.is_alive()


def wait_until(condition: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout} s")
        time.sleep(0.01)


@pytest.mark.parametrize("view", ["/api/chat", "/api/chat/async"], ids=["sync-view", "async-view"])
def test_real_v6_client_accepts_the_stream(base_url: str, view: str) -> None:
    chat_id = f"flask-full{view}"
    response = httpx.post(
        f"{base_url}{view}", content=body_for(chat_id, "full"), headers=JSON, timeout=10
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["x-vercel-ai-ui-message-stream"] == "v1"
    assert response.text.endswith("data: [DONE]\n\n")
    seen = observed(chat_id)
    wait_until(lambda: seen.records, 5)
    (record,) = seen.records
    assert not record.aborted
    assert seen.tag == f"view of {chat_id}"  # context variables flow from the view

    result = replay([{"name": "flask", "body": response.text, "versions": [RELEASE]}], timeout=60)
    result = result["flask"][RELEASE]
    assert result["chunkErrors"] == []
    chat = result["chat"]
    assert chat["status"] == "ready", chat
    assistant = chat["messages"][-1]
    kinds = [p["type"] for p in assistant["parts"]]
    assert [k for k in kinds if k != "step-start"] == ["reasoning", "tool-weather", "text"]
    tool = assistant["parts"][kinds.index("tool-weather")]
    assert tool["state"] == "output-available"
    assert tool["output"] == {"temperature": 21, "unit": "C"}
    assert assistant["parts"][-1]["text"] == "Hello! It is 21 °C in Paris."
    assert assistant == record.to_ui_message(RELEASE)


def test_concurrent_streams_do_not_block_each_other(base_url: str) -> None:
    one = SLOW_STEPS * SLOW_STEP_SECONDS  # how long one slow stream takes

    def fetch(chat_id: str) -> tuple[bytes, float]:
        started = time.monotonic()
        response = httpx.post(
            f"{base_url}/api/chat", content=body_for(chat_id, "slow"), headers=JSON, timeout=10
        )
        return response.content, time.monotonic() - started

    started = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(fetch, "flask-slow-1")
        second = pool.submit(fetch, "flask-slow-2")
        # Meanwhile an ordinary request is served at once.
        time.sleep(SLOW_STEP_SECONDS)
        ping_started = time.monotonic()
        assert httpx.get(f"{base_url}/ping", timeout=5).text == "pong"
        assert time.monotonic() - ping_started < one / 2
        results = [first.result(timeout=20), second.result(timeout=20)]
    elapsed = time.monotonic() - started

    for body, duration in results:
        assert body.count(b"tick ") == SLOW_STEPS
        assert body.endswith(b"data: [DONE]\n\n")
        assert duration >= one * 0.9
    assert elapsed < one * 1.6, f"two streams took {elapsed:.2f} s, one takes {one:.2f} s"
    # Both ran on the one shared event loop thread.
    threads = observed("flask-slow-1").threads | observed("flask-slow-2").threads
    assert len(threads) == 1
    assert threading.get_ident() not in threads


@pytest.mark.parametrize(
    ("answer", "keep_alive", "until"),
    [
        ("endless", None, b"tick 2 "),
        # A silent model: only the keep-alive comments make the server write, and notice.
        ("silent", 0.1, b"thinking"),
    ],
    ids=["writing", "silent-with-keep-alive"],
)
def test_client_disconnect_cancels_the_work(
    base_url: str, answer: str, keep_alive: float | None, until: bytes
) -> None:
    chat_id = f"flask-disconnect-{answer}"
    seen = observed(chat_id)
    body = body_for(chat_id, answer, keep_alive=keep_alive)
    with (
        httpx.Client(timeout=10) as client,
        client.stream("POST", f"{base_url}/api/chat", content=body, headers=JSON) as response,
    ):
        assert response.status_code == 200
        received = b""
        for data in response.iter_bytes():
            received += data
            if until in received:
                break
    # The connection is closed: the server's next writes fail, it closes the body, and the
    # work is cancelled and the record finalised.
    wait_until(lambda: seen.records, 5)
    assert seen.started
    assert seen.cancelled
    (record,) = seen.records
    assert record.aborted
    assert record.abort_reason == "client-disconnected"


def test_requests_share_one_loop_thread(base_url: str) -> None:
    with httpx.Client(timeout=10) as client:
        for i in range(5):
            response = client.post(
                f"{base_url}/api/chat", content=body_for(f"flask-{i}", "full"), headers=JSON
            )
            assert response.text.endswith("data: [DONE]\n\n")
    loops = [t for t in threading.enumerate() if t.name == "ai-stream-loop"]
    assert len(loops) == 1
    assert loops[0].daemon


def test_response_headers_and_work_given_twice() -> None:
    async def work(ctx: StreamContext[None]) -> None:
        await ctx.write_text("hi")

    ctx: StreamContext[None] = StreamContext()
    response = streaming_response(ctx, work=work, status=201, headers={"x-extra": "1"})
    assert response.status_code == 201
    assert response.headers["x-extra"] == "1"
    assert response.headers["content-type"] == "text/event-stream"
    assert "connection" not in response.headers  # hop-by-hop: WSGI forbids it
    with pytest.raises(StreamStateError):
        streaming_response(ctx, work=work)
    body = b"".join(response.iter_encoded())
    assert b'"delta":"hi"' in body
    assert body.endswith(b"data: [DONE]\n\n")


def test_bad_and_oversized_bodies_get_json_errors_without_being_read(base_url: str) -> None:
    """The README's pattern (read_chat_request + error_response): 413 for a body declared too
    large and for one that hides its size (only MAX_SIZE + 1 bytes are read of 200 MiB), 422
    and 415 as JSON. Memory stays far below the body (werkzeug's server itself discards the
    unread rest in reads of 10 MB: the peak is about two of them)."""
    answers, peak = oversized_bodies(f"{base_url}/api/chat")
    assert answers[0] == (413, "invalid_request")
    assert answers[1] in ((413, "invalid_request"), (0, "connection closed"))
    assert answers[2:] == [(422, "invalid_request"), (415, "invalid_request")]
    assert peak < 48 * 1024 * 1024, peak


def test_a_completion_is_read_and_answered_as_text(base_url: str) -> None:
    """useCompletion's body through ``read_completion_request``; the text protocol's answer;
    a body without a prompt gets the same 4xx JSON as a bad chat body."""
    answer = httpx.post(f"{base_url}/api/completion", json={"prompt": "hé 🚆"}, timeout=10)
    assert (answer.status_code, answer.headers["content-type"], answer.text) == (
        200,
        "text/plain; charset=utf-8",
        "You said: hé 🚆",
    )
    bad = httpx.post(f"{base_url}/api/completion", json={"promt": "typo"}, timeout=10)
    assert (bad.status_code, bad.json()["error"]["path"]) == (422, "prompt")
