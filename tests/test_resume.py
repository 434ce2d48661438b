from __future__ import annotations

import json
import shutil
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any

import anyio
import anyio.lowlevel
import anyio.to_thread
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.types import Message

from ai_stream import (
    ChatRequest,
    StreamContext,
    StreamRecord,
    StreamStoreError,
    TooManyStreamsError,
)
from ai_stream.protocol.versions import ClientTarget
from ai_stream.responses import FollowStreamResponse, chat_routes
from ai_stream.resume import MemoryStreamStore, ResumableStreams, closing_frames
from ai_stream.testing import collect_stream, parse_sse_json
from tests.conformance.client import FIRST_AND_LATEST, NODE_DIR, replay
from tests.helpers import serve


async def test_memory_store_replays_then_follows() -> None:
    store = MemoryStreamStore(ttl=0.05)
    await store.start("chat", "s1")
    await store.append("s1", b"a")
    seen: list[bytes] = []

    async def reader() -> None:
        seen.extend([data async for data in store.read("s1")])

    async with anyio.create_task_group() as group:
        group.start_soon(reader)
        await anyio.sleep(0.01)
        await store.append("s1", b"b")
        assert await store.active_stream("chat") == "s1"
        await store.finish("s1")
    assert seen == [b"a", b"b"]
    assert await store.active_stream("chat") is None
    assert [d async for d in store.read("s1")] == [b"ab"]  # still readable (in one piece)
    await anyio.sleep(0.06)
    await store.start("other", "s2")  # expiry runs on the next start
    assert [d async for d in store.read("s1")] == []


async def test_memory_store_idle_ticks() -> None:
    store = MemoryStreamStore()
    await store.start("chat", "s1")
    reader = store.read("s1", idle=0.01)
    assert await reader.__anext__() == b""
    await reader.aclose()


def test_closing_frames_end_open_parts() -> None:
    body = (
        b'data: {"type":"start"}\n\ndata: {"type":"text-start","id":"t1"}\n\n'
        b'data: {"type":"reasoning-start","id":"r1"}\n\n'
        b'data: {"type":"reasoning-end","id":"r1"}\n\n'
        b'data: {"type":"text-delta","id":"t1","delta":"par"}\n\n'
    )
    assert closing_frames(body) == (
        b'data: {"type":"text-end","id":"t1"}\n\ndata: {"type":"abort"}\n\ndata: [DONE]\n\n'
    )


def test_closing_frames_refuse_a_body_cut_inside_an_event() -> None:
    """The real client parses a cut event once a blank line ends it, and fails (JSON error)."""
    with pytest.raises(ValueError, match="between two events"):
        closing_frames(b'data: {"type":"start"}\n\ndata: {"type":"text-delta","id":"t1","de')


LATEST = {major: releases[1] for major, releases in FIRST_AND_LATEST.items()}


async def _cut_answer(ctx: StreamContext[Any]) -> None:
    await ctx.write_reasoning("Let me see.")
    await ctx.write_text("Part one")
    call = await ctx.begin_tool_call("lookup", {"q": "x"})
    await ctx.complete_tool_call(call.tool_call_id, {"ok": True})
    await ctx.new_step()
    await ctx.write_text("Part two, ")
    await ctx.write_text("and more.")


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("target", [5, 6, 7, LATEST[7]])
async def test_a_stream_cut_between_any_two_events_ends_cleanly_in_the_real_clients(
    target: int | str,
) -> None:
    """Cut after every event (mid-part, across finish-step) and closed by closing_frames: the
    first and latest release of the target's major accept it, end ``ready`` with the text written
    before the cut, every part done, and ``abort`` last."""
    ctx: StreamContext[Any] = StreamContext(sdk_version=target)
    await ctx.run(_cut_answer)
    events = (await collect_stream(ctx)).split(b"\n\n")[:-1]
    major = ClientTarget.parse(target).major
    versions = [LATEST[major]] if isinstance(target, str) else list(FIRST_AND_LATEST[major])
    cases: list[dict[str, Any]] = []
    texts: dict[str, str] = {}
    for i in range(1, len(events) - 2):  # (up to the finish event)
        cut = b"".join(event + b"\n\n" for event in events[:i])
        cases.append(
            {
                "name": f"cut{i}",
                "body": (cut + closing_frames(cut, target)).decode(),
                "versions": versions,
            }
        )
        texts[f"cut{i}"] = "".join(
            c.get("delta", "")
            for c in parse_sse_json(cut, require_done=False)
            if c["type"] == "text-delta"
        )
    results = await anyio.to_thread.run_sync(replay, cases)

    def outcome(result: dict[str, Any]) -> tuple[Any, ...]:
        parts = result["chat"]["messages"][-1]["parts"]
        return (
            result["chunkErrors"],
            result["chat"]["status"],
            result["chunks"][-1]["type"],
            "".join(p["text"] for p in parts if p["type"] == "text"),
            {p["state"] for p in parts if p["type"] in ("text", "reasoning")} - {"done"},
        )

    seen = {
        (name, version): outcome(result)
        for name, by_version in results.items()
        for version, result in by_version.items()
    }
    assert seen == {
        (name, v): ([], "ready", "abort", text, set())
        for name, text in texts.items()
        for v in versions
    }


@pytest.mark.parametrize(("sdk", "closes"), [(6, False), (7, False), ("7.0.79", True), (4, None)])
def test_closing_frames_follow_the_target(sdk: int | str, closes: bool | None) -> None:
    """A part open at finish-step is still open only where every release keeps it (7.0.79+)."""
    body = b'data: {"type":"text-start","id":"t"}\n\ndata: {"type":"finish-step"}\n\n'
    closing = closing_frames(body, sdk)
    if closes is None:  # ai 4: a data stream, nothing to add
        assert closing == b""
    else:
        assert (b'"text-end"' in closing) is closes and closing.endswith(b"data: [DONE]\n\n")


GATES: dict[str, anyio.Event] = {}
"""Per chat: the answer pauses halfway until the test opens its gate (a reader is attached)."""


def build_app(streams: ResumableStreams, records: list[StreamRecord]) -> Starlette:
    async def answer(ctx: StreamContext[Any], body: ChatRequest) -> None:
        await ctx.write_reasoning("Counting.")
        for i in range(20):
            if i == 10 and body.id in GATES:
                with anyio.fail_after(10):
                    await GATES[body.id].wait()
            await ctx.write_text(f"{i} ")
            await anyio.sleep(0.02)

    async def handler(body: ChatRequest, request: Request) -> StreamContext[Any]:
        ctx: StreamContext[None] = StreamContext.for_request(
            body, sdk_version=request.query_params.get("sdk", "6"), on_finish=records.append
        )
        await ctx.run(answer, body)
        return ctx

    return Starlette(routes=chat_routes(handler, streams=streams), lifespan=streams.lifespan)


@pytest.fixture
async def server(
    anyio_backend: str,
) -> AsyncIterator[tuple[str, list[StreamRecord], ResumableStreams]]:
    records: list[StreamRecord] = []
    streams = ResumableStreams(MemoryStreamStore())
    app = build_app(streams, records)
    async with serve(app, lifespan="on") as live:
        yield f"{live.url}/api/chat", records, streams


BODY = {
    "id": "chat-r",
    "trigger": "submit-message",
    "messages": [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "count"}]}],
}


async def post_and_drop(url: str, chat_id: str, keep: int = 2) -> bytes:
    """POST, read a few body pieces, then drop the connection."""
    received = b""
    async with httpx.AsyncClient() as client:
        async with client.stream("POST", url, json={**BODY, "id": chat_id}) as response:
            assert response.status_code == 200
            async for piece in response.aiter_raw():
                received += piece
                keep -= 1
                if keep <= 0:
                    break
    return received


pytestmark_asyncio = pytest.mark.parametrize("anyio_backend", ["asyncio"])


@pytestmark_asyncio
async def test_resume_after_the_client_dropped(
    server: tuple[str, list[StreamRecord], ResumableStreams],
) -> None:
    url, records, _ = server
    partial = await post_and_drop(url, "chat-a")
    async with httpx.AsyncClient() as client:
        resumed, second = await _two_readers(client, f"{url}/chat-a/stream")
        after = await client.get(f"{url}/chat-a/stream")
    assert resumed.startswith(partial) and resumed == second
    text = "".join(c.get("delta", "") for c in parse_sse_json(resumed) if c["type"] == "text-delta")
    assert text == "".join(f"{i} " for i in range(20))  # the whole answer, though nobody read it
    assert after.status_code == 204
    assert len(records) == 1 and not records[0].aborted


async def _two_readers(client: httpx.AsyncClient, url: str) -> tuple[bytes, bytes]:
    results: list[bytes] = [b"", b""]

    async def read(index: int) -> None:
        response = await client.get(url)
        assert response.status_code == 200
        results[index] = response.content

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(read, 0)
            group.start_soon(read, 1)
    return results[0], results[1]


@pytestmark_asyncio
async def test_no_active_stream_answers_204(
    server: tuple[str, list[StreamRecord], ResumableStreams],
) -> None:
    url, _, _ = server
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{url}/never-started/stream")).status_code == 204


@pytestmark_asyncio
async def test_without_keep_running_the_last_reader_leaving_cancels(anyio_backend: str) -> None:
    records: list[StreamRecord] = []
    streams = ResumableStreams(keep_running=False)
    async with streams:
        stream_id = await streams.start("chat-c", await _context(records))
        follower = streams.follow(stream_id)
        await follower.__anext__()
        await follower.aclose()
        with anyio.fail_after(2):
            while not records:
                await anyio.sleep(0.01)
        assert await streams.active_stream("chat-c") is None
    assert records[0].aborted


async def _context(records: list[StreamRecord]) -> StreamContext[Any]:
    ctx: StreamContext[None] = StreamContext(on_finish=records.append)

    async def slow(ctx: StreamContext[Any]) -> None:
        for i in range(100):
            await ctx.write_text(f"{i}")
            await anyio.sleep(0.01)

    await ctx.run(slow)
    return ctx


async def node_resume(url: str, release: str, chat_id: str) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None
    messages = json.dumps(BODY["messages"])
    result = await anyio.run_process(
        [node, "roundtrip.mjs", "--url", url, "--version", release, "--flow", "resume",
         "--chat-id", chat_id, "--messages", messages],
        cwd=NODE_DIR,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    outcome: dict[str, Any] = json.loads(result.stdout)
    return outcome


@pytestmark_asyncio
@pytest.mark.parametrize("release", ["6.0.326", "7.0.173"])
async def test_real_client_resumes_during_and_after_a_stream(
    server: tuple[str, list[StreamRecord], ResumableStreams], release: str
) -> None:
    url, records, streams = server
    chat_id = f"chat-{release}"
    GATES[chat_id] = anyio.Event()
    await post_and_drop(f"{url}?sdk={release}", chat_id)

    async def followers() -> int:
        stream_id = await streams.active_stream(chat_id)
        return 0 if stream_id is None else await streams.store.readers(stream_id)

    with anyio.fail_after(10):  # the dropped POST stops following first
        while await followers():
            await anyio.sleep(0.01)
    outcome: dict[str, Any] = {}

    async def resume() -> None:
        outcome.update(await node_resume(url, release, chat_id))  # replay + live tail

    async with anyio.create_task_group() as group:
        group.start_soon(resume)
        with anyio.fail_after(10):  # the answer waits halfway until the client follows it
            while not await followers():
                await anyio.sleep(0.01)
        GATES[chat_id].set()
    during = outcome
    assistants = [m for m in during["messages"] if m["role"] == "assistant"]
    assert during["status"] == "ready" and len(assistants) == 1
    assert records and assistants[0] == records[-1].to_ui_message(release)
    after = await node_resume(url, release, chat_id)  # the answer ended: 204
    assert after["status"] == "ready"
    assert after["requests"][-1]["responseStatus"] == 204
    assert [m["role"] for m in after["messages"]] == ["user"]


@pytestmark_asyncio
async def test_a_grace_period_lets_a_reload_resume_and_a_stop_save(anyio_backend: str) -> None:
    records: list[StreamRecord] = []
    streams = ResumableStreams(keep_running=0.2)
    async with streams:
        stream_id = await streams.start("chat-g", await _context(records))
        first = streams.follow(stream_id)
        await first.__anext__()
        await first.aclose()
        await anyio.sleep(0.05)
        second = streams.follow(stream_id)  # a reload within the grace period resumes
        await second.__anext__()
        await anyio.sleep(0.3)
        assert not records  # still running: it has a reader
        await second.aclose()
        with anyio.fail_after(2):  # nobody comes back: stopped after the grace period
            while not records:
                await anyio.sleep(0.01)
    assert records[0].aborted


async def test_the_grace_counts_from_when_the_last_reader_left(anyio_backend: str) -> None:
    """A reader that comes and goes between two looks of the producer still counts: the answer
    runs the whole grace period after it left, not after the answer started (CI saw an answer
    stopped early when the client left before the first look)."""
    records: list[StreamRecord] = []
    ctx: StreamContext[None] = StreamContext(on_finish=records.append)

    async def long(ctx: StreamContext[Any]) -> None:
        for i in range(1000):
            await ctx.write_text(f"{i}")
            await anyio.sleep(0.01)

    await ctx.run(long)
    async with ResumableStreams(keep_running=1.0, lease=3) as streams:  # looks every 0.25 s
        stream_id = await streams.start("chat-quick", ctx)
        await anyio.sleep(0.3)  # (after the first look)
        reader = streams.follow(stream_id)
        await reader.__anext__()
        await anyio.sleep(0.05)  # (gone before the second)
        await reader.aclose()
        left = anyio.current_time()
        with anyio.fail_after(3):
            while not records:
                await anyio.sleep(0.01)
        ended = anyio.current_time() - left
    assert records[0].aborted
    assert 1.0 <= ended < 1.5


# --- the manager's edges ----------------------------------------------------------------------


async def body_of(streams: ResumableStreams, stream_id: str) -> bytes:
    return b"".join([data async for data in streams.follow(stream_id)])


async def test_start_needs_the_running_manager() -> None:
    """Forgetting the lifespan (or ``async with streams``) is reported at the first answer."""
    with pytest.raises(RuntimeError, match="ResumableStreams is not running"):
        await ResumableStreams().start("chat", StreamContext())


async def test_a_newer_answer_stays_the_active_one() -> None:
    """The user regenerates while the first answer still runs: the first one is stopped (one
    answer per chat), and when it has ended the chat's active stream is still the newer one."""
    wrote = anyio.Event()

    async def slow(ctx: StreamContext[Any]) -> None:
        await ctx.write_text("first")
        wrote.set()
        await anyio.sleep_forever()

    async def quick(ctx: StreamContext[Any]) -> None:
        await ctx.write_text("second")
        await anyio.sleep_forever()  # still running when the first one ends

    async with ResumableStreams() as streams:
        first_ctx: StreamContext[None] = StreamContext(message_id="m1")
        await first_ctx.run(slow)
        first = await streams.start("chat", first_ctx)
        with anyio.fail_after(5):
            await wrote.wait()
        second_ctx: StreamContext[None] = StreamContext(message_id="m2")
        await second_ctx.run(quick)
        second = await streams.start("chat", second_ctx)
        with anyio.fail_after(5):
            body = await body_of(streams, first)
        chunks = parse_sse_json(body)
        assert [c.get("delta") for c in chunks if c["type"] == "text-delta"] == ["first"]
        assert chunks[-1] == {"type": "abort"}
        assert await streams.active_stream("chat") == second
        await second_ctx.abort()


async def test_an_answer_written_before_the_handler_returns() -> None:
    """A handler that writes a cached answer and finishes it itself (no ``run``)."""
    async with ResumableStreams() as streams:
        ctx: StreamContext[None] = StreamContext(message_id="m1")
        await ctx.write_text("cached")
        await ctx.finish()
        stream_id = await streams.start("chat", ctx)
        with anyio.fail_after(5):
            body = await body_of(streams, stream_id)
    assert parse_sse_json(body) == [
        {"type": "start", "messageId": "m1"},
        {"type": "start-step"},
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "cached"},
        {"type": "text-end", "id": "text-1"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
    ]


class FailingStore(MemoryStreamStore):
    """A store that loses its connection after the first append (e.g. Redis goes away)."""

    def __init__(self) -> None:
        super().__init__()
        self.appends = 0

    async def append(self, stream_id: str, data: bytes) -> None:
        self.appends += 1
        if self.appends > 1:
            raise ConnectionError("store unreachable")
        await super().append(stream_id, data)


async def test_a_failing_store_is_logged_and_the_stream_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def work(ctx: StreamContext[Any]) -> None:
        for i in range(50):
            await ctx.write_text(f"{i} ")
            await anyio.lowlevel.checkpoint()

    store = FailingStore()
    async with ResumableStreams(store) as streams:
        ctx: StreamContext[None] = StreamContext()
        await ctx.run(work)
        stream_id = await streams.start("chat", ctx)
        with anyio.fail_after(5):
            body = await body_of(streams, stream_id)
            while await streams.active_stream("chat") is not None:
                await anyio.sleep(0.001)
    assert body.startswith(b'data: {"type":"start"')
    assert "A resumable stream could not be stored" in caplog.text
    assert "store unreachable" in caplog.text


async def test_heartbeats_open_the_stream_and_stay_quiet_while_data_flows() -> None:
    """With ``keep_alive``, a reader first gets the stream-open comment; data arriving within the
    interval needs no keep-alive comment."""

    async def work(ctx: StreamContext[Any]) -> None:
        for word in ("a", "b", "c"):
            await anyio.sleep(0.01)
            await ctx.write_text(word)

    async with ResumableStreams(keep_alive=5) as streams:
        ctx: StreamContext[None] = StreamContext(message_id="m1")
        await ctx.run(work)
        stream_id = await streams.start("chat", ctx)
        with anyio.fail_after(5):
            body = await body_of(streams, stream_id)
    assert body.startswith(b": stream-open\n\n")
    assert b"keep-alive" not in body
    assert [c.get("delta") for c in parse_sse_json(body) if c["type"] == "text-delta"] == [
        "a",
        "b",
        "c",
    ]


async def test_finishing_twice_is_harmless_and_expires_once() -> None:
    """A stream finished twice (the producer, and a reader that closed it as abandoned) stays
    readable until its time is up, then is gone; finishing a gone stream does nothing."""
    store = MemoryStreamStore(ttl=0.01)
    await store.start("chat", "s1")
    await store.append("s1", b"data")
    await store.finish("s1")
    await store.finish("s1")
    assert [d async for d in store.read("s1")] == [b"data"]
    await anyio.sleep(0.02)
    await store.start("chat", "s2")  # expiry runs on the next start
    assert [d async for d in store.read("s1")] == []
    await store.finish("s1")
    assert await store.active_stream("chat") == "s2"


@pytestmark_asyncio
async def test_the_response_ends_before_a_slow_on_finish_returns() -> None:
    """on_finish is off the response path: it stays blocked until the real client (latest ai 6
    and 7) has reported ``ready``, and the record is saved afterwards all the same."""
    release = anyio.Event()
    saved: list[StreamRecord] = []

    async def slow_save(record: StreamRecord) -> None:
        await release.wait()  # only the test's assertions below let it go
        saved.append(record)

    async def answer(ctx: StreamContext[Any]) -> None:
        for word in ["Saved ", "later."]:
            await ctx.write_text(word)
            await anyio.sleep(0.01)

    async def handler(body: ChatRequest, request: Request) -> StreamContext[Any]:
        version = request.query_params["sdk"]
        ctx: StreamContext[None] = StreamContext.for_request(
            body, sdk_version=version, on_finish=slow_save
        )
        await ctx.run(answer)
        return ctx

    streams = ResumableStreams(MemoryStreamStore())
    app = Starlette(routes=chat_routes(handler, streams=streams), lifespan=streams.lifespan)
    node = shutil.which("node")
    assert node is not None
    async with serve(app, lifespan="on") as live:
        for major in (6, 7):
            release = anyio.Event()
            version = LATEST[major]
            with anyio.fail_after(30):
                result = await anyio.run_process(
                    [node, "roundtrip.mjs", "--url", f"{live.url}/api/chat?sdk={version}",
                     "--version", version, "--flow", "submit", "--chat-id", f"slow-{major}",
                     "--text", "hi", "--timeout-ms", "10000"],
                    cwd=NODE_DIR,
                    check=False,
                )  # fmt: skip
            outcome = json.loads(result.stdout)
            saved_before = len(saved)  # (the answer of the earlier release only)
            assert (outcome["status"], outcome["timedOut"], saved_before) == (
                "ready",
                False,
                major - 6,
            )
            release.set()
            with anyio.fail_after(5):
                while len(saved) < major - 5:
                    await anyio.sleep(0.01)
    assert [r.text for r in saved] == ["Saved later.", "Saved later."]


class BreakableStore(MemoryStreamStore):
    """A memory store whose writes fail while ``broken`` (a Redis that went away)."""

    broken = False

    def _check(self) -> None:
        if self.broken:
            raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")

    async def append(self, stream_id: str, data: bytes) -> None:
        self._check()
        await super().append(stream_id, data)

    async def finish(self, stream_id: str) -> None:
        self._check()
        await super().finish(stream_id)


@pytestmark_asyncio
async def test_a_failing_store_ends_its_stream_and_never_the_manager(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """append fails mid-stream, then finish fails in the cleanup too: that stream's work stops
    (its record is aborted), the errors are logged, and the manager serves the next chat."""
    store = BreakableStore()
    records: list[StreamRecord] = []
    written = anyio.Event()

    async def answer(ctx: StreamContext[Any]) -> None:
        for i in range(100):
            await ctx.write_text(f"{i} ")
            written.set()
            await anyio.sleep(0.01)

    def context() -> StreamContext[Any]:
        return StreamContext(on_finish=records.append)

    async with ResumableStreams(store) as streams:
        first = context()
        await first.run(answer)
        await streams.start("chat-1", first)
        await written.wait()
        store.broken = True
        with anyio.fail_after(5):
            while not records:
                await anyio.sleep(0.01)
        store.broken = False
        second = context()
        await second.run(answer)
        stream_id = await streams.start("chat-2", second)
        with anyio.fail_after(10):
            body = b"".join([piece async for piece in streams.follow(stream_id)])
    assert records[0].aborted and len(records) == 2 and not records[1].aborted
    assert parse_sse_json(body)[-1] == {"type": "finish", "finishReason": "stop"}
    logged = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert logged == [
        "A resumable stream could not be stored",
        "A resumable stream could not be closed in the store",
    ]


OWNERS = {"chat-alice": "alice"}


@pytestmark_asyncio
@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_authorize_guards_the_post_and_hides_other_users_streams(kind: str) -> None:
    """Another user's POST is refused with 403 (the handler never runs); their GET looks
    exactly like a chat without a running answer, while the owner reads the live stream."""
    handled: list[str] = []
    started = anyio.Event()
    release = anyio.Event()

    async def answer(ctx: StreamContext[Any]) -> None:
        await ctx.write_text("secret ")
        started.set()
        await release.wait()
        await ctx.write_text("plans")

    async def handler(body: ChatRequest, request: Request) -> StreamContext[Any]:
        handled.append(request.headers["x-user"])
        ctx: StreamContext[None] = StreamContext.for_request(body)
        await ctx.run(answer)
        return ctx

    def owns(request: Request, chat_id: str) -> bool:
        return OWNERS.get(chat_id, request.headers.get("x-user")) == request.headers.get("x-user")

    async def owns_async(request: Request, chat_id: str) -> bool:
        await anyio.lowlevel.checkpoint()
        return owns(request, chat_id)

    streams = ResumableStreams(MemoryStreamStore())
    routes = chat_routes(handler, streams=streams, authorize=owns if kind == "sync" else owns_async)
    app = Starlette(routes=routes, lifespan=streams.lifespan)
    as_alice, as_bob = {"x-user": "alice"}, {"x-user": "bob"}
    async with serve(app, lifespan="on") as live, httpx.AsyncClient(base_url=live.url) as client:
        chat = {**BODY, "id": "chat-alice"}
        refused = await client.post("/api/chat", json=chat, headers=as_bob)
        assert (refused.status_code, refused.json()["error"]["type"]) == (403, "forbidden")
        async with client.stream("POST", "/api/chat", json=chat, headers=as_alice) as response:
            assert response.status_code == 200
            with anyio.fail_after(5):
                await started.wait()

            def seen(r: httpx.Response) -> tuple[int, bytes, list[str]]:
                return r.status_code, r.content, sorted(k for k in r.headers if k != "date")

            for _ in range(10):  # Bob reads and stops: refused exactly as for an unknown chat
                for method, action in (("GET", "stream"), ("POST", "stop")):
                    others = await client.request(
                        method, f"/api/chat/chat-alice/{action}", headers=as_bob
                    )
                    unknown = await client.request(
                        method, f"/api/chat/chat-nobody/{action}", headers=as_bob
                    )
                    assert seen(others) == seen(unknown) == (204, b"", ["server"])
            async with client.stream(
                "GET", "/api/chat/chat-alice/stream", headers=as_alice
            ) as owner:
                release.set()
                body = b"".join([piece async for piece in owner.aiter_raw()])
            await response.aread()
    assert handled == ["alice"]
    assert "".join(c.get("delta", "") for c in parse_sse_json(body)) == "secret plans"


async def _slow_answer(ctx: StreamContext[Any]) -> None:
    for i in range(500):
        await ctx.write_text(f"{i} ")
        await anyio.sleep(0.01)


async def slow_context(records: list[StreamRecord] | None = None) -> StreamContext[None]:
    """A context whose work writes for five seconds (its records go to ``records``)."""
    ctx: StreamContext[None] = StreamContext(
        on_finish=records.append if records is not None else None
    )
    await ctx.run(_slow_answer)
    return ctx


@pytestmark_asyncio
async def test_the_stop_route_stops_the_answer_and_the_next_get_is_empty() -> None:
    records: list[StreamRecord] = []

    async def handler(body: ChatRequest, request: Request) -> StreamContext[Any]:
        ctx: StreamContext[None] = StreamContext.for_request(body, on_finish=records.append)
        await ctx.run(_slow_answer)
        return ctx

    streams = ResumableStreams(MemoryStreamStore())
    app = Starlette(routes=chat_routes(handler, streams=streams), lifespan=streams.lifespan)
    async with serve(app, lifespan="on") as live, httpx.AsyncClient(base_url=live.url) as client:
        with anyio.fail_after(10):
            async with client.stream("POST", "/api/chat", json={**BODY, "id": "c1"}) as answer:
                body = b""
                pieces = answer.aiter_raw()
                async for piece in pieces:
                    body += piece
                    if body.count(b"text-delta") >= 3:
                        break
                stopped = await client.post("/api/chat/c1/stop")
                async for piece in pieces:
                    body += piece
            unknown = await client.post("/api/chat/nobody/stop")
            after = await client.get("/api/chat/c1/stream")
    chunks = parse_sse_json(body)
    assert [c["type"] for c in chunks[-2:]] == ["text-end", "abort"]
    assert (stopped.status_code, unknown.status_code, after.status_code) == (204, 204, 204)
    (record,) = records
    assert record.aborted and record.abort_reason == "stopped"
    assert record.text == "".join(c.get("delta", "") for c in chunks)


@pytestmark_asyncio
async def test_a_stop_asked_on_another_worker_reaches_the_producer_through_the_store() -> None:
    """Two managers share one store (two workers): B has no producer for the stream, so the stop
    travels through the store; A sees it at its next lease renewal."""
    store = MemoryStreamStore()
    records: list[StreamRecord] = []
    ctx = await slow_context(records)
    async with (
        ResumableStreams(store, lease=0.3) as worker_a,
        ResumableStreams(store, lease=0.3) as worker_b,
    ):
        stream_id = await worker_a.start("c2", ctx)
        await anyio.sleep(0.05)
        asked = anyio.current_time()
        assert await worker_b.stop("c2") is True
        with anyio.fail_after(5):
            body = b"".join([piece async for piece in worker_b.follow(stream_id)])
        took = anyio.current_time() - asked
        assert await worker_b.stop("c2") is False  # ended: nothing to stop
    assert parse_sse_json(body)[-1] == {"type": "abort"}
    assert records[0].abort_reason == "stopped" and took < 1.0


@pytestmark_asyncio
async def test_max_streams_refuses_more_answers_with_429_and_frees_places_when_they_end() -> None:
    """A flood of POSTs that hang up at once: at most max_streams answers run, the others get
    the 429 JSON error; once the answers end, new chats are answered again."""
    running = 0
    peak = 0
    release = anyio.Event()

    async def answer(ctx: StreamContext[Any]) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        try:
            await ctx.write_text("working")
            await release.wait()
        finally:
            running -= 1

    async def handler(body: ChatRequest, request: Request) -> StreamContext[Any]:
        ctx: StreamContext[None] = StreamContext.for_request(body)
        await ctx.run(answer)
        return ctx

    streams = ResumableStreams(MemoryStreamStore(), max_streams=5)
    app = Starlette(routes=chat_routes(handler, streams=streams), lifespan=streams.lifespan)
    statuses: list[int] = []
    errors: list[Any] = []
    async with serve(app, lifespan="on") as live, httpx.AsyncClient(base_url=live.url) as client:

        async def post_and_hang_up(i: int) -> None:
            async with client.stream("POST", "/api/chat", json={**BODY, "id": f"f{i}"}) as r:
                statuses.append(r.status_code)
                if r.status_code == 429:
                    errors.append((json.loads(await r.aread()), r.headers["retry-after"]))

        with anyio.fail_after(20):
            async with anyio.create_task_group() as group:
                for i in range(40):
                    group.start_soon(post_and_hang_up, i)
            assert sorted(set(statuses)) == [200, 429] and statuses.count(200) == 5
            assert peak <= 5 and streams.running == 5
            release.set()
            while running:
                await anyio.sleep(0.01)
            while streams.running:  # (places are freed once on_finish returned)
                await anyio.sleep(0.01)
            again = await client.post("/api/chat", json={**BODY, "id": "after"})
    assert again.status_code == 200
    assert errors[0] == (
        {
            "error": {
                "type": "too_many_streams",
                "message": "This server runs as many answers as it may at once; try again in a "
                "moment.",
                "path": None,
            }
        },
        "1",
    )


def test_max_streams_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_streams"):
        ResumableStreams(max_streams=0)


async def test_finished_bodies_are_bounded_oldest_dropped_first() -> None:
    """A flood of finished answers keeps at most max_finished_bytes; the newest stay readable,
    the oldest read as nothing (as after the ttl)."""
    store = MemoryStreamStore(max_finished_bytes=10_000)
    for i in range(100):
        await store.start(f"chat-{i}", f"s{i}")
        await store.append(f"s{i}", b"x" * 1000)
        await store.finish(f"s{i}")
        assert store.finished_bytes <= 10_000
    assert store.finished_bytes == 10_000
    assert [piece async for piece in store.read("s99")] == [b"x" * 1000]
    assert [piece async for piece in store.read("s0")] == []
    unbounded = MemoryStreamStore(max_finished_bytes=None)
    for i in range(30):
        await unbounded.start("c", f"u{i}")
        await unbounded.append(f"u{i}", b"y" * 1000)
        await unbounded.finish(f"u{i}")
    assert unbounded.finished_bytes == 30_000


# --- presence: readers on every worker count ----------------------------------------------------


@pytest.mark.parametrize("keep_running", [0.3, False])
async def test_a_reader_on_another_worker_keeps_the_answer_running(
    keep_running: float | bool,
) -> None:
    """Two managers share one store (two workers). The client that posted to A hung up; its
    reload reads on B. A counts B's reader through the store and keeps running past the grace
    period; when B's reader leaves too, A stops the answer (after the grace, or at once)."""
    store = MemoryStreamStore()
    records: list[StreamRecord] = []
    ctx = await slow_context(records)
    async with (
        ResumableStreams(store, lease=0.3, keep_running=keep_running) as worker_a,
        ResumableStreams(store, lease=0.3, keep_running=keep_running) as worker_b,
    ):
        stream_id = await worker_a.start("c3", ctx)
        on_b = worker_b.follow(stream_id)
        await on_b.__anext__()
        on_a = worker_a.follow(stream_id)  # the POST's own reader, which hangs up
        await on_a.__anext__()
        await on_a.aclose()
        assert (worker_a.reading(stream_id), worker_b.reading(stream_id)) == (0, 1)
        async with anyio.create_task_group() as group:  # B's reader reads on

            async def read_on_b() -> None:
                async for _ in on_b:
                    pass

            group.start_soon(read_on_b)
            await anyio.sleep(0.8)  # past the grace period: B's reader holds it
            assert not records and await store.readers(stream_id) == 1
            left = anyio.current_time()
            group.cancel_scope.cancel()
        await on_b.aclose()
        with anyio.fail_after(5):
            while not records:
                await anyio.sleep(0.01)
        took = anyio.current_time() - left
    assert records[0].aborted and records[0].abort_reason == "stopped"
    grace = 0.0 if keep_running is False else float(keep_running)
    assert grace <= took < grace + 0.5


async def test_a_reader_that_died_stops_counting_when_its_lease_ends() -> None:
    """A reader's worker died without signing off: its presence expires after twice the
    lease, and the answer stops a grace period later."""
    store = MemoryStreamStore()
    records: list[StreamRecord] = []
    ctx = await slow_context(records)
    async with ResumableStreams(store, lease=0.2, keep_running=0.1) as streams:
        stream_id = await streams.start("c4", ctx)
        await store.join(stream_id, "ghost", 0.4)  # (a reader on a worker that dies)
        await anyio.sleep(0.3)
        assert not records
        with anyio.fail_after(2):
            while not records:
                await anyio.sleep(0.01)
    assert records[0].aborted


async def test_readers_per_stream_are_bounded() -> None:
    """max_readers readers of a stream in one process: one more is refused with 429 JSON (in
    the route too); a reader that leaves, or that was never iterated and is closed, frees its
    place."""
    ctx = await slow_context()
    streams = ResumableStreams(max_readers=2)
    async with streams:
        stream_id = await streams.start("c5", ctx)
        first, second = streams.follow(stream_id), streams.follow(stream_id)
        with pytest.raises(TooManyStreamsError, match="as many readers") as refused:
            streams.follow(stream_id)
        assert refused.value.limit == 2 and refused.value.readers
        await first.aclose()  # never iterated: its place is free again
        third = streams.follow(stream_id)
        assert await third.__anext__()
        sent: list[Message] = []

        async def receive() -> Message:
            await anyio.sleep_forever()
            raise AssertionError  # pragma: no cover

        async def send(message: Message) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
        await FollowStreamResponse(streams, stream_id)(scope, receive, send)
        await third.aclose()
        await second.aclose()
        assert streams.reading(stream_id) == 0
        await streams.stop("c5")
    assert sent[0]["status"] == 429
    assert json.loads(sent[1]["body"])["error"]["type"] == "too_many_streams"


def test_max_readers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_readers"):
        ResumableStreams(max_readers=0)


# --- a failing store ------------------------------------------------------------------------------


class DownStore(MemoryStreamStore):
    """A memory store that fails every call while ``down`` (Redis stopped)."""

    down = False

    def _check(self) -> None:
        if self.down:
            raise StreamStoreError

    async def start(self, chat_id: str, stream_id: str) -> None:
        self._check()
        await super().start(chat_id, stream_id)

    async def active_stream(self, chat_id: str) -> str | None:
        self._check()
        return await super().active_stream(chat_id)

    async def renew(self, stream_id: str) -> None:
        self._check()

    async def readers(self, stream_id: str) -> int:
        self._check()
        return await super().readers(stream_id)

    async def join(self, stream_id: str, reader: str, lease: float) -> None:
        self._check()
        await super().join(stream_id, reader, lease)

    async def leave(self, stream_id: str, reader: str) -> None:
        self._check()
        await super().leave(stream_id, reader)

    async def read(
        self, stream_id: str, *, idle: float | None = None
    ) -> AsyncGenerator[bytes, None]:
        async with aclosing(super().read(stream_id, idle=idle)) as source:
            async for data in source:
                self._check()
                yield data


@pytestmark_asyncio
async def test_a_store_that_is_down_gets_503_json_and_the_next_request_works() -> None:
    """POST, resume GET and stop answer 503 JSON (never 500, no exception text) while the store
    is down; as soon as it answers again, so do the routes."""

    async def handler(body: ChatRequest, request: Request) -> StreamContext[Any]:
        ctx: StreamContext[None] = StreamContext.for_request(body)
        await ctx.run(_slow_answer)
        return ctx

    store = DownStore()
    streams = ResumableStreams(store)
    app = Starlette(routes=chat_routes(handler, streams=streams), lifespan=streams.lifespan)
    async with serve(app, lifespan="on") as live, httpx.AsyncClient(base_url=live.url) as client:
        store.down = True
        answers = [
            await client.post("/api/chat", json={**BODY, "id": "d1"}),
            await client.get("/api/chat/d1/stream"),
            await client.post("/api/chat/d1/stop"),
        ]
        store.down = False
        async with client.stream("POST", "/api/chat", json={**BODY, "id": "d1"}) as again:
            status = again.status_code
        await client.post("/api/chat/d1/stop")
    assert [(a.status_code, a.headers["retry-after"]) for a in answers] == [(503, "1")] * 3
    assert {json.dumps(a.json()) for a in answers} == {
        json.dumps(
            {
                "error": {
                    "type": "store_unavailable",
                    "message": "The store of resumable streams is unavailable; try again in a "
                    "moment.",
                    "path": None,
                }
            }
        )
    }
    assert status == 200


async def test_readers_of_a_store_that_fails_end_cleanly_and_the_producer_survives_blips(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The store fails for a moment: the reader ends with abort and [DONE] (a clean end for the
    client), the producer's lease renewals and presence checks are logged and retried, and the
    answer itself runs on to its end."""
    store = DownStore()
    records: list[StreamRecord] = []

    async def answer(ctx: StreamContext[Any]) -> None:
        for i in range(40):
            await ctx.write_text(f"{i} ")
            await anyio.sleep(0.01)

    ctx: StreamContext[None] = StreamContext(on_finish=records.append)
    await ctx.run(answer)
    async with ResumableStreams(store, lease=0.06, keep_running=5) as streams:
        stream_id = await streams.start("c6", ctx)
        reader = streams.follow(stream_id)
        body = await reader.__anext__()
        store.down = True
        body += b"".join([piece async for piece in reader])
        await anyio.sleep(0.1)
        store.down = False
        with anyio.fail_after(5):
            while not records:
                await anyio.sleep(0.01)
        whole = b"".join([piece async for piece in streams.follow(stream_id)])
    assert parse_sse_json(body)[-1] == {"type": "abort"} and body.endswith(b"data: [DONE]\n\n")
    assert not records[0].aborted and parse_sse_json(whole)[-1]["type"] == "finish"
    messages = {r.getMessage() for r in caplog.records}
    assert {
        "A resumable stream's reader lost the store",
        "A resumable stream's store call failed",
        "A resumable stream's reader could not sign off",
    } <= messages


async def test_concurrent_starts_cannot_overshoot_max_streams() -> None:
    """Starts that run at once (the store answers between the check and the start) take their
    place before their first await: exactly max_streams of them start."""
    started: list[str] = []
    refused: list[TooManyStreamsError] = []

    async def start(streams: ResumableStreams, i: int) -> None:
        ctx = await slow_context()
        try:
            started.append(await streams.start(f"race-{i}", ctx))
        except TooManyStreamsError as error:
            refused.append(error)

    class NetworkStore(MemoryStreamStore):  # (a round trip per call, as Redis)
        async def active_stream(self, chat_id: str) -> str | None:
            await anyio.sleep(0.001)
            return await super().active_stream(chat_id)

    async with ResumableStreams(NetworkStore(), max_streams=5) as streams:
        async with anyio.create_task_group() as group:
            for i in range(20):
                group.start_soon(start, streams, i)
        assert (len(started), len(refused), streams.running) == (5, 15, 5)
        for i in range(20):
            await streams.stop(f"race-{i}")


@pytestmark_asyncio
async def test_an_ai_4_context_is_answered_as_a_plain_data_stream() -> None:
    """ai 4's data stream has no resume: ResumableStreams refuses it with a clear error, and
    chat_routes (resumable_response) answers it as a plain data stream instead."""

    async def handler(body: ChatRequest, request: Request) -> StreamContext[Any]:
        ctx: StreamContext[None] = StreamContext(sdk_version=4, message_id="m1")
        await ctx.run(lambda ctx: ctx.write_text("old client"))
        return ctx

    streams = ResumableStreams()
    async with streams:
        with pytest.raises(ValueError, match="ai 4 data stream or a text stream cannot be"):
            await streams.start("chat", StreamContext(sdk_version=4))
    app = Starlette(routes=chat_routes(handler, streams=streams), lifespan=streams.lifespan)
    async with serve(app, lifespan="on") as live, httpx.AsyncClient(base_url=live.url) as client:
        answer = await client.post("/api/chat", json={**BODY, "id": "v4"})
        resume = await client.get("/api/chat/v4/stream")
    assert answer.status_code == 200 and answer.headers["x-vercel-ai-data-stream"] == "v1"
    assert b'0:"old client"' in answer.content and resume.status_code == 204
