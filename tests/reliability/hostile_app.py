"""The chat endpoint of the hostile-bodies test, in a process of its own, with a loop-lag probe::

    python -m tests.reliability.hostile_app

It listens on a free 127.0.0.1 port and prints ``port N`` once bound. ``POST /api/chat`` is
the documented endpoint (``ChatRequest.from_request``, a 4xx JSON error or a short stream);
``GET /lag`` answers the longest the event loop was blocked (ms) since the last ``GET /lag``.
A probe task sleeps 1 ms at a time and measures how late it wakes up; ``max_gc_ms`` is the
longest garbage collection in the same time. Like a production server (see the README's
"Deploying"), the app freezes what it allocated while starting (``gc.freeze()``): a full collection
then walks the objects of the requests, not the interpreter's and the libraries' (12 ms here).
"""

from __future__ import annotations

import gc
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ai_stream import ChatRequest, RequestParseError, StreamContext, UIMessageStreamResponse
from ai_stream.responses import request_error_response

LAG = {"max_ms": 0.0, "max_gc_ms": 0.0}
_GC_STARTED = [0.0]


def gc_timer(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _GC_STARTED[0] = time.perf_counter()
    else:
        LAG["max_gc_ms"] = max(LAG["max_gc_ms"], (time.perf_counter() - _GC_STARTED[0]) * 1000)


async def probe() -> None:
    while True:
        started = time.perf_counter()
        await anyio.sleep(0.001)
        late = (time.perf_counter() - started - 0.001) * 1000
        LAG["max_ms"] = max(LAG["max_ms"], late)


async def chat(request: Request) -> Response:
    try:
        body = await ChatRequest.from_request(request)
    except RequestParseError as error:
        return request_error_response(error)
    ctx: StreamContext[None] = StreamContext.for_request(body)

    async def work(ctx: StreamContext[Any]) -> None:
        await ctx.write_text(f"{len(body.messages)} messages")

    await ctx.run(work)
    return UIMessageStreamResponse(ctx)


async def lag(request: Request) -> JSONResponse:
    worst = dict(LAG)
    LAG.update(max_ms=0.0, max_gc_ms=0.0)
    return JSONResponse(worst)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    async with anyio.create_task_group() as group:
        group.start_soon(probe)
        gc.collect()
        gc.freeze()
        gc.callbacks.append(gc_timer)
        yield
        group.cancel_scope.cancel()


def main() -> None:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(f"port {sock.getsockname()[1]}", flush=True)
    app = Starlette(
        routes=[Route("/api/chat", chat, methods=["POST"]), Route("/lag", lag)], lifespan=lifespan
    )
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
