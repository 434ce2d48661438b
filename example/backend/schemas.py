"""Request-scoped information and API shapes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RequestInfo(BaseModel):
    """Read-only facts about the request, available to every layer as ``ctx.info``."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    plan: str
    chat_id: str


class ChatSummary(BaseModel):
    """One entry of ``GET /api/chats``."""

    id: str
    title: str
    updatedAt: str


class ChatDetail(BaseModel):
    """``GET /api/chats/{chat_id}``: the chat and its UI messages."""

    id: str
    title: str
    messages: list[dict[str, object]]
