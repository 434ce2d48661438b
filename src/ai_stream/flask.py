"""Serve a :class:`~ai_stream.StreamContext` from Flask (or any WSGI app), without blocking.

Example::

    from ai_stream import RequestParseError, StreamContext
    from ai_stream.flask import error_response, read_chat_request, streaming_response

    @app.post("/api/chat")
    def chat() -> Response:
        try:
            chat_request = read_chat_request(request)  # bounded: 413 before reading too much
        except RequestParseError as error:
            return error_response(error)  # 4xx JSON
        ctx = StreamContext.for_request(chat_request)
        return streaming_response(ctx, work=answer)  # async def answer(ctx): ...

The work and the stream run on one event loop (asyncio) that the process shares: a daemon
thread started on first use (again in a forked child). The response body is a sync generator;
each ``next()`` from the WSGI server waits for the next chunk of :meth:`StreamContext.stream`
through an anyio blocking portal. A request thread only waits for its own stream's data, so
the loop serves every stream at once and the other requests are not blocked. Async clients
(``AsyncOpenAI``, ...) kept at module level work, since the loop lives as long as the process.

Client disconnects. WSGI has no disconnect event: the server notices a gone client when a write
fails, and then closes the body (werkzeug and gunicorn call ``close()``). Closing it closes
the context's stream on the loop, which cancels the work and finalises the record as aborted
(``on_finish`` runs). While the model is silent nothing is written, so a disconnect is seen
only at the next chunk; ``keep_alive`` bounds that delay.

The work runs outside Flask's request and app contexts (they end when the view returns): read
from ``request`` in the view. Context variables set in the view are copied to the work, as in
an asyncio task. Servers that monkey-patch threads (gevent, eventlet) are not supported.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from concurrent.futures import Future
from contextvars import copy_context
from typing import TYPE_CHECKING, Any

import anyio
from anyio.from_thread import BlockingPortal

from ai_stream.exceptions import MissingExtraError

try:
    from flask import Response
except ImportError as exc:
    raise MissingExtraError("flask", "flask", "ai_stream.flask") from exc

from ai_stream.objects import stream_context
from ai_stream.protocol.messages import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_PARTS,
    DEFAULT_MAX_VALUES,
    ChatRequest,
    CompletionRequest,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Mapping
    from contextvars import Context

    from ai_stream.context import StreamContext
    from ai_stream.exceptions import RequestParseError
    from ai_stream.objects import ObjectStreamContext

__all__ = ("error_response", "read_chat_request", "read_completion_request", "streaming_response")

_lock = threading.Lock()
_portal: BlockingPortal | None = None


def read_chat_request(
    request: Any,
    *,
    max_size: int = DEFAULT_MAX_BODY_SIZE,
    max_values: int = DEFAULT_MAX_VALUES,
    max_parts: int = DEFAULT_MAX_PARTS,
) -> ChatRequest:
    """Read and parse the chat request of a Flask (werkzeug) request, bounded.

    A body declared larger than ``max_size`` is refused before it is read, and no more than
    ``max_size + 1`` bytes are read of one that lies (see :meth:`ChatRequest.from_stream`).

    Raises:
        RequestParseError: With ``status_code`` 413, 415 or 422: answer it with
            :func:`error_response`.
    """
    return ChatRequest.from_stream(
        request.stream.read,
        content_type=request.content_type,
        content_length=request.content_length,
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
    """Read and parse the ``useCompletion`` request of a Flask (werkzeug) request, bounded.

    Read as :func:`read_chat_request` reads a chat's.

    Raises:
        RequestParseError: With ``status_code`` 413, 415 or 422: answer it with
            :func:`error_response`.
    """
    return CompletionRequest.from_stream(
        request.stream.read,
        content_type=request.content_type,
        content_length=request.content_length,
        max_size=max_size,
        max_values=max_values,
    )


def error_response(error: RequestParseError) -> Response:
    """The 4xx JSON answer to a bad chat request (``{"error": {"type", "message", "path"}}``)."""
    return Response(
        json.dumps(error.to_dict()), status=error.status_code, mimetype="application/json"
    )


def streaming_response(
    ctx: StreamContext[Any] | ObjectStreamContext[Any],
    *,
    work: Callable[[Any], Awaitable[object]] | None = None,
    keep_alive: float | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Return a Flask response that streams ``ctx`` from the shared event loop.

    Args:
        ctx: The context (or an :class:`~ai_stream.objects.ObjectStreamContext`).
        work: The function that writes the message, as for ``await ctx.run(work)``, which a
            sync view cannot await. Leave it out when an async view already called
            :meth:`StreamContext.run`.
        keep_alive: Send an SSE comment after this many idle seconds (``None``: never); see
            :meth:`StreamContext.stream`. Under WSGI it also bounds how long a gone client
            goes unnoticed while the model is silent.
        status: HTTP status (200).
        headers: Extra headers; they win over the protocol headers of the same name.

    Raises:
        StreamStateError: ``work`` was given and ``run`` was already called on ``ctx``.
    """
    portal = _shared_portal()
    if work is not None:
        portal.call(ctx.run, work)
    ctx = stream_context(ctx)
    body = _body(portal, ctx.stream(keep_alive=keep_alive), copy_context())
    # ``connection`` is hop-by-hop, which WSGI forbids; the server manages it.
    merged = {k: v for k, v in ctx.response_headers.items() if k.lower() != "connection"}
    return Response(body, status=status, headers={**merged, **(headers or {})})


def _body(
    portal: BlockingPortal, stream: AsyncGenerator[bytes, None], context: Context
) -> Iterator[bytes]:
    """The WSGI body: pull each chunk through the portal; close the stream when closed."""
    try:
        chunk = portal.call(_first, stream, context)
        while chunk is not None:
            yield chunk
            chunk = portal.call(_next, stream)
    finally:  # also on close() by the server (GeneratorExit): the client is gone
        portal.call(stream.aclose)


async def _next(stream: AsyncGenerator[bytes, None]) -> bytes | None:
    try:
        return await anext(stream)
    except StopAsyncIteration:
        return None


async def _first(stream: AsyncGenerator[bytes, None], context: Context) -> bytes | None:
    """The first chunk, pulled in the view's context: the work's task starts from a copy of it."""
    return await asyncio.get_running_loop().create_task(_next(stream), context=context)


def _shared_portal() -> BlockingPortal:
    """The portal of the process's event loop thread, started on first use."""
    global _portal
    with _lock:
        if _portal is None:
            ready: Future[BlockingPortal] = Future()
            thread = threading.Thread(
                target=_serve_portal, args=(ready,), name="ai-stream-loop", daemon=True
            )
            thread.start()
            _portal = ready.result()
        return _portal


def _forget_portal() -> None:
    """In a forked child (e.g. a preforking server's worker) the loop thread is gone."""
    global _lock, _portal
    _lock = threading.Lock()
    _portal = None


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_portal)


def _serve_portal(ready: Future[BlockingPortal]) -> None:
    async def main() -> None:
        async with BlockingPortal() as portal:
            ready.set_result(portal)
            await portal.sleep_until_stopped()

    try:
        anyio.run(main)
    except BaseException as exc:  # pragma: no cover - the loop could not start
        if not ready.done():
            ready.set_exception(exc)
        raise
