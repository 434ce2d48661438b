"""Configuration from the environment (read once, when the app is made)."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("example")

# ./data/chat.db next to this file, whatever the working directory (e.g. `make demo` runs
# uvicorn from the repo root with --app-dir).
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{Path(__file__).resolve().parent / 'data' / 'chat.db'}"


@dataclass(frozen=True)
class Settings:
    """Everything the example reads from the environment.

    Attributes:
        database_url: SQLAlchemy async URL (``DATABASE_URL``).
        redis_url: Keep resumable streams in Redis (``REDIS_URL``); ``None``: in memory.
        openai_api_key: Use the real model (``OPENAI_API_KEY``); ``None``: the offline demo model.
        openai_base_url: ``OPENAI_BASE_URL`` (any OpenAI-compatible server).
        openai_model: ``OPENAI_MODEL``.
        secret: Signs tool approvals (``AI_STREAM_SECRET``; random per process if unset).
        demo_delay: Seconds per streamed token of the demo model (``DEMO_DELAY``; 0: no pacing).
        stop_grace: Seconds an answer keeps running once nobody follows it (``STOP_GRACE``);
            a reload within it resumes the answer, otherwise it is stopped and saved as is.
    """

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    openai_api_key: str | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4.1-mini"
    secret: str = ""
    demo_delay: float = 0.02
    stop_grace: float = 3.0

    @classmethod
    def from_env(cls) -> Settings:
        """Read the settings from the environment variables."""
        secret = os.environ.get("AI_STREAM_SECRET", "")
        if not secret:
            secret = secrets.token_urlsafe(32)
            logger.warning(
                "AI_STREAM_SECRET is not set: using a random secret for this process "
                "(tool approvals pending across a restart will be refused)."
            )
        return cls(
            database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            redis_url=os.environ.get("REDIS_URL") or None,
            openai_api_key=os.environ.get("OPENAI_API_KEY") or None,
            openai_base_url=os.environ.get("OPENAI_BASE_URL") or None,
            openai_model=os.environ.get("OPENAI_MODEL") or "gpt-4.1-mini",
            secret=secret,
            demo_delay=float(os.environ.get("DEMO_DELAY", "0.02")),
            stop_grace=float(os.environ.get("STOP_GRACE", "3")),
        )
