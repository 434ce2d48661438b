"""Resumable streams: ``useChat({resume: true})`` picks an answer up where it was left.

A resumable answer is not streamed to its client directly. :class:`ResumableStreams` drains the
:class:`~ai_stream.StreamContext` into a :class:`StreamStore` (a *pump*), and every reader — the
client that posted, or a client that reconnected with ``GET {api}/{chatId}/stream`` — replays the
stored body from its first byte and then follows it live until it ends. So:

* the producer never waits for a slow or absent reader (the store takes everything);
* the answer keeps running when its client goes away (``keep_running=True``, the default), so a
  reload gets the whole answer; with ``keep_running=False`` the last reader leaving cancels it;
* several readers may follow one stream at once, on any worker that shares the store.

Stores: :class:`MemoryStreamStore` (one process; the default) and
:class:`ai_stream.integrations.redis.RedisStreamStore` (Redis Streams; several workers). Entries
expire ``ttl`` seconds after the answer ended.

When a producer dies without finishing (its worker was killed), the store notices that its lease
expired; the first reader to notice closes the stream for everybody: it ends the parts that were
open, sends ``abort`` and ``[DONE]``, and the chat has no active stream any more.
"""

from __future__ import annotations

import heapq
import json
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import anyio

from ai_stream.encoding.sse import DONE_FRAME, KEEP_ALIVE_FRAME, STREAM_OPEN_FRAME, SSEEncoder
from ai_stream.exceptions import ProducerLostError, StreamStoreError, TooManyStreamsError
from ai_stream.protocol.versions import ClientTarget, SdkVersion

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable, Coroutine

    from ai_stream.context import StreamContext

__all__ = (
    "Following",
    "MemoryStreamStore",
    "ProducerLostError",
    "ResumableStreams",
    "StreamStore",
    "closing_frames",
)

logger = logging.getLogger("ai_stream")


class StreamStore(Protocol):
    """Where resumable streams keep their bytes. All methods are safe to call concurrently."""

    async def start(self, chat_id: str, stream_id: str) -> None:
        """Make ``stream_id`` the active stream of ``chat_id`` (replacing any earlier one)."""
        ...

    async def append(self, stream_id: str, data: bytes) -> None:
        """Append body bytes; also renews the producer's lease."""
        ...

    async def finish(self, stream_id: str) -> None:
        """Mark the stream complete; its chat has no active stream any more."""
        ...

    async def active_stream(self, chat_id: str) -> str | None:
        """The chat's active stream id, or ``None`` when no answer is running."""
        ...

    def read(self, stream_id: str, *, idle: float | None = None) -> AsyncGenerator[bytes, None]:
        """Yield the stream's bytes from the start, then live until it is finished.

        Yields ``b""`` after ``idle`` seconds without data (``None``: never). Raises
        :class:`ProducerLostError` when the producer's lease expired before the stream finished.
        """
        ...

    async def claim_abandoned(self, stream_id: str) -> bool:
        """Atomically claim the right to close an abandoned stream (``True`` for one caller)."""
        ...

    async def renew(self, stream_id: str) -> None:
        """Renew the producer's lease: it is alive even if it has nothing to append."""
        ...

    async def request_stop(self, stream_id: str) -> None:
        """Ask the stream's producer, wherever it runs, to stop (nothing for an ended stream)."""
        ...

    async def stop_requested(self, stream_id: str) -> bool:
        """Whether a stop was asked for the stream (its producer checks at every renewal)."""
        ...

    async def join(self, stream_id: str, reader: str, lease: float) -> None:
        """Announce (or renew) a reader of the stream, present for ``lease`` seconds."""
        ...

    async def leave(self, stream_id: str, reader: str) -> None:
        """The reader stopped reading the stream."""
        ...

    async def readers(self, stream_id: str) -> int:
        """How many readers on any worker are present (their lease not expired)."""
        ...


@dataclass(slots=True)
class _LiveEntry:
    chat_id: str
    chunks: list[bytes] = field(default_factory=list)
    done: bool = False
    stopping: bool = False
    readers: dict[str, float] = field(default_factory=dict)  # reader -> lease end
    changed: anyio.Event = field(default_factory=anyio.Event)


class MemoryStreamStore:
    """A :class:`StreamStore` in this process's memory (one worker).

    A finished stream is kept as one ``(body, expires_at)`` tuple: no objects the garbage
    collector must walk, so that the cost of a stream stays flat however many finished streams
    wait for their ``ttl``.

    Args:
        ttl: Seconds a finished stream stays readable.
        max_finished_bytes: Bytes of finished bodies kept for late readers (a reload after the
            answer ended); past it the oldest are dropped before their ``ttl``, and reading one
            then finds nothing, as after the ``ttl``. ``None``: only the ``ttl`` bounds them.
    """

    def __init__(
        self, *, ttl: float = 300.0, max_finished_bytes: int | None = 64 * 1024 * 1024
    ) -> None:
        self.ttl = ttl
        self.max_finished_bytes = max_finished_bytes
        self._live: dict[str, _LiveEntry] = {}
        self._finished: dict[str, tuple[bytes, float]] = {}
        self._finished_bytes = 0
        self._active: dict[str, str] = {}
        self._expiry: list[tuple[float, str]] = []  # a heap of (expires_at, stream id)

    @property
    def finished_bytes(self) -> int:
        """Bytes of the finished bodies kept now."""
        return self._finished_bytes

    def _expire(self) -> None:
        """Drop the finished streams past their time or over ``max_finished_bytes`` (oldest first).

        O(log n) each, however many there are.
        """
        now = anyio.current_time()
        expiry = self._expiry
        limit = self.max_finished_bytes
        while expiry and (
            expiry[0][0] <= now or (limit is not None and self._finished_bytes > limit)
        ):
            _, stream_id = heapq.heappop(expiry)
            self._drop_finished(stream_id)

    def _drop_finished(self, stream_id: str) -> None:
        finished = self._finished.pop(stream_id, None)
        if finished is not None:
            self._finished_bytes -= len(finished[0])

    def _notify(self, entry: _LiveEntry) -> None:
        entry.changed.set()
        entry.changed = anyio.Event()

    async def start(self, chat_id: str, stream_id: str) -> None:
        """Make ``stream_id`` the active stream of ``chat_id``."""
        self._expire()
        self._drop_finished(stream_id)
        self._live[stream_id] = _LiveEntry(chat_id)
        self._active[chat_id] = stream_id

    async def append(self, stream_id: str, data: bytes) -> None:
        """Append body bytes."""
        entry = self._live[stream_id]
        entry.chunks.append(data)
        self._notify(entry)

    async def finish(self, stream_id: str) -> None:
        """Mark the stream complete and start its expiry."""
        entry = self._live.pop(stream_id, None)
        if entry is None:
            return
        entry.done = True
        expires_at = anyio.current_time() + self.ttl
        body = b"".join(entry.chunks)
        self._finished[stream_id] = (body, expires_at)
        self._finished_bytes += len(body)
        heapq.heappush(self._expiry, (expires_at, stream_id))
        self._expire()
        if self._active.get(entry.chat_id) == stream_id:
            del self._active[entry.chat_id]
        entry.changed.set()  # readers of the live entry take the rest from it and end

    async def active_stream(self, chat_id: str) -> str | None:
        """The chat's active stream id, if any."""
        return self._active.get(chat_id)

    async def read(
        self, stream_id: str, *, idle: float | None = None
    ) -> AsyncGenerator[bytes, None]:
        """Yield the stream's bytes from the start, then live until it is finished."""
        entry = self._live.get(stream_id)
        if entry is None:
            finished = self._finished.get(stream_id)
            if finished is not None and finished[0]:
                yield finished[0]
            return
        index = 0
        while True:
            while index < len(entry.chunks):
                index += 1
                yield entry.chunks[index - 1]
            if entry.done:
                return
            changed = entry.changed
            if idle is None:
                await changed.wait()
            else:
                with anyio.move_on_after(idle) as scope:
                    await changed.wait()
                if scope.cancelled_caught:
                    yield b""

    async def claim_abandoned(self, stream_id: str) -> bool:
        """Producers live in this process: a memory stream is never abandoned."""
        return False

    async def renew(self, stream_id: str) -> None:
        """Producers live in this process: nothing to renew."""

    async def request_stop(self, stream_id: str) -> None:
        """Flag the live stream for its producer."""
        entry = self._live.get(stream_id)
        if entry is not None:
            entry.stopping = True

    async def stop_requested(self, stream_id: str) -> bool:
        """Whether the live stream was flagged."""
        entry = self._live.get(stream_id)
        return entry is not None and entry.stopping

    async def join(self, stream_id: str, reader: str, lease: float) -> None:
        """Count the reader of a live stream for ``lease`` seconds."""
        entry = self._live.get(stream_id)
        if entry is not None:
            entry.readers[reader] = anyio.current_time() + lease

    async def leave(self, stream_id: str, reader: str) -> None:
        """Stop counting the reader."""
        entry = self._live.get(stream_id)
        if entry is not None:
            entry.readers.pop(reader, None)

    async def readers(self, stream_id: str) -> int:
        """The live stream's readers whose lease has not expired."""
        entry = self._live.get(stream_id)
        if entry is None:
            return 0
        now = anyio.current_time()
        entry.readers = {r: end for r, end in entry.readers.items() if end > now}
        return len(entry.readers)


def closing_frames(body: bytes, sdk_version: SdkVersion | ClientTarget = 6) -> bytes:
    """The frames that cleanly end a stream cut after ``body``.

    Ends the text and reasoning parts ``body`` left open, then sends ``abort`` and ``[DONE]``.
    Parts open at a ``finish-step`` count as closed where some release of the target forgets them
    there (as the stream's writer did). An ai 4 data stream has no parts to close and no
    terminator: nothing is added.

    Args:
        body: The stream so far, cut between two events (streams are stored and relayed in
            whole events).
        sdk_version: The client the stream was written for.

    Raises:
        ValueError: ``body`` ends inside an event. Nothing appended can end that cleanly: the
            client would parse the cut event (with the blank line that ends it) and fail.
    """
    target = ClientTarget.parse(sdk_version)
    if target.wire != "sse":
        return b""
    if body and not body.endswith(b"\n\n"):
        raise ValueError("closing_frames() needs a body cut between two events, not inside one.")
    forgets = not target.always("finish_step_keeps_parts")
    opened: dict[str, str] = {}
    for line in body.split(b"\n"):
        if not line.startswith(b"data: {"):
            continue
        try:
            chunk = json.loads(line[6:])
        except ValueError:
            continue
        kind = chunk.get("type", "") if isinstance(chunk, dict) else ""
        if kind in ("text-start", "reasoning-start"):
            opened[chunk.get("id", "")] = kind[:-6]
        elif kind in ("text-end", "reasoning-end"):
            opened.pop(chunk.get("id", ""), None)
        elif kind == "finish-step" and forgets:
            opened.clear()
    encode = SSEEncoder.encode
    frames = [
        encode({"type": f"{family}-end", "id": part_id}) for part_id, family in opened.items()
    ]
    return b"".join(frames) + encode({"type": "abort"}) + DONE_FRAME


def _target_key(target: ClientTarget) -> str:
    return str(target.major) if target.release is None else ".".join(map(str, target.release))


def _stream_target(stream_id: str) -> ClientTarget:
    try:
        return ClientTarget.parse(stream_id.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return ClientTarget.parse(6)


class ResumableStreams:
    """Runs answers into a :class:`StreamStore` and serves them to any number of readers.

    Use it as an async context manager around the app's lifetime (it owns the tasks that pump
    the answers), e.g. ``Starlette(lifespan=streams.lifespan)``.

    Readers announce themselves in the store (with a lease of twice ``lease``, renewed every third
    of it), so the producer counts the readers of every worker that shares the store.
    What happens when nobody reads an answer any more (``keep_running``):

    ==============  ================================  =========================================
    keep_running    reload (the page comes back)      nobody comes back
    ==============  ================================  =========================================
    ``True``        resumes the running answer        it runs to its end and is saved
    seconds         resumes it within the grace       stopped after the grace: ``on_finish``
                    period, on any worker             gets the aborted, partial record
    ``False``       the answer was stopped when the   stopped at once (the partial record is
                    last reader left: 204             saved)
    ==============  ================================  =========================================

    The stop button stops an answer whatever ``keep_running`` says when it calls the stop
    route (:meth:`stop`, ``POST {api}/{chatId}/stop``). ``useChat``'s ``stop()`` alone only
    hangs up, which counts as "nobody reads it" above.

    Args:
        store: Where the bytes go (default: a :class:`MemoryStreamStore`).
        keep_running: ``True``, ``False`` or a grace period in seconds (the table above).
        keep_alive: Seconds of silence after which readers get an SSE comment (``None``: never).
        lease: The producer lease in seconds; it is renewed every third of it. By default the
            store's own ``lease`` (2 s without one).
        max_streams: Answers this process runs at once (clients that hung up do not free
            their answer's place while it keeps running); one more raises
            :class:`~ai_stream.TooManyStreamsError`, which ``chat_routes`` answers with 429.
            ``None``: no limit.
        max_readers: Readers of one stream in this process; one more raises
            :class:`~ai_stream.TooManyStreamsError` (429). ``None``: no limit. With a
            :class:`~ai_stream.integrations.redis.RedisStreamStore`, every waiting reader and
            every producer hold one pool connection: keep ``max_streams * (max_readers + 1)``
            under the pool size.

    A chat runs one answer at a time: starting a new one (a new message, a regenerate) stops
    the chat's running answer first, as :meth:`stop` does, so that its work does not keep
    running unseen.

    Every store call may fail (:class:`~ai_stream.StreamStoreError`): a failure ends only the
    streams that needed the call (their readers get ``abort``), and is logged.
    """

    def __init__(
        self,
        store: StreamStore | None = None,
        *,
        keep_running: bool | float = True,
        keep_alive: float | None = None,
        lease: float | None = None,
        max_streams: int | None = 100,
        max_readers: int | None = 8,
    ) -> None:
        if max_streams is not None and max_streams < 1:
            raise ValueError("max_streams must be a positive number of answers, or None.")
        if max_readers is not None and max_readers < 1:
            raise ValueError("max_readers must be a positive number of readers, or None.")
        self.max_streams = max_streams
        self.max_readers = max_readers
        self.store: StreamStore = store if store is not None else MemoryStreamStore()
        self.keep_running = keep_running
        self.keep_alive = keep_alive
        self.lease = lease if lease is not None else float(getattr(self.store, "lease", 2.0))
        self._group: anyio.abc.TaskGroup | None = None
        self._readers: dict[str, int] = {}  # readers in this process, per stream
        self._producing: dict[str, _Producer] = {}  # the streams this process runs
        self._starting = 0  # answers between the max_streams check and _producing

    @property
    def running(self) -> int:
        """How many answers this process runs now (``on_finish`` included)."""
        return len(self._producing)

    def reading(self, stream_id: str) -> int:
        """How many readers follow ``stream_id`` in this process."""
        return self._readers.get(stream_id, 0)

    async def __aenter__(self) -> ResumableStreams:
        self._group = await anyio.create_task_group().__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        group, self._group = self._group, None
        assert group is not None
        group.cancel_scope.cancel()
        return await group.__aexit__(*exc_info)

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        """A Starlette ``lifespan`` that runs the manager for the app's lifetime."""
        async with self:
            yield

    async def start(self, chat_id: str, context: StreamContext[Any]) -> str:
        """Start pumping ``context`` (and the work given to its ``run``) into the store.

        Returns:
            The new stream's id; the chat's active stream from now on.

        Raises:
            RuntimeError: The manager is not running (``async with streams:`` / lifespan).
            TooManyStreamsError: ``max_streams`` answers run in this process already.
            StreamStoreError: The store failed; nothing was started.
            ValueError: The context answers ai 4 (a data stream, which ``useChat`` of ai 4
                does not resume from this route) or a text stream (which no client resumes):
                serve it with ``UIMessageStreamResponse``.
        """
        if context.target.wire != "sse":
            raise ValueError(
                "ResumableStreams serves UI message streams (ai 5 and later); an ai 4 data "
                "stream or a text stream cannot be resumed: answer it with "
                "UIMessageStreamResponse."
            )
        if self._group is None:
            raise RuntimeError(
                "ResumableStreams is not running: use it as the app's lifespan or enter "
                "'async with streams:' first."
            )
        if self.max_streams is not None and self.running + self._starting >= self.max_streams:
            raise TooManyStreamsError(self.max_streams)
        self._starting += 1  # (its place is taken before the first await)
        try:
            await self.stop(chat_id)  # one answer per chat
            # the id carries the target, so that any worker can close the stream for its client
            stream_id = f"{chat_id}:{secrets.token_hex(8)}:{_target_key(context.target)}"
            await self.store.start(chat_id, stream_id)
            self._producing[stream_id] = _Producer(context)
        finally:
            self._starting -= 1
        self._group.start_soon(self._pump, stream_id, context)
        return stream_id

    async def _pump(self, stream_id: str, context: StreamContext[Any]) -> None:
        store = self.store
        body = context.stream()
        finished = False
        try:
            async with anyio.create_task_group() as group:
                supervise: Callable[[], Coroutine[Any, Any, None]] | None = context.claim_work()
                if supervise is not None:
                    group.start_soon(supervise)
                group.start_soon(self._watch, stream_id, context)
                async for data in body:
                    await store.append(stream_id, data)
                # The readers' responses end now; on_finish may still be running (the
                # group waits for it: it is shielded from this cancellation).
                await store.finish(stream_id)
                finished = True
                group.cancel_scope.cancel()
        except Exception:
            logger.exception("A resumable stream could not be stored")
        finally:
            self._producing.pop(stream_id, None)
            with anyio.CancelScope(shield=True):
                await body.aclose()
                if not finished:  # (the store may be failing still: only this stream suffers)
                    try:
                        try:
                            await store.append(stream_id, closing_frames(b"", context.target))
                        finally:  # (readers end even without the closing frames)
                            await store.finish(stream_id)
                    except Exception:
                        logger.exception("A resumable stream could not be closed in the store")

    def _grace(self) -> float | None:
        """Seconds an answer runs without readers (``None``: for ever)."""
        keep = self.keep_running
        return None if keep is True else max(0.0, float(keep))

    async def _watch(self, stream_id: str, context: StreamContext[Any]) -> None:
        """The producer's side: renew the lease, obey a stop, stop when nobody reads it.

        A failing store call is logged and tried again at the next tick (the readers' side
        notices a store that stays down).
        """
        store, producer = self.store, self._producing[stream_id]
        grace = self._grace()
        renew_every = self.lease / 3
        tick = renew_every if grace is None else max(min(renew_every, grace / 4), self.lease / 20)
        now = anyio.current_time()
        next_renewal, seen = now + renew_every, False
        unread_since: float | None = now
        while True:
            with anyio.move_on_after(tick):
                await producer.nudged.wait()
            reader_left, producer.nudged = producer.nudged.is_set(), anyio.Event()
            now = anyio.current_time()
            try:
                if now >= next_renewal:
                    next_renewal = now + renew_every
                    await store.renew(stream_id)
                    if await store.stop_requested(stream_id):  # (asked on another worker)
                        await context.stop()
                        return
                if grace is None:
                    continue
                if await store.readers(stream_id):
                    seen, unread_since = True, None
                    continue
            except Exception:
                logger.warning("A resumable stream's store call failed", exc_info=True)
                continue
            if reader_left:  # (it may have come and gone between two looks: it was seen)
                seen, unread_since = True, now
            elif unread_since is None:
                unread_since = now
            # (the client that posted has a moment to start reading before its absence counts)
            if now - unread_since >= (grace if seen else max(grace, renew_every)):
                await context.stop()
                return

    async def stop(self, chat_id: str) -> bool:
        """Stop the chat's running answer, wherever it runs (the stop button).

        In this process the work is cancelled at once; on another worker within a third of
        ``lease`` (it looks at every lease renewal). Then its open parts are closed, ``abort``
        is written for every reader, ``on_finish`` gets the aborted record with the partial
        answer, and the chat has no active stream any more (its next resume GET answers 204).
        Returns when that happened (at most ``lease`` seconds later).

        Returns:
            Whether the chat had a running answer (no error for an unknown or ended one).

        Raises:
            StreamStoreError: The store failed.
        """
        stream_id = await self.store.active_stream(chat_id)
        if stream_id is None:
            return False
        producer = self._producing.get(stream_id)
        if producer is not None:
            await producer.context.stop()
        else:
            await self.store.request_stop(stream_id)
        # Return once it stopped (the next resume GET is 204), or a lease later at most.
        with anyio.move_on_after(self.lease):
            while await self.store.active_stream(chat_id) == stream_id:  # noqa: ASYNC110 (another process)
                await anyio.sleep(min(0.05, self.lease / 20))
        return True

    async def active_stream(self, chat_id: str) -> str | None:
        """The chat's running stream, if any.

        Raises:
            StreamStoreError: The store failed.
        """
        return await self.store.active_stream(chat_id)

    def follow(self, stream_id: str) -> Following:
        """Yield the stream's body from its start, then live until it ends.

        The reader counts from this call on (it is refused here when the stream has
        ``max_readers`` readers in this process) until the returned iterator is closed
        (``aclose()``, also when it was never iterated) or ends. With ``keep_alive``, an SSE
        comment goes out during silences. When the producer died or the store fails, the
        stream is closed cleanly (open parts ended, ``abort``, ``[DONE]``).

        Raises:
            TooManyStreamsError: ``max_readers`` readers follow the stream in this process.
        """
        count = self._readers.get(stream_id, 0)
        if self.max_readers is not None and count >= self.max_readers:
            raise TooManyStreamsError(self.max_readers, readers=True)
        self._readers[stream_id] = count + 1
        reader = _Reader(self.store, stream_id, self.lease, self._left)
        return Following(self._follow(stream_id, reader), reader)

    async def _follow(self, stream_id: str, reader: _Reader) -> AsyncGenerator[bytes, None]:
        relayed: list[bytes] = []
        keep_alive = self.keep_alive
        renew_every = self.lease / 3
        idle = renew_every if keep_alive is None else min(renew_every, keep_alive)
        try:
            await reader.announce()
            if keep_alive is not None:
                yield STREAM_OPEN_FRAME
            sent_at = anyio.current_time()
            try:
                async with aclosing(self.store.read(stream_id, idle=idle)) as source:
                    async for data in source:
                        now = anyio.current_time()
                        if now >= reader.renew_at:
                            await reader.announce()
                        if data:
                            relayed.append(data)
                            sent_at = now
                            yield data
                        elif keep_alive is not None and now - sent_at >= keep_alive:
                            sent_at = now
                            yield KEEP_ALIVE_FRAME
            except ProducerLostError:
                closing = closing_frames(b"".join(relayed), _stream_target(stream_id))
                if await self.store.claim_abandoned(stream_id):
                    await self.store.append(stream_id, closing)
                    await self.store.finish(stream_id)
                yield closing
            except StreamStoreError:
                logger.warning("A resumable stream's reader lost the store", exc_info=True)
                yield closing_frames(b"".join(relayed), _stream_target(stream_id))
        finally:
            with anyio.CancelScope(shield=True):
                await reader.leave()

    def _left(self, stream_id: str) -> None:
        """A reader of ``stream_id`` left this process: a producer here looks at once."""
        count = self._readers[stream_id] - 1
        if count:
            self._readers[stream_id] = count
            return
        del self._readers[stream_id]
        producer = self._producing.get(stream_id)
        if producer is not None:
            producer.nudged.set()


class _Producer:
    """What the manager keeps of an answer this process runs."""

    __slots__ = ("context", "nudged")

    def __init__(self, context: StreamContext[Any]) -> None:
        self.context = context
        self.nudged = anyio.Event()  # set when its last local reader left


class _Reader:
    """One reader's presence in the store (announced with a lease, renewed while it reads)."""

    __slots__ = ("_left", "id", "lease", "on_leave", "renew_at", "store", "stream_id")

    def __init__(
        self, store: StreamStore, stream_id: str, lease: float, on_leave: Callable[[str], None]
    ) -> None:
        self.store, self.stream_id, self.lease = store, stream_id, lease
        self.on_leave = on_leave  # (the manager's count of local readers)
        self.id = secrets.token_hex(8)
        self.renew_at = 0.0
        self._left = False

    async def announce(self) -> None:
        lease = self.lease
        self.renew_at = anyio.current_time() + lease / 3
        try:
            await self.store.join(self.stream_id, self.id, 2 * lease)
        except Exception:  # (reading tells whether the store is gone)
            logger.warning("A resumable stream's reader could not announce itself", exc_info=True)

    async def leave(self) -> None:
        if self._left:
            return
        self._left = True
        try:
            await self.store.leave(self.stream_id, self.id)
        except Exception:
            logger.warning("A resumable stream's reader could not sign off", exc_info=True)
        finally:
            self.on_leave(self.stream_id)


class Following(AsyncIterator[bytes]):
    """The body of a stream for one reader (:meth:`ResumableStreams.follow`).

    An async iterator of the body's bytes; ``aclose()`` lets the reader go (the async
    generator protocol's ``aclose``, which also works before the first item).
    """

    __slots__ = ("_body", "_reader")

    def __init__(self, body: AsyncGenerator[bytes, None], reader: _Reader) -> None:
        self._body, self._reader = body, reader

    def __aiter__(self) -> Following:
        return self

    async def __anext__(self) -> bytes:
        return await self._body.__anext__()

    async def aclose(self) -> None:
        """Stop reading: the reader leaves the stream."""
        try:
            await self._body.aclose()
        finally:
            with anyio.CancelScope(shield=True):
                await self._reader.leave()
