"""A small key-value store addressed by dot paths, shared by every layer that holds the context.

``await store.set("user.plan", "pro")`` creates the intermediate dicts; ``await
store.get("user.plan", default="free")`` reads with a default. One :class:`anyio.Lock` serialises
the operations, so concurrent tasks (on asyncio or trio) never see a half-applied update.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ("StateStore",)

_MISSING: Any = object()


def _split(path: str) -> list[str]:
    if not isinstance(path, str) or not path or any(not key for key in path.split(".")):
        raise ValueError(
            f"Invalid store path {path!r}: use dot-separated keys such as 'user.name'."
        )
    return path.split(".")


class StateStore:
    """An async dot-path key-value store, safe to share between tasks.

    Args:
        initial: Initial contents (deep-copied).
    """

    def __init__(self, initial: dict[str, Any] | None = None) -> None:
        self._data: dict[str, Any] = copy.deepcopy(initial) if initial else {}
        self._lock = anyio.Lock()

    def _find(self, keys: list[str]) -> Any:
        node: Any = self._data
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                return _MISSING
            node = node[key]
        return node

    async def get(self, path: str, default: Any = None) -> Any:
        """Return the value at ``path``, or ``default`` when any key on the way is missing."""
        keys = _split(path)
        async with self._lock:
            value = self._find(keys)
        return default if value is _MISSING else value

    async def set(self, path: str, value: Any) -> None:
        """Store ``value`` at ``path``, creating (or replacing non-dict) intermediate levels."""
        keys = _split(path)
        async with self._lock:
            node = self._data
            for key in keys[:-1]:
                child = node.get(key)
                if not isinstance(child, dict):
                    child = node[key] = {}
                node = child
            node[keys[-1]] = value

    async def has(self, path: str) -> bool:
        """Whether a value is stored at ``path``."""
        keys = _split(path)
        async with self._lock:
            return self._find(keys) is not _MISSING

    async def delete(self, path: str) -> bool:
        """Remove the value at ``path``; return whether there was one."""
        keys = _split(path)
        async with self._lock:
            parent = self._find(keys[:-1]) if len(keys) > 1 else self._data
            if isinstance(parent, dict) and keys[-1] in parent:
                del parent[keys[-1]]
                return True
            return False

    async def update(self, path: str, function: Callable[[Any], Any], default: Any = None) -> Any:
        """Atomically replace the value at ``path`` by ``function(old)``; return the new value.

        ``old`` is ``default`` when nothing is stored. Use it for counters and appends that
        several tasks perform at once.
        """
        keys = _split(path)
        async with self._lock:
            old = self._find(keys)
            new = function(default if old is _MISSING else old)
            node = self._data
            for key in keys[:-1]:
                child = node.get(key)
                if not isinstance(child, dict):
                    child = node[key] = {}
                node = child
            node[keys[-1]] = new
            return new

    async def snapshot(self) -> dict[str, Any]:
        """Return a deep copy of everything stored."""
        async with self._lock:
            return copy.deepcopy(self._data)
