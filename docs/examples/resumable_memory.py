"""Resumable streams on one worker: POST, resume after a reload, stop — only for the chat's owner.

Run it: ``python docs/examples/resumable_memory.py`` plays a browser tab that posts a message and
reloads halfway through the answer, another user who tries to read and stop it, and the stop
button; it checks what each of them gets.
"""

# --8<-- [start:app]
from typing import Annotated, Any

import anyio
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from ai_stream import (
    ChatRequest,
    MemoryStreamStore,
    RequestParseError,
    ResumableStreams,
    StreamContext,
    StreamRecord,
    request_error_response,
    resumable_response,
    resume_response,
    stop_response,
)

# One process: the answers live in its memory (finished ones stay readable for `ttl` seconds).
streams = ResumableStreams(MemoryStreamStore(ttl=300))
app = FastAPI(lifespan=streams.lifespan)  # the lifespan runs the tasks that pump the answers

OWNERS: dict[str, str] = {}  # chat id -> user id: your database
SAVED: dict[str, list[dict[str, Any]]] = {}  # chat id -> its UI messages: your database


def current_user(request: Request) -> str:
    """Your authentication (a session cookie, a bearer token...); a header stands in for it."""
    user = request.headers.get("x-user")
    if user is None:
        raise HTTPException(status_code=401)
    return user


def may_use(user: str, chat_id: str) -> bool:
    """The user owns the chat, or nobody does yet (a new chat)."""
    return OWNERS.get(chat_id, user) == user


# --8<-- [end:app]


# --8<-- [start:model]
ANSWER = "A resumable answer keeps running when the page reloads, and any reader replays it. "


async def answer(ctx: StreamContext) -> None:
    """A model that takes its time (your model call)."""
    for word in ANSWER.split(" ")[:-1]:
        await ctx.write_text(word + " ")
        await anyio.sleep(0.1)


# --8<-- [end:model]


# --8<-- [start:post]
@app.post("/api/chat")
async def chat(request: Request, user: Annotated[str, Depends(current_user)]) -> Response:
    try:
        body = await ChatRequest.from_request(request)
    except RequestParseError as error:
        return request_error_response(error)  # 413 / 415 / 422 with a JSON error
    if not may_use(user, body.id):
        refusal = {"type": "forbidden", "message": "Not your chat.", "path": "id"}
        return JSONResponse({"error": refusal}, status_code=403)
    OWNERS.setdefault(body.id, user)
    await streams.stop(body.id)  # a new message while an answer runs: stop (and save) it first
    SAVED[body.id] = [message.to_dict() for message in body.messages]  # a reload shows them

    async def save(record: StreamRecord) -> None:
        SAVED[body.id].append(record.to_ui_message())  # finished, or stopped: the partial answer

    ctx = StreamContext.for_request(body, on_finish=save)
    await ctx.run(answer)
    # 200: the answer, followed live; 429 / 503 with a JSON error when it cannot start
    return await resumable_response(streams, body.id, ctx)


# --8<-- [end:post]


# --8<-- [start:resume]
@app.get("/api/chat/{chat_id}/stream")
async def resume(chat_id: str, user: Annotated[str, Depends(current_user)]) -> Response:
    if not may_use(user, chat_id):
        return Response(status_code=204)  # the same answer as "nothing running": nothing leaks
    return await resume_response(streams, chat_id)  # 204, or the answer from its first byte


# --8<-- [end:resume]


# --8<-- [start:stop]
@app.post("/api/chat/{chat_id}/stop")
async def stop(chat_id: str, user: Annotated[str, Depends(current_user)]) -> Response:
    if not may_use(user, chat_id):
        return Response(status_code=204)  # nothing stops
    return await stop_response(streams, chat_id)  # 204 once the answer has stopped


# --8<-- [end:stop]


def question(chat_id: str) -> dict[str, Any]:
    """What ``useChat`` posts for a first message."""
    text = {"type": "text", "text": "Tell me about resumable streams."}
    return {
        "id": chat_id,
        "trigger": "submit-message",
        "messages": [{"id": f"u-{chat_id}", "role": "user", "parts": [text]}],
    }


async def post_then_reload(body: dict[str, Any], user: str, *, pieces: int = 3) -> bytes:
    """A browser tab that posts ``body``, receives ``pieces`` pieces of the answer and reloads.

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
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            received.append(message["body"])
            if len(received) == pieces:
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


async def until_running(answers: int) -> None:
    """Wait (at most 5 s) until ``answers`` answers run (``on_finish`` included)."""
    with anyio.fail_after(5):
        while streams.running != answers:  # noqa: ASYNC110 (a test helper polls)
            await anyio.sleep(0.01)


async def check() -> None:
    import httpx

    # --8<-- [start:check-resume]
    from ai_stream.testing import parse_sse, parse_sse_json, read_ui_message

    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        # Alice's tab posts, gets the first pieces of the answer, and reloads.
        partial = await post_then_reload(question("chat-1"), "alice")
        assert SAVED["chat-1"][0]["role"] == "user"  # the page reloads with the question

        # Bob cannot read Alice's running answer: 204, as for a chat with nothing running.
        snooped = await client.get("/api/chat/chat-1/stream", headers={"x-user": "bob"})
        assert (snooped.status_code, snooped.content) == (204, b"")

        # The reloaded page: useChat({resume: true}) GETs the stream and gets all of it.
        resumed = await client.get("/api/chat/chat-1/stream", headers={"x-user": "alice"})
        assert resumed.status_code == 200
        assert resumed.content.startswith(partial)  # replayed from the first byte...
        rest = resumed.content[len(partial) :]  # ...then what the tab had not seen yet
        seen = [c for c in parse_sse_json(partial, require_done=False) if "delta" in c]
        unseen = [c for c in parse_sse_json(rest) if "delta" in c]
        assert seen and unseen
        assert "".join(c["delta"] for c in seen + unseen) == ANSWER

        message = read_ui_message(parse_sse(resumed.content))
        assert message is not None
        assert message["parts"][-1] == {"type": "text", "text": ANSWER, "state": "done"}
        await until_running(0)  # (on_finish has run)
        assert SAVED["chat-1"][-1] == message  # the saved answer is the one the page shows

        # The answer has ended: the next reload has nothing to resume.
        after = await client.get("/api/chat/chat-1/stream", headers={"x-user": "alice"})
        assert after.status_code == 204
        # --8<-- [end:check-resume]

        # --8<-- [start:check-stop]
        bodies: list[bytes] = []

        async def open_tab() -> None:
            response = await client.post(
                "/api/chat", json=question("chat-2"), headers={"x-user": "alice"}
            )
            bodies.append(response.content)

        async with anyio.create_task_group() as group:
            group.start_soon(open_tab)
            await until_running(1)
            await anyio.sleep(0.2)  # a few words in

            # Bob's stop is refused quietly: the answer keeps running.
            refused = await client.post("/api/chat/chat-2/stop", headers={"x-user": "bob"})
            assert refused.status_code == 204 and streams.running == 1

            # Alice's stop button: the answer stops wherever it runs; 204 once it has.
            stopped = await client.post("/api/chat/chat-2/stop", headers={"x-user": "alice"})
            assert stopped.status_code == 204

        chunks = parse_sse_json(bodies[0])
        assert chunks[-2:] == [{"type": "text-end", "id": chunks[-2]["id"]}, {"type": "abort"}]
        await until_running(0)
        partial_answer = SAVED["chat-2"][-1]["parts"][-1]
        assert partial_answer["state"] == "done" and ANSWER.startswith(partial_answer["text"])
        assert partial_answer["text"] != ANSWER  # saved as far as it got
        stream = await client.get("/api/chat/chat-2/stream", headers={"x-user": "alice"})
        assert stream.status_code == 204
        # --8<-- [end:check-stop]

        # Another user's POST to Alice's chat is refused before anything runs.
        forbidden = await client.post(
            "/api/chat", json=question("chat-1"), headers={"x-user": "bob"}
        )
        assert forbidden.status_code == 403
        assert forbidden.json()["error"]["type"] == "forbidden"


def main() -> None:
    anyio.run(check)


if __name__ == "__main__":
    main()
