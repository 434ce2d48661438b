"""Django ≥ 5: an async view under ASGI that answers useChat, and the 4xx JSON of a bad body.

Run it: ``python docs/examples/frameworks_django.py`` configures Django in code, sends requests
through its ASGI handler in process (``httpx.ASGITransport``) and checks the answers.
"""

from typing import Any, cast

import anyio
import httpx
from django.conf import settings

settings.configure(  # (in a project: settings.py)
    DEBUG=False,
    SECRET_KEY="docs-example",
    ALLOWED_HOSTS=["testserver"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[],
    MIDDLEWARE=[],
)

# --8<-- [start:view]
from django.core.asgi import get_asgi_application  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.http.response import HttpResponseBase  # noqa: E402
from django.urls import path  # noqa: E402

from ai_stream import RequestParseError, StreamContext  # noqa: E402
from ai_stream.django import error_response, read_chat_request, streaming_response  # noqa: E402


async def answer(ctx: StreamContext, question: str) -> None:
    await ctx.write_text(f"You said: {question}")


async def chat(request: HttpRequest) -> HttpResponseBase:
    if request.method != "POST":
        return HttpResponse(status=405)
    try:
        body = read_chat_request(request, max_size=1024 * 1024)  # 413 before reading more
    except RequestParseError as error:
        return error_response(error)  # {"error": {"type", "message", "path"}}
    ctx = StreamContext.for_request(body)
    await ctx.run(answer, body.messages[-1].text)
    return streaming_response(ctx)  # a disconnect cancels the work


urlpatterns = [path("api/chat", chat)]
application = get_asgi_application()  # (in a project: asgi.py, served by uvicorn or daphne)
# --8<-- [end:view]


async def check() -> None:
    from ai_stream.testing import parse_sse, read_ui_message

    # --8<-- [start:check]
    transport = httpx.ASGITransport(app=cast("Any", application))  # (the ASGI types differ)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        user = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]}
        response = await client.post("/api/chat", json={"id": "chat-1", "messages": [user]})
        assert response.headers["content-type"] == "text/event-stream"
        message = read_ui_message(parse_sse(response.content))
        assert message is not None and message["parts"][-1]["text"] == "You said: Hi"

        response = await client.post("/api/chat", json={"id": "chat-1", "messages": "Hi"})
        assert response.status_code == 422
        assert response.json()["error"]["path"] == "messages"

        too_big = b"{" + b" " * 1024 * 1024 + b"}"
        json_type = {"content-type": "application/json"}
        response = await client.post("/api/chat", content=too_big, headers=json_type)
        assert response.status_code == 413
    # --8<-- [end:check]


def main() -> None:
    anyio.run(check)


if __name__ == "__main__":
    main()
