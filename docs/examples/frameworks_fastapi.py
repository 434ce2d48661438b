"""FastAPI: one endpoint for ai 5–7 and ai 4 clients, and one JSON answer to every bad body.

Run it: ``python docs/examples/frameworks_fastapi.py`` posts an ai 6 body, an ai 4 body and bad
bodies to the app in process and checks each answer.
"""

from fastapi import FastAPI, Request
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.routing import Route

from ai_stream import (
    ChatRequest,
    RequestParseError,
    StreamContext,
    UIMessageStreamResponse,
    request_error_response,
    request_parse_error_handler,
)


async def answer(ctx: StreamContext, body: ChatRequest) -> None:
    await ctx.write_text(f"You said: {body.messages[-1].text}")


# --8<-- [start:fastapi]
app = FastAPI()
app.add_exception_handler(RequestParseError, request_parse_error_handler)  # 4xx JSON


@app.post("/api/chat")
async def chat(request: Request) -> UIMessageStreamResponse:
    body = await ChatRequest.from_request(request, max_size=1024 * 1024)  # 413 over 1 MiB
    ctx = StreamContext.for_request(body)  # ai 4 bodies get sdk_version=4
    await ctx.run(answer, body)
    return UIMessageStreamResponse(ctx, keep_alive=15)  # ": keep-alive" after 15 s of silence


# --8<-- [end:fastapi]


# --8<-- [start:starlette]
async def starlette_chat(request: StarletteRequest) -> UIMessageStreamResponse:
    body = await ChatRequest.from_request(request)
    ctx = StreamContext.for_request(body)
    await ctx.run(answer, body)
    return UIMessageStreamResponse(ctx)


starlette_app = Starlette(
    routes=[Route("/api/chat", starlette_chat, methods=["POST"])],
    exception_handlers={RequestParseError: request_parse_error_handler},
)
# --8<-- [end:starlette]


def main() -> None:
    from fastapi.testclient import TestClient

    from ai_stream.testing import parse_sse, read_ui_message

    # --8<-- [start:check]
    user = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]}
    with TestClient(app) as client:
        # ai 5, 6 and 7: the UI message stream (server-sent events)
        response = client.post("/api/chat", json={"id": "chat-1", "messages": [user]})
        assert response.headers["x-vercel-ai-ui-message-stream"] == "v1"
        message = read_ui_message(parse_sse(response.content))
        assert message is not None and message["parts"][-1]["text"] == "You said: Hi"

        # ai 4: the same endpoint answers with the data stream
        v4_user = {"role": "user", "content": "Hi"}
        response = client.post("/api/chat", json={"id": "chat-1", "messages": [v4_user]})
        assert response.headers["x-vercel-ai-data-stream"] == "v1"
        assert '0:"You said: Hi"' in response.text.splitlines()

        # A bad body: its status and {"error": {"type", "message", "path"}}
        response = client.post("/api/chat", json={"id": "chat-1", "messages": "Hi"})
        assert response.status_code == 422
        assert response.json()["error"]["path"] == "messages"
        big = b'{"id": "chat-1", "messages": [], "pad": "' + b"x" * 1024 * 1024 + b'"}'
        json_type = {"content-type": "application/json"}
        response = client.post("/api/chat", content=big, headers=json_type)
        assert response.status_code == 413
        error = response.json()["error"]
        assert error["message"] == "The request body is larger than 1048576 bytes."
    # --8<-- [end:check]

    with TestClient(starlette_app) as client:
        response = client.post("/api/chat", json={"id": "chat-1", "messages": [user]})
        message = read_ui_message(parse_sse(response.content))
        assert message is not None and message["parts"][-1]["text"] == "You said: Hi"
        response = client.post("/api/chat", content=b"Hi", headers={"content-type": "text/plain"})
        assert response.status_code == 415
    assert request_error_response(RequestParseError("x", status_code=413)).status_code == 413


if __name__ == "__main__":
    main()
