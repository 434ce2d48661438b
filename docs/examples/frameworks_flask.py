"""Flask: a sync view that streams the answer from ai_stream's shared event loop.

Run it: ``python docs/examples/frameworks_flask.py`` sends requests with Flask's test client and
checks the answers: the stream, a bad body's 4xx JSON and the size limit.
"""

from flask import Flask, Response, request

from ai_stream import RequestParseError, StreamContext
from ai_stream.flask import error_response, read_chat_request, streaming_response

# --8<-- [start:view]
app = Flask(__name__)


@app.post("/api/chat")
def chat() -> Response:
    try:
        body = read_chat_request(request, max_size=1024 * 1024)  # reads at most 1 MiB + 1 byte
    except RequestParseError as error:
        return error_response(error)  # {"error": {"type", "message", "path"}}
    question = body.messages[-1].text  # read the request here: the work runs outside it

    async def answer(ctx: StreamContext) -> None:
        await ctx.write_text(f"You said: {question}")

    ctx = StreamContext.for_request(body)
    return streaming_response(ctx, work=answer, keep_alive=15)


# --8<-- [end:view]


def main() -> None:
    from ai_stream.testing import parse_sse, read_ui_message

    # --8<-- [start:check]
    client = app.test_client()
    user = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]}
    response = client.post("/api/chat", json={"id": "chat-1", "messages": [user]})
    assert response.headers["content-type"] == "text/event-stream"
    message = read_ui_message(parse_sse(response.get_data()))
    assert message is not None and message["parts"][-1]["text"] == "You said: Hi"

    response = client.post("/api/chat", json={"id": "chat-1", "messages": "Hi"})
    assert response.status_code == 422
    assert response.get_json()["error"]["path"] == "messages"

    too_big = b"{" + b" " * 1024 * 1024 + b"}"
    response = client.post("/api/chat", data=too_big, content_type="application/json")
    assert response.status_code == 413
    # --8<-- [end:check]


if __name__ == "__main__":
    main()
