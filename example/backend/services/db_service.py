"""The chats, kept by ai_stream's ``SQLChatStore`` (SQLAlchemy async; SQLite by default).

The server owns every chat: a message is stored as the exact ``UIMessage`` JSON the browser
shows (a reloaded chat is given back to ``useChat`` as is), and a request is answered from the
stored copy (``begin_turn``), never from the history the browser sends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from ai_stream.integrations.sqlalchemy import SQLChatStore

if TYPE_CHECKING:
    from ai_stream import StoredChat, StreamContext
    from schemas import RequestInfo

TITLE_LENGTH = 60


def _title(chat: StoredChat) -> str:
    first = next((m for m in chat.messages if m.get("role") == "user"), None)
    parts = first.get("parts", []) if first else []
    text = " ".join(" ".join(p.get("text", "") for p in parts if p.get("type") == "text").split())
    if len(text) <= TITLE_LENGTH:
        return text or "New chat"
    return text[: TITLE_LENGTH - 1].rstrip() + "…"


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


class ChatDatabase:
    """The chat store (``chats``) and what the routes read from it. One per app."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.chats = SQLChatStore(url)

    async def create_tables(self) -> None:
        """Create the tables if they do not exist (and SQLite's folder)."""
        path = self.url.database
        if self.url.get_backend_name() == "sqlite" and path not in (None, "", ":memory:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        await self.chats.create_tables()

    async def close(self) -> None:
        """Close every connection."""
        await self.chats.aclose()

    # --- used by the chat route and the services (ctx passed through) ------------------------

    async def load_profile(self, ctx: StreamContext[RequestInfo]) -> None:
        """Load what the later layers need about the user into ``ctx.store``."""
        info = ctx.info
        assert info is not None
        table = self.chats.table
        count = select(func.count()).select_from(table).where(table.c.owner == info.user_id)
        async with self.chats.engine.connect() as connection:
            chats = await connection.scalar(count)  # (one COUNT, not every chat's messages)
        await ctx.store.set("user.plan", info.plan)
        await ctx.store.set("user.chat_count", int(chats or 0))

    # --- history endpoints ---------------------------------------------------------------------

    async def list_chats(self, user_id: str) -> list[dict[str, str]]:
        """The user's chats, newest first."""
        return [
            {"id": c.id, "title": _title(c), "updatedAt": _iso(c.updated_at)}
            for c in await self.chats.list_chats(user_id)
        ]

    async def get_chat(self, user_id: str, chat_id: str) -> dict[str, Any] | None:
        """The chat with its messages in order, or ``None`` (unknown or another user's)."""
        chat = await self.chats.load(chat_id)
        if chat is None or chat.owner != user_id:
            return None
        return {"id": chat.id, "title": _title(chat), "messages": chat.messages}

    async def delete_chat(self, user_id: str, chat_id: str) -> bool:
        """Delete the chat; ``False`` when there is no such chat."""
        return await self.chats.delete(chat_id, user_id)

    async def may_use(self, user_id: str, chat_id: str) -> bool:
        """Whether the chat is the user's (or nobody's yet)."""
        chat = await self.chats.load(chat_id)
        return chat is None or chat.owner == user_id
