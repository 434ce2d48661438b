"""Every scenario's stream, replayed through the real ``ai`` client releases.

For each scenario and target, the stream is produced with the public API and replayed through
``parseJsonEventStream`` + ``uiMessageChunkSchema``, ``readUIMessageStream`` and ``AbstractChat`` +
``DefaultChatTransport`` of the first and latest release of the major (or the exact release).
One assertion per case and release compares what the client did with what ai_stream says:
no schema or processing error, the chat's final status, the error text, and the assistant
message equal to ``record.to_ui_message()`` (useChat) and to ``read_ui_message`` (reader).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest

from ai_stream import StreamContext
from ai_stream.reducer import UIMessageReducer
from ai_stream.testing import collect_stream, parse_sse, parse_sse_json, read_ui_message
from tests.conformance.client import FIRST_AND_LATEST, STRICT, replay
from tests.conformance.scenarios import SCENARIOS, Scenario


@dataclass
class Case:
    key: str
    scenario: Scenario
    target: int | str
    releases: tuple[str, ...]
    body: bytes = b""
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    aborted: bool = False
    received: bytes = b""


def _cases() -> list[Case]:
    cases: list[Case] = []
    for sc in SCENARIOS:
        cases.extend(Case(f"{sc.name}@{m}", sc, m, FIRST_AND_LATEST[m]) for m in sc.majors)
        cases.extend(Case(f"{sc.name}@{r}", sc, r, (r,)) for r in sc.releases)
        # Exact strict-era releases (unknown keys rejected) take the same streams.
        strict = [STRICT[m] for m in sc.majors if m in STRICT]
        cases.extend(Case(f"{sc.name}@{r}", sc, r, (r,)) for r in strict)
    return cases


CASES = _cases()
PAIRS = [(case.key, release) for case in CASES for release in case.releases]


async def _produce(case: Case) -> None:
    options = dict(case.scenario.options)
    disconnect_after: int | None = options.pop("disconnect_after", None)
    ctx: StreamContext[None] = StreamContext(sdk_version=case.target, collect=True, **options)
    await ctx.run(case.scenario.work)
    if disconnect_after is None:
        case.body = await collect_stream(ctx)
    else:  # the client goes away after a few body writes
        bodies = []
        stream = ctx.stream()
        async for body in stream:
            bodies.append(body)
            if len(bodies) == disconnect_after:
                break
        await stream.aclose()
        case.body = b"".join(bodies)
        with anyio.fail_after(5):
            while not ctx.is_finished:
                await anyio.sleep(0.001)
    assert ctx.record is not None
    case.messages = {r: ctx.record.to_ui_message(r) for r in case.releases}
    # A major's default is its latest release; an exact target is that release.
    assert ctx.record.to_ui_message() == case.messages[case.releases[-1]]
    case.errors = tuple(ctx.record.errors)
    case.aborted = ctx.record.aborted


@pytest.fixture(scope="session")
def replayed() -> dict[str, tuple[Case, dict[str, Any]]]:
    for case in CASES:
        anyio.run(_produce, case)
    results = replay(
        [{"name": c.key, "body": c.body.decode(), "versions": list(c.releases)} for c in CASES]
    )
    return {c.key: (c, results[c.key]) for c in CASES}


def test_at_least_40_scenarios_cover_all_majors() -> None:
    assert len(SCENARIOS) >= 40
    covered = {r for c in CASES for r in c.releases}
    assert covered >= {r for pair in FIRST_AND_LATEST.values() for r in pair}


@pytest.mark.parametrize(("key", "release"), PAIRS, ids=[f"{k}-{r}" for k, r in PAIRS])
def test_real_client_accepts_stream(
    replayed: dict[str, tuple[Case, dict[str, Any]]], key: str, release: str
) -> None:
    case, results = replayed[key]
    result = results[release]
    disconnected = "disconnect_after" in case.scenario.options
    chunks = parse_sse_json(case.body, require_done=not disconnected)
    parse_sse(case.body, require_done=not disconnected)  # valid typed chunks, no nulls
    expect_error = case.scenario.expect == "error"
    chat = result["chat"]
    observed = {
        "chunk_errors": result["chunkErrors"],
        "status": chat["status"],
        "error": chat["error"],
        "assistant": chat["messages"][-1] if len(chat["messages"]) > 1 else None,
        "read": result["read"]["message"],
        "read_errors": result["read"]["errors"],
        "aborted": disconnected or any(c["type"] == "abort" for c in chunks),
    }
    expected = {
        "chunk_errors": [],
        "status": case.scenario.expect,
        "error": case.errors[0] if expect_error else None,
        "assistant": case.messages[release] if chunks else None,
        "aborted": case.aborted,
        "read": read_ui_message(chunks, release) if chunks else None,
        "read_errors": list(case.errors),
    }
    if disconnected:  # the record also holds what was produced but never delivered
        reducer = UIMessageReducer(release, mode="chat")
        for chunk in chunks:
            reducer.apply(chunk)
        expected["assistant"] = reducer.message
    assert observed == expected
