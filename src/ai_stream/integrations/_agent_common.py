"""Helpers the agent-framework adapters (LangChain/LangGraph, pydantic-ai) share."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anyio

from ai_stream.exceptions import ProviderError, UnsupportedByClientError

if TYPE_CHECKING:
    from ai_stream.context import StreamContext

__all__ = (
    "aclose_quietly",
    "add_usage",
    "fail_input",
    "fail_tool_masked",
    "get",
    "jsonable",
    "knows_tool",
    "parse_args",
)


def get(obj: Any, key: str, default: Any = None) -> Any:
    """``obj[key]`` for a mapping, else ``obj.key`` (SDK objects and plain dicts alike)."""
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def knows_tool(ctx: StreamContext[Any], tool_call_id: str) -> bool:
    """Whether the context knows the call (announced in this stream or the continued message)."""
    return ctx.tool_call_state(tool_call_id) is not None


def parse_args(text: str) -> Any:
    """Parse streamed tool arguments; empty text is ``{}``. Raises ``ValueError`` if invalid."""
    if not text.strip():
        return {}
    return json.loads(text)


def jsonable(value: Any) -> Any:
    """Best-effort JSON-compatible form of a tool output (pydantic models, dataclasses …)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    try:
        from pydantic_core import to_jsonable_python

        return to_jsonable_python(value, fallback=str)
    except Exception:  # pragma: no cover - last resort
        return str(value)


def add_usage(total: dict[str, int], usage: Mapping[str, int]) -> None:
    """Add ``usage`` (the documented shape) into ``total``."""
    for key, value in usage.items():
        total[key] = total.get(key, 0) + int(value)


async def fail_input(
    ctx: StreamContext[Any], tool_call_id: str, error_text: str, text: str
) -> None:
    """``tool-input-error``, or its fallback for clients without it (ai 5.0.0–5.0.6).

    The fallback sends the raw text as the input and the error as the call's output, so that the
    client does not take the call for a tool of its own.
    """
    try:
        await ctx.fail_tool_input(tool_call_id, error_text, input=text)
    except UnsupportedByClientError:
        await ctx.finish_tool_input(tool_call_id, input=text)
        await ctx.fail_tool_call(tool_call_id, error_text)


async def fail_tool_masked(
    ctx: StreamContext[Any], tool_call_id: str, detail: Any, *, provider: str, **options: Any
) -> None:
    """Report a failed tool call with only ``on_error``'s text (``detail`` is logged).

    ``detail`` is the exception, or the text a framework formatted for the model (LangGraph's
    ``ToolNode(handle_tool_errors=True)``, pydantic-ai's ``ModelRetry``): either may hold what
    only the server may see, so it goes to ``on_error`` as a :class:`ProviderError`.
    """
    error = (
        detail
        if isinstance(detail, BaseException)
        else ProviderError(str(detail), provider=provider)
    )
    await ctx.fail_tool_call(tool_call_id, ctx.error_text(error), **options)


async def aclose_quietly(source: Any) -> None:
    """Close an async iterator/generator (shielded, so that it runs when cancelled too)."""
    aclose = getattr(source, "aclose", None)
    if aclose is None:
        return
    with anyio.CancelScope(shield=True):
        try:
            await aclose()
        except Exception:
            pass
