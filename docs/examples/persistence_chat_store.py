"""Whole chats in a database: a ChatStore (SQLite through SQLAlchemy) owns the history.

Run it: ``python docs/examples/persistence_chat_store.py`` sends two messages as ``useChat``
does (last message only), reloads the page in the middle of an answer and after it, and checks
that the saved chat is what the browser showed, and that another user cannot see or continue it.
The database file is made in a temporary directory.
"""

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx

# --8<-- [start:store]
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from ai_stream import (
    ChatError,
    ChatRequest,
    StreamContext,
    UIMessageStreamResponse,
    begin_turn,
)
from ai_stream.integrations.sqlalchemy import SQLChatStore

chats = SQLChatStore("sqlite+aiosqlite:///chats.db")  # any SQLAlchemy async URL


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    await chats.create_tables()  # creates the table if it does not exist
    yield
    await chats.aclose()


app = FastAPI(lifespan=lifespan)


def user_id(request: Request) -> str:
    """Who asks: your authentication here."""
    return request.headers["x-user-id"]


# --8<-- [end:store]


class _Hold:
    """Lets the check pause an answer half-way, as a slow model would (not part of the app)."""

    started: anyio.Event | None = None
    resume: anyio.Event | None = None


async def answer(ctx: StreamContext[None], request: ChatRequest) -> None:
    """Stands in for the model: it sees the whole stored history, not just the new message."""
    await ctx.write_text("You said: ")
    if _Hold.started is not None and _Hold.resume is not None:
        _Hold.started.set()
        await _Hold.resume.wait()
    last = request.messages[-1]
    await ctx.write_text(f"{last.text!r} (message {len(request.messages)} of the chat).")


# --8<-- [start:chat]
@app.post("/api/chat")
async def chat(request: Request) -> Response:
    body = await ChatRequest.from_request(request)
    try:  # the stored chat is the history; the body only adds the new user message
        turn = await begin_turn(chats, body, user=user_id(request))
    except ChatError as error:  # 404, 409 or 503
        return JSONResponse(error.to_dict(), status_code=error.status_code)
    ctx: StreamContext[None] = StreamContext.for_request(turn.request, on_finish=turn.save)
    await ctx.run(answer, turn.request)
    return UIMessageStreamResponse(ctx)


@app.get("/api/chats/{chat_id}")
async def load_chat(chat_id: str, request: Request) -> Response:
    """The saved chat, for the page to show (an unknown chat and another's look the same)."""
    chat = await chats.load(chat_id)
    if chat is None or chat.owner != user_id(request):
        return JSONResponse({"messages": []})
    return JSONResponse({"messages": chat.messages})


# --8<-- [end:chat]


def user_message(message_id: str, text: str) -> dict[str, Any]:
    """A user message as ``useChat``'s ``sendMessage({text})`` makes it."""
    return {"id": message_id, "role": "user", "parts": [{"type": "text", "text": text}]}


async def check(client: httpx.AsyncClient) -> None:
    from ai_stream.testing import parse_sse, read_ui_message

    # --8<-- [start:check]
    alice = {"x-user-id": "alice"}
    question = user_message("m1", "Hello")
    # What the frontend below sends: the chat id and the new message only.
    body = {"id": "chat-1", "message": question, "trigger": "submit-message"}
    response = await client.post("/api/chat", json=body, headers=alice)
    shown = read_ui_message(parse_sse(response.content))  # what useChat shows
    assert shown is not None

    page = await client.get("/api/chats/chat-1", headers=alice)  # the page, reloaded
    assert page.json()["messages"] == [question, shown]
    # --8<-- [end:check]
    assert shown["parts"][-1]["text"] == "You said: 'Hello' (message 1 of the chat)."

    follow_up = user_message("m2", "And again")
    body = {"id": "chat-1", "message": follow_up, "trigger": "submit-message"}
    _Hold.started, _Hold.resume = anyio.Event(), anyio.Event()
    replies: list[httpx.Response] = []

    async def post() -> None:
        replies.append(await client.post("/api/chat", json=body, headers=alice))

    async with anyio.create_task_group() as group:
        group.start_soon(post)
        await _Hold.started.wait()  # the answer has begun and is not finished
        # --8<-- [start:reload]
        # Reloaded while the answer runs: the question is there already.
        page = await client.get("/api/chats/chat-1", headers=alice)
        assert page.json()["messages"] == [question, shown, follow_up]
        # --8<-- [end:reload]
        _Hold.resume.set()
    _Hold.started = _Hold.resume = None
    second = read_ui_message(parse_sse(replies[0].content))
    assert second is not None
    assert second["parts"][-1]["text"] == "You said: 'And again' (message 3 of the chat)."
    page = await client.get("/api/chats/chat-1", headers=alice)
    assert page.json()["messages"] == [question, shown, follow_up, second]

    # --8<-- [start:owner]
    mallory = {"x-user-id": "mallory"}
    page = await client.get("/api/chats/chat-1", headers=mallory)
    assert page.json() == {"messages": []}  # as if there were no such chat
    intruder = {"id": "chat-1", "message": user_message("x", "Hi"), "trigger": "submit-message"}
    refused = await client.post("/api/chat", json=intruder, headers=mallory)
    assert refused.status_code == 404
    assert refused.json()["error"]["type"] == "not_found"
    # --8<-- [end:owner]


async def run_check() -> None:
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        await check(client)


def main() -> None:
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as directory:
        os.chdir(directory)  # chats.db goes there (the engine opens it on first use)
        try:
            anyio.run(run_check)
        finally:
            os.chdir(here)


if __name__ == "__main__":
    main()
