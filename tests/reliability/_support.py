"""Shared helpers of the reliability suite: an in-process uvicorn server and small utilities."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
import h11
from anyio.abc import SocketStream

from tests.helpers import LiveServer, running_tasks, serve

if TYPE_CHECKING:
    pass


@dataclass
class Reply:
    """A response read by :class:`HttpConnection`."""

    status: int
    headers: dict[str, str]
    body: bytes
    first_body_byte_s: float | None = None
    """Seconds from the start of the request to the first byte of the body."""
    total_s: float = 0.0
    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    """``(seconds since the request started, data)`` for every piece of the body, if asked."""


class HttpConnection:
    """One HTTP/1.1 keep-alive connection to 127.0.0.1, framed by h11 (a small, strict client).

    The request is sent while the response is read, so an early answer (413 before the body was
    read) is received; the connection is then closed, like one whose response said so.
    """

    def __init__(self, stream: SocketStream) -> None:
        self.stream = stream
        self.conn = h11.Connection(h11.CLIENT)
        self.usable = True

    @classmethod
    async def open(cls, port: int) -> HttpConnection:
        return cls(await anyio.connect_tcp("127.0.0.1", port))

    async def aclose(self) -> None:
        self.usable = False
        await self.stream.aclose()

    async def request(
        self,
        method: str,
        target: str,
        body: bytes = b"",
        *,
        headers: Sequence[tuple[str, str]] = (),
        chunked: bool = False,
        keep_chunks: bool = False,
        on_body: Callable[[bytes, float], None] | None = None,
    ) -> Reply:
        assert self.usable, "the connection was closed"
        framing = (
            ("transfer-encoding", "chunked") if chunked else ("content-length", str(len(body)))
        )
        outgoing = [
            self.conn.send(
                h11.Request(
                    method=method,
                    target=target,
                    headers=[("host", "127.0.0.1"), framing, *headers],
                )
            )
        ]
        if body:
            for start in range(0, len(body), 1 << 20) if chunked else [0]:
                piece = body[start : start + (1 << 20)] if chunked else body
                outgoing.append(self.conn.send(h11.Data(data=piece)))
        outgoing.append(self.conn.send(h11.EndOfMessage()))
        data = b"".join(x for x in outgoing if x)
        started = time.perf_counter()
        sent = anyio.Event()

        async def send_all() -> None:
            try:
                await self.stream.send(data)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                pass  # the server answered early and closed: the response tells
            sent.set()

        status, reply_headers, body_parts = 0, {}, []
        first: float | None = None
        chunks: list[tuple[float, bytes]] = []
        async with anyio.create_task_group() as group:
            group.start_soon(send_all)
            while True:
                event = self.conn.next_event()
                if event is h11.NEED_DATA:
                    try:
                        received = await self.stream.receive(65536)
                    except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
                        received = b""
                    self.conn.receive_data(received)
                elif isinstance(event, h11.Response):
                    status = event.status_code
                    reply_headers = {k.decode(): v.decode() for k, v in event.headers}
                elif isinstance(event, h11.Data):
                    now = time.perf_counter() - started
                    if first is None:
                        first = now
                    body_parts.append(bytes(event.data))
                    if keep_chunks:
                        chunks.append((now, bytes(event.data)))
                    if on_body is not None:
                        on_body(bytes(event.data), now)
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    break
            if not sent.is_set():  # an early answer: stop sending and drop the connection
                group.cancel_scope.cancel()
        reply = Reply(status, reply_headers, b"".join(body_parts), first)
        reply.total_s = time.perf_counter() - started
        reply.chunks = chunks
        if not sent.is_set() or self.conn.our_state is not h11.DONE:
            await self.aclose()
        elif self.conn.their_state is h11.DONE:
            self.conn.start_next_cycle()
        else:
            await self.aclose()
        return reply


async def fetch(port: int, method: str, target: str, body: bytes = b"", **options: Any) -> Reply:
    """One request on a connection of its own."""
    connection = await HttpConnection.open(port)
    try:
        return await connection.request(method, target, body, **options)
    finally:
        await connection.aclose()


def raise_fd_limit(needed: int) -> int:
    """Raise the soft limit of open files to at least ``needed`` (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, nearest-rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


async def settle(condition: Callable[[], bool], within: float) -> bool:
    """Poll ``condition()`` until it is true or ``within`` seconds passed; return its value."""
    with anyio.move_on_after(within):
        while not condition():
            await anyio.sleep(0.01)
    return bool(condition())


__all__ = [
    "HttpConnection",
    "LiveServer",
    "Reply",
    "fetch",
    "mean",
    "percentile",
    "raise_fd_limit",
    "running_tasks",
    "serve",
    "settle",
]
