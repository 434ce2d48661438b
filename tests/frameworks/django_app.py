"""A Django project in one module: settings in code, one async view at ``/api/chat``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial

from asgiref.sync import markcoroutinefunction
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path

from ai_stream import RequestParseError, StreamContext
from ai_stream.django import (
    error_response,
    read_chat_request,
    read_completion_request,
    streaming_response,
)
from tests.frameworks.scenario import ANSWERS, MAX_SIZE, TAG, on_finish

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="ai-stream-tests",
        ALLOWED_HOSTS=["127.0.0.1"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[],
        MIDDLEWARE=[f"{__name__}.paced_body"],
        DATABASES={},
        USE_TZ=True,
    )


def paced_body(
    get_response: Callable[[HttpRequest], Awaitable[HttpResponse]],
) -> Callable[[HttpRequest], Awaitable[HttpResponse]]:
    """A middleware that wraps ``streaming_content`` and awaits between parts (``x-paced``).

    Like any such middleware, it makes Django's disconnect cancellation land outside the
    context's stream, which then stays open unless the response closes it.
    """

    async def middleware(request: HttpRequest) -> HttpResponse:
        response = await get_response(request)
        if "x-paced" in request.headers and isinstance(response, StreamingHttpResponse):
            content = response.streaming_content
            assert isinstance(content, AsyncIterator)

            async def paced() -> AsyncIterator[bytes]:
                async for part in content:
                    await asyncio.sleep(0.05)
                    yield part

            response.streaming_content = paced()
        return response

    markcoroutinefunction(middleware)
    return middleware


paced_body.async_capable = True  # type: ignore[attr-defined]
paced_body.sync_capable = False  # type: ignore[attr-defined]


async def chat(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    if request.method != "POST":
        return HttpResponse(status=405)
    try:
        chat_request = read_chat_request(request, max_size=MAX_SIZE)
    except RequestParseError as error:
        return error_response(error)
    TAG.set(f"view of {chat_request.id}")
    ctx: StreamContext[None] = StreamContext.for_request(
        chat_request, on_finish=partial(on_finish, chat_id=chat_request.id)
    )
    await ctx.run(ANSWERS[chat_request.get("answer", "full")])
    return streaming_response(ctx)


async def completion(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """useCompletion with ``streamProtocol: "text"``: the prompt, echoed as a text stream."""
    try:
        completion_request = read_completion_request(request, max_size=MAX_SIZE)
    except RequestParseError as error:
        return error_response(error)
    ctx: StreamContext[None] = StreamContext(stream_protocol="text")

    async def echo(ctx: StreamContext[None]) -> None:
        await ctx.write_text("You said: ")
        await ctx.write_text(completion_request.prompt)

    await ctx.run(echo)
    return streaming_response(ctx)


urlpatterns = [path("api/chat", chat), path("api/completion", completion)]

application = get_asgi_application()
