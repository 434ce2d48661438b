"""The HTTP benchmark app: one POST route per contender, all serving the same typical stream.

Run by ``bench/run.py`` as ``python -m uvicorn server:app --app-dir bench --host 127.0.0.1
--port N --workers 1 --loop asyncio --http h11 --no-access-log``.

* ``POST /ai_stream``: ``UIMessageStreamResponse(ctx)`` after ``ctx.run(work)``;
* ``POST /handwritten``: ``StreamingResponse(gen(), media_type="text/event-stream")``;
* ``POST /peer``: ai-sdk-stream-python's documented ``await ctx.run(work)`` +
  ``StreamingResponse(ctx.stream(), media_type="text/event-stream", headers=ctx.response_headers)``;
* ``GET /health``: readiness probe.

Object streams (``bench/object_streams.py``; the body is an itinerary's JSON text in 1000 deltas,
``BENCH_OBJECT_DELTAS`` to change):

* ``POST /object/ai_stream``: ``UIMessageStreamResponse(obj)`` after ``await obj.run(work)``, obj
  an ``ObjectStreamContext(Itinerary)`` written with ``write_json(delta)``;
* ``POST /object/text``: ``UIMessageStreamResponse(ctx)`` of ``StreamContext(stream_protocol=
  "text")`` written with ``write_text(delta)``;
* ``POST /object/handwritten``: ``StreamingResponse(gen(), media_type="text/plain")`` over an
  async generator yielding each delta, UTF-8.

Trickling streams (``bench/trickle.py``): one text token every ``BENCH_TRICKLE_INTERVAL`` seconds
(default 0.02), the tokens read from the JSON list in the file ``BENCH_TRICKLE_TOKENS`` (default:
100 tokens of ``workload.trickle_tokens``):

* ``POST /trickle/ai_stream``: ``UIMessageStreamResponse(ctx)`` after ``await ctx.run(work)``;
* ``POST /trickle/ai_stream_collect``: the same with ``collect=True`` and an ``on_finish`` that
  does nothing (as an app that persists the message has);
* ``POST /trickle/plain``: ``StreamingResponse`` over an async generator of ``json.dumps`` frames;
* ``POST /trickle/peer``: ai-sdk-stream-python's documented pattern.

Every route reads the request body first, as a chat endpoint does.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ai_sdk_stream_python import StreamContext as PeerContext
from object_streams import (
    Itinerary,
    handwritten_deltas,
    make_object_workload,
    object_json_work,
    text_work,
)
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from workload import (
    ai_stream_work,
    handwritten_stream,
    make_workload,
    peer_work,
    trickle_ai_stream_work,
    trickle_peer_work,
    trickle_plain_stream,
    trickle_tokens,
)

from ai_stream import (
    UI_MESSAGE_STREAM_HEADERS,
    ObjectStreamContext,
    StreamContext,
    UIMessageStreamResponse,
)

if TYPE_CHECKING:
    from starlette.requests import Request

    from ai_stream import StreamRecord

WORKLOAD = make_workload()
OBJECT_WORKLOAD = make_object_workload(int(os.environ.get("BENCH_OBJECT_DELTAS", "1000")))


def _trickle_tokens() -> list[str]:
    path = os.environ.get("BENCH_TRICKLE_TOKENS")
    if not path:
        return trickle_tokens(100)
    tokens: list[str] = json.loads(Path(path).read_text(encoding="utf-8"))
    return tokens


TRICKLE_TOKENS = _trickle_tokens()
TRICKLE_INTERVAL = float(os.environ.get("BENCH_TRICKLE_INTERVAL", "0.02"))


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


async def trickle_ai_stream_route(request: Request) -> Response:
    await request.body()
    ctx: StreamContext[Any] = StreamContext()
    await ctx.run(trickle_ai_stream_work, TRICKLE_TOKENS, TRICKLE_INTERVAL)
    return UIMessageStreamResponse(ctx)


async def _persist(record: StreamRecord) -> None:
    """An ``on_finish`` that does nothing: the cost of an app that saves the message."""
    return None


async def trickle_ai_stream_collect_route(request: Request) -> Response:
    await request.body()
    ctx: StreamContext[Any] = StreamContext(collect=True, on_finish=_persist)
    await ctx.run(trickle_ai_stream_work, TRICKLE_TOKENS, TRICKLE_INTERVAL)
    return UIMessageStreamResponse(ctx)


async def trickle_plain_route(request: Request) -> Response:
    await request.body()
    return StreamingResponse(
        trickle_plain_stream(TRICKLE_TOKENS, TRICKLE_INTERVAL),
        media_type="text/event-stream",
        headers=UI_MESSAGE_STREAM_HEADERS,
    )


async def trickle_peer_route(request: Request) -> Response:
    await request.body()
    ctx: PeerContext[Any] = PeerContext()
    await ctx.run(
        functools.partial(trickle_peer_work, tokens=TRICKLE_TOKENS, interval=TRICKLE_INTERVAL)
    )
    return StreamingResponse(
        ctx.stream(), media_type="text/event-stream", headers=ctx.response_headers
    )


async def object_ai_stream_route(request: Request) -> Response:
    await request.body()
    obj = ObjectStreamContext(Itinerary)
    await obj.run(object_json_work, OBJECT_WORKLOAD.deltas)
    return UIMessageStreamResponse(obj)


async def object_text_route(request: Request) -> Response:
    await request.body()
    ctx: StreamContext[Any] = StreamContext(stream_protocol="text")
    await ctx.run(text_work, OBJECT_WORKLOAD.deltas)
    return UIMessageStreamResponse(ctx)


async def object_handwritten_route(request: Request) -> Response:
    await request.body()
    return StreamingResponse(handwritten_deltas(OBJECT_WORKLOAD.deltas), media_type="text/plain")


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")


app = Starlette(
    routes=[
        Route("/ai_stream", ai_stream_route, methods=["POST"]),
        Route("/handwritten", handwritten_route, methods=["POST"]),
        Route("/peer", peer_route, methods=["POST"]),
        Route("/trickle/ai_stream", trickle_ai_stream_route, methods=["POST"]),
        Route("/trickle/ai_stream_collect", trickle_ai_stream_collect_route, methods=["POST"]),
        Route("/trickle/plain", trickle_plain_route, methods=["POST"]),
        Route("/trickle/peer", trickle_peer_route, methods=["POST"]),
        Route("/object/ai_stream", object_ai_stream_route, methods=["POST"]),
        Route("/object/text", object_text_route, methods=["POST"]),
        Route("/object/handwritten", object_handwritten_route, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
    ]
)
