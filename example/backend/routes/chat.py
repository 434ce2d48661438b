"""``POST /api/chat`` (a resumable UI message stream), ``GET /api/chat/{id}/stream`` (resume)
and ``POST /api/chat/{id}/stop`` (the stop button)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from ai_stream import (
    ChatError,
    ChatNotFoundError,
    ChatRequest,
    RequestParseError,
    StreamContext,
    begin_turn,
    request_error_response,
    resumable_response,
    resume_response,
    stop_response,
)
from schemas import RequestInfo
from services import llm_service
from state import AppState, get_state, user_id_of

router = APIRouter()

CLIENT_TOOLS = {"getTimeZone"}
"""The tools the browser runs: only their outputs are taken from a request."""


@router.post("/api/chat")
async def chat(request: Request, app: Annotated[AppState, Depends(get_state)]) -> Response:
    """Answer the ``useChat`` request from the stored chat; the answer is saved when it ends.

    The server owns the history (``begin_turn``): from the body it takes only the new user
    message, approval decisions and the browser tool's outputs. Another user's chat is a 404;
    a chat answers one request at a time (a new one stops the running answer first).
    """
    try:
        body = await ChatRequest.from_request(request)
    except RequestParseError as error:
        return request_error_response(error)
    user_id = user_id_of(request)
    if not await app.db.may_use(user_id, body.id):  # (before the stop: not another's answer)
        return JSONResponse(ChatNotFoundError().to_dict(), status_code=404)
    await app.streams.stop(body.id)  # (a regenerate or a new message while one runs)
    try:
        turn = await begin_turn(app.db.chats, body, user=user_id, client_tools=CLIENT_TOOLS)
    except ChatError as error:
        return JSONResponse(error.to_dict(), status_code=error.status_code)
    trusted = turn.request
    info = RequestInfo(
        user_id=user_id, plan=request.headers.get("x-user-plan") or "free", chat_id=body.id
    )
    ctx: StreamContext[RequestInfo] = StreamContext.for_request(
        trusted, info, collect=True, approval_secret=app.settings.secret, on_finish=turn.save
    )

    async def work(ctx: StreamContext[RequestInfo]) -> None:
        await app.db.load_profile(ctx)  # → ctx.store["user"], read by the model
        await llm_service.answer(ctx, trusted, model=app.model, secret=app.settings.secret)

    await ctx.run(work)
    try:
        response = await resumable_response(app.streams, body.id, ctx)
    except BaseException:
        await turn.release()
        raise
    if response.status_code != 200:  # (not started: 429 / 503; on_finish will not run)
        await turn.release()
    return response


async def _may_use(app: AppState, request: Request, chat_id: str) -> bool:
    """Whether the request's user owns the chat (or nobody does yet)."""
    return await app.db.may_use(user_id_of(request), chat_id)


@router.get("/api/chat/{chat_id}/stream")
async def resume(
    chat_id: str, request: Request, app: Annotated[AppState, Depends(get_state)]
) -> Response:
    """``useChat({resume: true})``: follow the running answer, or 204 when none runs.

    Another user's chat gets the same 204 as a chat without a running answer.
    """
    if not await _may_use(app, request, chat_id):
        return Response(status_code=204)
    return await resume_response(app.streams, chat_id)


@router.post("/api/chat/{chat_id}/stop")
async def stop(
    chat_id: str, request: Request, app: Annotated[AppState, Depends(get_state)]
) -> Response:
    """The stop button: stop the chat's answer on whichever worker runs it; 204.

    The answer's work is cancelled and the partial answer is saved (``on_finish``). Another
    user's chat gets the same 204 and nothing stops.
    """
    if not await _may_use(app, request, chat_id):
        return Response(status_code=204)
    return await stop_response(app.streams, chat_id)
