"""The user's chats: list, load (for ``useChat({messages})``) and delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from state import AppState, get_state, user_id_of

router = APIRouter()


@router.get("/api/chats")
async def list_chats(
    request: Request, app: Annotated[AppState, Depends(get_state)]
) -> list[dict[str, str]]:
    """``[{"id", "title", "updatedAt"}]``, newest first."""
    return await app.db.list_chats(user_id_of(request))


@router.get("/api/chats/{chat_id}")
async def get_chat(
    chat_id: str, request: Request, app: Annotated[AppState, Depends(get_state)]
) -> dict[str, Any]:
    """``{"id", "title", "messages"}`` (the UI messages), or 404."""
    chat = await app.db.get_chat(user_id_of(request), chat_id)
    if chat is None:
        raise HTTPException(status_code=404, detail="No such chat.")
    return chat


@router.delete("/api/chats/{chat_id}", status_code=204)
async def delete_chat(
    chat_id: str, request: Request, app: Annotated[AppState, Depends(get_state)]
) -> Response:
    """Delete the chat; 404 if unknown."""
    if not await app.db.delete_chat(user_id_of(request), chat_id):
        raise HTTPException(status_code=404, detail="No such chat.")
    return Response(status_code=204)


@router.get("/api/health")
async def health() -> dict[str, bool]:
    """Liveness."""
    return {"ok": True}
