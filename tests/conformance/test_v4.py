"""ai 4 data streams (``sdk_version=4``) replayed through the real ai 4.3.19 client code.

``replay_v4.mjs`` runs ``@ai-sdk/ui-utils`` 1.2.11's ``callChatApi`` / ``processChatResponse``,
which ``useChat`` 4.x uses to build the assistant message from the response.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import anyio

from ai_stream import StreamContext
from ai_stream.testing import collect_stream
from tests.conformance.client import NODE_DIR
from tests.encoding.test_data_stream import v4_all_writers, v4_provider_shapes


def replay_v4(bodies: dict[str, str]) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None, "node is required"
    cases = [{"name": name, "body": body} for name, body in bodies.items()]
    proc = subprocess.run(
        [node, "replay_v4.mjs"],
        input=json.dumps({"cases": cases}).encode(),
        cwd=NODE_DIR,
        capture_output=True,
        check=True,
        timeout=120,
    )
    results: dict[str, Any] = json.loads(proc.stdout)["results"]
    return results


async def _body(work: Any) -> str:
    ctx: StreamContext[None] = StreamContext(sdk_version=4, message_id="m1")
    await ctx.run(work)
    return (await collect_stream(ctx)).decode()


async def _failing(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("Partial")
    raise RuntimeError("secret")


async def _redacted(ctx: StreamContext[Any]) -> None:
    await ctx.write_reasoning("")
    await ctx.end_reasoning(provider_metadata={"anthropic": {"redactedData": "opaque"}})
    await ctx.write_text("ok")


def test_every_writer_reaches_the_ai4_client() -> None:
    bodies = {
        "all": anyio.run(_body, v4_all_writers),
        "error": anyio.run(_body, _failing),
        "redacted": anyio.run(_body, _redacted),
    }
    results = replay_v4(bodies)
    everything = results["all"]
    message = everything["message"]
    observed = {
        "errors": everything["errors"],
        "id": message["id"],
        "content": message["content"],
        "parts": message["parts"],
        "annotations": message["annotations"],
        "data": everything["data"],
        "finish": everything["finish"],
        "error_case": results["error"]["errors"],
        "error_text": results["error"]["message"]["content"]
        if results["error"]["message"]
        else None,
        "redacted": results["redacted"]["message"]["parts"][1],
    }
    tool = {"state": "result", "step": 0}
    assert observed == {
        "errors": [],
        "id": "m1",
        "content": 'Hi "there" édone',
        "parts": [
            {"type": "step-start"},
            {
                "type": "reasoning",
                "reasoning": "think",
                "details": [{"type": "text", "text": "think", "signature": "sig"}],
            },
            {"type": "text", "text": 'Hi "there" é'},
            {
                "type": "tool-invocation",
                "toolInvocation": {
                    **tool,
                    "toolCallId": "c1",
                    "toolName": "getWeather",
                    "args": {"city": "Paris"},
                    "result": {"t": 21},
                },
            },
            {
                "type": "tool-invocation",
                "toolInvocation": {
                    **tool,
                    "toolCallId": "c2",
                    "toolName": "search",
                    "args": {"q": "x"},
                    "result": {"error": "timeout"},
                },
            },
            {"type": "step-start"},
            {
                "type": "source",
                "source": {"sourceType": "url", "id": "s1", "url": "https://x.com", "title": "X"},
            },
            {"type": "file", "mimeType": "image/png", "data": "AAAA"},
            {"type": "text", "text": "done"},
        ],
        "annotations": [{"model": "m"}, {"usage": {"inputTokens": 3, "outputTokens": 4}}],
        "data": [{"p": 1}],
        "finish": {
            "finishReason": "stop",
            "usage": {"promptTokens": 3, "completionTokens": 4, "totalTokens": 7},
        },
        "error_case": ["An error occurred."],
        "error_text": "Partial",
        "redacted": {
            "type": "reasoning",
            "reasoning": "",
            "details": [{"type": "redacted", "data": "opaque"}],
        },
    }


def test_provider_shapes_reach_the_ai4_client() -> None:
    """Unsigned reasoning, a preliminary tool output, a titleless source with provider metadata,
    usage without numbers: the ai 4 client builds the message without errors."""
    result = replay_v4({"shapes": anyio.run(_body, v4_provider_shapes)})["shapes"]
    message = result["message"]
    search = {"state": "result", "step": 0, "toolCallId": "c1", "toolName": "search",
              "args": {"q": "x"}, "result": {"hits": 2}}  # fmt: skip
    source = {"sourceType": "url", "id": "s1", "url": "https://x.com/a",
              "providerMetadata": {"openai": {"rank": 1}}}  # fmt: skip
    assert {k: v for k, v in message.items() if k != "createdAt"} == {
        "id": "m1",
        "role": "assistant",
        "content": "Found it.",
        "parts": [
            {"type": "step-start"},
            {"type": "reasoning", "reasoning": "Plan.",
             "details": [{"type": "text", "text": "Plan."}]},
            {"type": "tool-invocation", "toolInvocation": search},
            {"type": "step-start"},
            {"type": "source", "source": source},
            {"type": "text", "text": "Found it."},
        ],
        "reasoning": "Plan.",
        "toolInvocations": [search],
        "annotations": [{"usage": {"inputTokens": 3, "outputTokens": None}}],
    }  # fmt: skip
    assert result["errors"] == []
    assert result["finish"]["finishReason"] == "stop"
