"""Every piece of Python in the documentation site runs here.

The pages hold no Python of their own: each Python block includes a section of a program under
``docs/examples/`` (``--8<-- "docs/examples/x.py:section"``), and each of those programs runs
offline and checks what it shows (``python docs/examples/x.py`` exits 0). Programs that need a
Redis server read ``REDIS_URL``; this module starts one for them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integrations._redis_server import redis_server

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLES = sorted((DOCS / "examples").glob("*.py"))
# The getting-started app is a real project included whole; its own test is tests/e2e.
PAGES = sorted(page for page in DOCS.rglob("*.md") if "app" not in page.relative_to(DOCS).parts[:2])
FENCE = re.compile(
    r"^(?P<indent> *)```(?P<lang>[\w+-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)
INCLUDE = re.compile(r'^\s*--8<--\s+"(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"\s*$')
PYTHON = {"python", "py", "pycon"}


def _includes() -> list[tuple[Path, str, str | None]]:
    found = []
    for page in PAGES:
        for line in page.read_text().splitlines():
            match = INCLUDE.match(line)
            if match:
                found.append((page, match["path"], match["section"]))
    return found


def test_pages_hold_no_untested_python() -> None:
    inline = [
        f"{page.relative_to(ROOT)}: {fence['body'].splitlines()[0] if fence['body'] else ''}"
        for page in PAGES
        for fence in FENCE.finditer(page.read_text())
        if fence["lang"] in PYTHON
        and any(line.strip() and not INCLUDE.match(line) for line in fence["body"].splitlines())
    ]
    assert inline == []


def test_every_include_names_an_existing_section() -> None:
    missing = []
    for page, path, section in _includes():
        target = ROOT / path
        if not target.is_file():
            missing.append(f"{page.relative_to(ROOT)}: {path}")
        elif section and f"--8<-- [start:{section}]" not in target.read_text():
            missing.append(f"{page.relative_to(ROOT)}: {path}:{section}")
    assert missing == []


def test_every_example_is_shown() -> None:
    shown = {path for _, path, _ in _includes()}
    assert [e.name for e in EXAMPLES if str(e.relative_to(ROOT)) not in shown] == []


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_example_runs(example: Path, request: pytest.FixtureRequest) -> None:
    env = dict(os.environ)
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AI_STREAM_SECRET"):
        env.pop(name, None)
    if "REDIS_URL" in example.read_text():
        env["REDIS_URL"] = request.getfixturevalue("redis_url")
    result = subprocess.run(
        [sys.executable, str(example)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]


def test_readme_python_is_tested() -> None:
    """The README's Python blocks are sections of the tested programs, verbatim."""
    programs = "\n".join(example.read_text() for example in EXAMPLES)
    readme = (ROOT / "README.md").read_text()
    blocks = [fence["body"] for fence in FENCE.finditer(readme) if fence["lang"] in PYTHON]
    assert blocks
    assert [block for block in blocks if block not in programs] == []
