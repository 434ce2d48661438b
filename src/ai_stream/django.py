"""Serve a :class:`~ai_stream.StreamContext` from Django: async views under ASGI.

Example::

    from ai_stream import RequestParseError, StreamContext
    from ai_stream.django import error_response, read_chat_request, streaming_response

    async def chat(request: HttpRequest) -> HttpResponse:
        try:
            chat_request = read_chat_request(request)  # bounded: 413 before reading too much
        except RequestParseError as error:
            return error_response(error)  # 4xx JSON
        ctx = StreamContext.for_request(chat_request)
        await ctx.run(answer, chat_request)
        return streaming_response(ctx)

The body is the async generator :meth:`StreamContext.stream`, iterated by Django's
``ASGIHandler`` on the server's event loop; the work given to :meth:`StreamContext.run` starts
with it, in a task of its own.

Client disconnects. Since Django 5.0 the ``ASGIHandler`` listens for ``http.disconnect`` while
the response streams and then cancels the task that sends it. The response returned here makes
sure that the body generator is closed at that moment (not later, when it is garbage
collected), so the work is cancelled at once and ``on_finish`` gets the record with
``aborted=True``. Django 4.2 does not listen for the disconnect: the stream runs to its end and
the server drops the bytes.

Only async views served over ASGI can stream. A sync view, or any view served over WSGI, makes
Django buffer the whole stream in memory; :func:`streaming_response` refuses the first and the
response refuses to be iterated synchronously (``TypeError``) in the second.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, cast

from ai_stream.exceptions import MissingExtraError

try:
    from django.http import JsonResponse, StreamingHttpResponse
except ImportError as exc:
    raise MissingExtraError("django", "django", "ai_stream.django") from exc

from ai_stream.objects import stream_context
from ai_stream.protocol.messages import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_PARTS,
    DEFAULT_MAX_VALUES,
    ChatRequest,
    CompletionRequest,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Iterator, Mapping

    from ai_stream.context import StreamContext
    from ai_stream.exceptions import RequestParseError
    from ai_stream.objects import ObjectStreamContext

__all__ = (
    "UIMessageStreamingHttpResponse",
    "error_response",
    "read_chat_request",
    "read_completion_request",
    "streaming_response",
)

_NOT_ASGI = (
    "ai_stream.django streams only from async views served over ASGI (uvicorn, daphne, "
    "hypercorn with the project's asgi.py); this response was {}."
)


class UIMessageStreamingHttpResponse(StreamingHttpResponse):
    """A Django streaming response whose body is a :class:`~ai_stream.StreamContext`.

    Args:
        context: The context; work given to its :meth:`~ai_stream.StreamContext.run` starts
            when Django starts sending the body.
        keep_alive: Send an SSE comment after this many idle seconds (``None``: never); see
            :meth:`StreamContext.stream`.
        status: HTTP status (200).
        headers: Extra headers; they win over the protocol headers of the same name.

    Attributes:
        context: The context.
    """

    def __init__(
        self,
        context: StreamContext[Any] | ObjectStreamContext[Any],
        *,
        keep_alive: float | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        context = stream_context(context)
        body = context.stream(keep_alive=keep_alive)
        super().__init__(body, status=status, headers=_headers(context, headers))
        self.context = context
        self._body: AsyncGenerator[bytes, None] = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """Yield the body (as Django does), and close the context's stream when stopped.

        Django's ``ASGIHandler`` closes this iterator when the client disconnects (it cancels
        the task that sends the response), but not the generators it wraps; closing the
        context's stream here is what cancels the work at once.
        """
        try:
            parts = cast("AsyncGenerator[bytes, None]", super().__aiter__())
            async with aclosing(parts):
                async for part in parts:
                    yield part
        finally:
            await self._body.aclose()

    def __iter__(self) -> Iterator[bytes]:
        """Refuse synchronous iteration (WSGI): it would buffer the whole stream."""
        raise TypeError(_NOT_ASGI.format("iterated synchronously, as a WSGI server does"))


def read_chat_request(
    request: Any,
    *,
    max_size: int = DEFAULT_MAX_BODY_SIZE,
    max_values: int = DEFAULT_MAX_VALUES,
    max_parts: int = DEFAULT_MAX_PARTS,
) -> ChatRequest:
    """Read and parse the chat request of a Django request, bounded.

    A body declared larger than ``max_size`` is refused before it is read, and no more than
    ``max_size + 1`` bytes are read of one that lies (Django's ``request.read``, not
    ``request.body``, which would read it all; see :meth:`ChatRequest.from_stream`).

    Raises:
        RequestParseError: With ``status_code`` 413, 415 or 422: answer it with
            :func:`error_response`.
    """
    return ChatRequest.from_stream(
        request.read,
        content_type=request.content_type,
        content_length=request.META.get("CONTENT_LENGTH"),
        max_size=max_size,
        max_values=max_values,
        max_parts=max_parts,
    )


def read_completion_request(
    request: Any,
    *,
    max_size: int = DEFAULT_MAX_BODY_SIZE,
    max_values: int = DEFAULT_MAX_VALUES,
) -> CompletionRequest:
    """Read and parse the ``useCompletion`` request of a Django request, bounded.

    Read as :func:`read_chat_request` reads a chat's.

    Raises:
        RequestParseError: With ``status_code`` 413, 415 or 422: answer it with
            :func:`error_response`.
    """
    return CompletionRequest.from_stream(
        request.read,
        content_type=request.content_type,
        content_length=request.META.get("CONTENT_LENGTH"),
        max_size=max_size,
        max_values=max_values,
    )


def error_response(error: RequestParseError) -> JsonResponse:
    """The 4xx JSON answer to a bad chat request (``{"error": {"type", "message", "path"}}``)."""
    return JsonResponse(error.to_dict(), status=error.status_code)


def streaming_response(
    ctx: StreamContext[Any] | ObjectStreamContext[Any],
    *,
    keep_alive: float | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> UIMessageStreamingHttpResponse:
    """Return the streaming response of ``ctx`` for an async Django view (ASGI).

    Call :meth:`StreamContext.run` first; the work starts when Django sends the body and is
    cancelled (record aborted, ``on_finish`` called) when the client disconnects (Django 5.0+).

    Args:
        ctx: The context.
        keep_alive: Send an SSE comment after this many idle seconds (``None``: never); see
            :meth:`StreamContext.stream`.
        status: HTTP status (200).
        headers: Extra headers; they win over the protocol headers of the same name.

    Raises:
        RuntimeError: Called outside an async view (no running event loop), e.g. from a sync
            view.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(_NOT_ASGI.format("made in a sync view")) from None
    return UIMessageStreamingHttpResponse(
        ctx, keep_alive=keep_alive, status=status, headers=headers
    )


def _headers(context: StreamContext[Any], extra: Mapping[str, str] | None) -> dict[str, str]:
    # ``connection`` is hop-by-hop: the server manages it (and HTTP/2 forbids it).
    headers = {k: v for k, v in context.response_headers.items() if k.lower() != "connection"}
    return {**headers, **(extra or {})}
