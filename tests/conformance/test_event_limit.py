"""ai 7.0.182 and later drop a stream at an SSE event over 64 Mi characters (the real clients,
side by side): the writers refuse a value that would make one, before anything of it is sent."""

from __future__ import annotations

from typing import Any

import pytest

from ai_stream import EventTooLargeError, StreamContext
from ai_stream.protocol._behaviours import MAX_EVENT_SIZE
from ai_stream.testing import collect_stream
from tests.conformance.client import replay

pytestmark = pytest.mark.anyio

OLD, NEW = "7.0.173", "7.0.185"


def sse(*chunks: str) -> str:
    return "".join(f"data: {c}\n\n" for c in chunks) + "data: [DONE]\n\n"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


async def produce() -> bytes:
    ctx: StreamContext[None] = StreamContext(sdk_version=7, message_id="m")
    with pytest.raises(EventTooLargeError):
        await ctx.write_file("data:image/png;base64," + "A" * MAX_EVENT_SIZE, "image/png")
    await ctx.write_text("The image is too large to show.")
    await ctx.finish()
    return await collect_stream(ctx)


async def test_the_limit_is_the_clients_and_the_writers_keep_under_it() -> None:
    big = "x" * (MAX_EVENT_SIZE + (1 << 20))  # (the client counts what it holds between reads)
    over = sse(
        '{"type":"start"}',
        '{"type":"start-step"}',
        '{"type":"text-start","id":"t"}',
        f'{{"type":"text-delta","id":"t","delta":"{big}"}}',
        '{"type":"text-end","id":"t"}',
        '{"type":"finish-step"}',
        '{"type":"finish"}',
    )
    ours = (await produce()).decode()
    results: dict[str, dict[str, Any]] = {}
    for case in (  # (one at a time: a result holds the 64 Mi text several times)
        {"name": "over", "body": over, "versions": [OLD], "splitBytes": 1 << 20},
        {"name": "over", "body": over, "versions": [NEW], "splitBytes": 1 << 20},
        {"name": "ours", "body": ours, "versions": [OLD, NEW]},
    ):
        for name, by_release in replay([case], timeout=600).items():
            results.setdefault(name, {}).update(by_release)
    assert results["over"][OLD]["chat"]["status"] == "ready"
    assert results["over"][NEW]["chat"]["status"] == "error"
    assert "max buffer size" in results["over"][NEW]["chat"]["error"]
    for release in (OLD, NEW):
        chat = results["ours"][release]["chat"]
        assert chat["status"] == "ready", (release, chat["error"])
        assert chat["messages"][-1]["parts"][-1]["text"] == "The image is too large to show."
