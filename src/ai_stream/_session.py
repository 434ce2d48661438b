"""One stream's run: its chunks on their way out, its work, its reader and its end (async glue).

:class:`~ai_stream.StreamContext` is the façade; each of its writers asks the pure
:class:`~ai_stream._lifecycle.Lifecycle` for the chunks of a call and hands them to the
:class:`Session`, which owns everything that happens in time:

* **Sending.** Chunks are queued in the :class:`~ai_stream._outbox.Outbox` and applied to the
  :class:`~ai_stream.record.StreamRecord` (with ``collect``); a delta opens a run, so that the
  next deltas of its part skip everything else. A writer waits when the reader is behind.
* **Work.** ``run(work)`` gives the session the function that writes the message; the host
  (a response, a resumable stream) or the first read starts it. When it returns, the message is
  finished; when it raises, the masked error is shown and the message finished; when the client
  goes or the answer is stopped, it is cancelled.
* **The end.** Whatever ends the stream, the record is finalised once and ``on_finish`` gets it.
* **Misuse.** A stream that nothing will ever end, or a write that nothing will ever read, ends
  with an error that says what to do within :data:`MISUSE_TIMEOUT` — never a silent hang.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine
from contextvars import copy_context
from typing import TYPE_CHECKING, Any, Final, Protocol

import anyio

from ai_stream._outbox import PLAIN_RUN, running_trio
from ai_stream.encoding.sse import KEEP_ALIVE_FRAME, STREAM_OPEN_FRAME
from ai_stream.exceptions import ClientDisconnectedError, StreamStateError

if TYPE_CHECKING:
    from ai_stream._lifecycle import Chunk, Lifecycle
    from ai_stream._outbox import Outbox
    from ai_stream.protocol.versions import ClientTarget
    from ai_stream.record import StreamRecord

__all__ = (
    "DEFAULT_ERROR_TEXT",
    "INLINE_WORK_MESSAGE",
    "MISUSE_TIMEOUT",
    "NO_WORK_MESSAGE",
    "UNREAD_MESSAGE",
    "OnError",
    "OnFinish",
    "Session",
)

logger = logging.getLogger("ai_stream")

DEFAULT_ERROR_TEXT: Final = "An error occurred."
"""What the client sees when work fails, unless ``on_error`` says otherwise (as the AI SDK)."""

MISUSE_TIMEOUT: Final = 1.0
"""Seconds after which a context that nothing will ever end is ended (or a write that nothing
will ever read is refused) with an error that says what to do: see :meth:`StreamContext.run`."""

NO_WORK_MESSAGE: Final = (
    "The stream of this context was read, but nothing writes to it: ctx.run(work) was not "
    "called and nothing was written in its first second. Give the function that writes the "
    "message to ctx.run(work) before returning the response: run() starts it with the stream "
    "and finishes the message when it returns."
)
INLINE_WORK_MESSAGE: Final = (
    "This context was written by the task that now reads its stream, outside ctx.run(work), "
    "and was not finished: nothing will ever end the message. Do not await the work in the "
    "request handler; give it to ctx.run(work) and return the response (or call "
    "await ctx.finish() before returning it)."
)
UNREAD_MESSAGE: Final = (
    "Nothing reads the stream of this context yet and its buffer is full: a write outside "
    "ctx.run(work) waits for a reader, which starts only once the request handler has returned "
    "the response. Give the function that writes the message to ctx.run(work) and return the "
    "response."
)

OnFinish = Callable[["StreamRecord"], Awaitable[None] | None]
OnError = Callable[[BaseException], str]
Supervise = Callable[[], Coroutine[Any, Any, None]]


class Owner(Protocol):
    """What the session asks of the context that owns it (its public, overridable methods)."""

    def claim_work(self) -> Supervise | None:
        """The work of ``run()``, for the first read to start (see ``StreamContext``)."""
        ...

    async def error(self, error_text: str = ...) -> None:
        """Send an ``error`` chunk."""
        ...

    async def finish(self, finish_reason: str | None = None, *, metadata: Any = None) -> None:
        """End the message."""
        ...


def _mask_error(error: BaseException) -> str:
    return DEFAULT_ERROR_TEXT


def _end_quietly(error: BaseException) -> str:
    return ""


class Session:
    """The run of one stream (see the module docstring).

    Args:
        target: The client release(s) the stream is for.
        lifecycle: Builds the chunks (the session asks it only to end the stream).
        outbox: Takes the encoded chunks to the reader.
        record: Records what is sent (``collect``), or ``None``.
        on_finish: Gets the record once the stream ended.
        on_error: Turns the work's exception into the text the client sees (default: masked;
            nothing on a text stream, which has no error channel).
    """

    __slots__ = (
        "disconnected",
        "finalized",
        "first_writer",
        "lifecycle",
        "on_error",
        "on_finish",
        "outbox",
        "reader_claimed",
        "record",
        "stop_reason",
        "stopping",
        "target",
        "task",
        "work",
        "work_args",
        "work_claimed",
        "work_scope",
        "writer_seen",
    )

    def __init__(
        self,
        target: ClientTarget,
        lifecycle: Lifecycle,
        outbox: Outbox,
        record: StreamRecord | None,
        on_finish: OnFinish | None,
        on_error: OnError | None,
    ) -> None:
        self.target = target
        self.lifecycle = lifecycle
        self.outbox = outbox
        self.record = record
        self.on_finish = on_finish
        self.on_error: OnError = on_error or (_end_quietly if target.text else _mask_error)
        self.work: Callable[..., Awaitable[object]] | None = None
        """The work of ``run()``: called with the context and :attr:`work_args`."""
        self.work_args: tuple[Any, ...] = ()
        self.work_claimed = False
        self.work_scope: anyio.CancelScope | None = None
        self.task: Any = None  # the work's own task, when the first read started it
        self.first_writer: Any = None  # the task of the first write outside run()
        self.writer_seen: anyio.Event | None = None  # set by that write
        self.reader_claimed = False
        self.disconnected = False
        """The client stopped reading before the stream ended."""
        self.stopping = False  # stop() was called ...
        self.stop_reason: str | None = None  # ... with this reason for the client
        self.finalized = False
        """The stream ended and the record is final."""

    # --- sending -------------------------------------------------------------------------------

    def send(self, chunks: list[Chunk]) -> bool:
        """Queue and record ``chunks``; return whether the writer must wait for the reader."""
        if self.work is None and self.first_writer is None:
            self.note_writer()
        wait = self.outbox.push(chunks)  # first: it ends the open delta run
        record = self.record
        if record is not None:
            for chunk in chunks:
                record.apply(chunk)
        return wait

    async def emit(self, chunks: list[Chunk]) -> None:
        """Send ``chunks``, waiting for the reader when it is behind."""
        if self.send(chunks):
            await self.drain()

    async def emit_delta(self, chunks: list[Chunk], run: bool) -> None:
        """Send chunks that end with a delta; ``run``: later deltas take the fast path."""
        if self.work is None and self.first_writer is None:
            self.note_writer()
        outbox = self.outbox
        wait = outbox.push(chunks)  # first: it ends the open delta run, which may share a list
        record = self.record
        deltas = None
        if record is not None:
            for chunk in chunks:
                deltas = record.apply(chunk)
        if run:
            kind = PLAIN_RUN if self.target.text else chunks[-1]["type"]
            outbox.open_run(kind, chunks[-1]["id"], deltas)
        if wait:
            await self.drain()

    def send_now(self, chunks: list[Chunk]) -> None:
        """Send ``chunks`` without waiting (a parked reader takes them)."""
        if self.send(chunks):
            self.outbox.hand_over()

    def note_writer(self) -> None:
        """The first write outside ``run()``: remember its task (see :meth:`expect_writer`)."""
        self.first_writer = _current_task()
        if self.writer_seen is not None:
            self.writer_seen.set()

    async def drain(self) -> None:
        """Wait for the reader (the queue is full); refuse a write nothing will ever read."""
        if self.work is not None or self.reader_claimed:
            await self.outbox.drain()
            return
        with anyio.move_on_after(MISUSE_TIMEOUT):  # (a reader starts once the handler returns)
            await self.outbox.drain()
            return
        raise StreamStateError(UNREAD_MESSAGE)

    # --- ending --------------------------------------------------------------------------------

    async def error(self, error_text: str) -> None:
        """Send the ``error`` chunk (the open parts closed first)."""
        await self.emit(self.lifecycle.error(error_text))

    async def finish(self, finish_reason: str | None = None, metadata: Any = None) -> None:
        """End the message with ``finish`` (nothing happens once it ended)."""
        if self.lifecycle.closed:
            return
        chunks = self.lifecycle.finish(finish_reason, metadata)
        try:
            self.send(chunks)
        finally:
            self.outbox.close()
        if self.record is not None:  # (also when the target is not sent the reason)
            self.record.finish_reason = self.lifecycle.finish_reason
        await self.finalize(aborted=False)

    async def abort(self, reason: str | None, record_reason: str) -> None:
        """End the message with ``abort``; the record says ``record_reason``."""
        if self.lifecycle.closed:
            return
        chunks = self.lifecycle.abort(reason)
        try:
            self.send(chunks)
        finally:
            self.outbox.close()
        await self.finalize(aborted=True, reason=record_reason)

    async def stop(self, reason: str | None) -> None:
        """Cancel the work; the stream then ends with ``abort`` (see ``StreamContext.stop``)."""
        if self.lifecycle.closed or self.stopping:
            return
        self.stopping, self.stop_reason = True, reason
        scope = self.work_scope
        if scope is None:  # no work, or it has not started (it is cancelled when it starts)
            await self.abort(reason, reason or "stopped")
            return
        scope.cancel()  # the work unwinds; supervise() then ends the stream with abort

    async def finalize(self, *, aborted: bool, reason: str | None = None) -> None:
        """Mark the stream ended and call ``on_finish`` once (shielded from cancellation)."""
        if self.finalized:
            return
        self.finalized = True
        self.lifecycle.close()
        if not self.outbox.closed:
            self.outbox.close()
        record = self.record
        if record is not None and aborted:
            record.aborted = True
            record.abort_reason = reason
        if self.on_finish is None or record is None:
            return
        with anyio.CancelScope(shield=True):
            try:
                result = self.on_finish(record)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("on_finish callback failed")

    def disconnect(self) -> None:
        """The client went away: drop what is queued, refuse further writes, cancel the work."""
        outbox = self.outbox
        if outbox.closed and not outbox.pending():
            return  # everything was delivered
        self.disconnected = True
        self.lifecycle.close(disconnected=True)
        outbox.leave()
        if self.work_scope is not None:
            self.work_scope.cancel()

    # --- work ----------------------------------------------------------------------------------

    def set_work(self, work: Callable[..., Awaitable[object]], args: tuple[Any, ...]) -> None:
        """The work of ``run()`` and its arguments after the context."""
        if self.work is not None:
            raise StreamStateError("run() was already called on this context.")
        self.work, self.work_args = work, args

    def claim_work(self) -> bool:
        """Whether a host may start :meth:`supervise` (once, and only with work)."""
        if self.work is None or self.work_claimed:
            return False
        self.work_claimed = True
        return True

    async def supervise(self, owner: Owner) -> None:
        """Run the work (on ``owner``) and end the stream however the work ends.

        The owner's ``finish`` and ``error`` end it, so that a subclass of the context sees
        them. (The owner is an argument, not an attribute: it owns the session.)
        """
        work = self.work
        assert work is not None
        try:
            with anyio.CancelScope() as scope:
                self.work_scope = scope
                if self.disconnected or self.stopping:
                    scope.cancel()
                try:
                    await work(owner, *self.work_args)
                    await owner.finish()  # nothing happens when the work ended the stream
                except ClientDisconnectedError:
                    pass
                except Exception as exc:
                    await self.fail(exc, owner)
        finally:  # finalize() shields the on_finish call itself
            if self.stopping and not self.disconnected:
                with anyio.CancelScope(shield=True):
                    await self.abort(self.stop_reason, self.stop_reason or "stopped")
            reason = "client-disconnected" if self.disconnected else "cancelled"
            await self.finalize(aborted=True, reason=reason)

    def error_text(self, error: BaseException) -> str:
        """Log ``error`` and return the text the client may see for it (``on_error``)."""
        logger.error("Stream work failed", exc_info=error)
        try:
            return self.on_error(error)
        except Exception:
            logger.exception("on_error callback failed")
            return DEFAULT_ERROR_TEXT

    async def fail(self, exc: Exception, owner: Owner) -> None:
        """The work failed: show the (masked) error and finish, whatever state the stream is in."""
        text = self.error_text(exc)
        if self.lifecycle.closed:
            return
        try:
            await owner.error(text)
            await owner.finish("error")
        except ClientDisconnectedError:
            pass
        except Exception:  # the stream cannot even end cleanly: end it anyway, loudly
            logger.exception("The stream could not be ended after a failure")
            self.lifecycle.close()
            self.outbox.close()

    def start_detached(self, owner: Owner) -> None:
        """Start the owner's work in a task of its own (the stream is read without a host)."""
        supervise = owner.claim_work()
        if supervise is None:
            return
        if running_trio():
            import trio

            trio.lowlevel.spawn_system_task(supervise, context=copy_context())
        else:
            import asyncio

            self.task = asyncio.get_running_loop().create_task(supervise())

    # --- reading -------------------------------------------------------------------------------

    async def body(
        self,
        keep_alive: float | None,
        lend: Callable[[bytes], Awaitable[object]] | None,
        owner: Owner,
    ) -> AsyncGenerator[bytes, None]:
        """The response body (see ``StreamContext.stream`` and ``StreamContext.pump``).

        Without a host, the first read starts the owner's work.
        """
        if self.reader_claimed:
            raise StreamStateError("The stream of this context is already being read.")
        self.reader_claimed = True
        self.start_detached(owner)
        if self.work is None and not self.lifecycle.closed:
            await self.expect_writer(owner, hosted=lend is not None)
        outbox = self.outbox
        completed = False
        if self.target.wire != "sse" or (keep_alive is not None and keep_alive <= 0):
            keep_alive = None
        try:
            if keep_alive is not None:
                yield STREAM_OPEN_FRAME
            while (body := await outbox.read(keep_alive, lend)) is not None:
                yield body or KEEP_ALIVE_FRAME
            completed = not outbox.gone
        finally:
            if not completed:
                self.disconnect()
                if self.work is None:
                    await self.finalize(aborted=True, reason="client-disconnected")

    async def expect_writer(self, owner: Owner, *, hosted: bool) -> None:
        """A stream is read with no work: end it with an error if nothing will ever write it.

        Two mistakes are told apart from work written by a task of the application's own:
        nothing wrote in the first :data:`MISUSE_TIMEOUT` seconds, or the writes came from a
        task that has ended or (``hosted``: a response sends the stream) from the task that now
        sends the response (the handler awaited the work itself and returned the unfinished
        context). A caller that iterates the stream may write between its reads.
        """
        writer = self.first_writer
        if writer is None:
            self.writer_seen = anyio.Event()
            with anyio.move_on_after(MISUSE_TIMEOUT):
                await self.writer_seen.wait()
            if self.first_writer is not None:
                return
            message = NO_WORK_MESSAGE
        elif _task_done(writer) or (hosted and writer is _current_task()):
            message = INLINE_WORK_MESSAGE
        else:
            return
        await self.fail(StreamStateError(message), owner)  # (logged there, with the message)


def _current_task() -> Any:
    """The running task (asyncio or trio), to tell writers apart."""
    if running_trio():
        import trio

        return trio.lowlevel.current_task()
    import asyncio

    return asyncio.current_task()


def _task_done(task: Any) -> bool:
    """Whether ``task`` (from :func:`_current_task`) has ended (trio: ``False``, not known)."""
    done = getattr(task, "done", None)
    return bool(done()) if done is not None else False
