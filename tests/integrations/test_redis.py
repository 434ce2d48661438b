"""RedisStreamStore against a private redis-server: the memory store's behaviours, leases, and
resumable chats served by uvicorn (incl. the real v6/v7 client resuming)."""

from __future__ import annotations

import asyncio
import secrets
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request

from ai_stream import ChatRequest, StreamContext, StreamRecord, StreamStoreError
from ai_stream.integrations.redis import RedisStreamStore
from ai_stream.responses import chat_routes
from ai_stream.resume import Following, ProducerLostError, ResumableStreams
from ai_stream.testing import parse_sse_json, read_ui_message
from tests.integrations._redis_server import redis_server
from tests.test_resume import _two_readers, node_resume, post_and_drop, slow_context


@pytest.fixture
def anyio_backend() -> str:
    """redis-py is asyncio only."""
    return "asyncio"


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[RedisStreamStore]:
    async with RedisStreamStore(redis_url, prefix=f"t{secrets.token_hex(4)}:") as store:
        yield store


def other_worker(store: RedisStreamStore, **options: Any) -> RedisStreamStore:
    """A second store (own client) on the same keys: another worker."""
    url = "redis://{host}:{port}/0".format(**store.client.connection_pool.connection_kwargs)
    return RedisStreamStore(url, prefix=store.prefix, **options)


async def test_replays_then_follows(store: RedisStreamStore) -> None:
    store.ttl = 0.3
    await store.start("chat", "s1")
    await store.append("s1", b"a")
    seen: list[bytes] = []

    async def reader() -> None:
        seen.extend([data async for data in store.read("s1")])

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(reader)
            await anyio.sleep(0.05)
            await store.append("s1", b"b")
            assert await store.active_stream("chat") == "s1"
            await store.finish("s1")
    assert seen == [b"a", b"b"]
    assert await store.active_stream("chat") is None
    assert [d async for d in store.read("s1")] == [b"a", b"b"]  # still readable
    assert 0 < await store.client.pttl(f"{store.prefix}stream:s1") <= 300
    assert not await store.client.exists(f"{store.prefix}lease:s1")
    await anyio.sleep(0.4)
    assert [d async for d in store.read("s1")] == []  # expired
    assert await store.client.keys(f"{store.prefix}*") == []


async def test_another_worker_reads_and_finishes(store: RedisStreamStore) -> None:
    async with other_worker(store) as other:
        await store.start("chat", "s1")
        await store.append("s1", b"x" * 100_000)
        for i in range(1_200):  # more than one XRANGE batch
            await store.append("s1", b"%d," % i)
        assert await other.active_stream("chat") == "s1"
        await other.finish("s1")  # a reader that closed an abandoned stream: no chat id cached
        assert await store.active_stream("chat") is None
        body = b"".join([d async for d in store.read("s1")])
    assert body == b"x" * 100_000 + b"".join(b"%d," % i for i in range(1_200))


async def test_finish_leaves_a_newer_stream_active(store: RedisStreamStore) -> None:
    await store.start("chat", "s1")
    await store.start("chat", "s2")  # a new message replaced the answer
    await store.finish("s1")
    assert await store.active_stream("chat") == "s2"
    await store.finish("s2")
    assert await store.active_stream("chat") is None


async def test_unknown_streams(store: RedisStreamStore) -> None:
    assert await store.active_stream("nothing") is None
    assert [d async for d in store.read("nothing")] == []
    await store.append("nothing", b"a")  # ignored: never recreates an expired stream
    await store.finish("nothing")
    assert await store.client.keys(f"{store.prefix}stream:*") == []


async def test_a_reader_whose_cancellation_a_client_call_lost_still_stops(
    store: RedisStreamStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python 3.11's asyncio.wait_for (in redis-py) can lose a cancellation that arrives as
    its call completes: the follower must stop anyway, not read on for ever."""
    await store.start("chat", "s1")
    await store.append("s1", b"a")
    wait_for = store._wait_for
    lost: list[bool] = []

    async def losing(key: str, last_id: bytes, wait_ms: int) -> bool:
        try:
            return await wait_for(key, last_id, wait_ms)
        except asyncio.CancelledError:  # as the buggy wait_for does: the call "completed"
            lost.append(True)
            return False

    monkeypatch.setattr(store, "_wait_for", losing)

    async def follow() -> None:
        async for _ in store.read("s1", idle=0.05):
            pass

    task = asyncio.get_running_loop().create_task(follow())
    await asyncio.sleep(0.1)
    task.cancel()
    with anyio.fail_after(2):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert lost == [True]


async def test_idle_ticks(store: RedisStreamStore) -> None:
    await store.start("chat", "s1")
    reader = store.read("s1", idle=0.05)
    started = time.monotonic()
    with anyio.fail_after(2):
        assert await reader.__anext__() == b""
        assert await reader.__anext__() == b""
    assert 0.09 <= time.monotonic() - started < 1
    await reader.aclose()


async def test_producer_lost_when_the_lease_expires(redis_url: str) -> None:
    prefix = f"t{secrets.token_hex(4)}:"
    async with RedisStreamStore(redis_url, prefix=prefix, lease=0.3, block_ms=50) as store:
        await store.start("chat", "s1")
        await store.append("s1", b"a")
        seen: list[bytes] = []
        started = time.monotonic()
        with anyio.fail_after(3), pytest.raises(ProducerLostError):
            async for data in store.read("s1"):
                seen.append(data)  # noqa: PERF401 - kept when read raises
        assert seen == [b"a"]
        assert 0.2 < time.monotonic() - started < 1.0
        assert await store.active_stream("chat") == "s1"  # until a reader closes it


async def test_renewals_keep_a_quiet_producer_alive(redis_url: str) -> None:
    prefix = f"t{secrets.token_hex(4)}:"
    async with RedisStreamStore(redis_url, prefix=prefix, lease=0.2, block_ms=30) as store:
        await store.start("chat", "s1")
        seen: list[bytes] = []

        async def reader() -> None:
            seen.extend([data async for data in store.read("s1", idle=0.1)])

        with anyio.fail_after(5):
            async with anyio.create_task_group() as group:
                group.start_soon(reader)
                for _ in range(12):  # 0.6 s of silence, three leases
                    await store.renew("s1")
                    await anyio.sleep(0.05)
                await store.append("s1", b"late")
                await store.finish("s1")
        assert seen[-1] == b"late" and set(seen[:-1]) == {b""} and len(seen) >= 4


async def test_claim_abandoned_is_exclusive(store: RedisStreamStore) -> None:
    await store.start("chat", "s1")
    workers = [other_worker(store) for _ in range(4)]
    results: list[bool] = []

    async def claim(worker: RedisStreamStore) -> None:
        results.extend([await worker.claim_abandoned("s1") for _ in range(5)])

    async with anyio.create_task_group() as group:
        for worker in workers:
            group.start_soon(claim, worker)
    assert sorted(results) == [False] * 19 + [True]
    assert await store.claim_abandoned("s2") is True  # per stream
    for worker in workers:
        await worker.aclose()


async def test_keys_expire_when_the_producer_dies(redis_url: str) -> None:
    prefix = f"t{secrets.token_hex(4)}:"
    async with RedisStreamStore(redis_url, prefix=prefix, ttl=0.3, lease=0.1) as store:
        await store.start("chat", "s1")
        await store.append("s1", b"a")
        await store.renew("s1")
        ttls = [await store.client.pttl(key) for key in await store.client.keys(f"{prefix}*")]
        assert len(ttls) == 3 and all(0 < ttl <= 300 for ttl in ttls)
        await anyio.sleep(0.4)  # never finished, nobody read it
        assert await store.client.keys(f"{prefix}*") == []


async def test_decoding_clients_are_refused(redis_url: str) -> None:
    client = Redis.from_url(redis_url, decode_responses=True)
    with pytest.raises(ValueError, match="decode_responses"):
        RedisStreamStore(client=client)
    await client.aclose()


TEXT_OPEN = (
    b'data: {"type":"start","messageId":"m1"}\n\ndata: {"type":"start-step"}\n\n'
    b'data: {"type":"text-start","id":"t1"}\n\ndata: {"type":"text-delta","id":"t1","delta":"Hel"}'
    b"\n\n"
)


async def test_readers_close_an_abandoned_stream_once(redis_url: str) -> None:
    prefix = f"t{secrets.token_hex(4)}:"
    stores = [RedisStreamStore(redis_url, prefix=prefix, lease=0.3, block_ms=50) for _ in "abc"]
    await stores[0].start("chat", "s1")  # a producer that dies after one append
    await stores[0].append("s1", TEXT_OPEN)
    bodies: list[bytes] = []

    async def follow(store: RedisStreamStore) -> None:
        async with ResumableStreams(store, lease=0.3) as streams:
            bodies.append(b"".join([data async for data in streams.follow("s1")]))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            for store in stores[1:]:
                group.start_soon(follow, store)
    late = b"".join([data async for data in stores[0].read("s1")])  # the claimer's closing
    assert bodies == [late, late]
    message = read_ui_message(parse_sse_json(late))
    assert message is not None
    assert message["parts"][-1] == {"type": "text", "text": "Hel", "state": "done"}
    assert parse_sse_json(late)[-1] == {"type": "abort"}
    assert await stores[0].active_stream("chat") is None
    for store in stores:
        await store.aclose()


# --- chat_routes on uvicorn --------------------------------------------------------------------


class GatedStreams(ResumableStreams):
    """Counts the readers that followed; the answers wait halfway until ``release`` is set.

    So a resume is certain to happen while the answer runs, however slow the machine.
    """

    def __init__(self, store: RedisStreamStore) -> None:
        super().__init__(store)
        self.followers = 0
        self.release = anyio.Event()

    def follow(self, stream_id: str) -> Following:
        self.followers += 1
        return super().follow(stream_id)

    async def release_after(self, followers: int) -> None:
        with anyio.fail_after(30):
            while self.followers < followers:
                await anyio.sleep(0.01)
        self.release.set()


def build_app(streams: GatedStreams, records: list[StreamRecord]) -> Starlette:
    async def answer(ctx: StreamContext[Any], body: ChatRequest) -> None:
        await ctx.write_reasoning("Counting.")
        for i in range(20):
            if i == 10:
                with anyio.fail_after(30):
                    await streams.release.wait()
            await ctx.write_text(f"{i} ")
            await anyio.sleep(0.01)

    async def handler(body: ChatRequest, request: Request) -> StreamContext[Any]:
        ctx: StreamContext[None] = StreamContext.for_request(
            body, sdk_version=request.query_params.get("sdk", "6"), on_finish=records.append
        )
        await ctx.run(answer, body)
        return ctx

    return Starlette(routes=chat_routes(handler, streams=streams), lifespan=streams.lifespan)


@dataclass
class Served:
    url: str
    records: list[StreamRecord]
    streams: GatedStreams


@pytest.fixture
async def server(redis_url: str) -> AsyncIterator[Served]:
    async with _serve(redis_url, f"t{secrets.token_hex(4)}:") as served:
        yield served


@asynccontextmanager
async def _serve(redis_url: str, prefix: str) -> AsyncIterator[Served]:
    records: list[StreamRecord] = []
    store = RedisStreamStore(redis_url, prefix=prefix)
    streams = GatedStreams(store)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(build_app(streams, records), log_level="error"))
    async with store, anyio.create_task_group() as group:
        group.start_soon(uv.serve, [sock])
        while not uv.started:
            await anyio.sleep(0.01)
        yield Served(f"http://127.0.0.1:{port}/api/chat", records, streams)
        uv.should_exit = True
    sock.close()


async def test_resume_after_the_client_dropped(server: Served) -> None:
    partial = await post_and_drop(server.url, "chat-a")
    async with httpx.AsyncClient() as client, anyio.create_task_group() as group:
        group.start_soon(server.streams.release_after, 3)  # the POST and two resumes
        resumed, second = await _two_readers(client, f"{server.url}/chat-a/stream")
        after = await client.get(f"{server.url}/chat-a/stream")
    assert resumed.startswith(partial) and resumed == second
    text = "".join(c.get("delta", "") for c in parse_sse_json(resumed) if c["type"] == "text-delta")
    assert text == "".join(f"{i} " for i in range(20))
    assert after.status_code == 204
    assert len(server.records) == 1 and not server.records[0].aborted


async def test_no_active_stream_answers_204(server: Served) -> None:
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{server.url}/never-started/stream")).status_code == 204


async def test_resume_on_another_worker(redis_url: str) -> None:
    prefix = f"t{secrets.token_hex(4)}:"
    async with _serve(redis_url, prefix) as a, _serve(redis_url, prefix) as b:
        partial = await post_and_drop(a.url, "chat-w")
        async with httpx.AsyncClient() as client, anyio.create_task_group() as group:
            group.start_soon(_release_when_followed, a.streams, b.streams)
            with anyio.fail_after(10):
                resumed = (await client.get(f"{b.url}/chat-w/stream")).content
            after = await client.get(f"{a.url}/chat-w/stream")
    assert resumed.startswith(partial) and len(resumed) > len(partial)
    assert read_ui_message(parse_sse_json(resumed)) == a.records[0].to_ui_message(6)
    assert after.status_code == 204 and not b.records


async def _release_when_followed(producer: GatedStreams, reader: GatedStreams) -> None:
    with anyio.fail_after(30):
        while not reader.followers:
            await anyio.sleep(0.01)
    producer.release.set()


@pytest.mark.parametrize("release", ["6.0.326", "7.0.173"])
async def test_real_client_resumes_during_and_after_a_stream(server: Served, release: str) -> None:
    chat_id = f"chat-{release}"
    await post_and_drop(f"{server.url}?sdk={release}", chat_id)
    async with anyio.create_task_group() as group:
        group.start_soon(server.streams.release_after, 2)  # the POST and the client's resume
        during = await node_resume(server.url, release, chat_id)  # replay + live tail
    assistants = [m for m in during["messages"] if m["role"] == "assistant"]
    assert during["status"] == "ready" and len(assistants) == 1
    assert server.records and assistants[0] == server.records[-1].to_ui_message(release)
    after = await node_resume(server.url, release, chat_id)  # the answer ended: 204
    assert after["status"] == "ready"
    assert after["requests"][-1]["responseStatus"] == 204
    assert [m["role"] for m in after["messages"]] == ["user"]


async def test_a_stop_on_another_worker_stops_the_producer_within_a_second(
    store: RedisStreamStore,
) -> None:
    """Worker B has no producer for the stream: its stop sets the stream's stop key, which
    worker A reads at its next lease renewal; every reader gets the abort, the chat is free."""
    records: list[StreamRecord] = []
    ctx = await slow_context(records)
    async with other_worker(store, lease=0.6) as store_b:
        async with (
            ResumableStreams(store, lease=0.6) as worker_a,
            ResumableStreams(store_b, lease=0.6) as worker_b,
        ):
            stream_id = await worker_a.start("stop-chat", ctx)
            await anyio.sleep(0.05)
            assert not await store.stop_requested(stream_id)
            asked = anyio.current_time()
            assert await worker_b.stop("stop-chat") is True
            with anyio.fail_after(5):
                body = b"".join([piece async for piece in worker_b.follow(stream_id)])
            took = anyio.current_time() - asked
            assert await worker_b.active_stream("stop-chat") is None
            assert await worker_b.stop("stop-chat") is False
    assert parse_sse_json(body)[-2:] == [{"type": "text-end", "id": "text-1"}, {"type": "abort"}]
    assert records[0].abort_reason == "stopped" and took < 1.0


async def test_an_unresponsive_redis_fails_calls_within_the_timeout() -> None:
    """A server that accepts connections and never answers: store calls fail after ``timeout``
    instead of hanging the streams that need them."""
    from redis.exceptions import TimeoutError as RedisTimeoutError

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        async with RedisStreamStore(
            f"redis://127.0.0.1:{port}/0", timeout=0.3, lease=0.2
        ) as silent:
            kwargs = silent.client.connection_pool.connection_kwargs
            assert (kwargs["socket_connect_timeout"], kwargs["socket_timeout"]) == (0.3, 0.4)
            started = time.monotonic()
            with anyio.fail_after(5), pytest.raises(StreamStoreError) as caught:
                await silent.active_stream("chat")
            assert time.monotonic() - started < 2.0
            assert isinstance(caught.value.__cause__, RedisTimeoutError)
    finally:
        listener.close()


async def test_presence_counts_readers_on_every_worker(store: RedisStreamStore) -> None:
    """Readers join with a lease on Redis's clock: counted by any worker, dropped on leave or
    when the lease ends, and the reader set expires with the stream."""
    await store.start("chat", "s1")
    async with other_worker(store) as store_b:
        await store.join("s1", "r1", 5.0)
        await store_b.join("s1", "r2", 0.1)
        assert (await store.readers("s1"), await store_b.readers("s1")) == (2, 2)
        await anyio.sleep(0.15)  # r2's lease ended (its worker died)
        assert await store_b.readers("s1") == 1
        assert 0 < await store.client.pttl(f"{store.prefix}readers:s1") <= 300_000  # (the ttl)
        await store.leave("s1", "r1")
        assert await store.readers("s1") == 0


async def test_a_reload_on_another_worker_keeps_the_answer_past_the_grace(
    store: RedisStreamStore,
) -> None:
    """keep_running=<grace> across workers: the reader on B counts for the producer on A; when
    it leaves, A stops the answer after the grace period."""
    records: list[StreamRecord] = []
    ctx = await slow_context(records)
    async with other_worker(store, lease=0.3) as store_b:
        async with (
            ResumableStreams(store, lease=0.3, keep_running=0.3) as worker_a,
            ResumableStreams(store_b, lease=0.3, keep_running=0.3) as worker_b,
        ):
            stream_id = await worker_a.start("grace-chat", ctx)
            reader = worker_b.follow(stream_id)
            async with anyio.create_task_group() as group:

                async def read_on_b() -> None:
                    async for _ in reader:
                        pass

                group.start_soon(read_on_b)
                await anyio.sleep(1.0)  # three grace periods
                assert not records and await store.readers(stream_id) == 1
                group.cancel_scope.cancel()
            await reader.aclose()
            left = anyio.current_time()
            with anyio.fail_after(5):
                while not records:
                    await anyio.sleep(0.01)
            took = anyio.current_time() - left
    assert records[0].aborted and 0.3 <= took < 1.0


async def test_readers_beyond_max_blocking_poll_and_see_everything(redis_url: str) -> None:
    """One reader may block; the others poll: all get every byte live, and a polling reader
    still notices a dead producer."""
    async with RedisStreamStore(
        redis_url, prefix=f"t{secrets.token_hex(4)}:", max_blocking=1, poll_ms=10, lease=0.3
    ) as store:
        await store.start("chat", "s1")
        seen: list[list[bytes]] = [[], [], []]

        async def reader(index: int) -> None:
            seen[index].extend([data async for data in store.read("s1")])

        with anyio.fail_after(5):
            async with anyio.create_task_group() as group:
                for index in range(3):
                    group.start_soon(reader, index)
                for piece in (b"a", b"b", b"c"):
                    await anyio.sleep(0.05)
                    await store.append("s1", piece)
                await store.finish("s1")
        assert seen == [[b"a", b"b", b"c"]] * 3 and store.blocking == 0
        await store.start("chat", "s2")  # its producer dies: no renewals
        with anyio.fail_after(5):
            async with anyio.create_task_group() as group:
                for _ in range(3):

                    async def lost() -> None:
                        with pytest.raises(ProducerLostError):
                            async for _ in store.read("s2"):
                                pass

                    group.start_soon(lost)
