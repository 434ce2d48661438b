"""The server of the slow-consumer test, run in a subprocess of its own (``python slow_server.py``).

It serves ``POST /stream``: a producer of ``DELTAS`` text deltas, as fast as ai_stream lets it.
While the stream runs it measures, in this process only:

* ``tracemalloc``: the peak of Python memory allocated during the request and still alive at
  once (everything the server holds for the stream: ai_stream, Starlette, uvicorn, h11, asyncio);
  and, from snapshots every few milliseconds, how much of what is alive was allocated by
  ai_stream's own files, by uvicorn/h11/asyncio, and by anything else;
* what ai_stream holds at every sample: what waits for the reader
  (``StreamContext.buffered_bytes``: frames and deltas not yet encoded) and the batch handed to
  the server that is being written (its "in flight" body);
* the write buffer of the connection's asyncio transport (``get_write_buffer_size()``).

Protocol: prints ``PORT <n>`` once listening, then ``STATS <json>`` after the stream ended; the
parent kills it when done. The listening socket has a small ``SO_SNDBUF`` (inherited by the
accepted connection), so that backpressure reaches the producer soon.
"""

from __future__ import annotations

import itertools
import json
import socket
import sys
import time
import tracemalloc
from collections import Counter
from typing import TYPE_CHECKING, Any

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route

from ai_stream import StreamContext, UIMessageStreamResponse

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.types import Message, Receive, Scope, Send

WORDS = ("the ", "quick ", "brown ", "fox ", "jumps ", "over ", "a ", "lazy ", "dog. ", "\n")


def expected_text(deltas: int) -> str:
    return "".join(WORDS[i % len(WORDS)] for i in range(deltas))


class Probe:
    def __init__(self, deltas: int) -> None:
        self.deltas = deltas
        self.ctx: StreamContext[Any] | None = None
        self.server: uvicorn.Server | None = None
        self.in_flight = 0
        self.max_batch = 0
        self.batches = 0
        self.samples = 0
        self.max: Counter[str] = Counter()
        self.produce_s = 0.0
        self.blocked_writes = 0

    def _held(self) -> dict[str, int]:
        ctx = self.ctx
        held = {"pending": ctx.buffered_bytes if ctx is not None else 0}
        held["in_flight"] = self.in_flight
        held["ai_stream"] = held["pending"] + held["in_flight"]
        transport = 0
        if self.server is not None:
            for connection in self.server.server_state.connections:
                if connection.transport is not None:
                    transport += connection.transport.get_write_buffer_size()
        held["transport"] = transport
        return held

    def sample(self, *, snapshot: bool = False) -> None:
        self.samples += 1
        values = self._held()
        values["traced_peak"] = tracemalloc.get_traced_memory()[1]
        if snapshot:
            snap = tracemalloc.take_snapshot()
            groups: Counter[str] = Counter()
            for stat in snap.statistics("filename"):
                name = stat.traceback[0].filename.replace("\\", "/")
                if "/ai_stream/" in name:
                    groups["traced_ai_stream"] += stat.size
                elif any(p in name for p in ("/uvicorn/", "/h11/", "/asyncio/")):
                    groups["traced_server"] += stat.size
                else:
                    groups["traced_other"] += stat.size
            del snap
            values.update(groups)
            tracemalloc.reset_peak()  # the snapshot itself is not the stream's memory
        for key, value in values.items():
            self.max[key] = max(self.max[key], value)

    async def sampler(self) -> None:
        while True:
            await anyio.sleep(0.005)
            self.sample(snapshot=self.samples % 4 == 0)

    def stats(self) -> dict[str, Any]:
        return {
            **self.max,
            "max_batch": self.max_batch,
            "batches": self.batches,
            "samples": self.samples,
            "produce_s": self.produce_s,
            "blocked_writes": self.blocked_writes,
        }


def make_app(probe: Probe) -> Any:
    async def stream(request: Request) -> UIMessageStreamResponse:
        ids = itertools.count(1)
        ctx: StreamContext[Any] = StreamContext(id_generator=lambda: f"id-{next(ids)}")
        probe.ctx = ctx

        async def work(ctx: StreamContext[Any]) -> None:
            start = time.perf_counter()
            for i in range(probe.deltas):
                before = time.perf_counter()
                await ctx.write_text(WORDS[i % len(WORDS)])
                if time.perf_counter() - before > 0.001:
                    probe.blocked_writes += 1
                if i % 500 == 0:
                    probe.sample()
            probe.produce_s = time.perf_counter() - start

        await ctx.run(work)
        return UIMessageStreamResponse(ctx)

    inner = Starlette(routes=[Route("/stream", stream, methods=["POST"])])

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return

        async def measured_send(message: Message) -> None:
            if message["type"] == "http.response.body":
                size = len(message.get("body", b""))
                probe.max_batch = max(probe.max_batch, size)
                probe.batches += 1
                probe.in_flight = size
                try:
                    await send(message)
                finally:
                    probe.in_flight = 0
            else:
                await send(message)

        tracemalloc.start()
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(probe.sampler)
                await inner(scope, receive, measured_send)
                group.cancel_scope.cancel()
            probe.sample(snapshot=True)
        finally:
            tracemalloc.stop()
        print("STATS " + json.dumps(probe.stats()), flush=True)

    return app


def main() -> None:
    deltas = int(sys.argv[1])
    send_buffer = int(sys.argv[2])
    probe = Probe(deltas)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP_NODELAY
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(make_app(probe), log_level="error", lifespan="off")
    server = probe.server = uvicorn.Server(config)

    async def run() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(server.serve, [sock])
            while not server.started:
                await anyio.sleep(0.01)
            print(f"PORT {sock.getsockname()[1]}", flush=True)

    anyio.run(run)


if __name__ == "__main__":
    main()
