"""The work both framework test apps stream, and what the tests observe of it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    from ai_stream import StreamContext
    from ai_stream.record import StreamRecord

REQUEST_BODY = (
    Path(__file__).parent.parent / "fixtures" / "requests" / "6.0.326" / "submit.json"
).read_bytes()
"""A body the real ai 6.0.326 client POSTs (``sendMessage({text: "hi"})``)."""

JSON = {"content-type": "application/json"}
"""The headers of a chat request."""

MAX_SIZE = 64 * 1024
"""The apps' body limit (small, so that the tests can send a body far over it)."""

SLOW_STEPS = 10
SLOW_STEP_SECONDS = 0.12


@dataclass
class Observed:
    """What the server saw of one chat (by chat id); written from the app, read by the test."""

    records: list[StreamRecord] = field(default_factory=list)
    cancelled: bool = False
    started: bool = False
    threads: set[int] = field(default_factory=set)
    tag: str | None = None


TAG: ContextVar[str | None] = ContextVar("TAG", default=None)
"""Set by the views: the work must see it (context variables flow from the view)."""

_lock = threading.Lock()
_observed: dict[str, Observed] = {}


def observed(chat_id: str) -> Observed:
    """The observations of ``chat_id`` (created empty)."""
    with _lock:
        return _observed.setdefault(chat_id, Observed())


def on_finish(record: StreamRecord, chat_id: str) -> None:
    observed(chat_id).records.append(record)


async def full_answer(ctx: StreamContext[Any]) -> None:
    """Reasoning, a tool call with its output, then text."""
    assert ctx.chat_id is not None
    observed(ctx.chat_id).tag = TAG.get()
    await ctx.write_reasoning("The user greets me; ")
    await ctx.write_reasoning("check the weather first.")
    call = await ctx.begin_tool_call("weather", {"city": "Paris"})
    await anyio.sleep(0.01)
    await ctx.complete_tool_call(call.tool_call_id, {"temperature": 21, "unit": "C"})
    for word in ("Hello! ", "It is ", "21 °C ", "in Paris."):
        await ctx.write_text(word)


async def slow_answer(ctx: StreamContext[Any]) -> None:
    """Text in ``SLOW_STEPS`` steps of ``SLOW_STEP_SECONDS``; notes start, thread, cancel."""
    assert ctx.chat_id is not None
    seen = observed(ctx.chat_id)
    seen.started = True
    seen.threads.add(threading.get_ident())
    try:
        for i in range(SLOW_STEPS):
            await ctx.write_text(f"tick {i} ")
            await anyio.sleep(SLOW_STEP_SECONDS)
    except anyio.get_cancelled_exc_class():
        seen.cancelled = True
        raise


async def endless_answer(ctx: StreamContext[Any]) -> None:
    """Text every 20 ms for up to 20 s: only a disconnect ends it early."""
    assert ctx.chat_id is not None
    seen = observed(ctx.chat_id)
    seen.started = True
    try:
        for i in range(1000):
            await ctx.write_text(f"tick {i} ")
            await anyio.sleep(0.02)
    except anyio.get_cancelled_exc_class():
        seen.cancelled = True
        raise


async def silent_answer(ctx: StreamContext[Any]) -> None:
    """One text delta, then 10 s of silence (a slow model): nothing is written meanwhile."""
    assert ctx.chat_id is not None
    seen = observed(ctx.chat_id)
    seen.started = True
    try:
        await ctx.write_text("thinking... ")
        await anyio.sleep(10)
        await ctx.write_text("done.")
    except anyio.get_cancelled_exc_class():
        seen.cancelled = True
        raise


ANSWERS = {
    "full": full_answer,
    "slow": slow_answer,
    "endless": endless_answer,
    "silent": silent_answer,
}


def body_for(chat_id: str, answer: str, **extra: Any) -> bytes:
    """The recorded request body with another chat id, the ``answer`` and ``extra`` fields."""
    data = json.loads(REQUEST_BODY)
    data["id"] = chat_id
    data["answer"] = answer
    data.update(extra)
    return json.dumps(data).encode()


def oversized_bodies(url: str) -> tuple[list[tuple[int, str]], int]:
    """POST to ``url``: a body declared larger than ``MAX_SIZE`` (refused by its header), one
    that hides its length (chunked, 200 MiB), a bad body and a non-JSON one.

    Returns:
        ``(status, error type)`` of each answer, and the peak of memory allocated meanwhile
        (tracemalloc: the server runs in this process; the client sends 1 MiB at a time).
    """
    import tracemalloc

    import httpx

    def chunks(mebibytes: int) -> Iterator[bytes]:
        for _ in range(mebibytes):
            yield b"[" * (1024 * 1024)

    answers: list[tuple[int, str]] = []
    tracemalloc.start()
    try:
        with httpx.Client(timeout=30) as client:
            for content, content_type in (
                (b"{}" + b" " * (MAX_SIZE + 10), "application/json"),
                (chunks(200), "application/json"),
                (b'{"id": "c", "messages": 3}', "application/json"),
                (b"{}", "text/plain"),
            ):
                headers = {"content-type": content_type}
                try:
                    response = client.post(url, content=content, headers=headers)
                except httpx.TransportError:  # the server answered and closed mid-upload
                    answers.append((0, "connection closed"))
                    continue
                answers.append((response.status_code, response.json()["error"]["type"]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return answers, peak
