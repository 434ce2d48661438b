"""A :class:`~ai_stream.chats.ChatStore` in any database SQLAlchemy's asyncio engine reaches.

Install with ``pip install 'ai-stream[sqlalchemy]'`` (plus the database's async driver:
``aiosqlite`` for SQLite, ``asyncpg`` for PostgreSQL, ...). Example::

    from ai_stream.integrations.sqlalchemy import SQLChatStore

    chats = SQLChatStore("sqlite+aiosqlite:///chats.db")
    await chats.create_tables()  # once, at startup

One table, ``ai_stream_chats`` (the name is an option): a row per chat with its owner, its
messages (the ``UIMessage`` JSON array, as ``useChat`` shows it) and its turn (who answers now,
until when). Every change is one statement, atomic in any database: a new chat is inserted
(a second insert of the same id fails, so two users racing for one new id cannot both own it),
a turn is taken with a conditional ``UPDATE`` (only when no live turn holds the chat), and
messages are written only by the turn that holds the chat.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, Final

from ai_stream.chats import Claim, StoredChat
from ai_stream.integrations._common import import_sdk

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ("SQLITE_BUSY_TIMEOUT", "SQLChatStore")


SQLITE_BUSY_TIMEOUT: Final = 30.0
"""Seconds a SQLite writer waits for another writer's lock before the store fails."""


def _write_ahead_log(connection: Any, record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class SQLChatStore:
    """A :class:`~ai_stream.chats.ChatStore` in a SQL database (SQLAlchemy asyncio).

    Args:
        url: The database URL (e.g. ``sqlite+aiosqlite:///chats.db``), when no ``engine`` is
            given. A SQLite database is opened in write-ahead-log mode, and a writer waits up
            to :data:`SQLITE_BUSY_TIMEOUT` seconds for another (several workers on one file).
        engine: An ``AsyncEngine`` to use instead (not disposed of by :meth:`aclose`).
        table: The table's name.

    Raises:
        ImportError: SQLAlchemy is not installed.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        engine: AsyncEngine | None = None,
        table: str = "ai_stream_chats",
    ) -> None:
        sa = import_sdk("sqlalchemy", "sqlalchemy")
        asyncio_ext = import_sdk("sqlalchemy.ext.asyncio", "sqlalchemy")
        if engine is None:
            if url is None:
                raise ValueError("SQLChatStore needs a database url or an engine.")
            sqlite = sa.engine.make_url(url).get_backend_name() == "sqlite"
            engine = asyncio_ext.create_async_engine(
                url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT} if sqlite else {}
            )
            if sqlite:  # several workers on one file: readers do not block the writer
                sa.event.listen(engine.sync_engine, "connect", _write_ahead_log)
            self._owns_engine = True
        else:
            self._owns_engine = False
        self.engine: AsyncEngine = engine
        self._sa = sa
        self._metadata = sa.MetaData()
        self.table = sa.Table(
            table,
            self._metadata,
            sa.Column("id", sa.String(256), primary_key=True),
            sa.Column("owner", sa.String(256), nullable=True, index=True),
            sa.Column("messages", sa.Text, nullable=False),
            sa.Column("updated_at", sa.Float, nullable=False),
            sa.Column("turn", sa.String(64), nullable=True),
            sa.Column("turn_until", sa.Float, nullable=True),
        )

    async def create_tables(self) -> None:
        """Create the table if it does not exist."""
        async with self.engine.begin() as connection:
            await connection.run_sync(self._metadata.create_all)

    async def aclose(self) -> None:
        """Dispose of the engine if the store made it."""
        if self._owns_engine:
            await self.engine.dispose()

    def _owned_by(self, owner: str | None) -> Any:
        column = self.table.c.owner
        return column.is_(None) if owner is None else column == owner

    async def claim(self, chat_id: str, *, owner: str | None, turn: str, ttl: float) -> Claim:
        """See :meth:`ai_stream.chats.ChatStore.claim` (an insert, then a conditional update)."""
        sa, table, now = self._sa, self.table, time.time()
        try:
            async with self.engine.begin() as connection:
                await connection.execute(
                    table.insert().values(id=chat_id, owner=owner, messages="[]", updated_at=now)
                )
        except sa.exc.IntegrityError:
            pass  # (it exists: whose it is, the update says)
        async with self.engine.begin() as connection:
            taken = await connection.execute(
                table.update()
                .where(
                    table.c.id == chat_id,
                    self._owned_by(owner),
                    sa.or_(table.c.turn.is_(None), table.c.turn_until < now),
                )
                .values(turn=turn, turn_until=now + ttl)
            )
            if taken.rowcount == 1:
                return "claimed"
            row = (
                await connection.execute(sa.select(table.c.owner).where(table.c.id == chat_id))
            ).first()
        return "busy" if row is not None and row.owner == owner else "forbidden"

    async def load(self, chat_id: str) -> StoredChat | None:
        """See :meth:`ai_stream.chats.ChatStore.load`."""
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    self._sa.select(self.table).where(self.table.c.id == chat_id)
                )
            ).first()
        return None if row is None else _chat(row)

    async def save(self, chat_id: str, messages: list[dict[str, Any]], *, turn: str) -> bool:
        """See :meth:`ai_stream.chats.ChatStore.save`."""
        table = self.table
        async with self.engine.begin() as connection:
            done = await connection.execute(
                table.update()
                .where(table.c.id == chat_id, table.c.turn == turn)
                .values(messages=json.dumps(messages), updated_at=time.time())
            )
        return bool(done.rowcount == 1)

    async def release(self, chat_id: str, turn: str) -> None:
        """See :meth:`ai_stream.chats.ChatStore.release`."""
        table = self.table
        async with self.engine.begin() as connection:
            await connection.execute(
                table.update()
                .where(table.c.id == chat_id, table.c.turn == turn)
                .values(turn=None, turn_until=None)
            )

    async def list_chats(self, owner: str | None) -> list[StoredChat]:
        """See :meth:`ai_stream.chats.ChatStore.list_chats`."""
        table = self.table
        query = (
            self._sa.select(table).where(self._owned_by(owner)).order_by(table.c.updated_at.desc())
        )
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [_chat(row) for row in rows]

    async def delete(self, chat_id: str, owner: str | None) -> bool:
        """See :meth:`ai_stream.chats.ChatStore.delete`."""
        table = self.table
        async with self.engine.begin() as connection:
            done = await connection.execute(
                table.delete().where(table.c.id == chat_id, self._owned_by(owner))
            )
        return bool(done.rowcount == 1)


def _chat(row: Any) -> StoredChat:
    return StoredChat(row.id, row.owner, json.loads(row.messages), row.updated_at)
