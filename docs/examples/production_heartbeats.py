"""Heartbeats: SSE comments during a model's silences, so that proxies keep the stream open.

Run it: ``python docs/examples/production_heartbeats.py`` streams an answer whose model thinks
in silence, once as a plain stream and once as a resumable one, with heartbeats every 0.1 s,
and checks that the comments flow and that the message is unchanged.
"""

import anyio
from fastapi import FastAPI, Request, Response

from ai_stream import (
    ChatRequest,
    ResumableStreams,
    StreamContext,
    UIMessageStreamResponse,
    resumable_response,
)

KEEP_ALIVE = 0.1  # seconds; 15 in production (shorter than any proxy's idle timeout)


async def think_then_answer(ctx: StreamContext) -> None:
    """A model that is silent for a while before it answers (reasoning on the provider's side)."""
    await anyio.sleep(0.35)
    await ctx.write_text("Forty-two.")


# --8<-- [start:app]
streams = ResumableStreams(keep_alive=KEEP_ALIVE)  # every reader of a resumable answer
app = FastAPI(lifespan=streams.lifespan)


@app.post("/api/chat")
async def chat(request: Request) -> UIMessageStreamResponse:
    body = await ChatRequest.from_request(request)
    ctx = StreamContext.for_request(body)
    await ctx.run(think_then_answer)
    return UIMessageStreamResponse(ctx, keep_alive=KEEP_ALIVE)  # a plain stream


@app.post("/api/resumable-chat")
async def resumable_chat(request: Request) -> Response:
    body = await ChatRequest.from_request(request)
    ctx = StreamContext.for_request(body)
    await ctx.run(think_then_answer)
    return await resumable_response(streams, body.id, ctx)


# --8<-- [end:app]


def main() -> None:
    # --8<-- [start:check]
    from fastapi.testclient import TestClient

    from ai_stream.testing import parse_sse, read_ui_message

    question = {
        "id": "chat-1",
        "trigger": "submit-message",
        "messages": [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "?"}]}],
    }
    with TestClient(app) as client:
        for path in ("/api/chat", "/api/resumable-chat"):
            body = client.post(path, json=question).content
            assert body.startswith(b": stream-open\n\n")  # at once, before the model answers
            assert body.count(b": keep-alive\n\n") >= 2  # one per 0.1 s of silence
            message = read_ui_message(parse_sse(body))  # comments are not chunks: ignored
            assert message is not None
            assert message["parts"][-1] == {"type": "text", "text": "Forty-two.", "state": "done"}
    # --8<-- [end:check]


if __name__ == "__main__":
    main()
