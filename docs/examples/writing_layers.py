"""Writing the message from every layer: a route, a user service, a search service and a model.

The route builds one ``StreamContext`` with typed request info and gives the work to
``ctx.run``; each service takes ``ctx`` like a logger and writes its own parts into the same
assistant message, sharing values through ``ctx.store``.

Run it: ``python docs/examples/writing_layers.py`` posts a question to the app in process and
checks the message the browser would show.
"""

# ruff: noqa: E402  (each section holds its own imports: the guide shows them with the code)

from __future__ import annotations

from typing import Any

# --8<-- [start:info]
from pydantic import BaseModel, ConfigDict


class RequestInfo(BaseModel):
    """Read-only facts about the request, for every layer (``ctx.info``)."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    plan: str


# --8<-- [end:info]

# --8<-- [start:services]
from ai_stream import StreamContext

USERS = {"u1": {"name": "Ada"}}
DOCS = [{"id": "doc-1", "url": "https://example.com/streaming", "title": "Streaming"}]


async def load_user(*, ctx: StreamContext[RequestInfo]) -> None:
    """The user layer: says what it does, and leaves the user's name for later layers."""
    info = ctx.info
    assert info is not None  # (typed RequestInfo | None: a context may be built without it)
    await ctx.write_reasoning(f"Loading user {info.user_id}…")
    await ctx.store.set("user.name", USERS[info.user_id]["name"])


async def search_docs(query: str, *, ctx: StreamContext[RequestInfo]) -> list[dict[str, str]]:
    """The search layer: one tool call with its result, then the sources it used."""
    handle = await ctx.begin_tool_call("searchDocs", {"query": query})
    results = [doc for doc in DOCS if query.lower() in doc["title"].lower()]
    await ctx.complete_tool_call(handle.tool_call_id, results)
    for doc in results:
        await ctx.write_source(doc["id"], doc["url"], doc["title"])
    await ctx.store.update("usage.tool_calls", lambda n: n + 1, default=0)
    return results


async def generate(
    question: str, results: list[dict[str, str]], *, ctx: StreamContext[Any]
) -> None:
    """The model layer: streams the answer as text, in a new step after the tool call."""
    name = await ctx.store.get("user.name", default="there")
    await ctx.new_step()
    for token in ["Hi ", name, ", ", f"{len(results)} page ", "covers ", question, "."]:
        await ctx.write_text(token)  # (a real model's tokens, one by one)


# --8<-- [end:services]

# --8<-- [start:route]
from fastapi import FastAPI, Request

from ai_stream import ChatRequest, UIMessageStreamResponse

app = FastAPI()


@app.post("/api/chat")
async def chat(body: ChatRequest, request: Request) -> UIMessageStreamResponse:
    info = RequestInfo(user_id=request.headers["x-user-id"], plan="pro")
    ctx: StreamContext[RequestInfo] = StreamContext.for_request(body, info)

    async def work(ctx: StreamContext[RequestInfo], question: str) -> None:
        await load_user(ctx=ctx)
        results = await search_docs(question, ctx=ctx)
        await generate(question, results, ctx=ctx)

    question = body.last_message.text if body.last_message else ""
    await ctx.run(work, question)  # extra arguments are passed on to work
    return UIMessageStreamResponse(ctx)


# --8<-- [end:route]


async def store_tour() -> None:
    # --8<-- [start:store]
    ctx = StreamContext(store={"user": {"plan": "free"}})  # initial contents (deep-copied)

    await ctx.store.set("user.name", "Ada")  # creates the intermediate dicts
    assert await ctx.store.get("user.plan") == "free"
    assert await ctx.store.get("user.email", default="-") == "-"  # a missing key: the default
    assert await ctx.store.update("usage.calls", lambda n: n + 1, default=0) == 1  # atomic
    assert await ctx.store.has("user.name")
    assert await ctx.store.delete("user.name")
    assert await ctx.store.snapshot() == {"user": {"plan": "free"}, "usage": {"calls": 1}}
    # --8<-- [end:store]


def main() -> None:
    import anyio

    # --8<-- [start:check]
    from fastapi.testclient import TestClient

    from ai_stream.testing import parse_sse, read_ui_message

    request = {
        "id": "chat-1",
        "messages": [
            {"id": "u-1", "role": "user", "parts": [{"type": "text", "text": "streaming"}]}
        ],
        "trigger": "submit-message",
    }
    with TestClient(app) as client:
        response = client.post("/api/chat", json=request, headers={"x-user-id": "u1"})
    message = read_ui_message(parse_sse(response.content))
    assert message is not None
    parts = message["parts"]
    assert [p["type"] for p in parts] == [
        "step-start",  # step 1: load_user and search_docs
        "reasoning",
        "tool-searchDocs",
        "source-url",
        "step-start",  # step 2: generate
        "text",
    ]
    assert parts[1]["text"] == "Loading user u1…"
    assert parts[2]["state"] == "output-available"
    assert parts[-1]["text"] == "Hi Ada, 1 page covers streaming."
    # --8<-- [end:check]

    anyio.run(store_tour)


if __name__ == "__main__":
    main()
