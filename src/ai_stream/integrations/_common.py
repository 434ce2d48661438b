"""What every provider adapter shares: its result, usage metadata, lazy SDK imports."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

__all__ = ("StreamResult", "ToolCallInfo", "import_sdk", "usage_metadata")


@dataclass(frozen=True)
class ToolCallInfo:
    """A tool call the model made during the stream (as written to the context)."""

    tool_call_id: str
    tool_name: str
    input: Any
    provider_executed: bool = False


@dataclass
class StreamResult:
    """What an adapter returns when the provider stream ends.

    Attributes:
        finish_reason: The protocol finish reason (``stop``, ``tool-calls``, ``length`` …), or
            ``None`` if the provider sent none.
        usage: Token usage in the documented shape ``{"inputTokens", "outputTokens",
            "totalTokens", ...}``, or ``None``.
        tool_calls: The client- or server-side tool calls the model requested, in order, that
            the provider did not execute itself (run them, then call the model again).
        provider_metadata: Provider-specific extras (e.g. the response id).
    """

    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    tool_calls: list[ToolCallInfo] = field(default_factory=list)
    provider_metadata: dict[str, Any] = field(default_factory=dict)


def usage_metadata(usage: dict[str, Any] | None) -> dict[str, Any] | None:
    """The message metadata adapters write for usage: ``{"usage": usage}`` (or ``None``)."""
    return {"usage": usage} if usage else None


def import_sdk(module: str, extra: str) -> Any:
    """Import an optional SDK module, or raise ImportError naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"This integration needs the {module.split('.')[0]!r} package: "
            f"pip install 'ai-stream[{extra}]'"
        ) from exc
