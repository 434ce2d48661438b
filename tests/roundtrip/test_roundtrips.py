"""Live round trips: the real AbstractChat + DefaultChatTransport against a real uvicorn server.

For each flow the client must end with exactly one assistant message in the expected state, and
the server's record of the last stream must equal that message.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from tests.conformance.client import NODE_DIR
from tests.helpers import serve
from tests.roundtrip import app as server

pytestmark = pytest.mark.parametrize("anyio_backend", ["asyncio"])

RELEASES = ["6.0.0", "6.0.326", "7.0.173"]


@pytest.fixture
async def base_url(anyio_backend: str) -> AsyncIterator[str]:
    async with serve(server.app) as live:
        yield f"{live.url}/api/chat"


async def drive(base_url: str, release: str, flow: str) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None, "node is required"
    url = f"{base_url}?sdk={release}"
    result = await anyio.run_process(
        [node, "roundtrip.mjs", "--url", url, "--version", release, "--flow", flow],
        cwd=NODE_DIR,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    outcome: dict[str, Any] = json.loads(result.stdout)
    return outcome


def assistant(outcome: dict[str, Any]) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [m for m in outcome["messages"] if m["role"] == "assistant"]
    assert len(messages) == 1, messages  # exactly one assistant message
    return messages[0]


def last_record(outcome: dict[str, Any], release: str) -> dict[str, Any]:
    chat_id = outcome["requests"][-1]["body"]["id"]
    message: dict[str, Any] = server.records[chat_id][-1].to_ui_message(release)
    return message


def tool_part(message: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in message["parts"] if p["type"] == f"tool-{name}")


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("approved", [True, False])
async def test_tool_approval_round_trip(base_url: str, release: str, approved: bool) -> None:
    outcome = await drive(base_url, release, "approve" if approved else "deny")
    message = assistant(outcome)
    part = tool_part(message, "deleteFile")
    assert (outcome["status"], outcome["error"]) == ("ready", None)
    assert len(outcome["requests"]) == 2
    if approved:
        assert (part["state"], part["output"]) == (
            "output-available",
            {"deleted": "/tmp/notes.txt"},
        )
    else:
        assert part["state"] == "output-denied"
    assert part["approval"]["approved"] is approved
    assert message["parts"][-1]["text"] == ("Deleted." if approved else "Kept it (not now).")
    assert last_record(outcome, release) == message


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("flow", ["client-tool-output", "client-tool-error"])
async def test_client_tool_round_trip(base_url: str, release: str, flow: str) -> None:
    outcome = await drive(base_url, release, flow)
    message = assistant(outcome)
    part = tool_part(message, "getLocation")
    assert outcome["status"] == "ready" and len(outcome["requests"]) == 2
    if flow == "client-tool-output":
        assert part["state"] == "output-available"
        assert message["parts"][-1]["text"].startswith("You are in ")
    else:
        assert part["state"] == "output-error"
        assert message["parts"][-1]["text"].startswith("I could not find you: ")
    assert last_record(outcome, release) == message


@pytest.mark.parametrize("release", RELEASES)
async def test_regenerate_round_trip(base_url: str, release: str) -> None:
    outcome = await drive(base_url, release, "regenerate")
    message = assistant(outcome)
    assert outcome["status"] == "ready"
    assert outcome["requests"][-1]["body"]["trigger"] == "regenerate-message"
    assert message["parts"][-1]["text"].startswith("Hello! You said:")
    assert last_record(outcome, release) == message
