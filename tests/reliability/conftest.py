"""Reliability suite: real servers on 127.0.0.1, bounded runs, figures printed at the end.

Every test here is marked ``reliability`` (``pytest -m reliability``, ``make test-reliability``)
and records what it measured with the session-scoped ``figures`` fixture; the figures are printed
in a "reliability figures" section at the end of the run, whether the tests passed or not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).parent
_FIGURES = pytest.StashKey[list[tuple[str, dict[str, object]]]]()


class Figures:
    """Collects ``name -> {figure: value}`` for the terminal summary."""

    def __init__(self, rows: list[tuple[str, dict[str, object]]]) -> None:
        self._rows = rows

    def record(self, name: str, **values: object) -> None:
        """Record (or extend) the figures of ``name``; later values win."""
        for row_name, row in self._rows:
            if row_name == name:
                row.update(values)
                return
        self._rows.append((name, dict(values)))


@pytest.fixture(scope="session")
def figures(pytestconfig: pytest.Config) -> Figures:
    return Figures(pytestconfig.stash.setdefault(_FIGURES, []))


@pytest.fixture
def anyio_backend() -> str:
    """uvicorn serves on asyncio only."""
    return "asyncio"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(_HERE):
            item.add_marker(pytest.mark.reliability)


def _format(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    rows = config.stash.get(_FIGURES, [])
    if not rows:
        return
    terminalreporter.write_sep("=", "reliability figures")
    for name, values in rows:
        figures = ", ".join(f"{key}={_format(value)}" for key, value in values.items())
        terminalreporter.write_line(f"{name}: {figures}")
