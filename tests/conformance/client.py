"""Run UI message stream bodies through the real ``ai`` client releases (node, replay.mjs)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).parent / "node"

FIRST_AND_LATEST: dict[int, tuple[str, str]] = {
    5: ("5.0.0", "5.0.277"),
    6: ("6.0.0", "6.0.333"),
    7: ("7.0.0", "7.0.185"),
}
"""The releases a major target must satisfy: the first and the latest of the major."""

STRICT: dict[int, str] = {5: "5.0.60", 6: "6.0.230"}
"""Late strict-schema releases (unknown keys rejected), also targeted exactly."""


def run_node(script: str, payload: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
    """Run ``node <script>`` in the harness with ``payload`` on stdin; return its JSON output."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed; the conformance suite needs Node 20+.")
    if not (NODE_DIR / "node_modules").is_dir():
        raise RuntimeError("Run `make install` (npm ci in tests/conformance/node) first.")
    proc = subprocess.run(
        [node, script],
        input=json.dumps(payload).encode(),
        cwd=NODE_DIR,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{script} failed: {proc.stderr.decode(errors='replace')[-2000:]}")
    output: dict[str, Any] = json.loads(proc.stdout)
    return output


def replay(cases: list[dict[str, Any]], timeout: float = 300) -> dict[str, dict[str, Any]]:
    """Replay ``cases`` (see node/README.md) and return ``{case: {release: result}}``."""
    results: dict[str, dict[str, Any]] = run_node("replay.mjs", {"cases": cases}, timeout)[
        "results"
    ]
    return results


def replay_objects(cases: list[dict[str, Any]], timeout: float = 300) -> dict[str, dict[str, Any]]:
    """Replay object stream bodies through useObject's path (node/object_streams.mjs)."""
    results: dict[str, dict[str, Any]] = run_node("object_streams.mjs", {"cases": cases}, timeout)[
        "results"
    ]
    return results


def replay_text(cases: list[dict[str, Any]], timeout: float = 300) -> dict[str, dict[str, Any]]:
    """Replay text and completion bodies (node/text_streams.mjs): ``{case: {release: runs}}``."""
    results: dict[str, dict[str, Any]] = run_node("text_streams.mjs", {"cases": cases}, timeout)[
        "results"
    ]
    return results


def langchain_adapter(
    cases: list[dict[str, Any]], release: str = FIRST_AND_LATEST[7][1], timeout: float = 300
) -> dict[str, dict[str, Any]]:
    """Feed recorded LangGraph events through ``@ai-sdk/langchain`` (node/langchain_adapter.mjs).

    ``cases`` are ``{"name", "events"}``; returns ``{case: {"chunks", "message", "schemaErrors",
    "error"}}`` with the UI message the ``ai`` ``release`` reads from the adapter's stream.
    """
    payload = {"release": release, "cases": cases}
    results: dict[str, dict[str, Any]] = run_node("langchain_adapter.mjs", payload, timeout)[
        "results"
    ]
    return results
