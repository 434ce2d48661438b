"""Chats and their UI messages, stored with SQLAlchemy (async; SQLite by default).

A message is stored as the exact ``UIMessage`` JSON the browser shows, so a reloaded chat is
given back to ``useChat`` as is.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, delete, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

if TYPE_CHECKING:
    from ai_stream import ChatRequest, StreamContext, StreamRecord
    from schemas import RequestInfo

TITLE_LENGTH = 60


class Base(DeclarativeBase):
    """The example's tables."""


class Chat(Base):
    """A conversation of one user."""

    __tablename__ = "chats"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(200), default="New chat")
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float, index=True)


class Message(Base):
    """One UI message of a chat (``data`` is the ``UIMessage`` JSON)."""

    __tablename__ = "messages"

    chat_id: Mapped[str] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


def _title(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= TITLE_LENGTH:
        return text or "New chat"
    return text[: TITLE_LENGTH - 1].rstrip() + "…"


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


class ChatDatabase:
    """The chat store. One per app; safe to share between requests."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.engine: AsyncEngine = create_async_engine(url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def create_tables(self) -> None:
        """Create the tables if they do not exist (and SQLite's folder)."""
        path = self.url.database
        if self.url.get_backend_name() == "sqlite" and path not in (None, "", ":memory:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        async with self.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)

    async def close(self) -> None:
        """Close every connection."""
        await self.engine.dispose()

    # --- used by the chat route and the services (ctx passed through) ------------------------

    async def load_profile(self, ctx: StreamContext[RequestInfo]) -> None:
        """Load what the later layers need about the user into ``ctx.store``."""
        info = ctx.info
        assert info is not None
        async with self.sessions() as session:
            chats = await session.scalar(
                select(func.count()).select_from(Chat).where(Chat.user_id == info.user_id)
            )
        await ctx.store.set("user.plan", info.plan)
        await ctx.store.set("user.chat_count", int(chats or 0))

    async def owner(self, chat_id: str) -> str | None:
        """The user the chat belongs to, or ``None`` for a new chat."""
        async with self.sessions() as session:
            chat = await session.get(Chat, chat_id)
            return None if chat is None else chat.user_id

    async def save_request(self, info: RequestInfo, request: ChatRequest) -> None:
        """Store the chat as the browser sent it (the new user message, answered tool calls).

        Messages the browser no longer has (a regenerated answer) are removed.
        """
        now = time.time()
        async with self.sessions.begin() as session:
            chat = await session.get(Chat, request.id)
            if chat is None:
                first = next((m for m in request.messages if m.role == "user"), None)
                chat = Chat(
                    id=request.id,
                    user_id=info.user_id,
                    title=_title(first.text if first is not None else ""),
                    created_at=now,
                    updated_at=now,
                )
                session.add(chat)
                await session.flush()
            chat.updated_at = now
            ids = [m.id for m in request.messages]
            await session.execute(
                delete(Message).where(Message.chat_id == request.id, Message.id.not_in(ids))
            )
            existing = {
                m.id: m
                for m in await session.scalars(select(Message).where(Message.chat_id == request.id))
            }
            for position, message in enumerate(request.messages):
                data = message.to_dict()
                row = existing.get(message.id)
                if row is None:
                    session.add(
                        Message(
                            chat_id=request.id,
                            id=message.id,
                            position=position,
                            role=message.role,
                            data=data,
                        )
                    )
                else:
                    row.position = position
                    row.data = data

    async def save_answer(self, chat_id: str, record: StreamRecord) -> None:
        """Store the assistant message as the browser shows it (also a stopped, partial one)."""
        message = record.to_ui_message()
        if not message.get("parts"):
            return  # nothing was produced
        async with self.sessions.begin() as session:
            chat = await session.get(Chat, chat_id)
            if chat is None:  # deleted while answering
                return
            chat.updated_at = time.time()
            row = await session.get(Message, (chat_id, message["id"]))
            if row is not None:
                row.data = message
                return
            last = await session.scalar(
                select(func.max(Message.position)).where(Message.chat_id == chat_id)
            )
            session.add(
                Message(
                    chat_id=chat_id,
                    id=message["id"],
                    position=(last if last is not None else -1) + 1,
                    role="assistant",
                    data=message,
                )
            )

    # --- history endpoints ---------------------------------------------------------------------

    async def list_chats(self, user_id: str) -> list[dict[str, str]]:
        """The user's chats, newest first."""
        async with self.sessions() as session:
            chats = await session.scalars(
                select(Chat).where(Chat.user_id == user_id).order_by(Chat.updated_at.desc())
            )
            return [{"id": c.id, "title": c.title, "updatedAt": _iso(c.updated_at)} for c in chats]

    async def get_chat(self, user_id: str, chat_id: str) -> dict[str, Any] | None:
        """The chat with its messages in order, or ``None`` (unknown or another user's)."""
        async with self.sessions() as session:
            chat = await session.get(Chat, chat_id)
            if chat is None or chat.user_id != user_id:
                return None
            messages = await session.scalars(
                select(Message).where(Message.chat_id == chat_id).order_by(Message.position)
            )
            return {"id": chat.id, "title": chat.title, "messages": [m.data for m in messages]}

    async def delete_chat(self, user_id: str, chat_id: str) -> bool:
        """Delete the chat and its messages; ``False`` when there is no such chat."""
        async with self.sessions.begin() as session:
            chat = await session.get(Chat, chat_id)
            if chat is None or chat.user_id != user_id:
                return False
            await session.execute(delete(Message).where(Message.chat_id == chat_id))
            await session.delete(chat)
            return True
