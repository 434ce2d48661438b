from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from ai_stream import StateStore


async def test_dot_paths_defaults_and_nesting() -> None:
    store = StateStore({"user": {"name": "Alice"}})
    assert await store.get("user.name") == "Alice"
    assert await store.get("user.plan", default="free") == "free"
    assert await store.get("missing.deep.path") is None
    await store.set("user.plan", "pro")
    await store.set("a.b.c", 1)
    await store.set("user.name.first", "A")  # replaces a non-dict level
    assert await store.snapshot() == {
        "user": {"name": {"first": "A"}, "plan": "pro"},
        "a": {"b": {"c": 1}},
    }
    assert await store.has("a.b")
    assert await store.delete("a.b.c")
    assert not await store.delete("a.b.c")
    assert not await store.has("a.b.c")


async def test_initial_contents_and_snapshots_are_copies() -> None:
    initial = {"list": [1]}
    store = StateStore(initial)
    initial["list"].append(2)
    snapshot = await store.snapshot()
    snapshot["list"].append(3)
    assert await store.get("list") == [1]


@pytest.mark.parametrize("path", ["", ".", "a..b", "a."])
async def test_invalid_paths_raise(path: str) -> None:
    with pytest.raises(ValueError, match="Invalid store path"):
        await StateStore().get(path)


async def test_concurrent_updates_lose_nothing() -> None:
    store = StateStore()

    async def bump() -> None:
        for _ in range(100):
            await store.update("count", lambda n: n + 1, default=0)
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as group:
        for _ in range(10):
            group.start_soon(bump)
    assert await store.get("count") == 1000


async def test_nested_updates_from_concurrent_tools() -> None:
    """Tools running at once count their calls under one nested path each; ``update`` creates
    the missing levels and replaces a level that is not a mapping, like ``set``."""
    store = StateStore({"stats": "not counted yet"})

    async def tool(name: str, calls: int) -> None:
        for _ in range(calls):
            await store.update(f"stats.{name}.calls", lambda n: n + 1, default=0)
            await store.update("stats.log", lambda log: [*log, name], default=[])
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as group:
        group.start_soon(tool, "search", 3)
        group.start_soon(tool, "weather", 2)
    snapshot = await store.snapshot()
    assert sorted(snapshot["stats"].pop("log")) == ["search"] * 3 + ["weather"] * 2
    assert snapshot == {"stats": {"search": {"calls": 3}, "weather": {"calls": 2}}}
