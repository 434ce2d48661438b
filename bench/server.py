"""The HTTP benchmark app: one POST route per contender, all serving the same typical stream.

Run by ``bench/run.py`` as ``python -m uvicorn server:app --app-dir bench --host 127.0.0.1
--port N --workers 1 --loop asyncio --http h11 --no-access-log``.

* ``POST /ai_stream``: ``UIMessageStreamResponse(ctx)`` after ``ctx.run(work)``;
* ``POST /handwritten``: ``StreamingResponse(gen(), media_type="text/event-stream")``;
* ``POST /peer``: ai-sdk-stream-python's documented ``await ctx.run(work)`` +
  ``StreamingResponse(ctx.stream(), media_type="text/event-stream", headers=ctx.response_headers)``;
* ``GET /health``: readiness probe.

Every route reads the request body first, as a chat endpoint does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ai_sdk_stream_python import StreamContext as PeerContext
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from workload import ai_stream_work, handwritten_stream, make_workload, peer_work

from ai_stream import UI_MESSAGE_STREAM_HEADERS, StreamContext, UIMessageStreamResponse

if TYPE_CHECKING:
    from starlette.requests import Request

WORKLOAD = make_workload()


async def ai_stream_route(request: Request) -> Response:
    await request.body()
    ctx: StreamContext[Any] = StreamContext()
    await ctx.run(ai_stream_work, WORKLOAD)
    return UIMessageStreamResponse(ctx)


async def handwritten_route(request: Request) -> Response:
    await request.body()
    return StreamingResponse(
        handwritten_stream(WORKLOAD),
        media_type="text/event-stream",
        headers=UI_MESSAGE_STREAM_HEADERS,
    )


async def peer_route(request: Request) -> Response:
    await request.body()
    ctx: PeerContext[Any] = PeerContext()

    async def work(c: PeerContext[Any]) -> None:
        await peer_work(c, WORKLOAD)

    await ctx.run(work)
    return StreamingResponse(
        ctx.stream(), media_type="text/event-stream", headers=ctx.response_headers
    )


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")


app = Starlette(
    routes=[
        Route("/ai_stream", ai_stream_route, methods=["POST"]),
        Route("/handwritten", handwritten_route, methods=["POST"]),
        Route("/peer", peer_route, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
    ]
)
