"""begin_turn + ChatTurn over a ChatStore: the stored chat is the truth, one answer per chat,
approvals that run once, and the user message saved on arrival."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from ai_stream import (
    ChatConflictError,
    ChatError,
    ChatNotFoundError,
    ChatRequest,
    ChatStore,
    ChatStoreError,
    MemoryChatStore,
    StreamContext,
    StreamRecord,
    begin_turn,
)
from ai_stream.integrations.sqlalchemy import SQLChatStore
from ai_stream.testing import collect_stream

SECRET = "chat-store-secret-0123456789"

StoreFactory = Callable[[], ChatStore]


@pytest.fixture(params=["asyncio-memory", "trio-memory", "asyncio-sqlite"])
def kind(request: pytest.FixtureRequest) -> str:
    """Every test on both stores; SQLite (aiosqlite) runs on asyncio only."""
    param: str = request.param
    return param


@pytest.fixture
def anyio_backend(kind: str) -> str:
    return kind.split("-")[0]


@pytest.fixture
async def store(kind: str, tmp_path: Path) -> AsyncIterator[ChatStore]:
    if kind.endswith("memory"):
        yield MemoryChatStore()
        return
    chats = SQLChatStore(f"sqlite+aiosqlite:///{tmp_path}/chats.db")
    await chats.create_tables()
    try:
        yield chats
    finally:
        await chats.aclose()


def error_type(error: ChatNotFoundError | ChatConflictError) -> object:
    body: dict[str, Any] = error.to_dict()
    return body["error"]["type"]


def user(message_id: str, text: str) -> dict[str, Any]:
    return {"id": message_id, "role": "user", "parts": [{"type": "text", "text": text}]}


def request(chat_id: str, *messages: dict[str, Any], **extra: Any) -> ChatRequest:
    return ChatRequest.parse(json.dumps({"id": chat_id, "messages": list(messages), **extra}))


class Tools:
    """The server's tool, counted: deleteDataset needs approval."""

    def __init__(self) -> None:
        self.runs = 0

    async def answer(self, ctx: StreamContext[Any], body: ChatRequest) -> None:
        """Ask for approval on a new request; run the approved calls on a continuation."""
        if body.is_continuation:
            for decision in body.tool_approvals(SECRET):
                if decision.approved:
                    self.runs += 1
                    await ctx.complete_tool_call(decision.tool_call_id, "deleted")
                else:
                    await ctx.deny_tool_call(decision.tool_call_id)
            await ctx.write_text("Done.")
            return
        await ctx.write_text("Deleting.")
        call = await ctx.begin_tool_call("deleteDataset", {"name": "old"})
        await ctx.request_tool_approval(call.tool_call_id)


async def answer(
    store: ChatStore, body: ChatRequest, tools: Tools, *, owner: str = "alice"
) -> dict[str, Any]:
    """One request through the documented flow; the assistant message the client shows."""
    turn = await begin_turn(store, body, user=owner, wait=30)
    saved = anyio.Event()

    async def on_finish(record: StreamRecord) -> None:
        await turn.save(record)
        saved.set()

    ctx: StreamContext[None] = StreamContext.for_request(
        turn.request, sdk_version=6, approval_secret=SECRET, collect=True, on_finish=on_finish
    )
    await ctx.run(tools.answer, turn.request)
    await collect_stream(ctx)
    await saved.wait()  # (on_finish runs after the body ended)
    assert ctx.record is not None
    return ctx.record.to_ui_message()


def approve(message: dict[str, Any], approved: bool = True) -> dict[str, Any]:
    """The browser's addToolApprovalResponse."""
    answered = copy.deepcopy(message)
    for part in answered["parts"]:
        if part.get("state") == "approval-requested":
            part["state"] = "approval-responded"
            part["approval"] = {**part["approval"], "approved": approved}
    return answered


async def test_a_chat_is_saved_as_the_client_shows_it(store: ChatStore) -> None:
    tools = Tools()
    first = user("u1", "delete old")
    shown = await answer(store, request("c1", first), tools)
    chat = await store.load("c1")
    assert chat is not None and chat.owner == "alice"
    assert chat.messages == [first, shown]
    continued = await answer(store, request("c1", first, approve(shown)), tools)
    chat = await store.load("c1")
    assert chat is not None and chat.messages == [first, continued]
    assert tools.runs == 1
    tool = next(p for p in continued["parts"] if p["type"] == "tool-deleteDataset")
    assert (tool["state"], tool["output"]) == ("output-available", "deleted")


async def test_the_user_message_is_saved_when_the_request_arrives(store: ChatStore) -> None:
    body = request("c2", user("u1", "hello"))
    turn = await begin_turn(store, body, user="alice")
    chat = await store.load("c2")
    assert chat is not None and chat.messages == [user("u1", "hello")]  # before any answer
    await turn.release()
    assert await store.claim("c2", owner="alice", turn="t", ttl=1) == "claimed"


async def test_replayed_approvals_run_the_tool_once(store: ChatStore) -> None:
    """The same genuine approval sent again and again (also at once, as another worker
    would): the tool runs exactly once."""
    tools = Tools()
    first = user("u1", "delete old")
    shown = await answer(store, request("c3", first), tools)
    replay = request("c3", first, approve(shown))
    await answer(store, replay, tools)
    for _ in range(5):
        await answer(store, replay, tools)
    async with anyio.create_task_group() as group:
        for _ in range(10):
            group.start_soon(answer, store, replay, tools)
    assert tools.runs == 1


async def test_a_cut_off_turn_never_reports_its_decision_again(store: ChatStore) -> None:
    tools = Tools()
    first = user("u1", "delete old")
    shown = await answer(store, request("c4", first), tools)
    turn = await begin_turn(store, request("c4", first, approve(shown)), user="alice")
    assert [d.tool_call_id for d in turn.request.tool_approvals(SECRET)] != []
    await turn.release()  # the worker died before running it (or the answer was stopped)
    again = await begin_turn(store, request("c4", first, approve(shown)), user="alice")
    assert again.request.tool_approvals(SECRET) == []
    tool = next(p for p in again.request.messages[-1].tool_parts)
    assert tool.state == "output-error"
    await again.release()


async def test_another_users_chat_is_not_found(store: ChatStore) -> None:
    await answer(store, request("c5", user("u1", "mine")), Tools(), owner="alice")
    with pytest.raises(ChatNotFoundError) as info:
        await begin_turn(store, request("c5", user("u2", "theirs")), user="mallory")
    assert info.value.status_code == 404 and error_type(info.value) == "not_found"
    chat = await store.load("c5")
    assert chat is not None and [m["id"] for m in chat.messages][:1] == ["u1"]


async def test_one_answer_per_chat_the_next_waits_then_gets_409(store: ChatStore) -> None:
    turn = await begin_turn(store, request("c6", user("u1", "a")), user="alice")
    with pytest.raises(ChatConflictError) as info:
        await begin_turn(store, request("c6", user("u2", "b")), user="alice", wait=0.1)
    assert info.value.busy and error_type(info.value) == "chat_busy"

    async def later() -> None:
        await anyio.sleep(0.1)
        await turn.release()

    async with anyio.create_task_group() as group:
        group.start_soon(later)
        second = await begin_turn(
            store, request("c6", user("u1", "a"), user("u2", "b")), user="alice"
        )
    chat = await store.load("c6")
    assert chat is not None and [m["id"] for m in chat.messages] == ["u1", "u2"]
    await second.release()


async def test_concurrent_posts_lose_no_user_message_and_never_cross_users(
    store: ChatStore,
) -> None:
    """20 chats, 2 users racing for each new chat id, 5 messages per chat sent at once: every
    chat has one owner, and holds every message its owner sent (in some order)."""
    sent: dict[str, list[str]] = {}
    refused = 0

    async def post(chat_id: str, owner: str, n: int) -> None:
        nonlocal refused
        message = user(f"{owner}-{n}", f"message {n}")
        try:
            turn = await begin_turn(store, request(chat_id, message), user=owner, wait=10)
        except ChatNotFoundError:
            refused += 1
            return
        sent.setdefault(chat_id, []).append(message["id"])
        await anyio.sleep(0.001)
        await turn.release()

    async with anyio.create_task_group() as group:
        for c in range(20):
            for owner in ("alice", "bob"):
                for n in range(5):
                    group.start_soon(post, f"race-{c}", owner, n)
    for chat_id, ids in sent.items():
        chat = await store.load(chat_id)
        assert chat is not None
        assert {i.split("-")[0] for i in ids} == {chat.owner}
        assert sorted(m["id"] for m in chat.messages) == sorted(ids)
    assert refused == 20 * 5


async def test_list_and_delete_are_per_owner(store: ChatStore) -> None:
    await answer(store, request("l1", user("u1", "a")), Tools(), owner="alice")
    await answer(store, request("l2", user("u1", "b")), Tools(), owner="alice")
    await answer(store, request("l3", user("u1", "c")), Tools(), owner="bob")
    assert [c.id for c in await store.list_chats("alice")] == ["l2", "l1"]
    assert not await store.delete("l1", "bob")
    assert await store.delete("l1", "alice")
    assert [c.id for c in await store.list_chats("alice")] == ["l2"]


class FailingStore:
    """A store whose ``fail`` operation raises its backend's error (the others delegate)."""

    def __init__(self, inner: ChatStore, fail: str) -> None:
        self.inner, self.fail, self.released = inner, fail, 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)
        if name == self.fail:

            async def failing(*args: Any, **kwargs: Any) -> Any:
                raise OSError("database is locked: /var/lib/secret/chats.db")

            return failing
        if name == "release":

            async def release(*args: Any, **kwargs: Any) -> Any:
                self.released += 1
                return await method(*args, **kwargs)

            return release
        return method


@pytest.mark.parametrize("fail", ["claim", "load", "save"])
async def test_a_failing_store_is_a_503_that_changes_nothing(
    store: ChatStore, fail: str, caplog: pytest.LogCaptureFixture
) -> None:
    failing = FailingStore(store, fail)
    with pytest.raises(ChatStoreError) as raised:
        await begin_turn(failing, request("c1", user("u1", "Hi")), user="alice")
    error = raised.value
    assert isinstance(error, ChatError) and isinstance(error.__cause__, OSError)
    assert (error.status_code, error.to_dict()) == (
        503,
        {
            "error": {
                "type": "store_unavailable",
                "message": "The chat store is unavailable; try again in a moment.",
                "path": None,
            }
        },
    )
    assert "secret" not in json.dumps(error.to_dict())
    assert "The chat store failed" in caplog.text  # (the backend's error is logged)
    assert failing.released == (0 if fail == "claim" else 1)  # (a taken turn is given back)
    turn = await begin_turn(store, request("c1", user("u1", "Hi")), user="alice", wait=1)
    await turn.release()  # (the chat is free again: nothing was left taken)
