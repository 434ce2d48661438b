"""Secrets: 1000 streams whose work fails with an exception that carries a secret.

The client must only ever see the masked text ("An error occurred."): the secret may not appear in
any byte of any response. The server log (the ``ai_stream`` logger) must have it, once per
stream, so that the failure can be diagnosed.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections import Counter
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from ai_stream import StreamContext, UIMessageStreamResponse
from ai_stream.context import DEFAULT_ERROR_TEXT
from ai_stream.testing import parse_sse_json
from tests.helpers import counter_ids
from tests.reliability._support import HttpConnection, serve
from tests.reliability.conftest import Figures

STREAMS = 1000
CONNECTIONS = 50
MARKER = "SECRET-" + secrets.token_hex(8)


class Leaky(Exception):
    def __init__(self, message: str, token: str) -> None:
        super().__init__(message)
        self.token = token

    def __repr__(self) -> str:
        return f"Leaky({self.token!r})"


MODES = (
    "before-any-write",
    "mid-text",
    "mid-reasoning",
    "tool-running",
    "tool-input-streaming",
    "chained",
    "group",
    "after-backpressure",
    "custom-attribute",
    "unicode",
)


async def _fail(ctx: StreamContext[Any], mode: str, secret: str) -> None:
    if mode == "before-any-write":
        raise RuntimeError(f"database password is {secret}")
    if mode == "mid-text":
        await ctx.write_text("Looking that up")
        raise ValueError(f"upstream said: token={secret}")
    if mode == "mid-reasoning":
        await ctx.write_reasoning("hmm")
        raise KeyError(secret)
    if mode == "tool-running":
        await ctx.begin_tool_call("query", {"sql": "select 1"})
        raise ConnectionError(f"postgres://admin:{secret}@db/prod refused")
    if mode == "tool-input-streaming":
        call = await ctx.start_tool_input("query")
        await ctx.stream_tool_input_delta(call.tool_call_id, '{"sql": "sel')
        raise TimeoutError(f"timed out talking to {secret}")
    if mode == "chained":
        try:
            raise OSError(f"inner {secret}")
        except OSError as inner:
            raise RuntimeError("outer failure") from inner
    if mode == "group":
        async with anyio.create_task_group() as group:

            async def boom() -> None:
                raise RuntimeError(f"in a task: {secret}")

            group.start_soon(boom)
    if mode == "after-backpressure":
        for _ in range(200):
            await ctx.write_text("x" * 500)  # 100 KB: the writer waits for the reader
        raise RuntimeError(f"late failure {secret}")
    if mode == "custom-attribute":
        await ctx.write_text("ok")
        raise Leaky(f"leaky {secret}", secret)
    await ctx.write_text("héllo ✓ ")
    raise UnicodeError(f"ünïcode {secret} ✓")


def _app() -> Starlette:
    async def chat(request: Request) -> UIMessageStreamResponse:
        i = int(request.query_params["i"])
        ctx: StreamContext[Any] = StreamContext(id_generator=counter_ids())
        await ctx.run(_fail, MODES[i % len(MODES)], f"{MARKER}-{i}")
        return UIMessageStreamResponse(ctx)

    return Starlette(routes=[Route("/chat", chat, methods=["POST"])])


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(logging.Formatter().format(record))


async def test_exception_secrets_never_reach_the_wire(figures: Figures) -> None:
    capture = Capture()
    logger = logging.getLogger("ai_stream")
    logger.addHandler(capture)
    bodies: dict[int, bytes] = {}
    raw: list[bytes] = []
    errors: list[str] = []
    try:
        start = time.perf_counter()
        async with serve(_app()) as live:
            queue = list(range(STREAMS))

            async def worker() -> None:
                connection = await HttpConnection.open(live.port)
                try:
                    while queue:
                        i = queue.pop()
                        if not connection.usable:
                            connection = await HttpConnection.open(live.port)
                        reply = await connection.request("POST", f"/chat?i={i}")
                        if reply.status != 200:
                            errors.append(f"{i}: HTTP {reply.status}")
                        bodies[i] = reply.body
                        raw.append(repr(reply.headers).encode())
                finally:
                    await connection.aclose()

            with anyio.fail_after(60):
                async with anyio.create_task_group() as group:
                    for _ in range(CONNECTIONS):
                        group.start_soon(worker)
        wall = time.perf_counter() - start
    finally:
        logger.removeHandler(capture)
    marker = MARKER.encode()
    leaks = sorted(i for i, body in bodies.items() if marker in body)
    header_leaks = sum(1 for headers in raw if marker in headers)
    # Which streams each log record names (a record may name one several times: message,
    # traceback, chained cause).
    per_stream = Counter(
        i for text in capture.texts for i in set(re.findall(rf"{MARKER}-(\d+)", text))
    )
    logged = {int(i) for i in per_stream}
    masked = 0
    for body in bodies.values():
        chunks = parse_sse_json(body)
        error_texts = [c["errorText"] for c in chunks if c["type"] == "error"]
        if error_texts == [DEFAULT_ERROR_TEXT] and chunks[-1]["type"] == "finish":
            masked += 1
    figures.record(
        "secrets",
        streams=STREAMS,
        modes=len(MODES),
        responses=len(bodies),
        leaks_on_the_wire=len(leaks) + header_leaks,
        masked_error_chunks=masked,
        log_records_with_secret=sum(per_stream.values()),
        streams_found_in_log=len(logged),
        wall_s=round(wall, 3),
    )
    assert not errors, errors[:5]
    assert len(bodies) == STREAMS
    assert not leaks and not header_leaks, leaks[:10]
    assert masked == STREAMS
    assert logged == set(range(STREAMS))
    assert set(per_stream.values()) == {1}  # logged once per stream
