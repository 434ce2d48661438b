"""The chat app of the multi-worker test, run as one uvicorn worker process per instance::

    python -m tests.reliability.multiworker_app --redis URL --prefix PREFIX --lease 1.0 \
        [--grace SECONDS]

It listens on a free 127.0.0.1 port and prints ``port N`` once bound. The answers are
deterministic per chat id (same ids, same words), so any worker can check a resumed message
against an uninterrupted one: :func:`make_context` + :func:`answer`. Every record that
``on_finish`` gets is pushed (as JSON, with the time its work was cancelled, if it was) to
the Redis list ``{prefix}records``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ai_stream import ChatRequest, StreamContext, StreamRecord
from ai_stream.integrations.redis import RedisStreamStore
from ai_stream.responses import chat_routes
from ai_stream.resume import ResumableStreams

DELTAS = 40
WORDS = ("alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota", "kappa")


def deltas(chat_id: str) -> list[str]:
    """The text deltas of the answer to ``chat_id``."""
    rng = random.Random(chat_id)
    return [f"{rng.choice(WORDS)}{i} " for i in range(DELTAS)]


def pause(chat_id: str) -> float:
    """Seconds between deltas: ``idle-*`` chats take minutes, ``long-*`` 4 s, ``slow-*`` 2 s,
    others 1.2 s (a resume on a loaded machine still finds them running)."""
    if chat_id.startswith("idle-"):
        return 5.0
    if chat_id.startswith("long-"):
        return 0.1
    return 0.05 if chat_id.startswith("slow-") else 0.03


CANCELLED: dict[str, float] = {}  # chat id -> when its work was cancelled (time.time())


async def answer(ctx: StreamContext[Any], chat_id: str, seconds: float) -> None:
    """Reasoning, then the chat's deltas with ``seconds`` between them."""
    try:
        await ctx.write_reasoning(f"Planning the answer to {chat_id}.")
        for delta in deltas(chat_id):
            await ctx.write_text(delta)
            await anyio.sleep(seconds)
    except anyio.get_cancelled_exc_class():
        CANCELLED[chat_id] = time.time()
        raise


def make_context(
    chat: ChatRequest, on_finish: Callable[[StreamRecord], Awaitable[None]] | None = None
) -> StreamContext[None]:
    """The context answering ``chat``, with ids that depend on the chat id only."""
    numbers = itertools.count(1)
    return StreamContext.for_request(
        chat,
        message_id=f"msg-{chat.id}",
        id_generator=lambda: f"{chat.id}-{next(numbers)}",
        on_finish=on_finish,
    )


class CountingStreams(ResumableStreams):
    """Remembers the most answers that ran at once (``GET /debug/running``)."""

    peak = 0

    async def start(self, chat_id: str, context: StreamContext[Any]) -> str:
        stream_id = await super().start(chat_id, context)
        self.peak = max(self.peak, self.running)
        return stream_id


def build_app(args: argparse.Namespace) -> Starlette:
    """The worker app: ``chat_routes`` over a :class:`RedisStreamStore`."""
    prefix, lease, grace = args.prefix, args.lease, args.grace
    store = RedisStreamStore(
        args.redis, prefix=prefix, lease=lease, ttl=args.ttl, max_connections=args.max_connections
    )
    streams = CountingStreams(
        store,
        lease=lease,
        keep_running=True if grace is None else grace,
        max_streams=args.max_streams,
    )

    async def handler(chat: ChatRequest, request: Request) -> StreamContext[Any]:
        async def save(record: StreamRecord) -> None:
            saved = {
                "chat_id": chat.id,
                "aborted": record.aborted,
                "abort_reason": record.abort_reason,
                "text": record.text,
                "cancelled_at": CANCELLED.pop(chat.id, None),
                "ended_at": time.time(),
            }
            await store.client.rpush(f"{prefix}records", json.dumps(saved))

        ctx = make_context(chat, save)
        await ctx.run(answer, chat.id, pause(chat.id))
        return ctx

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with store, streams:
            yield

    async def running(request: Request) -> JSONResponse:
        return JSONResponse({"running": streams.running, "peak": streams.peak})

    routes = [*chat_routes(handler, streams=streams), Route("/debug/running", running)]
    return Starlette(routes=routes, lifespan=lifespan)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", required=True)
    parser.add_argument("--prefix", default="ai_stream:")
    parser.add_argument("--lease", type=float, default=1.0)
    parser.add_argument("--grace", type=float, default=None)
    parser.add_argument("--ttl", type=float, default=300.0)
    parser.add_argument("--max-streams", type=int, default=100)
    parser.add_argument("--max-connections", type=int, default=1024)
    args = parser.parse_args(argv)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    print(f"port {sock.getsockname()[1]}", flush=True)
    app = build_app(args)
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
