"""Testing code that writes the message, with ``ai_stream.testing`` (pytest + anyio style).

Run it: ``python docs/examples/writing_testing.py`` runs the tests below once, without pytest;
under pytest (with anyio's plugin, installed with anyio) they run as they are.
"""

# ruff: noqa: E402  (each section holds its own imports: the guide shows them with the code)

from typing import Any

# --8<-- [start:service]
from ai_stream import StreamContext


async def summarize(document: str, *, ctx: StreamContext[Any]) -> None:
    """A service layer under test: a progress data part, then the summary."""
    await ctx.write_data("status", {"step": "reading"}, id="status")
    words = document.split()
    await ctx.write_data("status", {"step": "done", "words": len(words)}, id="status")
    await ctx.write_text(f"{len(words)} words, starting with {words[0]!r}.")


# --8<-- [end:service]


# --8<-- [start:unit]
import pytest

from ai_stream import TextDeltaChunk
from ai_stream.testing import collect_stream, parse_sse, read_ui_message


@pytest.mark.anyio
async def test_summarize_shows_the_summary() -> None:
    ctx = StreamContext(message_id="msg-1")

    async def work(ctx: StreamContext[None]) -> None:
        await summarize("Streams end with a finish chunk.", ctx=ctx)

    await ctx.run(work)

    body = await collect_stream(ctx)  # runs the work; the whole body, as a response sends it
    chunks = parse_sse(body)  # typed chunks; checks the SSE framing and the final [DONE]
    assert TextDeltaChunk(id="text-1", delta="6 words, starting with 'Streams'.") in chunks

    message = read_ui_message(chunks)  # what useChat (ai 6) shows
    assert message is not None
    assert message["parts"][0] == {
        "type": "data-status",
        "id": "status",
        "data": {"step": "done", "words": 6},
    }
    assert message["parts"][-1]["text"] == "6 words, starting with 'Streams'."


# --8<-- [end:unit]


# --8<-- [start:adapter]
async def run_summarize(ctx: StreamContext[Any], document: str) -> None:
    """The work for ctx.run(run_summarize, document): run passes extra arguments on."""
    await summarize(document, ctx=ctx)


# --8<-- [end:adapter]


# --8<-- [start:record]
@pytest.mark.anyio
async def test_summarize_for_ai5_clients() -> None:
    ctx = StreamContext(sdk_version=5, collect=True)
    await ctx.run(run_summarize, "One two three")
    await collect_stream(ctx)

    record = ctx.record
    assert record is not None
    assert record.text == "3 words, starting with 'One'."
    assert [(d.name, d.data) for d in record.data] == [("status", {"step": "done", "words": 3})]
    assert record.finish_reason == "stop" and record.errors == []


# --8<-- [end:record]


# --8<-- [start:endpoint]
import httpx
from fastapi import FastAPI

from ai_stream import UIMessageStreamResponse

app = FastAPI()


@app.post("/api/summarize")
async def summarize_endpoint() -> UIMessageStreamResponse:
    ctx = StreamContext()
    await ctx.run(run_summarize, "Hello from the endpoint")
    return UIMessageStreamResponse(ctx)


@pytest.mark.anyio
async def test_the_endpoint() -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/api/summarize", json={})
    assert response.headers["x-vercel-ai-ui-message-stream"] == "v1"
    message = read_ui_message(parse_sse(response.content))
    assert message is not None
    assert message["parts"][-1]["text"] == "4 words, starting with 'Hello'."


# --8<-- [end:endpoint]


# --8<-- [start:strict]
from ai_stream import ChunkParseError


def test_a_cut_stream_is_caught() -> None:
    body = b'data: {"type":"start"}\n\ndata: {"type":"start-step"}\n\n'  # no [DONE]
    with pytest.raises(ChunkParseError):
        parse_sse(body)
    assert len(parse_sse(body, require_done=False)) == 2


# --8<-- [end:strict]


def main() -> None:
    import anyio

    anyio.run(test_summarize_shows_the_summary)
    anyio.run(test_summarize_for_ai5_clients)
    anyio.run(test_the_endpoint)
    test_a_cut_stream_is_caught()


if __name__ == "__main__":
    main()
