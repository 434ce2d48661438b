"""Shared test helpers."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from itertools import count
from typing import TYPE_CHECKING, Any

import anyio
import uvicorn

from ai_stream import StreamContext

if TYPE_CHECKING:
    from starlette.types import ASGIApp
from ai_stream.testing import collect_stream, parse_sse_json


def counter_ids() -> Callable[[], str]:
    """Deterministic ids: id-1, id-2, ..."""
    numbers = count(1)
    return lambda: f"id-{next(numbers)}"


def make_context(**options: Any) -> StreamContext[Any]:
    options.setdefault("id_generator", counter_ids())
    return StreamContext(**options)


async def transcript(
    work: Callable[[StreamContext[Any]], Awaitable[None]], **options: Any
) -> list[dict[str, Any]]:
    """Run ``work`` on a fresh context and return every chunk sent, decoded."""
    ctx = make_context(**options)
    await ctx.run(work)
    return parse_sse_json(await collect_stream(ctx))


def running_tasks() -> set[str]:
    """Names of the tasks alive on the current event loop (asyncio or trio), this one excluded."""
    import sniffio

    if sniffio.current_async_library() == "trio":
        import trio

        current = trio.lowlevel.current_task()
        names: set[str] = set()
        root = trio.lowlevel.current_root_task()
        assert root is not None
        stack = list(root.child_nurseries)
        while stack:
            nursery = stack.pop()
            for task in nursery.child_tasks:
                if task is not current:
                    names.add(f"{task.name}#{id(task)}")
                stack.extend(task.child_nurseries)
        return names
    import asyncio

    me = asyncio.current_task()
    return {f"{t.get_coro()!r}#{id(t)}" for t in asyncio.all_tasks() if t is not me}


@dataclass
class LiveServer:
    """A uvicorn server running in the test's event loop."""

    server: uvicorn.Server
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def open_connections(self) -> int:
        return len(self.server.server_state.connections)

    def open_request_tasks(self) -> int:
        return len(self.server.server_state.tasks)


@asynccontextmanager
async def serve(
    app: ASGIApp, *, backlog: int = 2048, lifespan: str = "off"
) -> AsyncIterator[LiveServer]:
    """Run ``app`` on 127.0.0.1 (a free port) with uvicorn in this event loop."""
    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say so (an accepted socket
    # inherits it); without it every response pays Nagle + delayed ACK (40 ms on Linux).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="error",
        lifespan=lifespan,  # type: ignore[arg-type]
        backlog=backlog,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve, [sock])
        with anyio.fail_after(10):
            while not server.started:
                await anyio.sleep(0.01)
        try:
            yield LiveServer(server, port)
        finally:
            server.should_exit = True
    sock.close()


async def leave_after(context: StreamContext[Any], until: bytes | None = None) -> bytes:
    """Read the body until ``until`` was read (or the first piece), then leave as a client does.

    Returns what was read, once the context has finished (within 5 s).
    """
    reader = context.stream()
    received = b""
    async for piece in reader:
        received += piece
        if until is None or until in received:
            break
    await reader.aclose()
    with anyio.fail_after(5):
        while not context.is_finished:
            await anyio.sleep(0.001)
    return received
