"""The chat endpoint of the hostile-bodies test, in a process of its own, with a loop-lag probe::

    python -m tests.reliability.hostile_app

It listens on a free 127.0.0.1 port and prints ``port N`` once bound. ``POST /api/chat`` is
the documented endpoint (``ChatRequest.from_request``, a 4xx JSON error or a short stream);
``GET /lag`` answers the longest the event loop was blocked (ms) since the last ``GET /lag``.
A probe task sleeps 1 ms at a time and measures how late it wakes up.
"""

from __future__ import annotations

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

LAG = {"max_ms": 0.0}


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
    worst, LAG["max_ms"] = LAG["max_ms"], 0.0
    return JSONResponse({"max_ms": worst})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    async with anyio.create_task_group() as group:
        group.start_soon(probe)
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
