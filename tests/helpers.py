"""Shared test helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from itertools import count
from typing import Any

from ai_stream import StreamContext
from ai_stream.testing import collect_stream, parse_sse_json


def counter_ids() -> Callable[[], str]:
    """Deterministic ids: id-1, id-2, ..."""
    numbers = count(1)
    return lambda: f"id-{next(numbers)}"


def make_context(**options: Any) -> StreamContext[Any]:
    options.setdefault("id_generator", counter_ids())
    return StreamContext(**options)


async def transcript(
    work: Callable[[StreamContext[Any]], Awaitable[None]], **options: Any
) -> list[dict[str, Any]]:
    """Run ``work`` on a fresh context and return every chunk sent, decoded."""
    ctx = make_context(**options)
    await ctx.run(work)
    return parse_sse_json(await collect_stream(ctx))


def running_tasks() -> set[str]:
    """Names of the tasks alive on the current event loop (asyncio or trio), this one excluded."""
    import sniffio

    if sniffio.current_async_library() == "trio":
        import trio

        current = trio.lowlevel.current_task()
        names: set[str] = set()
        root = trio.lowlevel.current_root_task()
        assert root is not None
        stack = list(root.child_nurseries)
        while stack:
            nursery = stack.pop()
            for task in nursery.child_tasks:
                if task is not current:
                    names.add(f"{task.name}#{id(task)}")
                stack.extend(task.child_nurseries)
        return names
    import asyncio

    me = asyncio.current_task()
    return {f"{t.get_coro()!r}#{id(t)}" for t in asyncio.all_tasks() if t is not me}
