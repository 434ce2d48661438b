"""SQLChatStore's engine: SQLite files shared by workers, engines the application owns."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from ai_stream.integrations.sqlalchemy import SQLITE_BUSY_TIMEOUT, SQLChatStore


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # (aiosqlite)


async def test_a_sqlite_file_is_opened_in_write_ahead_log_mode(tmp_path: Path) -> None:
    """Several workers on one file: readers do not block the writer, and a writer waits for
    another's lock (instead of failing with "database is locked" at once)."""
    store = SQLChatStore(f"sqlite+aiosqlite:///{tmp_path}/chats.db")
    await store.create_tables()
    try:
        async with store.engine.connect() as connection:
            mode = (await connection.execute(sa.text("PRAGMA journal_mode"))).scalar()
            busy = (await connection.execute(sa.text("PRAGMA busy_timeout"))).scalar()
        assert (mode, busy) == ("wal", int(SQLITE_BUSY_TIMEOUT * 1000))
        assert await store.claim("c1", owner="alice", turn="t1", ttl=60) == "claimed"
    finally:
        await store.aclose()


async def test_an_engine_of_the_application_is_used_as_it_is_and_not_disposed(
    tmp_path: Path,
) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/own.db")
    store = SQLChatStore(engine=engine)
    await store.create_tables()
    await store.aclose()  # (the application's engine stays usable)
    async with engine.connect() as connection:
        mode = (await connection.execute(sa.text("PRAGMA journal_mode"))).scalar()
    assert mode == "delete"  # (its settings are the application's)
    assert await store.claim("c1", owner=None, turn="t1", ttl=60) == "claimed"
    await engine.dispose()


def test_a_store_needs_a_url_or_an_engine() -> None:
    with pytest.raises(ValueError, match="needs a database url or an engine"):
        SQLChatStore()
