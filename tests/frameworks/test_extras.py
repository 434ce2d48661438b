"""A missing optional dependency names the extra to install (never a bare ModuleNotFoundError)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ai_stream import MissingExtraError


@pytest.fixture
def hide() -> Iterator[Callable[[str], None]]:
    """``hide("flask")``: ``import flask`` fails until the test ends (as if not installed)."""
    saved = dict(sys.modules)

    def hide(package: str) -> None:
        for name in [n for n in sys.modules if n == package or n.startswith(f"{package}.")]:
            del sys.modules[name]
        sys.modules[package] = None  # type: ignore[assignment]  # (import raises ImportError)

    yield hide
    sys.modules.clear()
    sys.modules.update(saved)


def _import(module: str) -> Any:
    sys.modules.pop(module, None)
    return importlib.import_module(module)


@pytest.mark.parametrize(("module", "package"), [("ai_stream.flask", "flask"),
                                                 ("ai_stream.django", "django")])  # fmt: skip
def test_a_framework_adapter_names_its_extra(
    hide: Callable[[str], None], module: str, package: str
) -> None:
    hide(package)
    with pytest.raises(MissingExtraError) as info:
        _import(module)
    assert str(info.value) == (
        f"{module} needs the {package!r} package, which is not installed: "
        f"pip install 'ai-stream[{package}]'"
    )
    assert isinstance(info.value, ImportError) and info.value.name == package


def test_the_stores_name_their_extras(hide: Callable[[str], None]) -> None:
    hide("redis")
    hide("sqlalchemy")
    from ai_stream.integrations.redis import RedisStreamStore
    from ai_stream.integrations.sqlalchemy import SQLChatStore

    with pytest.raises(MissingExtraError, match=r"pip install 'ai-stream\[redis\]'"):
        RedisStreamStore("redis://localhost")
    with pytest.raises(MissingExtraError, match=r"pip install 'ai-stream\[sqlalchemy\]'"):
        SQLChatStore("sqlite+aiosqlite:///:memory:")
