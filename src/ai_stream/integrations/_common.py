"""What every provider adapter shares: usage metadata, lazy SDK imports.

Their result type, :class:`~ai_stream.agent.StreamResult`, belongs to the agent loop that
consumes it.
"""

from __future__ import annotations

import importlib
from typing import Any

from ai_stream.exceptions import MissingExtraError

__all__ = ("import_sdk", "usage_metadata")


def usage_metadata(usage: dict[str, Any] | None) -> dict[str, Any] | None:
    """The message metadata adapters write for usage: ``{"usage": usage}`` (or ``None``)."""
    return {"usage": usage} if usage else None


def import_sdk(module: str, extra: str) -> Any:
    """Import an optional SDK module, or raise ImportError naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(module.split(".")[0], extra, "This integration") from exc
