"""What the agent-framework bridge tests share (OpenAI Agents SDK, Google ADK).

The context each scenario writes to, its run through every latest client release with record
equality, and builders of the chunks the transcripts expect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import anyio

from ai_stream import StreamContext
from ai_stream.agent import StreamResult
from ai_stream.testing import collect_stream, parse_sse_json
from tests.conformance.client import FIRST_AND_LATEST, replay
from tests.helpers import counter_ids

LATEST = tuple(latest for _, latest in FIRST_AND_LATEST.values())

Work = Callable[[StreamContext[Any]], Awaitable[object]]


class Scenario(Protocol):
    @property
    def status(self) -> str: ...


S = TypeVar("S", bound=Scenario)


@dataclass
class Produced:
    ctx: StreamContext[Any]
    body: bytes
    results: list[StreamResult]

    @property
    def chunks(self) -> list[dict[str, Any]]:
        return parse_sse_json(self.body)


def context(release: str | int, **options: Any) -> StreamContext[None]:
    return StreamContext(
        sdk_version=release,
        collect=True,
        message_id="msg",
        id_generator=counter_ids(),
        **options,
    )


async def produce(work: Work, ctx: StreamContext[Any]) -> bytes:
    await ctx.run(work)
    return await collect_stream(ctx)


def produce_and_replay(
    scenarios: Mapping[str, S], pump: Callable[[StreamContext[Any], S], Awaitable[StreamResult]]
) -> dict[str, Produced]:
    """Each scenario pumped for every latest release, keyed ``"name@release"``.

    Each body is replayed in that release's real client: no chunk error, the scenario's status,
    and the client's message equal to the record.
    """
    produced: dict[str, Produced] = {}

    async def main() -> None:
        for name, scenario in scenarios.items():
            for release in LATEST:
                results: list[StreamResult] = []

                async def work(
                    ctx: StreamContext[Any],
                    scenario: S = scenario,
                    results: list[StreamResult] = results,
                ) -> None:
                    results.append(await pump(ctx, scenario))

                ctx = context(release)
                body = await produce(work, ctx)
                produced[f"{name}@{release}"] = Produced(ctx, body, results)

    anyio.run(main)
    replayed = replay(
        [
            {"name": key, "body": run.body.decode(), "versions": [key.split("@")[1]]}
            for key, run in produced.items()
        ]
    )
    for key, run in produced.items():
        name, release = key.split("@")
        result = replayed[key][release]
        assert result["chunkErrors"] == [], key
        assert result["chat"]["status"] == scenarios[name].status, (key, result["chat"]["error"])
        assert run.ctx.record is not None
        assert result["chat"]["messages"][-1] == run.ctx.record.to_ui_message(release), key
    return produced


# --- expected chunks -----------------------------------------------------------------------------

START = {"type": "start", "messageId": "msg"}
TRIAGE = {"type": "message-metadata", "messageMetadata": {"agent": "Triage"}}
STEP = {"type": "start-step"}
NEXT_STEP = [{"type": "finish-step"}, STEP]


def usage(requests: int) -> dict[str, Any]:
    total = {"inputTokens": 10 * requests, "outputTokens": 5 * requests}
    total["totalTokens"] = total["inputTokens"] + total["outputTokens"]
    return {"type": "message-metadata", "messageMetadata": {"usage": total}}


def end(reason: str | None = "stop") -> list[dict[str, Any]]:
    finish = {"type": "finish", "finishReason": reason} if reason else {"type": "finish"}
    return [{"type": "finish-step"}, finish]


def said(part: str, *deltas: str, kind: str = "text") -> list[dict[str, Any]]:
    return [
        {"type": f"{kind}-start", "id": part},
        *({"type": f"{kind}-delta", "id": part, "delta": d} for d in deltas),
        {"type": f"{kind}-end", "id": part},
    ]


def available(call_id: str, name: str, input: Any) -> dict[str, Any]:
    return {"type": "tool-input-available", "toolCallId": call_id, "toolName": name, "input": input}


def output(call_id: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "tool-output-available", "toolCallId": call_id, "output": value, **extra}
