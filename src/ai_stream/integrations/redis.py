"""Resumable streams in Redis: :class:`RedisStreamStore` lets several workers share answers.

Install with ``pip install 'ai-stream[redis]'`` (redis-py's asyncio client). Example::

    from ai_stream.integrations.redis import RedisStreamStore
    from ai_stream.resume import ResumableStreams

    store = RedisStreamStore("redis://127.0.0.1:6379/0", ttl=300, lease=2.0)
    streams = ResumableStreams(store, lease=2.0)

Keys (all under ``prefix``):

* ``stream:{id}`` — a Redis Stream: a first entry ``c`` (the chat id), one entry ``d`` per
  appended body chunk, and a done marker ``x`` when the answer ended;
* ``chat:{chat_id}`` — the chat's active stream id;
* ``lease:{id}`` — exists while the producer is alive (``lease`` seconds after its last sign);
* ``closed:{id}`` — taken by the one reader that closes an abandoned stream.
* ``stop:{id}`` — set by :meth:`RedisStreamStore.request_stop`; the producing worker reads it
  at every lease renewal and stops the answer.
* ``readers:{id}`` — a sorted set of the stream's readers on every worker, each scored with the
  end of its lease (Redis's own clock, so that workers' clocks need not agree).

Every key expires: ``ttl`` seconds after the answer ended, or after the producer's last sign of
life when it never ended (renewed while it runs), so nothing is left behind by killed workers.

Readers replay the stream with ``XRANGE`` and wait for more with ``XREAD BLOCK``. When a wait
times out, the stream is not done and the lease key is gone, the producer is dead: the reader
raises :class:`~ai_stream.exceptions.ProducerLostError` (and :class:`~ai_stream.ResumableStreams`
closes the stream for everybody). A dead producer is noticed at most ``lease`` plus
``block_ms`` after its last sign of life.

The store runs on asyncio only (redis-py); under trio use the
:class:`~ai_stream.resume.MemoryStreamStore` or a store built on a trio-capable client.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import anyio

from ai_stream.exceptions import MissingExtraError, ProducerLostError, StreamStoreError

try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis is a dev dependency
    RedisError = OSError  # type: ignore[assignment,misc]  # (the store refuses to start anyway)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Iterator

    from redis.asyncio import Redis

__all__ = ("RedisStreamStore",)

_BATCH = 512  # entries per XRANGE

# KEYS: stream, lease[, chat]; ARGV: stream id, ttl (ms). One atomic step, so a reader that
# finds the lease gone also finds the done marker when the stream was finished.
# KEYS: readers; ARGV: reader, lease (ms), ttl (ms).
_JOIN = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: readers. Drops the expired leases, counts the rest.
_READERS = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
return redis.call('ZCARD', KEYS[1])
"""

_FINISH = """
redis.call('DEL', KEYS[2])
if KEYS[3] and redis.call('GET', KEYS[3]) == ARGV[1] then
  redis.call('DEL', KEYS[3])
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('XADD', KEYS[1], '*', 'x', '1')
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
"""


class RedisStreamStore:
    """A :class:`~ai_stream.resume.StreamStore` in Redis Streams, shared by any number of workers.

    Args:
        url: The Redis URL, used when no ``client`` is given.
        client: A ``redis.asyncio.Redis`` client to use instead (not closed by the store); it
            must return bytes (``decode_responses=False``, the default).
        prefix: Prefix of every key.
        ttl: Seconds a finished stream stays readable (and an abandoned one is kept).
        lease: Seconds the producer's lease lasts after its last append or renewal. Give
            :class:`~ai_stream.ResumableStreams` the same ``lease`` (it renews every third of
            it), and keep it above the longest event-loop stall of a worker.
        block_ms: Longest wait of one ``XREAD BLOCK`` (default: half the lease); a dead
            producer is noticed within ``lease`` plus this.
        max_connections: Pool size when the store makes its client (a call waits up to
            ``timeout`` for a free connection).
        max_blocking: Readers that may wait with ``XREAD BLOCK`` at once (each holds a pool
            connection while it waits); more readers poll every ``poll_ms`` instead, so that
            readers (who may be anonymous) never take the connections that answers need.
            Default: half of ``max_connections`` (of the client's pool size when given one).
        poll_ms: How often a reader beyond ``max_blocking`` looks for new data.
        timeout: Seconds a connection attempt, or a call beyond its own blocking wait
            (``block_ms``), may take before it fails with ``redis.exceptions.TimeoutError``,
            when the store makes its client: an unresponsive Redis fails the streams that
            need it instead of hanging them.

    Raises:
        ImportError: redis-py is not installed.
        ValueError: ``client`` decodes responses.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        client: Redis | None = None,
        prefix: str = "ai_stream:",
        ttl: float = 300.0,
        lease: float = 2.0,
        block_ms: int | None = None,
        max_connections: int = 1024,
        max_blocking: int | None = None,
        poll_ms: int = 50,
        timeout: float = 5.0,
    ) -> None:
        self._owns_client = client is None
        if client is None:
            try:
                from redis.asyncio import BlockingConnectionPool, Redis
            except ImportError as exc:
                raise MissingExtraError("redis", "redis", "RedisStreamStore") from exc
            block_s = (block_ms if block_ms is not None else max(10, round(lease * 500))) / 1000
            # (a blocking pool: a call waits up to ``timeout`` for a free connection instead of
            # failing at once when every connection is busy)
            pool = BlockingConnectionPool.from_url(
                url,
                max_connections=max_connections,
                timeout=timeout,
                socket_connect_timeout=timeout,
                socket_timeout=timeout + block_s,
            )
            client = Redis.from_pool(pool)
        elif client.connection_pool.connection_kwargs.get("decode_responses"):
            raise ValueError("RedisStreamStore needs a client with decode_responses=False.")
        self.client: Redis = client
        self.prefix = prefix
        self.ttl = ttl
        self.lease = lease
        self.block_ms = block_ms if block_ms is not None else max(10, round(lease * 500))
        if max_blocking is None:
            pool_size = getattr(client.connection_pool, "max_connections", max_connections)
            max_blocking = max(1, min(pool_size, 2**31) // 2)
        self.max_blocking, self.poll_ms = max_blocking, poll_ms
        self._blocking = 0  # readers waiting in XREAD BLOCK now
        self._finish = client.register_script(_FINISH)
        self._join = client.register_script(_JOIN)
        self._readers = client.register_script(_READERS)
        self._chats: dict[str, str] = {}  # chat ids of the streams this store started

    @property
    def blocking(self) -> int:
        """Readers waiting in ``XREAD BLOCK`` now (at most ``max_blocking``)."""
        return self._blocking

    @property
    def _ttl_ms(self) -> int:
        return max(1, round(self.ttl * 1000))

    def _key(self, kind: str, name: str) -> str:
        return f"{self.prefix}{kind}:{name}"

    @contextmanager
    def _failing(self) -> Iterator[None]:
        """Raise any failure of Redis (or of the connection to it) as a StreamStoreError."""
        try:
            yield
        except (RedisError, OSError) as exc:
            raise StreamStoreError() from exc

    async def aclose(self) -> None:
        """Close the client if the store made it."""
        if self._owns_client:
            await self.client.aclose()

    async def __aenter__(self) -> RedisStreamStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def start(self, chat_id: str, stream_id: str) -> None:
        """Create the stream, make it the chat's active stream and take the lease."""
        with self._failing():
            key, ttl = self._key("stream", stream_id), self._ttl_ms
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.delete(key)
                pipe.xadd(key, {"c": chat_id})
                pipe.pexpire(key, ttl)
                pipe.set(self._key("chat", chat_id), stream_id, px=ttl)
                pipe.set(self._key("lease", stream_id), b"1", px=round(self.lease * 1000))
                await pipe.execute()
            self._chats[stream_id] = chat_id

    async def append(self, stream_id: str, data: bytes) -> None:
        """Append body bytes (ignored when the stream expired) and renew the lease."""
        with self._failing():
            key = self._key("stream", stream_id)
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.xadd(key, {"d": data}, nomkstream=True)
                pipe.pexpire(key, self._ttl_ms)
                pipe.set(self._key("lease", stream_id), b"1", px=round(self.lease * 1000))
                await pipe.execute()

    async def renew(self, stream_id: str) -> None:
        """Renew the lease, and the expiry of the stream and its chat key."""
        with self._failing():
            key, ttl = self._key("stream", stream_id), self._ttl_ms
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.set(self._key("lease", stream_id), b"1", px=round(self.lease * 1000))
                pipe.pexpire(key, ttl)
                if (chat_id := self._chats.get(stream_id)) is not None:
                    pipe.pexpire(self._key("chat", chat_id), ttl)
                await pipe.execute()

    async def request_stop(self, stream_id: str) -> None:
        """Set the stream's stop key (it expires with the stream), which its producer reads."""
        with self._failing():
            await self.client.set(self._key("stop", stream_id), b"1", px=self._ttl_ms)

    async def stop_requested(self, stream_id: str) -> bool:
        """Whether the stream's stop key is set."""
        with self._failing():
            return bool(await self.client.exists(self._key("stop", stream_id)))

    async def join(self, stream_id: str, reader: str, lease: float) -> None:
        """Add (or renew) the reader in the stream's reader set for ``lease`` seconds."""
        with self._failing():
            key = self._key("readers", stream_id)
            await self._join(keys=[key], args=[reader, max(1, round(lease * 1000)), self._ttl_ms])

    async def leave(self, stream_id: str, reader: str) -> None:
        """Remove the reader from the stream's reader set."""
        with self._failing():
            await self.client.zrem(self._key("readers", stream_id), reader)

    async def readers(self, stream_id: str) -> int:
        """The stream's readers on every worker whose lease has not expired."""
        with self._failing():
            return int(await self._readers(keys=[self._key("readers", stream_id)]))

    async def finish(self, stream_id: str) -> None:
        """Add the done marker, drop the lease and the chat key (if still this stream's)."""
        with self._failing():
            chat_id = self._chats.pop(stream_id, None) or await self._chat_of(stream_id)
            keys = [self._key("stream", stream_id), self._key("lease", stream_id)]
            if chat_id is not None:
                keys.append(self._key("chat", chat_id))
            await self._finish(keys=keys, args=[stream_id, self._ttl_ms])

    async def _chat_of(self, stream_id: str) -> str | None:
        first = await self.client.xrange(self._key("stream", stream_id), "-", "+", count=1)
        fields = first[0][1] if first else None
        chat_id = fields.get(b"c") if fields else None
        return chat_id.decode() if isinstance(chat_id, bytes) else chat_id

    async def active_stream(self, chat_id: str) -> str | None:
        """The chat's active stream id, if any."""
        with self._failing():
            value: Any = await self.client.get(self._key("chat", chat_id))
            return value.decode() if isinstance(value, bytes) else value

    async def read(
        self, stream_id: str, *, idle: float | None = None
    ) -> AsyncGenerator[bytes, None]:
        """Yield the stream's bytes from the start, then live until it is finished.

        Yields ``b""`` after ``idle`` seconds without data. An unknown (or expired) stream
        yields nothing.

        Raises:
            ProducerLostError: The producer's lease expired before the stream was finished.
        """
        with self._failing():
            client, key = self.client, self._key("stream", stream_id)
            lease_key = self._key("lease", stream_id)
            last_id: bytes | None = None
            quiet_since = time.monotonic()
            suspect = False  # the lease was gone at the last check
            while True:
                got = False
                while True:  # everything after last_id (XRANGE: one reply shape on RESP2 and 3)
                    low = b"-" if last_id is None else b"(" + last_id
                    entries = await client.xrange(key, low, b"+", count=_BATCH) or []
                    for entry_id, fields in entries:
                        last_id, got = entry_id if isinstance(entry_id, bytes) else last_id, True
                        if not fields:
                            continue
                        if b"x" in fields:
                            return
                        data = fields.get(b"d")
                        if isinstance(data, bytes) and data:
                            quiet_since = time.monotonic()
                            yield data
                    if len(entries) < _BATCH:
                        break
                if last_id is None:
                    return
                if suspect and not got:
                    raise ProducerLostError(stream_id)
                wait = self.block_ms
                if idle is not None:
                    wait = min(wait, round((quiet_since + idle - time.monotonic()) * 1000))
                came = await self._wait_for(key, last_id, max(1, wait))
                _raise_a_lost_cancellation()
                if came:
                    suspect = False
                    continue
                if idle is not None and time.monotonic() - quiet_since >= idle:
                    quiet_since = time.monotonic()
                    yield b""
                suspect = not await client.exists(lease_key)

    async def _wait_for(self, key: str, last_id: bytes, wait_ms: int) -> bool:
        """Wait up to ``wait_ms`` for an entry after ``last_id``; whether one came.

        ``XREAD BLOCK`` while fewer than ``max_blocking`` readers do; else it polls.
        """
        if self._blocking < self.max_blocking:
            self._blocking += 1
            try:
                return bool(await self.client.xread({key: last_id}, count=1, block=wait_ms))
            finally:
                self._blocking -= 1
        deadline = time.monotonic() + wait_ms / 1000
        while True:
            await anyio.sleep(min(self.poll_ms / 1000, max(0.0, deadline - time.monotonic())))
            if await self.client.xrange(key, b"(" + last_id, b"+", count=1):
                return True
            if time.monotonic() >= deadline:
                return False

    async def claim_abandoned(self, stream_id: str) -> bool:
        """Claim the right to close an abandoned stream: ``True`` for exactly one caller."""
        with self._failing():
            closed = self._key("closed", stream_id)
            return bool(await self.client.set(closed, b"1", nx=True, px=self._ttl_ms))


def _raise_a_lost_cancellation() -> None:
    """Raise the cancellation a client call lost, so that a reader asked to stop stops.

    On Python 3.11, ``asyncio.wait_for`` (inside redis-py) loses a cancellation that arrives as
    its inner call completes: the call returns, and the task goes on reading for ever although
    it was cancelled (a client that left would hold its reader). The task still counts the
    request (``Task.cancelling()``); the read loop, which never runs during a delivered
    cancellation's cleanup, raises it here.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
