"""A Flask app with one sync view at ``/api/chat``, streamed by ``ai_stream.flask``."""

from __future__ import annotations

from functools import partial

from flask import Flask, Response, request

from ai_stream import ChatRequest, RequestParseError, StreamContext
from ai_stream.flask import (
    error_response,
    read_chat_request,
    read_completion_request,
    streaming_response,
)
from tests.frameworks.scenario import ANSWERS, MAX_SIZE, TAG, on_finish

app = Flask(__name__)


@app.post("/api/chat")
def chat() -> Response | tuple[Response, int]:
    try:
        chat_request = read_chat_request(request, max_size=MAX_SIZE)
    except RequestParseError as error:
        return error_response(error)
    TAG.set(f"view of {chat_request.id}")
    ctx: StreamContext[None] = StreamContext.for_request(
        chat_request, on_finish=partial(on_finish, chat_id=chat_request.id)
    )
    return streaming_response(
        ctx,
        work=ANSWERS[chat_request.get("answer", "full")],
        keep_alive=chat_request.get("keep_alive"),
    )


@app.post("/api/chat/async")
async def chat_async() -> Response:
    """An async view (``flask[async]``): it awaits ``ctx.run`` itself."""
    chat_request = ChatRequest.parse(request.get_data())
    TAG.set(f"view of {chat_request.id}")
    ctx: StreamContext[None] = StreamContext.for_request(
        chat_request, on_finish=partial(on_finish, chat_id=chat_request.id)
    )
    await ctx.run(ANSWERS[chat_request.get("answer", "full")])
    return streaming_response(ctx)


@app.post("/api/completion")
def completion() -> Response | tuple[Response, int]:
    """useCompletion with ``streamProtocol: "text"``: the prompt, echoed as a text stream."""
    try:
        completion_request = read_completion_request(request, max_size=MAX_SIZE)
    except RequestParseError as error:
        return error_response(error)

    async def echo(ctx: StreamContext[None]) -> None:
        await ctx.write_text("You said: ")
        await ctx.write_text(completion_request.prompt)

    return streaming_response(StreamContext(stream_protocol="text"), work=echo)


@app.get("/ping")
def ping() -> str:
    return "pong"
