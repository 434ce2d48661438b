"""1000 crafted bodies up to the 4 MiB limit against the chat endpoint, in a server process of
its own with a loop-lag probe (``hostile_app``): deep nesting, many keys, long keys, huge and
escape-heavy strings, many small arrays, many parts and messages, long numbers, broken JSON
at the end of a large body. The worst single body may block the server's event loop for at most
``LAG_LIMIT_MS``; every answer is a 2xx stream or a 4xx JSON error of at most 4 KB, never a 5xx.
"""

from __future__ import annotations

import json
import math
import os
import random
import select
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ai_stream.protocol.messages import DEFAULT_MAX_BODY_SIZE
from tests.reliability.conftest import Figures

ROOT = Path(__file__).parents[2]
BODIES = 1000
LAG_LIMIT_MS = 20.0
TRIES = 5
"""A body's cost is fixed and this shared machine's noise only adds to it (an empty request's lag
alone reaches several ms here): a body over the limit is sent again, up to ``TRIES`` times, and
its lag is the least measured, as ``timeit`` takes the best of its repeats."""
MAX = DEFAULT_MAX_BODY_SIZE


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.hostile_app"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        line = os.read(process.stdout.fileno(), 100).decode() if ready else ""
        assert line.startswith("port "), "the hostile app did not start"
        url = f"http://127.0.0.1:{int(line.split()[1])}"
        deadline = time.monotonic() + 30
        while True:  # (the port is bound before uvicorn listens)
            try:
                httpx.get(f"{url}/lag")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the hostile app does not answer"
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def envelope(*, metadata: Any = None, parts: Any = None, messages: Any = None) -> dict[str, Any]:
    message = {"id": "u", "role": "user", "parts": parts or [], "metadata": metadata}
    return {"id": "chat", "trigger": "submit-message", "messages": messages or [message]}


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def nested(depth: int) -> bytes:
    head = dumps(envelope(metadata=0)).replace(b'"metadata":0', b'"metadata":' + b"[" * depth)
    return head.replace(b"}]}", b"]" * depth + b"}]}", 1)


def family(rng: random.Random, size: int) -> dict[str, Callable[[], bytes]]:
    """Body makers of about ``size`` bytes."""
    n = max(1, min(size // 8, 120_000))  # (values beyond twice the budget are refused alike)
    return {
        "deep": lambda: nested(rng.choice([50, 150, 196, 197, 198, 250, 1000, min(n, 100_000)])),
        "many_keys": lambda: dumps(envelope(metadata={f"k{i}": i for i in range(n // 2)})),
        "long_key": lambda: dumps(envelope(metadata={"k" * (size - 200): 1})),
        "huge_string": lambda: dumps(
            envelope(parts=[{"type": "text", "text": "x" * (size - 200)}])
        ),
        # (json.dumps escapes them: \u00e9 and surrogate pairs, six bytes a character)
        "escapes": lambda: dumps(envelope(parts=[{"type": "text", "text": "é😀" * (size // 20)}])),
        "small_arrays": lambda: dumps(envelope(metadata=[[]] * (n // 2))),
        "many_parts": lambda: dumps(
            envelope(parts=[{"type": "text", "text": "a"}] * min(n // 3, 20_000))
        ),
        "tool_parts": lambda: dumps(
            envelope(
                parts=[
                    {
                        "type": "tool-t",
                        "toolCallId": f"c{i}",
                        "state": "output-available",
                        "input": {"a": [1, 2]},
                        "output": {"b": "c"},
                    }
                    for i in range(min(n // 12, 6000))
                ]
            )
        ),  # fmt: skip
        "many_messages": lambda: dumps(
            envelope(
                messages=[
                    {"id": f"m{i}", "role": "user", "parts": []} for i in range(min(n // 4, 30_000))
                ]
            )
        ),
        "long_numbers": lambda: dumps(envelope(metadata=[10**4000] * max(1, size // 4100))),
        "broken_end": lambda: dumps(envelope(metadata="y" * (size - 200)))[:-3] + b"}}",
        "unknown_parts": lambda: dumps(
            envelope(parts=[{"type": "zz", "data": "q" * 100}] * min(n // 16, 20_000))
        ),
        "extra_keys": lambda: dumps(
            {**envelope(), **{f"x{i}": [i] for i in range(min(n // 3, 120_000))}}
        ),
    }


def bodies(count: int) -> Iterator[tuple[str, bytes]]:
    rng = random.Random(20261206)
    for index in range(count):
        size = int(math.exp(rng.uniform(7, 15.2)))  # ~1 KB .. ~4 MB, log-uniform
        makers = family(rng, min(size, MAX))
        name = sorted(makers)[index % len(makers)]
        body = makers[name]()
        yield name, body[: MAX + 64] if len(body) > MAX + 64 else body


def test_hostile_bodies_cost_milliseconds(server: str, figures: Figures) -> None:
    worst: dict[str, float] = {}
    statuses: Counter[int] = Counter()
    largest_error = 0
    worst_gc = 0.0
    failures: list[str] = []
    started = time.perf_counter()
    sent = 0
    with httpx.Client(base_url=server, timeout=60) as client:
        client.get("/lag")  # (reset after start-up)
        for name, body in bodies(BODIES):
            sent += len(body)
            lag = math.inf
            for _ in range(TRIES):
                response = client.post(
                    "/api/chat", content=body, headers={"content-type": "application/json"}
                )
                probe = client.get("/lag").json()
                lag = min(lag, probe["max_ms"])
                worst_gc = max(worst_gc, probe["max_gc_ms"])
                if lag <= LAG_LIMIT_MS:
                    break
            worst[name] = max(worst.get(name, 0.0), lag)
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                failures.append(f"{name}: {response.status_code}")
            elif response.status_code >= 400:
                largest_error = max(largest_error, len(response.content))
                if response.json()["error"]["type"] != "invalid_request":
                    failures.append(f"{name}: {response.text[:200]}")
        healthy = client.post(
            "/api/chat",
            content=dumps(envelope(parts=[{"type": "text", "text": "hi"}])),
            headers={"content-type": "application/json"},
        )
    figures.record(
        "hostile bodies (1000, up to 4 MiB, server loop-lag probe)",
        bodies=BODIES,
        mb_sent=round(sent / 1e6, 1),
        statuses=dict(sorted(statuses.items())),
        worst_lag_ms=round(max(worst.values()), 1),
        worst_gc_ms=round(worst_gc, 1),
        worst_by_family={k: round(v, 1) for k, v in sorted(worst.items(), key=lambda kv: -kv[1])},
        largest_error_bytes=largest_error,
        wall_s=round(time.perf_counter() - started, 1),
    )
    assert not failures, failures[:10]
    assert healthy.status_code == 200 and statuses[500] == 0
    assert largest_error <= 4096
    assert max(worst.values()) <= LAG_LIMIT_MS, worst
