"""Parse what useChat POSTs: the typed ChatRequest, and the 4xx answer to a bad body.

Run it: ``python docs/examples/providers_request.py`` parses a body as ai 6 sends it, posts good
and bad bodies to the endpoint in process, and checks what comes back.
"""

from fastapi import FastAPI, Request, Response

from ai_stream import (
    ChatRequest,
    FileUIPart,
    RequestParseError,
    StreamContext,
    TextUIPart,
    UIMessageStreamResponse,
    request_error_response,
)


def check_parse() -> None:
    # --8<-- [start:parse]
    body = ChatRequest.parse(
        b"""{
          "id": "chat-1",
          "messages": [
            {"id": "u1", "role": "user", "parts": [
              {"type": "text", "text": "What is on this picture?"},
              {"type": "file", "mediaType": "image/png", "url": "https://example.com/cat.png"}
            ]}
          ],
          "trigger": "submit-message",
          "sessionId": "s-42"
        }"""
    )
    assert body.id == "chat-1"  # the chat: useChat's id
    assert body.trigger == "submit-message"  # or "regenerate-message"
    assert body.message_id is None  # set when a message is regenerated or continued
    assert body.get("sessionId") == "s-42"  # fields from useChat's `body` option
    assert body.extra == {"sessionId": "s-42"}

    question = body.last_message
    assert question is not None and question.role == "user"
    assert question.text == "What is on this picture?"
    text, picture = question.parts
    assert isinstance(text, TextUIPart) and isinstance(picture, FileUIPart)
    assert picture.media_type == "image/png"
    assert not body.is_continuation  # True when the last message is the assistant's
    # --8<-- [end:parse]


# --8<-- [start:endpoint]
app = FastAPI()


@app.post("/api/chat")
async def chat(request: Request) -> Response:
    try:
        body = await ChatRequest.from_request(request)  # 415, 413 or 422 on a bad body
    except RequestParseError as error:
        return request_error_response(error)  # {"error": {"type", "message", "path"}}
    ctx = StreamContext.for_request(body)

    async def work(ctx: StreamContext) -> None:
        await ctx.write_text(f"You said: {body.messages[-1].text}")

    await ctx.run(work)
    return UIMessageStreamResponse(ctx)


# --8<-- [end:endpoint]


def check_endpoint() -> None:
    # --8<-- [start:errors]
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        bad = {
            "id": "chat-1",
            "messages": [{"id": "u1", "role": "user", "parts": [{"type": "text"}]}],
        }
        response = client.post("/api/chat", json=bad)
        assert response.status_code == 422
        assert response.json() == {
            "error": {
                "type": "invalid_request",
                "message": "Invalid chat request at messages[0].parts[0].text: Field required.",
                "path": "messages[0].parts[0].text",
            }
        }
        response = client.post("/api/chat", content=b"hi", headers={"content-type": "text/plain"})
        assert response.status_code == 415
    # --8<-- [end:errors]


def main() -> None:
    check_parse()
    check_endpoint()


if __name__ == "__main__":
    main()
