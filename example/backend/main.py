"""The example backend: ``cd example/backend && uvicorn main:app --port 8000``.

See ``README.md`` for the endpoints and the environment variables.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from ai_stream import RequestParseError, request_parse_error_handler
from routes import chat, completion, history, objects
from services.completion_service import make_completion_model
from services.db_service import ChatDatabase
from services.llm_service import make_model, openai_client
from services.trip_service import make_trip_planner
from settings import Settings, redact
from state import AppState
from streams import make_streams

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
logger = logging.getLogger("example")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app (``settings`` default to the environment)."""
    settings = settings if settings is not None else Settings.from_env()
    store = None
    if settings.redis_url:
        from ai_stream.integrations.redis import RedisStreamStore

        store = RedisStreamStore(settings.redis_url)
    streams = make_streams(store, grace=settings.stop_grace)
    db = ChatDatabase(settings.database_url)
    client = openai_client(settings)  # (None: the offline demo model)
    state = AppState(
        settings=settings,
        db=db,
        streams=streams,
        model=make_model(settings, client),
        complete=make_completion_model(settings, client),
        plan_trip=make_trip_planner(settings, client),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await db.create_tables()
        logger.info(
            "model: %s; streams: %s; database: %s",
            settings.openai_model if settings.openai_api_key else "offline demo model",
            "redis" if settings.redis_url else "memory",
            redact(settings.database_url),
        )
        try:
            async with streams:
                yield
        finally:
            await db.close()
            if client is not None:
                await client.close()

    app = FastAPI(title="ai_stream example", lifespan=lifespan)
    app.state.example = state
    app.add_exception_handler(RequestParseError, request_parse_error_handler)
    app.include_router(chat.router)
    app.include_router(history.router)
    app.include_router(completion.router)
    app.include_router(objects.router)
    return app


app = create_app()
