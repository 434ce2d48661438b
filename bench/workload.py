"""The benchmark workload: the typical stream of protocol.md §1.2, scaled to 1000 text deltas.

The same logical stream is written three ways:

* :func:`ai_stream_work` - a work function for ``ai_stream.StreamContext.run``;
* :func:`handwritten_stream` - an async generator yielding ``data: <json.dumps(...)>\\n\\n``
  strings, the way people write it by hand (compact separators, raw UTF-8);
* :func:`peer_work` - a work function for ``ai_sdk_stream_python.StreamContext.run``
  (PyPI ``ai-sdk-stream-python`` 0.4.1).

Event sequence (``Workload.event_count`` counts every SSE frame including ``[DONE]``)::

    start, start-step,
    reasoning-start, reasoning-delta x R, reasoning-end,
    text-start, text-delta x T1, text-end,
    tool-input-start (getWeather), tool-input-delta x I, tool-input-available,
    tool-output-available,
    finish-step, start-step,
    source-url,
    text-start, text-delta x 1000, text-end,
    finish-step, finish, [DONE]
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from ai_sdk_stream_python import StreamContext as PeerContext

    from ai_stream import StreamContext

TOOL_CALL_ID = "call-1"
TOOL_NAME = "getWeather"
SOURCE_ID = "src-1"
SOURCE_URL = "https://example.com/weather"
SOURCE_TITLE = "Weather"

# Token-sized pieces of text (3-8 characters as LLM tokens mostly are), with some non-ASCII
# text, quotes and newlines so that JSON escaping and UTF-8 encoding are exercised.
_WORDS = (
    " the", " weather", " in", " Paris", " is", " sunny", " today", " with", " a",
    " high", " of", " 21", "°C", " and", " light", " wind", " from", " west", ".",
    " Météo", " prévue", " é", " naïve", " café", " über", " straße", " 東京",
    " 天気", " 🙂", " —", ' "quote"', "\n\n", " - ", " item", " fog",
    " soon", " rain", " likely", ",", " humid", " 64%", " UV", " index",
)  # fmt: skip


def _tokens(rng: random.Random, count: int) -> list[str]:
    out: list[str] = []
    while len(out) < count:
        word = rng.choice(_WORDS)
        while len(word) < 3:  # merge short pieces: deltas are 3-8 characters, like BPE tokens
            word += rng.choice(_WORDS)
        if len(word) <= 8:
            out.append(word)
    return out


@dataclass(frozen=True)
class Workload:
    """The content of one typical stream."""

    reasoning: list[str]
    step1_text: list[str]
    tool_input_pieces: list[str]
    tool_input: dict[str, Any]
    tool_output: dict[str, Any]
    text: list[str]

    @property
    def event_count(self) -> int:
        """SSE frames in one stream, ``[DONE]`` included."""
        return (
            2  # start, start-step
            + len(self.reasoning)
            + 2
            + len(self.step1_text)
            + 2
            + 1  # tool-input-start
            + len(self.tool_input_pieces)
            + 2  # tool-input-available, tool-output-available
            + 2  # finish-step, start-step
            + 1  # source-url
            + len(self.text)
            + 2
            + 3  # finish-step, finish, [DONE]
        )

    def describe(self) -> str:
        return (
            f"{self.event_count} events per stream: start, start-step, reasoning "
            f"(start + {len(self.reasoning)} deltas + end), text (start + "
            f"{len(self.step1_text)} deltas + end), tool call `{TOOL_NAME}` (tool-input-start + "
            f"{len(self.tool_input_pieces)} tool-input-delta + tool-input-available + "
            f"tool-output-available), finish-step, start-step, source-url, text (start + "
            f"{len(self.text)} deltas + end), finish-step, finish, [DONE]. Text deltas are "
            f"{min(map(len, self.text))}-{max(map(len, self.text))} characters "
            f"(mean {sum(map(len, self.text)) / len(self.text):.1f}), "
            f"{sum(1 for t in self.text if not t.isascii())} of {len(self.text)} non-ASCII."
        )


def make_workload(text_deltas: int = 1000, reasoning_deltas: int = 20, seed: int = 1) -> Workload:
    rng = random.Random(seed)
    tool_input = {"city": "Paris", "unit": "celsius"}
    text = json.dumps(tool_input, separators=(",", ":"))
    pieces = [text[i : i + 8] for i in range(0, len(text), 8)]
    return Workload(
        reasoning=_tokens(rng, reasoning_deltas),
        step1_text=_tokens(rng, 10),
        tool_input_pieces=pieces,
        tool_input=tool_input,
        tool_output={"city": "Paris", "tempC": 21, "conditions": "sunny"},
        text=_tokens(rng, text_deltas),
    )


# --- (a) ai_stream ---------------------------------------------------------------------------


async def ai_stream_work(ctx: StreamContext[Any], w: Workload) -> None:
    """The typical stream through ``ai_stream``'s writers (``run`` finishes it)."""
    for delta in w.reasoning:
        await ctx.write_reasoning(delta)
    for delta in w.step1_text:
        await ctx.write_text(delta)
    call = await ctx.start_tool_input(TOOL_NAME, tool_call_id=TOOL_CALL_ID)
    for piece in w.tool_input_pieces:
        await ctx.stream_tool_input_delta(call.tool_call_id, piece)
    await ctx.finish_tool_input(call.tool_call_id, w.tool_input)
    await ctx.complete_tool_call(call.tool_call_id, w.tool_output)
    await ctx.new_step()
    await ctx.write_source(SOURCE_ID, SOURCE_URL, SOURCE_TITLE)
    for delta in w.text:
        await ctx.write_text(delta)


# --- (b) hand-written generator ---------------------------------------------------------------


def _sse(chunk: dict[str, Any]) -> str:
    return "data: " + json.dumps(chunk, separators=(",", ":"), ensure_ascii=False) + "\n\n"


async def handwritten_stream(w: Workload) -> AsyncIterator[str]:
    """The typical stream written by hand: one ``json.dumps`` per chunk (compact, raw UTF-8).

    Part ids are short, as the reference server's (``r0``, ``x0``); the message id is a uuid4.
    """
    yield _sse({"type": "start", "messageId": uuid.uuid4().hex})
    yield _sse({"type": "start-step"})
    reasoning_id = "r0"
    yield _sse({"type": "reasoning-start", "id": reasoning_id})
    for delta in w.reasoning:
        yield _sse({"type": "reasoning-delta", "id": reasoning_id, "delta": delta})
    yield _sse({"type": "reasoning-end", "id": reasoning_id})
    text_id = "x0"
    yield _sse({"type": "text-start", "id": text_id})
    for delta in w.step1_text:
        yield _sse({"type": "text-delta", "id": text_id, "delta": delta})
    yield _sse({"type": "text-end", "id": text_id})
    yield _sse({"type": "tool-input-start", "toolCallId": TOOL_CALL_ID, "toolName": TOOL_NAME})
    for piece in w.tool_input_pieces:
        yield _sse(
            {"type": "tool-input-delta", "toolCallId": TOOL_CALL_ID, "inputTextDelta": piece}
        )
    yield _sse(
        {
            "type": "tool-input-available",
            "toolCallId": TOOL_CALL_ID,
            "toolName": TOOL_NAME,
            "input": w.tool_input,
        }
    )
    yield _sse(
        {"type": "tool-output-available", "toolCallId": TOOL_CALL_ID, "output": w.tool_output}
    )
    yield _sse({"type": "finish-step"})
    yield _sse({"type": "start-step"})
    yield _sse(
        {"type": "source-url", "sourceId": SOURCE_ID, "url": SOURCE_URL, "title": SOURCE_TITLE}
    )
    text_id = "x1"
    yield _sse({"type": "text-start", "id": text_id})
    for delta in w.text:
        yield _sse({"type": "text-delta", "id": text_id, "delta": delta})
    yield _sse({"type": "text-end", "id": text_id})
    yield _sse({"type": "finish-step"})
    yield _sse({"type": "finish", "finishReason": "stop"})
    yield "data: [DONE]\n\n"


def _sse_default(chunk: dict[str, Any]) -> str:
    return f"data: {json.dumps(chunk)}\n\n"


async def handwritten_stream_default_json(w: Workload) -> AsyncIterator[str]:
    """The hand-written generator with ``json.dumps(chunk)`` defaults (spaces, ``\\uXXXX``).

    Informational: the bytes differ from ``JSON.stringify`` (the client parses the same objects).
    """
    yield _sse_default({"type": "start", "messageId": uuid.uuid4().hex})
    yield _sse_default({"type": "start-step"})
    reasoning_id = "r0"
    yield _sse_default({"type": "reasoning-start", "id": reasoning_id})
    for delta in w.reasoning:
        yield _sse_default({"type": "reasoning-delta", "id": reasoning_id, "delta": delta})
    yield _sse_default({"type": "reasoning-end", "id": reasoning_id})
    text_id = "x0"
    yield _sse_default({"type": "text-start", "id": text_id})
    for delta in w.step1_text:
        yield _sse_default({"type": "text-delta", "id": text_id, "delta": delta})
    yield _sse_default({"type": "text-end", "id": text_id})
    yield _sse_default(
        {"type": "tool-input-start", "toolCallId": TOOL_CALL_ID, "toolName": TOOL_NAME}
    )
    for piece in w.tool_input_pieces:
        yield _sse_default(
            {"type": "tool-input-delta", "toolCallId": TOOL_CALL_ID, "inputTextDelta": piece}
        )
    yield _sse_default(
        {
            "type": "tool-input-available",
            "toolCallId": TOOL_CALL_ID,
            "toolName": TOOL_NAME,
            "input": w.tool_input,
        }
    )
    yield _sse_default(
        {"type": "tool-output-available", "toolCallId": TOOL_CALL_ID, "output": w.tool_output}
    )
    yield _sse_default({"type": "finish-step"})
    yield _sse_default({"type": "start-step"})
    yield _sse_default(
        {"type": "source-url", "sourceId": SOURCE_ID, "url": SOURCE_URL, "title": SOURCE_TITLE}
    )
    text_id = "x1"
    yield _sse_default({"type": "text-start", "id": text_id})
    for delta in w.text:
        yield _sse_default({"type": "text-delta", "id": text_id, "delta": delta})
    yield _sse_default({"type": "text-end", "id": text_id})
    yield _sse_default({"type": "finish-step"})
    yield _sse_default({"type": "finish", "finishReason": "stop"})
    yield "data: [DONE]\n\n"


# --- (c) ai-sdk-stream-python 0.4.1 --------------------------------------------------------------


async def peer_work(ctx: PeerContext[Any], w: Workload) -> None:
    """The typical stream through ai-sdk-stream-python's writers (its ``run`` finishes it)."""
    for delta in w.reasoning:
        await ctx.write_reasoning(delta)
    for delta in w.step1_text:
        await ctx.write_text(delta)
    call = await ctx.start_tool_input(TOOL_NAME, tool_call_id=TOOL_CALL_ID)
    for piece in w.tool_input_pieces:
        await ctx.stream_tool_input_delta(call.toolCallId, piece)
    await ctx.finish_tool_input(call.toolCallId, TOOL_NAME, w.tool_input)
    await ctx.complete_tool_call(call.toolCallId, w.tool_output)
    await ctx.new_step()
    await ctx.write_source(SOURCE_ID, SOURCE_URL, SOURCE_TITLE)
    for delta in w.text:
        await ctx.write_text(delta)


# --- trickling streams (one text token every ``interval`` seconds) -------------------------------
#
# The stream of a model answering with plain text, at the pace of a model: start, start-step,
# text-start, one text-delta per token (each after ``await asyncio.sleep(interval)``), text-end,
# finish-step, finish, [DONE] - ``len(tokens) + 7`` SSE events.

TRICKLE_TEXT_ID = "text-1"  # the part id ai_stream and the AI SDK's examples use


def trickle_tokens(count: int, seed: int = 2) -> list[str]:
    """``count`` token-sized text deltas (3-8 characters, some non-ASCII)."""
    return _tokens(random.Random(seed), count)


def trickle_event_count(tokens: list[str]) -> int:
    """SSE frames of one trickling stream, ``[DONE]`` included."""
    return len(tokens) + 7


async def trickle_ai_stream_work(
    ctx: StreamContext[Any], tokens: list[str], interval: float
) -> None:
    """The trickling answer through ``ai_stream`` (``run`` finishes it)."""
    for token in tokens:
        await asyncio.sleep(interval)
        await ctx.write_text(token)


async def trickle_plain_stream(tokens: list[str], interval: float) -> AsyncIterator[str]:
    """The trickling answer as a plain async generator of ``json.dumps`` frames.

    The same frames as ai_stream sends (a 16-character message id, text part ``text-1``).
    """
    yield _sse({"type": "start", "messageId": secrets.token_urlsafe(12)})
    yield _sse({"type": "start-step"})
    yield _sse({"type": "text-start", "id": TRICKLE_TEXT_ID})
    for token in tokens:
        await asyncio.sleep(interval)
        yield (
            "data: "
            + json.dumps(
                {"type": "text-delta", "id": TRICKLE_TEXT_ID, "delta": token},
                separators=(",", ":"),
                ensure_ascii=False,
            )
            + "\n\n"
        )
    yield _sse({"type": "text-end", "id": TRICKLE_TEXT_ID})
    yield _sse({"type": "finish-step"})
    yield _sse({"type": "finish", "finishReason": "stop"})
    yield "data: [DONE]\n\n"


async def trickle_peer_work(ctx: PeerContext[Any], tokens: list[str], interval: float) -> None:
    """The trickling answer through ai-sdk-stream-python's writers (its ``run`` finishes it)."""
    for token in tokens:
        await asyncio.sleep(interval)
        await ctx.write_text(token)


# --- checking ------------------------------------------------------------------------------------


def decode_sse(body: bytes) -> list[dict[str, Any] | str]:
    """Split an SSE body into chunk objects (``"[DONE]"`` stays a string).

    Raises:
        ValueError: A frame is not ``data: <payload>``.
    """
    out: list[dict[str, Any] | str] = []
    text = body.decode()
    if not text.endswith("\n\n"):
        raise ValueError("the body does not end with a blank line")
    for frame in text[:-2].split("\n\n"):
        if not frame.startswith("data: "):
            raise ValueError(f"not a data frame: {frame[:60]!r}")
        payload = frame[6:]
        out.append(payload if payload == "[DONE]" else json.loads(payload))
    return out


_ID_KEYS = ("id", "toolCallId", "sourceId")


def normalize(chunks: list[dict[str, Any] | str]) -> list[Any]:
    """Replace generated ids by their order of appearance and drop ``start.messageId``."""
    names: dict[str, str] = {}
    out: list[Any] = []
    for chunk in chunks:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        c = dict(chunk)
        if c.get("type") == "start":
            c.pop("messageId", None)
        for key in _ID_KEYS:
            if key in c:
                c[key] = names.setdefault(f"{key}:{c[key]}", f"<{key}{len(names)}>")
        out.append(c)
    return out


def compare(reference: list[Any], other: list[Any]) -> list[str]:
    """Describe how ``other`` differs from ``reference`` (both normalized); empty if equal."""
    if reference == other:
        return []
    problems: list[str] = []
    if len(reference) != len(other):
        problems.append(f"{len(other)} chunks instead of {len(reference)}")
    for i, (a, b) in enumerate(zip(reference, other, strict=False)):
        if a != b:
            problems.append(f"first difference at chunk {i}: expected {a!r}, got {b!r}")
            break
    return problems
