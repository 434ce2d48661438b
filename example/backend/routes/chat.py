"""``POST /api/chat`` (a resumable UI message stream), ``GET /api/chat/{id}/stream`` (resume)
and ``POST /api/chat/{id}/stop`` (the stop button)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from ai_stream import (
    ChatRequest,
    RequestParseError,
    StreamContext,
    request_error_response,
    resumable_response,
    resume_response,
    stop_response,
)
from schemas import RequestInfo
from services import llm_service
from state import AppState, get_state, user_id_of

if TYPE_CHECKING:
    from ai_stream import StreamRecord

router = APIRouter()

NOT_FOUND = {"error": {"type": "not_found", "message": "No such chat."}}


@router.post("/api/chat")
async def chat(request: Request, app: Annotated[AppState, Depends(get_state)]) -> Response:
    """Answer the ``useChat`` request; the answer is saved when it ends (even stopped)."""
    try:
        body = await ChatRequest.from_request(request)
    except RequestParseError as error:
        return request_error_response(error)
    user_id = user_id_of(request)
    owner = await app.db.owner(body.id)
    if owner is not None and owner != user_id:
        return JSONResponse(NOT_FOUND, status_code=404)
    info = RequestInfo(
        user_id=user_id, plan=request.headers.get("x-user-plan") or "free", chat_id=body.id
    )
    await app.db.save_request(info, body)  # the new user message (or the tool answers)

    async def save_answer(record: StreamRecord) -> None:
        await app.db.save_answer(body.id, record)

    ctx: StreamContext[RequestInfo] = StreamContext.for_request(
        body, info, collect=True, approval_secret=app.settings.secret, on_finish=save_answer
    )

    async def work(ctx: StreamContext[RequestInfo]) -> None:
        await app.db.load_profile(ctx)  # → ctx.store["user"], read by the model
        await llm_service.answer(ctx, body, model=app.model, secret=app.settings.secret)

    await ctx.run(work)
    return await resumable_response(app.streams, body.id, ctx)


async def _may_use(app: AppState, request: Request, chat_id: str) -> bool:
    """Whether the request's user owns the chat (or nobody does yet)."""
    owner = await app.db.owner(chat_id)
    return owner is None or owner == user_id_of(request)


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
