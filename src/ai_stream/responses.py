"""``UIMessageStreamResponse``: serve a :class:`~ai_stream.StreamContext` from Starlette/FastAPI.

The response hosts three sibling tasks in one task group, following Starlette's
``StreamingResponse``: the work given to :meth:`StreamContext.run`, the drain that sends the body,
and a listener for ``http.disconnect``. When the client goes away the listener cancels the group:
the work task is cancelled, nothing more is written, and the context still finalises its record
as aborted and calls ``on_finish`` — so a partial answer can be saved.

Divergences from ``StreamingResponse``, on purpose: the disconnect listener runs on every ASGI
spec version (Starlette drops it for spec ≥ 2.4 and only notices a gone client at the next
write, which an idle model may not make for a long time); and the hop-by-hop ``connection``
header is left out on HTTP/2 and HTTP/3, where it is forbidden.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
from starlette.responses import JSONResponse, Response

from ai_stream.exceptions import RequestParseError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.background import BackgroundTask
    from starlette.requests import Request
    from starlette.types import Receive, Scope, Send

    from ai_stream.context import StreamContext

__all__ = ("UIMessageStreamResponse", "request_error_response", "request_parse_error_handler")


class UIMessageStreamResponse(Response):
    """A streaming response that runs and drains a :class:`~ai_stream.StreamContext`.

    Args:
        context: The context; work given to its :meth:`~ai_stream.StreamContext.run` starts
            when the response is sent.
        status_code: HTTP status (200).
        headers: Extra headers; they win over the protocol headers of the same name.
        background: A Starlette background task run after the body was sent.
    """

    def __init__(
        self,
        context: StreamContext[Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        self.context = context
        self.status_code = status_code
        self.background = background
        self.init_headers({**context.response_headers, **(headers or {})})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the response over ASGI."""
        context = self.context
        headers = self.raw_headers
        if scope.get("http_version") in ("2", "3"):
            headers = [(k, v) for k, v in headers if k != b"connection"]
        body = context.stream()
        try:
            async with anyio.create_task_group() as group:
                listener = anyio.CancelScope()

                async def listen_for_disconnect() -> None:
                    with listener:
                        while (await receive())["type"] != "http.disconnect":
                            pass
                        context._client_gone()
                        group.cancel_scope.cancel()

                group.start_soon(listen_for_disconnect)
                supervise = context._claim_work()
                if supervise is not None:
                    group.start_soon(supervise)
                try:
                    await send(
                        {
                            "type": "http.response.start",
                            "status": self.status_code,
                            "headers": headers,
                        }
                    )
                    async for chunk in body:
                        await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                except OSError:  # ASGI ≥ 2.4 servers raise it when the client is gone
                    context._client_gone()
                    group.cancel_scope.cancel()
                listener.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await body.aclose()
        if self.background is not None:
            await self.background()


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
