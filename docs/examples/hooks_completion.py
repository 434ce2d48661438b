"""useCompletion and useChat over text: one FastAPI route per hook, checked in process.

Run it: ``python docs/examples/hooks_completion.py`` posts what ``useCompletion`` posts (both of
its stream protocols) and what ``TextStreamChatTransport`` posts, and checks the answers.
"""

from fastapi import FastAPI, Request

from ai_stream import (
    ChatRequest,
    CompletionRequest,
    RequestParseError,
    StreamContext,
    UIMessageStreamResponse,
    request_parse_error_handler,
)

app = FastAPI()
app.add_exception_handler(RequestParseError, request_parse_error_handler)  # 4xx JSON


async def complete(ctx: StreamContext[None], prompt: str) -> None:
    """Stands in for the model: streams a completion of ``prompt``."""
    for word in ("Once", " upon", " a", " time:", f" {prompt}"):
        await ctx.write_text(word)


# --8<-- [start:completion]
@app.post("/api/completion")
async def completion(request: Request) -> UIMessageStreamResponse:
    # {prompt, ...body}: RequestParseError (4xx JSON) for anything else
    body = await CompletionRequest.from_request(request)
    # useCompletion({streamProtocol: "text"}) → plain text; the default "data" → UI messages
    text = body.get("protocol") == "text"
    ctx: StreamContext[None] = StreamContext(stream_protocol="text" if text else "data")
    await ctx.run(complete, body.prompt)
    return UIMessageStreamResponse(ctx)


# --8<-- [end:completion]


# --8<-- [start:text-chat]
@app.post("/api/chat-text")
async def chat_text(request: Request) -> UIMessageStreamResponse:
    chat = await ChatRequest.from_request(request)  # the same body as DefaultChatTransport's
    ctx: StreamContext[None] = StreamContext(stream_protocol="text")
    question = chat.last_message.text if chat.last_message else ""
    await ctx.run(complete, question)
    return UIMessageStreamResponse(ctx)


# --8<-- [end:text-chat]


def main() -> None:
    from fastapi.testclient import TestClient

    from ai_stream.testing import parse_sse_json

    with TestClient(app) as client:
        # --8<-- [start:check]
        text = client.post("/api/completion", json={"prompt": "a dragon", "protocol": "text"})
        assert text.headers["content-type"] == "text/plain; charset=utf-8"
        assert text.text == "Once upon a time: a dragon"

        data = client.post("/api/completion", json={"prompt": "a dragon"})
        deltas = [c["delta"] for c in parse_sse_json(data.content) if c["type"] == "text-delta"]
        assert "".join(deltas) == "Once upon a time: a dragon"

        bad = client.post("/api/completion", json={"text": "no prompt"})
        assert bad.status_code == 422
        assert (
            bad.json()["error"]["message"]
            == "Invalid completion request at prompt: Field required."
        )
        # --8<-- [end:check]
        user = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "hi"}]}
        chat = client.post("/api/chat-text", json={"id": "c1", "messages": [user]})
        assert chat.text == "Once upon a time: hi"


if __name__ == "__main__":
    main()
