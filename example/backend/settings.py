"""Configuration from the environment (read once, when the app is made)."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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
        secret: Signs tool approvals (``AI_STREAM_SECRET``). Required with ``REDIS_URL`` (several
            workers must share it); else random per process if unset.
        demo_delay: Seconds per streamed token of the demo model (``DEMO_DELAY``; 0: no pacing).
        stop_grace: Seconds an answer keeps running once nobody follows it (``STOP_GRACE``);
            a reload within it resumes the answer, otherwise it is stopped and saved as is.
    """

    # (the repr never shows a secret: URLs are redacted, keys left out)
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)
    redis_url: str | None = field(default=None, repr=False)
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    openai_model: str = "gpt-4.1-mini"
    secret: str = field(default="", repr=False)
    demo_delay: float = 0.02
    stop_grace: float = 3.0

    def __repr__(self) -> str:
        return (
            f"Settings(database_url={redact(self.database_url)!r}, "
            f"redis_url={redact(self.redis_url)!r}, openai_api_key="
            f"{'***' if self.openai_api_key else None!r}, openai_model={self.openai_model!r}, "
            f"secret='***', demo_delay={self.demo_delay!r}, stop_grace={self.stop_grace!r})"
        )

    @classmethod
    def from_env(cls) -> Settings:
        """Read the settings from the environment variables.

        Raises:
            RuntimeError: ``REDIS_URL`` is set (several workers) but ``AI_STREAM_SECRET`` is
                not: each worker would sign approvals with its own key and refuse the others'.
        """
        secret = os.environ.get("AI_STREAM_SECRET", "")
        if not secret and os.environ.get("REDIS_URL"):
            raise RuntimeError(
                "AI_STREAM_SECRET must be set when REDIS_URL is: the workers that share Redis "
                "must sign tool approvals with one shared secret."
            )
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


def redact(url: str | None) -> str | None:
    """``url`` without its password (for logs and reprs)."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
