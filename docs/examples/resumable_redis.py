"""Resumable streams on several workers: the answers live in Redis, any worker serves them.

Run it: ``REDIS_URL=redis://127.0.0.1:6379/0 python docs/examples/resumable_redis.py`` builds two
instances of the app (two workers) on one Redis: a tab posts to worker A and reloads, its resume
GET lands on worker B; then a stop sent to B stops an answer that runs on A.
"""

import os
import secrets

# --8<-- [start:app]
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from ai_stream import (
    ChatRequest,
    RequestParseError,
    ResumableStreams,
    StreamContext,
    StreamRecord,
    request_error_response,
    resumable_response,
    resume_response,
    stop_response,
)
from ai_stream.integrations.redis import RedisStreamStore

OWNERS: dict[str, str] = {}  # chat id -> user id: your database, shared by the workers
SAVED: dict[str, list[dict[str, Any]]] = {}  # chat id -> its UI messages: your database


def create_app(redis_url: str, *, prefix: str = "ai_stream:") -> FastAPI:
    """One worker's app: every worker that shares `redis_url` (and `prefix`) shares the answers."""
    store = RedisStreamStore(redis_url, prefix=prefix, ttl=300, lease=2.0)
    streams = ResumableStreams(store, keep_running=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with store, streams:  # close the Redis pool, then the answers, at shutdown
            yield

    app = FastAPI(lifespan=lifespan)
    app.state.streams = streams

    def current_user(request: Request) -> str:
        user = request.headers.get("x-user")  # stands in for your authentication
        if user is None:
            raise HTTPException(status_code=401)
        return user

    def may_use(user: str, chat_id: str) -> bool:
        return OWNERS.get(chat_id, user) == user

    @app.post("/api/chat")
    async def chat(request: Request, user: Annotated[str, Depends(current_user)]) -> Response:
        try:
            body = await ChatRequest.from_request(request)
        except RequestParseError as error:
            return request_error_response(error)
        if not may_use(user, body.id):
            refusal = {"type": "forbidden", "message": "Not your chat.", "path": "id"}
            return JSONResponse({"error": refusal}, status_code=403)
        OWNERS.setdefault(body.id, user)
        await streams.stop(body.id)  # stops the chat's running answer on any worker
        SAVED[body.id] = [message.to_dict() for message in body.messages]

        async def save(record: StreamRecord) -> None:
            SAVED[body.id].append(record.to_ui_message())

        ctx = StreamContext.for_request(body, on_finish=save)
        await ctx.run(answer)
        return await resumable_response(streams, body.id, ctx)  # 503 JSON if Redis is down

    @app.get("/api/chat/{chat_id}/stream")
    async def resume(chat_id: str, user: Annotated[str, Depends(current_user)]) -> Response:
        if not may_use(user, chat_id):
            return Response(status_code=204)
        return await resume_response(streams, chat_id)

    @app.post("/api/chat/{chat_id}/stop")
    async def stop(chat_id: str, user: Annotated[str, Depends(current_user)]) -> Response:
        if not may_use(user, chat_id):
            return Response(status_code=204)
        return await stop_response(streams, chat_id)

    return app


# --8<-- [end:app]

ANSWER = "Any worker that shares the store can replay this answer and follow it to its end. "


async def answer(ctx: StreamContext) -> None:
    """A model that takes its time (your model call)."""
    for word in ANSWER.split(" ")[:-1]:
        await ctx.write_text(word + " ")
        await anyio.sleep(0.1)


def question(chat_id: str) -> dict[str, Any]:
    """What ``useChat`` posts for a first message."""
    text = {"type": "text", "text": "Where does this answer live?"}
    return {
        "id": chat_id,
        "trigger": "submit-message",
        "messages": [{"id": f"u-{chat_id}", "role": "user", "parts": [text]}],
    }


async def post_then_reload(app: FastAPI, body: dict[str, Any], user: str) -> bytes:
    """A browser tab that posts ``body`` to ``app``, receives three pieces and reloads.

    httpx's in-process transport reads whole responses, so this calls the ASGI app itself and
    disconnects (``http.disconnect``) once the pieces arrived. Returns what the tab received.
    """
    import json

    from starlette.types import Message

    payload = json.dumps(body).encode()
    received: list[bytes] = []
    enough = anyio.Event()
    asked = False

    async def receive() -> Message:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": payload, "more_body": False}
        await enough.wait()
        await anyio.sleep(0.05)  # (the tab goes away between two pieces)
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            received.append(message["body"])
            if len(received) == 3:
                enough.set()

    headers = {"content-type": "application/json", "x-user": user}
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/chat",
        "raw_path": b"/api/chat",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    await app(scope, receive, send)
    return b"".join(received)


async def until_running(app: FastAPI, answers: int) -> None:
    """Wait (at most 5 s) until ``app`` runs ``answers`` answers (``on_finish`` included)."""
    streams: ResumableStreams = app.state.streams
    with anyio.fail_after(5):
        while streams.running != answers:  # noqa: ASYNC110 (a test helper polls)
            await anyio.sleep(0.01)


async def check(redis_url: str) -> None:
    import httpx

    prefix = f"docs-{secrets.token_hex(4)}:"  # (keys of this run only)
    # --8<-- [start:check]
    from ai_stream.testing import parse_sse, parse_sse_json, read_ui_message

    worker_a = create_app(redis_url, prefix=prefix)
    worker_b = create_app(redis_url, prefix=prefix)
    alice = {"x-user": "alice"}
    async with (
        worker_a.router.lifespan_context(worker_a),
        worker_b.router.lifespan_context(worker_b),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=worker_a), base_url="http://a") as a,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=worker_b), base_url="http://b") as b,
    ):
        # The tab posts to worker A and reloads; its resume GET lands on worker B.
        partial = await post_then_reload(worker_a, question("chat-1"), "alice")
        resumed = await b.get("/api/chat/chat-1/stream", headers=alice)
        assert resumed.status_code == 200 and resumed.content.startswith(partial)
        message = read_ui_message(parse_sse(resumed.content))
        assert message is not None
        assert message["parts"][-1] == {"type": "text", "text": ANSWER, "state": "done"}
        await until_running(worker_a, 0)  # (A ran the answer and its on_finish)
        assert SAVED["chat-1"][-1] == message
        for worker in (a, b):  # it has ended: nothing to resume on any worker
            assert (await worker.get("/api/chat/chat-1/stream", headers=alice)).status_code == 204

        # An answer runs on A; the stop button's POST lands on B.
        bodies: list[bytes] = []

        async def open_tab() -> None:
            bodies.append(
                (await a.post("/api/chat", json=question("chat-2"), headers=alice)).content
            )

        async with anyio.create_task_group() as group:
            group.start_soon(open_tab)
            await until_running(worker_a, 1)
            await anyio.sleep(0.2)
            started = anyio.current_time()
            stopped = await b.post("/api/chat/chat-2/stop", headers=alice)
            assert stopped.status_code == 204
            assert anyio.current_time() - started < 2.0  # A looks every lease / 3
        assert parse_sse_json(bodies[0])[-1] == {"type": "abort"}
        await until_running(worker_a, 0)
        assert SAVED["chat-2"][-1]["parts"][-1]["text"] != ANSWER  # the partial answer, saved
        assert (await b.get("/api/chat/chat-2/stream", headers=alice)).status_code == 204
    # --8<-- [end:check]


def main() -> None:
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        raise SystemExit("Set REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379/0")
    anyio.run(check, redis_url)


if __name__ == "__main__":
    main()
