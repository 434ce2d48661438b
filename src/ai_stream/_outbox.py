"""The outbox: encoded frames on their way from the writers to the one reader of a stream.

It owns everything between "a chunk was built" and "bytes go to the server": encoding, the open
*delta run*, the hand-off to the reader, backpressure and the reader loop. It knows nothing of
the protocol's rules (:mod:`ai_stream._lifecycle` does) and never blocks the event loop.

* **Frames.** :meth:`Outbox.push` encodes chunks and queues their frames.
* **Delta runs.** After a delta for an open part, :meth:`Outbox.open_run` lets later deltas of
  that part skip the lifecycle: :meth:`Outbox.append` only appends the string to a list. The run
  is sealed into frames with one JSON escape for all of it when the reader takes the queue, and
  ends for good with the next pushed chunk — the one rule that keeps the fast path honest: any
  chunk may change which part is open, so any chunk ends the run. Strings Python can hold but
  UTF-8 cannot (lone surrogates) are escaped as ``JSON.stringify`` does.
* **Hand-off.** A reader with nothing to read *parks* on a bare future (asyncio) or its own task
  (trio); the first write wakes it. No task lookups, no event objects: a wake-up is one
  ``set_result`` and the reader then takes everything queued since, in one body (coalescing
  without timers).
* **Lending.** A reader that sends what it reads (:meth:`Outbox.read` with ``lend``) lends its
  ``send`` while it is parked (asyncio only). From the next turn of the event loop on, a writer
  that queues something sends it itself, within its own ``await``: a trickling stream (one token,
  then a wait) costs one task step per token instead of two. Bursts still go out together:
  writes less than :data:`LEND_GAP` after a writer sent wake the reader, which takes them all in
  its next step. So a writer that writes without waiting still yields to the event loop once
  per ``high_water`` bytes, even with a ``send`` that returns at once (as ASGI servers' does for a
  gone client). ``send`` is never called twice at once (the reader is woken
  only after a writer's ``send`` returned), and what it raises in a writer is raised by the
  reader.
* **Backpressure.** When ``high_water`` bytes wait and the reader is busy, :meth:`Outbox.push`
  and :meth:`Outbox.append` return ``True`` and the writer awaits :meth:`Outbox.drain`, which
  parks it until the reader takes the queue. Memory per stream is bounded by about two
  ``high_water`` whatever the producer does.
"""

from __future__ import annotations

import asyncio
import sys
from time import monotonic
from typing import TYPE_CHECKING, Any, Final, Protocol

import anyio
from pydantic_core import PydanticSerializationError, to_json

from ai_stream.encoding._json import encode_json_string
from ai_stream.exceptions import ClientDisconnectedError

if TYPE_CHECKING:
    from collections.abc import (
        AsyncIterator,
        Awaitable,
        Callable,
        Iterable,
        Mapping,
    )

    from ai_stream.encoding import Encoder

__all__ = ("DELTA_OVERHEAD", "PLAIN_RUN", "Outbox", "running_trio", "send_each")

# Joins the deltas of a run for one escape. JSON (pydantic-core's too) leaves DEL as it is and
# UTF-8 encodes it as the one byte 0x7f, which no other character's encoding contains; a run
# whose text holds a DEL is escaped delta by delta instead.
_MARK: Final = "\x7f"
_MARK_BYTE: Final = b"\x7f"
LEND_GAP: Final = 0.001
"""Seconds after a writer sent with the reader's ``send`` before another writer may (sooner, the
reader is woken instead, so that a burst of writes goes out in one piece)."""
DELTA_OVERHEAD: Final = 48
"""Bytes of a delta frame besides the delta, charged to the budget for each appended delta."""
PLAIN_RUN: Final = "plain-text"
"""The run kind of a text stream's deltas: their bytes are their text, with no frame around."""
_UNKNOWN, _ASYNCIO, _TRIO = 0, 1, 2


def running_trio() -> bool:
    """Whether the current task runs under trio (``False`` on asyncio)."""
    if "trio" not in sys.modules:
        return False
    import trio

    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return False
    return True


class ClosableBody(Protocol):
    """A body to send: an async iterator of bytes with ``aclose`` (e.g. an async generator)."""

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


async def send_each(body: ClosableBody, send: Callable[[bytes], Awaitable[object]]) -> None:
    """Send every piece of ``body``, then close it (also when cancelled or ``send`` fails)."""
    try:
        async for piece in body:
            await send(piece)
    finally:
        with anyio.CancelScope(shield=True):
            await body.aclose()


class Outbox:
    """Frames between the writers and the reader of one stream (see the module docstring).

    Args:
        encoder: Turns chunks into frames.
        high_water: Bytes queued before a writer must wait for the reader.
    """

    __slots__ = (
        "_backend",
        "_encode",
        "_encoder",
        "_failure",
        "_frames",
        "_head",
        "_held",
        "_high_water",
        "_lend",
        "_lend_after",
        "_lend_ready",
        "_reader",
        "_sealed",
        "_sending",
        "_sep",
        "_shared",
        "_tail",
        "_wake_deferred",
        "_writers",
        "closed",
        "gone",
        "room",
        "run",
        "run_kind",
    )

    def __init__(self, encoder: Encoder, high_water: int) -> None:
        self._encoder = encoder
        self._encode = encoder.encode
        self._frames: list[bytes] = []
        self._high_water = high_water
        self.room = high_water
        """Bytes that may still be queued before a writer must wait; each delta of a run costs
        its length plus :data:`DELTA_OVERHEAD`."""
        # Room set aside while the reader is parked (the room is 0 then, so that the next write
        # takes the slow branch): pending() is always high_water - room - held, in O(1).
        self._held = 0
        self.run_kind: str | None = None
        """The kind of the open delta run (``"text-delta"`` or ``"reasoning-delta"``), if any."""
        self.run: list[str] = []
        """The deltas of the open run, in order; writers only ever append to it."""
        self._sealed = 0
        self._shared = False
        self._head = self._tail = self._sep = b""
        self._reader: Any = None
        self._lend: Callable[[bytes], Awaitable[object]] | None = None  # the parked reader's send
        self._lend_ready = False  # writers may call _lend (a turn of the loop passed) ...
        self._lend_after = 0.0  # ... from this time on (monotonic)
        self._sending = False  # a writer is inside _lend
        self._wake_deferred = False  # the reader is to be woken when that writer is done
        self._failure: Exception | None = None  # what _lend raised in a writer
        self._writers: list[Any] = []
        self._backend = _UNKNOWN
        self.closed = False
        """The terminator is queued: nothing more will be pushed."""
        self.gone = False
        """The reader left before the end: writes are refused."""

    # --- writer side (synchronous) ------------------------------------------------------------

    def push(self, chunks: Iterable[Mapping[str, Any]]) -> bool:
        """Encode and queue ``chunks``, ending the open delta run.

        Returns:
            Whether the writer must now await :meth:`drain` (backpressure).

        Raises:
            ClientDisconnectedError: The reader is gone.
        """
        if self.gone:
            raise ClientDisconnectedError()
        if self.run_kind is not None:
            self._end_run()
        encode = self._encode
        frames = self._frames
        size = 0
        for chunk in chunks:
            frame = encode(chunk)
            if frame:
                frames.append(frame)
                size += len(frame)
        self.room -= size
        return self.room <= 0 and self.overflow()

    def open_run(self, kind: str, part_id: str, deltas: list[str] | None = None) -> None:
        """Let the next deltas of part ``part_id`` go through :meth:`append`.

        Call it right after pushing a plain delta chunk for that part.

        Args:
            kind: ``"text-delta"`` or ``"reasoning-delta"``; :data:`PLAIN_RUN` for the text of
                a text stream, whose deltas must be well-formed (UTF-8 can carry them).
            part_id: The open part.
            deltas: A list that already ends with the pushed delta and that someone else (the
                record) keeps; appended deltas go into it. By default the outbox keeps its own.
        """
        if kind != PLAIN_RUN:
            self._head, self._tail = self._encoder.delta_affixes(kind, part_id)
            self._sep = b'"' + self._tail + self._head + b'"'
        self.run_kind = kind
        if deltas is None:
            self.run, self._sealed, self._shared = [], 0, False
        else:
            self.run, self._sealed, self._shared = deltas, len(deltas), True

    def append(self, delta: str) -> bool:
        """Queue one more delta of the open run (the fast path).

        The context's writers inline these three lines (the hottest of a stream): append to
        :attr:`run`, charge :attr:`room`, call :meth:`overflow` when it is spent.

        Returns:
            Whether the writer must now await :meth:`drain`.
        """
        self.run.append(delta)
        self.room -= len(delta) + DELTA_OVERHEAD
        return self.room <= 0 and self.overflow()

    def close(self) -> None:
        """Queue the terminator: the reader ends after what is queued."""
        if self.run_kind is not None:
            self._end_run()
        if not self.gone and self._encoder.terminator:  # the data stream (ai 4) has none
            self._frames.append(self._encoder.terminator)
        self.closed = True
        self._wake_reader()

    async def drain(self) -> None:
        """Wait until the reader has taken the queue (after ``push``/``append`` said so).

        When the reader lent its ``send`` (see the module docstring), send the queue instead.

        Raises:
            ClientDisconnectedError: The reader left meanwhile.
        """
        while self.room <= 0 and not self.gone:
            if self._lend_ready:  # (overflow() said it is time)
                await self._send_for_reader()
                break
            if not self.overflow():
                break
            await self._park_writer()
        if self.gone:
            raise ClientDisconnectedError()

    def overflow(self) -> bool:
        """The budget is spent: hand over to a parked reader, or say the writer must wait.

        Returns:
            Whether the writer must now await :meth:`drain`: the reader is busy (or a writer
            sends for it), or the writer is to send itself with the reader's lent ``send``.
        """
        if self._reader is None or self._sending:  # the reader or a writer sends: wait
            return True
        if self._lend_ready:
            if monotonic() >= self._lend_after:
                return True
            self._lend_ready = False  # a burst: the reader takes it (and lends again after)
        self._hand_over()
        return False

    def hand_over(self) -> None:
        """For a writer that cannot await :meth:`drain`: let a parked reader take the queue."""
        if self._reader is not None and not self._sending:
            self._hand_over()

    def _hand_over(self) -> None:
        self._wake_reader()
        self.room += self._held  # the reader takes it all when it runs
        self._held = 0

    async def _send_for_reader(self) -> None:
        """Send the queue with the reader's lent ``send``, in this writer's task."""
        send = self._lend
        assert send is not None
        self._lend_ready = False
        self._sending = True
        try:
            while self._has_data() and not self.gone:  # (more may come while send waits)
                body = self._take()
                self._held = 0  # the room is whole again, also while the reader stays parked
                await send(body)
        except Exception as exc:  # the reader raises it, in its task
            self._failure = exc
        finally:
            self._sending = False
            if self._reader is not None:  # still parked: the next write takes the slow branch
                self._park()
                self._lend_ready = True
                self._lend_after = monotonic() + LEND_GAP
            if self._wake_deferred or self._failure is not None:
                self._wake_deferred = False
                self._wake_reader()

    def _settle(self) -> None:
        """A turn of the loop passed since the reader parked."""
        if self._reader is not None and self._lend is not None and not self._sending:
            self._lend_ready = True
            self._lend_after = 0.0

    def _end_run(self) -> None:
        self._seal()
        self.run_kind = None
        self.run = []
        self._sealed = 0
        self._shared = False

    def _seal(self) -> None:
        """Encode the deltas of the run appended since the last seal, as one escape."""
        run = self.run
        start = self._sealed
        if len(run) <= start:
            return
        deltas = run[start:] if start else run
        if self._shared:
            self._sealed = len(run)
        else:
            self.run = []
        if self.run_kind == PLAIN_RUN:  # a text stream: the text is the bytes
            frame = self._encode({"type": "text-delta", "delta": "".join(deltas)})
            if frame:  # (an empty frame would read as a keep-alive)
                self._frames.append(frame)
            return
        if len(deltas) == 1:  # a trickling stream: one delta per read
            try:
                self._frames.append(b"".join((self._head, to_json(deltas[0]), self._tail)))
                return
            except PydanticSerializationError:
                pass
        sep = self._sep
        try:
            text = to_json(_MARK.join(deltas))
        except PydanticSerializationError:  # a lone surrogate: escaped as JSON.stringify does
            pass
        else:
            body = text.replace(_MARK_BYTE, sep)
            if len(body) == len(text) + (len(deltas) - 1) * (len(sep) - 1):  # no delta held a DEL
                self._frames.append(b"".join((self._head, body, self._tail)))
                return
        head, tail = self._head, self._tail
        self._frames.append(b"".join(head + encode_json_string(d) + tail for d in deltas))

    # --- reader side --------------------------------------------------------------------------

    def pending(self) -> int:
        """Roughly how many bytes are queued (deltas counted with their frame's overhead)."""
        return self._high_water - self.room - self._held

    def _has_data(self) -> bool:
        return len(self.run) > self._sealed or bool(self._frames)

    def _take(self) -> bytes:
        if self.run_kind is not None:
            self._seal()
        frames = self._frames
        body = frames[0] if len(frames) == 1 else b"".join(frames)
        frames.clear()
        self.room = self._high_water
        if self._writers:
            self._wake_writers()
        return body

    async def read(
        self, idle: float | None = None, lend: Callable[[bytes], Awaitable[object]] | None = None
    ) -> bytes | None:
        """The next body: everything queued, in one piece.

        Args:
            idle: Return ``b""`` after this many seconds without anything to read.
            lend: The reader's ``send``, which writers may call while the reader is parked
                (see the module docstring; asyncio, ``idle=None`` only). It must accept calls
                from the writers' tasks; whatever it raises there is raised here.

        Returns:
            The body, ``b""`` after ``idle`` seconds of silence, ``None`` once the stream ended.
        """
        while True:
            if self._has_data():
                return self._take()
            if self.closed or self.gone:
                return None
            if idle is None and (self._backend == _ASYNCIO or not self._on_trio()):
                # _park_reader without its frame: a reader that does not lend parks once per piece
                self._park()
                loop = asyncio.get_running_loop()
                self._reader = future = loop.create_future()
                if lend is not None:
                    self._lend = lend
                    loop.call_soon(self._settle)
                try:
                    await future
                finally:
                    self._lend = None
                    self._lend_ready = False
                    self._unpark()
                if (failure := self._failure) is not None:
                    self._failure = None
                    raise failure
            elif idle is None:
                await self._park_reader()
            else:
                with anyio.move_on_after(idle):
                    await self._park_reader()
                if not self._has_data() and not self.closed:
                    return b""

    def leave(self) -> None:
        """The reader stopped before the end: drop the queue, refuse writes, wake the writers."""
        self.gone = True
        self._frames.clear()
        self.run_kind = None
        self.run = []
        self._sealed = 0
        self.room = self._high_water - self._held  # nothing pending
        self._wake_writers()
        self._wake_reader()

    # --- parking ------------------------------------------------------------------------------

    def _park(self) -> None:
        """Set the room aside: the next write takes the slow branch and wakes the reader."""
        self._held += self.room
        self.room = 0

    def _unpark(self) -> None:
        self._reader = None  # (already, unless cancelled while parked: timeout, disconnect)
        self.room += self._held
        self._held = 0

    async def _park_reader(self) -> None:
        self._park()
        try:
            if self._backend == _TRIO or (self._backend == _UNKNOWN and self._on_trio()):
                import trio

                task = trio.lowlevel.current_task()
                self._reader = task

                def abort(_: Any) -> trio.lowlevel.Abort:
                    if self._reader is task:
                        self._reader = None
                    return trio.lowlevel.Abort.SUCCEEDED

                await trio.lowlevel.wait_task_rescheduled(abort)
            else:
                future = asyncio.get_running_loop().create_future()
                self._reader = future
                await future
        finally:
            self._unpark()

    def _wake_reader(self) -> None:
        if self._sending:  # a writer sends for the reader: it wakes the reader when done
            self._wake_deferred = True
            return
        self._lend_ready = False
        reader, self._reader = self._reader, None
        if reader is None:
            return
        if self._backend == _TRIO:
            import trio

            trio.lowlevel.reschedule(reader)
        elif not reader.done():
            reader.set_result(None)

    def _on_trio(self) -> bool:
        if self._backend == _UNKNOWN:
            self._backend = _TRIO if running_trio() else _ASYNCIO
        return self._backend == _TRIO

    async def _park_writer(self) -> None:
        if self._on_trio():
            import trio

            task = trio.lowlevel.current_task()
            self._writers.append(task)

            def abort(_: Any) -> trio.lowlevel.Abort:
                if task in self._writers:
                    self._writers.remove(task)
                return trio.lowlevel.Abort.SUCCEEDED

            await trio.lowlevel.wait_task_rescheduled(abort)
        else:
            future = asyncio.get_running_loop().create_future()
            self._writers.append(future)
            try:
                await future
            finally:
                if future in self._writers:
                    self._writers.remove(future)

    def _wake_writers(self) -> None:
        writers, self._writers = self._writers, []
        for writer in writers:
            if self._backend == _TRIO:
                import trio

                trio.lowlevel.reschedule(writer)
            elif not writer.done():
                writer.set_result(None)
