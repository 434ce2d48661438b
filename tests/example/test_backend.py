"""The example backend (example/backend) end to end: real server, real ai 6 client, real DB."""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tests.conformance.client import FIRST_AND_LATEST, NODE_DIR
from tests.helpers import serve

BACKEND = Path(__file__).resolve().parents[2] / "example" / "backend"
RELEASE = "6.0.326"
SECRET = "example-test-secret-0123456789"
USER_LONG_TASK = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "long task"}]}


def _backend() -> tuple[Any, Any]:
    if str(BACKEND) not in sys.path:
        sys.path.insert(0, str(BACKEND))
    main = importlib.import_module("main")
    settings = importlib.import_module("settings")
    return main, settings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiosqlite runs on asyncio


async def _serve(tmp_path: Path, demo_delay: float) -> AsyncIterator[str]:
    main, settings = _backend()
    app = main.create_app(
        settings.Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path}/data/chat.db",
            secret=SECRET,
            demo_delay=demo_delay,
            stop_grace=0,
        )
    )
    async with serve(app, lifespan="on") as server:
        yield server.url


@pytest.fixture
async def base(tmp_path: Path) -> AsyncIterator[str]:
    async for url in _serve(tmp_path, 0):
        yield url


@pytest.fixture
async def slow_base(tmp_path: Path) -> AsyncIterator[str]:
    async for url in _serve(tmp_path, 0.03):
        yield url


async def roundtrip(
    base: str, flow: str, chat_id: str, text: str, *extra: str, release: str = RELEASE
) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None
    result = await anyio.run_process(
        [node, "roundtrip.mjs", "--url", f"{base}/api/chat", "--version", release,
         "--flow", flow, "--chat-id", chat_id, "--text", text, *extra],
        cwd=NODE_DIR,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    outcome: dict[str, Any] = json.loads(result.stdout)
    return outcome


def assistant(outcome: dict[str, Any]) -> dict[str, Any]:
    messages = [m for m in outcome["messages"] if m["role"] == "assistant"]
    assert len(messages) == 1, outcome
    message: dict[str, Any] = messages[0]
    return message


def tool_part(message: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in message["parts"] if p["type"] == f"tool-{name}")


def text_of(message: dict[str, Any]) -> str:
    return "".join(p["text"] for p in message["parts"] if p["type"] == "text")


async def stored(base: str, chat_id: str, user: str = "demo-user") -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.get(f"/api/chats/{chat_id}", headers={"x-user-id": user})
    assert response.status_code == 200, response.text
    chat: dict[str, Any] = response.json()
    return chat


async def test_plain_message_streams_persists_and_lists(base: str) -> None:
    outcome = await roundtrip(base, "submit", "plain", "Hello there, show me some code")
    assert outcome["status"] == "ready" and outcome["error"] is None and not outcome["onError"]
    message = assistant(outcome)
    kinds = [p["type"] for p in message["parts"]]
    assert kinds[:3] == ["step-start", "reasoning", "text"]
    assert "```python" in text_of(message)
    chat = await stored(base, "plain")
    assert chat["title"] == "Hello there, show me some code"
    assert [m["role"] for m in chat["messages"]] == ["user", "assistant"]
    assert chat["messages"][1] == message  # exactly what the browser shows
    async with httpx.AsyncClient(base_url=base) as client:
        listed = (await client.get("/api/chats")).json()
        assert [c["id"] for c in listed] == ["plain"] and listed[0]["updatedAt"]
        assert (await client.get("/api/chats", headers={"x-user-id": "other"})).json() == []
        assert (await client.get("/api/health")).json() == {"ok": True}
        assert (await client.get("/api/chat/plain/stream")).status_code == 204


async def test_resume_replays_a_running_answer(slow_base: str) -> None:
    body = {"id": "resumed", "messages": [USER_LONG_TASK]}
    started = anyio.Event()

    async def post() -> None:  # the first tab: keeps reading the whole answer
        async with httpx.AsyncClient(base_url=slow_base, timeout=10) as client:
            async with client.stream("POST", "/api/chat", json=body) as response:
                assert response.status_code == 200
                async for _ in response.aiter_bytes():
                    started.set()

    async with anyio.create_task_group() as group:
        group.start_soon(post)
        await started.wait()
        outcome = await roundtrip(  # a second tab (or a reload) resumes it
            slow_base, "resume", "resumed", "x", "--messages", json.dumps(body["messages"])
        )
    assert outcome["status"] == "ready" and outcome["error"] is None
    assert [r["responseStatus"] for r in outcome["requests"]] == [200], outcome["requests"]
    message = assistant(outcome)
    progress = [p for p in message["parts"] if p["type"] == "data-progress"]
    assert progress == [
        {"type": "data-progress", "id": "progress",
         "data": {"label": "Crunching numbers", "percent": 100}}
    ]  # fmt: skip
    assert "complete" in text_of(message)


async def test_weather_and_search_tools(base: str) -> None:
    outcome = await roundtrip(base, "submit", "weather", "What is the weather in Paris?")
    message = assistant(outcome)
    part = tool_part(message, "getWeather")
    assert part["state"] == "output-available" and part["input"] == {"city": "Paris"}
    assert "Paris" in text_of(message)

    outcome = await roundtrip(base, "submit", "search", "search resume streams")
    message = assistant(outcome)
    assert tool_part(message, "searchDocs")["state"] == "output-available"
    sources = [p for p in message["parts"] if p["type"] == "source-url"]
    assert len(sources) == 3 and sources[0]["sourceId"] == "doc-resume"
    assert "Resuming streams" in text_of(message)


@pytest.mark.parametrize("flow", ["approve", "deny"])
async def test_approval_round_trip(base: str, flow: str) -> None:
    outcome = await roundtrip(base, flow, f"approval-{flow}", "Please delete the dataset")
    assert outcome["status"] == "ready" and outcome["error"] is None
    assert len(outcome["requests"]) == 2
    message = assistant(outcome)
    part = tool_part(message, "deleteDataset")
    if flow == "approve":
        assert part["state"] == "output-available" and part["output"]["deleted"] == "sales-2024"
        assert "is gone" in text_of(message)
    else:
        assert part["state"] == "output-denied"
        assert "did **not** delete" in text_of(message)
    chat = await stored(base, f"approval-{flow}")
    assert [m["role"] for m in chat["messages"]] == ["user", "assistant"]
    assert chat["messages"][1] == message  # the continuation updated the same message


async def test_client_side_time_zone(base: str) -> None:
    outcome = await roundtrip(
        base, "client-tool-output", "tz", "What is my time zone?",
        "--output", json.dumps({"timeZone": "Europe/Oslo"}),
    )  # fmt: skip
    assert outcome["status"] == "ready" and outcome["error"] is None
    assert len(outcome["requests"]) == 2
    message = assistant(outcome)
    assert tool_part(message, "getTimeZone")["output"] == {"timeZone": "Europe/Oslo"}
    assert "Europe/Oslo" in text_of(message)
    assert (await stored(base, "tz"))["messages"][1] == message


@pytest.mark.parametrize("release", [FIRST_AND_LATEST[6][1], FIRST_AND_LATEST[7][1]])
@pytest.mark.parametrize("style", ["full-history", "last-message-only"])
async def test_the_real_clients_drive_the_server_owned_history(
    base: str, release: str, style: str
) -> None:
    """The latest ai 6 and 7 clients, sending the whole history or only the last message: a
    plain answer, an approval round trip and a client tool round trip; each saved chat equals
    what the client shows."""
    options = ["--last-message-only"] if style == "last-message-only" else []
    flows = [
        ("submit", "Hello there", []),
        ("approve", "Please delete the dataset", []),
        ("client-tool-output", "What is my time zone?",
         ["--output", json.dumps({"timeZone": "Asia/Tokyo"})]),
    ]  # fmt: skip
    for flow, text, extra in flows:
        chat_id = f"owned-{release}-{style}-{flow}"
        outcome = await roundtrip(base, flow, chat_id, text, *options, *extra, release=release)
        assert outcome["status"] == "ready" and outcome["error"] is None, outcome
        saved = (await stored(base, chat_id))["messages"]
        assert saved == outcome["messages"], (flow, saved, outcome["messages"])
        if style == "last-message-only":
            bodies = [r["body"] for r in outcome["requests"] if r["method"] == "POST"]
            assert all("messages" not in b and "message" in b for b in bodies), bodies


async def test_error_is_masked(base: str) -> None:
    outcome = await roundtrip(base, "submit", "err", "trigger an error please")
    assert outcome["status"] == "error"
    assert outcome["error"] == "An error occurred."
    assert "is down" not in json.dumps(outcome)  # the real exception stays on the server


async def test_stop_saves_the_partial_answer(slow_base: str) -> None:
    body = {"id": "stopped", "messages": [USER_LONG_TASK]}
    received = b""
    async with httpx.AsyncClient(base_url=slow_base, timeout=10) as client:
        async with client.stream("POST", "/api/chat", json=body) as response:
            async for data in response.aiter_bytes():
                received += data
                if b"data-progress" in received:
                    break  # the user pressed stop: the connection goes away
        with anyio.fail_after(5):
            while True:
                chat = await stored(slow_base, "stopped")
                if len(chat["messages"]) == 2:
                    break
                await anyio.sleep(0.02)
        assert (await client.get("/api/chat/stopped/stream")).status_code == 204
    message = chat["messages"][1]
    assert "Starting the long task." in text_of(message)
    assert "complete" not in text_of(message)
    progress = next(p for p in message["parts"] if p["type"] == "data-progress")
    assert progress["data"]["percent"] < 100


async def test_history_endpoints(base: str) -> None:
    await roundtrip(base, "submit", "first", "hi one")
    await roundtrip(base, "submit", "second", "hi two")
    async with httpx.AsyncClient(base_url=base) as client:
        assert [c["id"] for c in (await client.get("/api/chats")).json()] == ["second", "first"]
        other = {"x-user-id": "mallory"}
        assert (await client.get("/api/chats/first", headers=other)).status_code == 404
        assert (await client.delete("/api/chats/first", headers=other)).status_code == 404
        assert (await client.get("/api/chats/nope")).status_code == 404
        assert (await client.delete("/api/chats/first")).status_code == 204
        assert (await client.get("/api/chats/first")).status_code == 404
        assert (await client.delete("/api/chats/first")).status_code == 404
        assert [c["id"] for c in (await client.get("/api/chats")).json()] == ["second"]
        bad = await client.post("/api/chat", json={"id": "x"})
        assert bad.status_code == 422


async def test_the_stop_route_stops_at_once_and_only_for_the_owner(slow_base: str) -> None:
    """The stop button's POST /api/chat/{id}/stop: another user's stop changes nothing (204);
    the owner's stops the answer while its client still reads, and it is saved as is."""
    body = {"id": "stop-route", "messages": [USER_LONG_TASK]}
    async with httpx.AsyncClient(base_url=slow_base, timeout=10) as client:
        async with client.stream("POST", "/api/chat", json=body) as response:
            received = b""
            pieces = response.aiter_bytes()
            async for data in pieces:
                received += data
                if b"data-progress" in received:
                    break
            other = await client.post("/api/chat/stop-route/stop", headers={"x-user-id": "eve"})
            assert other.status_code == 204
            async for data in pieces:  # eve's stop stopped nothing
                received += data
                if received.count(b"data-progress") >= 3:
                    break
            stopped = await client.post("/api/chat/stop-route/stop")
            async for data in pieces:
                received += data
        with anyio.fail_after(5):
            while len((chat := await stored(slow_base, "stop-route"))["messages"]) != 2:
                await anyio.sleep(0.02)
        after = await client.get("/api/chat/stop-route/stream")
    assert stopped.status_code == 204 and after.status_code == 204
    assert received.rstrip().endswith(b'data: {"type":"abort"}\n\ndata: [DONE]')
    assert "complete" not in text_of(chat["messages"][1])


def test_settings_never_show_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The repr of the settings hides the approval secret, the API key and URL passwords; with
    REDIS_URL (several workers) a missing AI_STREAM_SECRET is a startup error."""
    _, settings = _backend()
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://app:pa55word-marker@db/chat")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-key-marker")
    monkeypatch.setenv("AI_STREAM_SECRET", "secret-marker-0123456789")
    monkeypatch.setenv("REDIS_URL", "redis://:redis-marker@cache:6379/0")
    shown = repr(settings.Settings.from_env())
    assert "marker" not in shown and "app:***@db" in shown, shown
    monkeypatch.delenv("AI_STREAM_SECRET")
    with pytest.raises(RuntimeError, match="AI_STREAM_SECRET must be set"):
        settings.Settings.from_env()
    monkeypatch.delenv("REDIS_URL")
    assert settings.Settings.from_env().secret  # one process: a random secret (and a warning)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+asyncpg://app:pa55@db:5432/chat", "postgresql+asyncpg://app:***@db:5432/chat"),
        ("redis://:pa55@cache:6379/0", "redis://:***@cache:6379/0"),
        ("redis://cache:6379/0", "redis://cache:6379/0"),
        ("sqlite+aiosqlite:///data/chat.db", "sqlite+aiosqlite:///data/chat.db"),
        (None, None),
    ],
)
def test_urls_are_logged_without_their_password(url: str | None, shown: str | None) -> None:
    """What the startup log and the settings' repr show of the database and Redis URLs."""
    _, settings = _backend()
    assert settings.redact(url) == shown


async def test_concurrent_posts_from_two_users_lose_nothing_and_never_cross(base: str) -> None:
    """200 POSTs at once: 20 new chats, each raced by two users, five messages each (only the
    last message sent, as a ChatStore allows). Every chat has one owner; every message its
    owner got a 200 for is saved in it; the other user gets 404; never a 5xx."""
    accepted: dict[str, set[str]] = {}
    statuses: list[int] = []

    async def post(client: httpx.AsyncClient, chat_id: str, owner: str, n: int) -> None:
        message = {"id": f"{owner}-{n}", "role": "user", "parts": [{"type": "text", "text": "hi"}]}
        body = {"id": chat_id, "message": message, "trigger": "submit-message"}
        response = await client.post("/api/chat", json=body, headers={"x-user-id": owner})
        statuses.append(response.status_code)
        if response.status_code == 200:
            accepted.setdefault(chat_id, set()).add(f"{owner}:{message['id']}")

    limits = httpx.Limits(max_connections=200)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        async with anyio.create_task_group() as group:
            for c in range(20):
                for owner in ("alice", "bob"):
                    for n in range(5):
                        group.start_soon(post, client, f"race-{c}", owner, n)
    assert set(statuses) <= {200, 404, 409} and statuses.count(404) == 100, sorted(statuses)
    for chat_id, ids in accepted.items():
        owners = {i.split(":")[0] for i in ids}
        assert len(owners) == 1, (chat_id, ids)  # (the other user got 404)
        (owner,) = owners
        chat = await stored(base, chat_id, owner)
        saved = {m["id"] for m in chat["messages"] if m["role"] == "user"}
        assert {i.split(":")[1] for i in ids} <= saved, (chat_id, ids, saved)
        assert all(m["id"].startswith(owner) for m in chat["messages"] if m["role"] == "user")
