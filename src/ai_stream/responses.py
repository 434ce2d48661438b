"""``UIMessageStreamResponse``: serve a :class:`~ai_stream.StreamContext` from Starlette/FastAPI.

The response runs three things at once, following Starlette's ``StreamingResponse``: the work
given to :meth:`StreamContext.run`, the drain that sends the body, and a listener for
``http.disconnect``. When the client goes away the listener stops the drain and tells the context,
which cancels the work: nothing more is written, and the context still finalises its record as
aborted and calls ``on_finish`` — so a partial answer can be saved. The response returns once the
work has ended too.

On asyncio the work and the listener are two bare tasks beside the drain, which runs in the
response's own task (an anyio task group costs ~4 KB per child, most of the memory of an idle
stream); on other backends they run in an anyio task group. The drain is
:meth:`StreamContext.pump`: while it waits, the work sends what it writes itself, so a trickling
answer costs one task step per token, not two.

Divergences from ``StreamingResponse``, on purpose: the disconnect listener runs on every ASGI
spec version (Starlette drops it for spec ≥ 2.4 and only notices a gone client at the next
write, which an idle model may not make for a long time); and the hop-by-hop ``connection``
header is left out on HTTP/2 and HTTP/3, where it is forbidden.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ai_stream._outbox import running_trio, send_each
from ai_stream.encoding.sse import UI_MESSAGE_STREAM_HEADERS
from ai_stream.exceptions import (
    RequestParseError,
    StreamStoreError,
    TooManyStreamsError,
    error_body,
)
from ai_stream.objects import stream_context
from ai_stream.protocol.messages import ChatRequest

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.background import BackgroundTask
    from starlette.types import Receive, Scope, Send

    from ai_stream.context import StreamContext
    from ai_stream.objects import ObjectStreamContext
    from ai_stream.resume import ResumableStreams

Pump = Callable[[Callable[[bytes], Awaitable[object]]], Awaitable[None]]
"""Sends a whole body through the callable it is given, piece by piece."""

__all__ = (
    "FollowStreamResponse",
    "UIMessageStreamResponse",
    "chat_routes",
    "request_error_response",
    "request_parse_error_handler",
    "resumable_response",
    "resume_response",
    "stop_response",
)

logger = logging.getLogger("ai_stream")


class UIMessageStreamResponse(Response):
    """A streaming response that runs and drains a :class:`~ai_stream.StreamContext`.

    Args:
        context: The context (or an :class:`~ai_stream.objects.ObjectStreamContext`); work
            given to its ``run`` starts when the response is sent.
        status_code: HTTP status (200).
        headers: Extra headers; they win over the protocol headers of the same name.
        background: A Starlette background task run after the body was sent.
        keep_alive: Send an SSE comment after this many idle seconds (``None``: never); see
            :meth:`StreamContext.stream`.
    """

    def __init__(
        self,
        context: StreamContext[Any] | ObjectStreamContext[Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        background: BackgroundTask | None = None,
        *,
        keep_alive: float | None = None,
    ) -> None:
        self.context = context = stream_context(context)
        self.keep_alive = keep_alive
        self.status_code = status_code
        self.background = background
        merged = context.response_headers
        if headers:
            merged.update(headers)
        key = tuple(merged.items())
        raw = _RAW_HEADERS.get(key)
        if raw is None:
            self.init_headers(merged)
            if len(_RAW_HEADERS) < 64:
                _RAW_HEADERS[key] = self.raw_headers
        else:
            self.raw_headers = list(raw)  # the tuples are immutable; the list is the response's

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the response over ASGI."""
        context = self.context
        await _serve(
            self,
            scope,
            receive,
            send,
            functools.partial(context.pump, keep_alive=self.keep_alive),
            supervise=context.claim_work(),
            on_disconnect=context.disconnect,
        )


_RAW_HEADERS: dict[tuple[tuple[str, str], ...], list[tuple[bytes, bytes]]] = {}
"""Encoded response headers by their ``(name, value)`` pairs (most responses share them)."""


async def _serve(
    response: Response,
    scope: Scope,
    receive: Receive,
    send: Send,
    pump: Pump,
    *,
    supervise: Callable[[], Coroutine[Any, Any, None]] | None = None,
    on_disconnect: Callable[[], None] | None = None,
) -> None:
    """Send the body with ``pump``, run ``supervise`` beside it, stop both when the client leaves.

    ``pump(send_piece)`` sends the whole body through ``send_piece``. On asyncio the listener
    and the work run in bare tasks (a task group costs kilobytes per open stream), structured
    like a task group: the children never outlive this call, the listener is stopped once the
    body is sent and the work has ended, cancelling this call cancels both, and an exception of
    a child (other than its cancellation) is raised here.
    """
    exchange = _Exchange(response, scope, receive, send, pump, on_disconnect)
    if running_trio():
        exchange.drain = anyio.CancelScope()
        async with anyio.create_task_group() as group:
            group.start_soon(exchange.listen)
            work_ended = anyio.Event()
            if supervise is not None:
                group.start_soon(_then_set, supervise, work_ended)
            else:
                work_ended.set()
            await exchange.send_body()
            await work_ended.wait()  # the work ends on its own once the stream ended
            group.cancel_scope.cancel()
    else:
        loop = asyncio.get_running_loop()
        listener = loop.create_task(exchange.listen())
        work = loop.create_task(supervise()) if supervise is not None else None
        children = (listener,) if work is None else (listener, work)
        try:
            await exchange.send_body()
            if work is not None:
                await asyncio.wait(children, return_when=asyncio.FIRST_COMPLETED)
                if listener.done() and not work.done():  # the client left after the body
                    await asyncio.wait((work,))
        finally:
            for child in children:
                child.cancel()
            with anyio.CancelScope(shield=True):
                await asyncio.wait(children)
        for child in children:
            if not child.cancelled() and (failure := child.exception()) is not None:
                raise failure
    if response.background is not None:
        await response.background()


class _Exchange:
    """One response's sending side and disconnect listener (one object: open streams are many)."""

    __slots__ = (
        "cancelled",
        "drain",
        "headers",
        "host",
        "on_disconnect",
        "pump",
        "receive",
        "send",
        "status",
    )

    def __init__(
        self,
        response: Response,
        scope: Scope,
        receive: Receive,
        send: Send,
        pump: Pump,
        on_disconnect: Callable[[], None] | None,
    ) -> None:
        headers = response.raw_headers
        if scope.get("http_version") in ("2", "3"):
            headers = [(k, v) for k, v in headers if k != b"connection"]
        self.headers = headers
        self.status = response.status_code
        self.receive = receive
        self.send = send
        self.pump = pump
        self.on_disconnect = on_disconnect
        # How a send that blocks is stopped when the client leaves: a cancel scope on trio; on
        # asyncio (where a scope costs about a kilobyte per open stream) the sending task.
        self.drain: anyio.CancelScope | None = None
        self.host: asyncio.Task[Any] | None = None
        self.cancelled = False

    def client_gone(self) -> None:
        if self.on_disconnect is not None:
            self.on_disconnect()
        if self.drain is not None:
            self.drain.cancel()
        elif self.host is not None and not self.cancelled:
            if self.host is not asyncio.current_task():  # (an OSError in the sender ends it)
                self.cancelled = True
                self.host.cancel()

    async def listen(self) -> None:
        receive = self.receive
        while (await receive())["type"] != "http.disconnect":
            pass
        self.client_gone()

    async def send_body(self) -> None:
        """Send the whole response; return early (and quietly) when the client leaves."""
        if self.drain is not None:  # trio
            with self.drain:
                await self._send_all()
            return
        # The listener cancels this task only while it is inside _send_all (it runs while this
        # task waits there), so the cancellation always arrives there, and is taken back here.
        self.host = host = asyncio.current_task()
        assert host is not None
        try:
            await self._send_all()
        except asyncio.CancelledError:
            if not self.cancelled or host.uncancel() > 0:  # (also) cancelled from outside
                raise
        finally:
            self.host = None

    async def send_piece(self, body: bytes) -> None:
        await self.send({"type": "http.response.body", "body": body, "more_body": True})

    async def _send_all(self) -> None:
        send = self.send
        try:
            start = {"type": "http.response.start", "status": self.status}
            await send({**start, "headers": self.headers})
            await self.pump(self.send_piece)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:  # ASGI ≥ 2.4 servers raise it when the client is gone
            self.client_gone()


async def _then_set(work: Callable[[], Coroutine[Any, Any, None]], done: anyio.Event) -> None:
    try:
        await work()
    finally:
        done.set()


class FollowStreamResponse(Response):
    """Serves a resumable stream to one reader (replay from the start, then live).

    Args:
        streams: The manager.
        stream_id: The stream to follow.
        headers: Extra headers.
    """

    def __init__(
        self,
        streams: ResumableStreams,
        stream_id: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.streams = streams
        self.stream_id = stream_id
        self.status_code = 200
        self.background = None
        self.init_headers({**UI_MESSAGE_STREAM_HEADERS, **(headers or {})})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the response over ASGI (429 JSON when the stream has too many readers)."""
        try:
            body = self.streams.follow(self.stream_id)
        except TooManyStreamsError as error:
            await _limit_response(error)(scope, receive, send)
            return
        try:
            await _serve(self, scope, receive, send, functools.partial(send_each, body))
        finally:
            await body.aclose()


def _limit_response(error: TooManyStreamsError) -> JSONResponse:
    return JSONResponse(
        error_body("too_many_streams", str(error)), status_code=429, headers={"retry-after": "1"}
    )


def _store_failed_response(error: StreamStoreError) -> JSONResponse:
    logger.warning("The store of resumable streams failed", exc_info=error)
    return JSONResponse(
        error_body("store_unavailable", str(error)), status_code=503, headers={"retry-after": "1"}
    )


async def resumable_response(
    streams: ResumableStreams, chat_id: str, context: StreamContext[Any]
) -> Response:
    """Start ``context`` as the chat's resumable stream and follow it in this response.

    When it cannot start (its work never runs), the answer is a JSON error: 429 when
    ``max_streams`` answers run already, 503 when the store fails (both with ``Retry-After``).
    An ai 4 context or a text stream (which have no resume) is answered as a plain
    :class:`UIMessageStreamResponse`.
    """
    if context.target.wire != "sse":
        return UIMessageStreamResponse(context)
    try:
        stream_id = await streams.start(chat_id, context)
    except (TooManyStreamsError, StreamStoreError) as error:
        if isinstance(error, StreamStoreError):
            return _store_failed_response(error)
        return _limit_response(error)
    return FollowStreamResponse(streams, stream_id, headers=context.response_headers)


async def resume_response(streams: ResumableStreams, chat_id: str) -> Response:
    """Answer ``GET {api}/{chatId}/stream``: 204 without an active stream, else follow it.

    503 (JSON) when the store fails; 429 when the stream has ``max_readers`` readers here.
    """
    try:
        stream_id = await streams.active_stream(chat_id)
    except StreamStoreError as error:
        return _store_failed_response(error)
    if stream_id is None:
        return Response(status_code=204)
    return FollowStreamResponse(streams, stream_id)


async def stop_response(streams: ResumableStreams, chat_id: str) -> Response:
    """Answer ``POST {api}/{chatId}/stop``: stop the chat's answer wherever it runs; 204.

    Also 204 for an unknown or ended chat; 503 (JSON) when the store fails. Check that the
    request may use the chat first (answer 204 when it may not).
    """
    try:
        await streams.stop(chat_id)
    except StreamStoreError as error:
        return _store_failed_response(error)
    return Response(status_code=204)


ChatHandler = Callable[[ChatRequest, Request], Awaitable["StreamContext[Any]"]]
Authorize = Callable[[Request, str], "Awaitable[bool] | bool"]
"""``authorize(request, chat_id)``: whether this request may use that chat."""

_FORBIDDEN = error_body("forbidden", "This chat cannot be used with these credentials.", "id")


async def _allowed(authorize: Authorize | None, request: Request, chat_id: str) -> bool:
    if authorize is None:
        return True
    allowed = authorize(request, chat_id)
    if inspect.isawaitable(allowed):
        allowed = await allowed
    return allowed is True  # (anything else refuses: a check that returns None is a bug)


def chat_routes(
    handler: ChatHandler,
    *,
    streams: ResumableStreams,
    path: str = "/api/chat",
    authorize: Authorize | None = None,
) -> list[Route]:
    """The POST, resume GET and stop routes of a chat endpoint with resumable streams.

    ``POST {path}/{chatId}/stop`` stops the chat's running answer wherever it runs
    (:meth:`ResumableStreams.stop`) and answers 204, also for an unknown or ended chat. When
    the process runs ``max_streams`` answers already, a POST gets 429 and a JSON error
    (``{"error": {"type": "too_many_streams", ...}}``, ``Retry-After: 1``).

    ``handler(chat_request, request)`` returns the :class:`StreamContext` that answers (after
    ``ctx.run(work)``). Bad bodies get their 4xx JSON error. Example::

        streams = ResumableStreams()
        app = Starlette(routes=chat_routes(answer, streams=streams), lifespan=streams.lifespan)

    Args:
        handler: Answers a parsed chat request.
        streams: Where the answers run and are read from.
        path: The ``api`` of ``useChat``'s transport.
        authorize: ``authorize(request, chat_id)`` (sync or async) says whether the request
            may use the chat, e.g. whether the session's user owns it. It is asked before the
            handler runs, before a stream is read and before a stop. A refused POST gets 403
            and a JSON error (the handler does not run); a refused GET or stop gets 204, the
            answer for a chat without a running stream, so nothing is learnt about other
            users' chats.
    """

    async def post(request: Request) -> Response:
        try:
            chat = await ChatRequest.from_request(request)
        except RequestParseError as error:
            return request_error_response(error)
        if not await _allowed(authorize, request, chat.id):
            return JSONResponse(_FORBIDDEN, status_code=403)
        context = await handler(chat, request)
        return await resumable_response(streams, chat.id, context)

    async def get(request: Request) -> Response:
        chat_id = request.path_params["chat_id"]
        if not await _allowed(authorize, request, chat_id):
            return Response(status_code=204)
        return await resume_response(streams, chat_id)

    async def stop(request: Request) -> Response:
        chat_id = request.path_params["chat_id"]
        if not await _allowed(authorize, request, chat_id):
            return Response(status_code=204)
        return await stop_response(streams, chat_id)

    base = path.rstrip("/")
    return [
        Route(path, post, methods=["POST"]),
        Route(base + "/{chat_id}/stream", get, methods=["GET"]),
        Route(base + "/{chat_id}/stop", stop, methods=["POST"]),
    ]


def request_error_response(error: RequestParseError) -> JSONResponse:
    """Answer a bad chat request: its 4xx status and ``{"error": {"type", "message", "path"}}``.

    Example::

        try:
            chat = await ChatRequest.from_request(request)
        except RequestParseError as error:
            return request_error_response(error)
    """
    return JSONResponse(error.to_dict(), status_code=error.status_code)


async def request_parse_error_handler(request: Request, exc: Exception) -> Response:
    """A Starlette/FastAPI exception handler for :class:`RequestParseError`.

    ``app.add_exception_handler(RequestParseError, request_parse_error_handler)``
    """
    if not isinstance(exc, RequestParseError):  # pragma: no cover - registered for that type
        raise exc
    return request_error_response(exc)
