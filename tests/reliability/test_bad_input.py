"""Bad input: 10,000+ generated and mutated request bodies against a real chat endpoint.

The endpoint is the documented one: ``ChatRequest.from_request`` and, on ``RequestParseError``,
``request_error_response``; a body that parses is answered with a short stream. Bodies come from
hypothesis (fixed seed: ``derandomize=True``): random JSON, the recorded ``useChat`` bodies of
every release (ai 4-7) with keys dropped, values of the wrong type, huge strings, deep nesting,
lone surrogates, 5000-digit numbers, byte-level damage (invalid UTF-8, truncation, BOMs, UTF-16),
random bytes, wrong content types, and bodies over the 4 MiB limit (declared and chunked).

Every answer must be a 4xx with the JSON error body, or a 200 stream when the mutation stayed
valid (counted apart); never a 5xx. Afterwards the server must still stream a normal request.
"""

from __future__ import annotations

import copy
import json
import random
import re
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ai_stream import StreamContext, UIMessageStreamResponse
from ai_stream.exceptions import RequestParseError
from ai_stream.protocol.messages import DEFAULT_MAX_BODY_SIZE, ChatRequest
from ai_stream.responses import request_error_response
from ai_stream.testing import parse_sse_json
from tests.helpers import counter_ids
from tests.reliability._support import HttpConnection, serve, settle
from tests.reliability.conftest import Figures

FIXTURES = Path(__file__).parents[1] / "fixtures" / "requests"
SEEDS: list[dict[str, Any]] = [
    body
    for path in sorted(FIXTURES.glob("*/*.json"))
    if path.name != "index.json" and isinstance(body := json.loads(path.read_text()), dict)
]
WORKERS = 16
MINIMUM = 10_000
JSON = "application/json"
CONTENT_TYPES = (
    None,
    "",
    "text/plain",
    "text/plain; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/octet-stream",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "application/vnd.api+json",
    "application/jsonx",
    "json",
    "application/json, text/plain",
)


@dataclass(frozen=True)
class Case:
    kind: str
    body: bytes
    content_type: str | None = JSON
    chunked: bool = False


# --- strategies ------------------------------------------------------------------------------

KEYS = (
    "id", "messages", "trigger", "messageId", "role", "parts", "type", "text", "state",
    "toolCallId", "toolName", "input", "output", "errorText", "approval", "approved", "content",
    "toolInvocations", "experimental_attachments", "args", "result", "toolInvocation", "mediaType",
    "url", "data", "metadata", "providerMetadata", "source", "reasoning", "mimeType", "annotations",
    "step", "reason", "signature", "filename", "sourceId", "title", "dynamic", "preliminary",
)  # fmt: skip
WORDS = (
    "text", "tool-lookup", "dynamic-tool", "data-x", "submit-message", "regenerate-message",
    "user", "assistant", "system", "data", "output-available", "output-error",
    "approval-requested", "approval-responded", "input-available", "input-streaming", "call",
    "result", "partial-call", "tool-invocation", "source", "source-url", "file", "reasoning",
    "step-start", "data:,x", "", "__proto__", "constructor",
)  # fmt: skip

keys = st.sampled_from(KEYS) | st.text(max_size=6)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()  # NaN and ±Infinity too: Python's json reads them
    | st.text(max_size=20)
    | st.sampled_from(WORDS)
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=10,
)
content_types = st.sampled_from((JSON,) * 60 + CONTENT_TYPES)  # about 1 in 6 is odd

Path_ = tuple[str | int, ...]


def _paths(value: Any, prefix: Path_ = ()) -> list[Path_]:
    paths = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            paths += _paths(item, (*prefix, index))
    return paths


def _get(value: Any, path: Path_) -> Any:
    for step in path:
        value = value[step]
    return value


def _set(root: Any, path: Path_, new: Any) -> Any:
    if not path:
        return new
    _get(root, path[:-1])[path[-1]] = new
    return root


def _delete(root: Any, path: Path_) -> Any:
    if not path:
        return {}
    del _get(root, path[:-1])[path[-1]]
    return root


# Placeholders replaced in the serialised text (json.dumps cannot write these itself).
DEEP_LIST, DEEP_DICT, BIG_NUMBER = "\x00deep-list-{}\x00", "\x00deep-dict-{}\x00", "\x00big\x00"

SCALARS: tuple[Any, ...] = (
    None, True, False, 0, -1, 1.5, 2**64, -(2**63), 1e308, float("nan"), float("inf"), "", "x",
    " ", "\n", "\x00", "é", "😀", "\ud800",
)  # fmt: skip


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    """A small random JSON value (mutations draw from here: cheaper than a strategy per op)."""
    roll = rng.random()
    if depth > 2 or roll < 0.6:
        return rng.choice((*SCALARS, *WORDS, rng.randint(-1000, 1000), rng.random()))
    if roll < 0.8:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(KEYS): _random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def _mutate(rng: random.Random, value: Any) -> Any:
    op = rng.choice(
        (
            "empty", "replace", "replace", "wrap-list", "wrap-dict", "stringify", "null",
            "number", "bool", "huge-string", "deep", "surrogate", "big-number", "add-key",
            "duplicate", "list-to-dict",
        )
    )  # fmt: skip
    if op == "empty":
        return type(value)() if isinstance(value, dict | list | str) else value
    if op == "replace":
        return _random_value(rng)
    if op == "wrap-list":
        return [value]
    if op == "wrap-dict":
        return {rng.choice(KEYS): value}
    if op == "stringify":
        return json.dumps(value)
    if op == "null":
        return None
    if op == "number":
        return rng.choice((0, -1, 2**53 + 1, 0.1, -0.0, 1e-320))
    if op == "bool":
        return rng.random() < 0.5
    if op == "huge-string":
        size = rng.choice((2_000, 2_000, 2_000, 20_000, 20_000, 200_000))
        return rng.choice(("a", "é", "✓", "😀", "\\", '"', "\n")) * size
    if op == "deep":
        depth = rng.choice((64, 500, 990, 3_000, 100_000))
        return rng.choice((DEEP_LIST, DEEP_DICT)).format(depth)
    if op == "surrogate":
        return rng.choice(("\ud800", "a\udfffb", "\udc00\ud800"))
    if op == "big-number":
        return BIG_NUMBER
    if op == "add-key":
        new = _random_value(rng)
        return {**value, rng.choice(KEYS): new} if isinstance(value, dict) else value
    if op == "duplicate":
        return [*value, *value] if isinstance(value, list) else value
    return {str(i): item for i, item in enumerate(value)} if isinstance(value, list) else value


def _deep(match: re.Match[str]) -> str:
    depth = int(match[2])
    opening, closing = ("[", "]") if match[1] == "list" else ('{"a":', "}")
    return opening * depth + "1" + closing * depth


def _serialise(value: Any, ensure_ascii: bool) -> bytes:
    text = json.dumps(value, ensure_ascii=ensure_ascii, allow_nan=True)
    # json.dumps escapes the placeholders' NULs as \u0000 whatever ensure_ascii says.
    text = re.sub(r'"\\u0000deep-(list|dict)-(\d+)\\u0000"', _deep, text)
    text = text.replace('"\\u0000big\\u0000"', "9" * 5000)
    return text.encode("utf-8", "surrogatepass")  # lone surrogates become invalid UTF-8


@st.composite
def mutated_bodies(draw: st.DrawFn) -> Case:
    """A recorded body, mutated 1-4 times at random places (drop, retype, enlarge, nest...)."""
    body = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    rng = draw(st.randoms(use_true_random=True))
    for _ in range(draw(st.integers(1, 4))):
        path = rng.choice(_paths(body))
        if path and rng.random() < 0.25:
            body = _delete(body, path)
        else:
            body = _set(body, path, _mutate(rng, _get(body, path)))
    return Case("mutated", _serialise(body, rng.random() < 0.5), draw(content_types))


@st.composite
def random_json(draw: st.DrawFn) -> Case:
    return Case("random-json", _serialise(draw(values), draw(st.booleans())), draw(content_types))


@st.composite
def damaged_bytes(draw: st.DrawFn) -> Case:
    data = json.dumps(draw(st.sampled_from(SEEDS))).encode()
    op = draw(st.sampled_from(("truncate", "insert", "flip", "bom", "utf-16", "garbage")))
    at = draw(st.integers(0, len(data)))
    if op == "truncate":
        data = data[:at]
    elif op == "insert":
        bad = draw(st.sampled_from((b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x00", b"\xf4\x90")))
        data = data[:at] + bad + data[at:]
    elif op == "flip":
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    elif op == "bom":
        data = b"\xef\xbb\xbf" + data
    elif op == "utf-16":
        data = data.decode().encode(draw(st.sampled_from(("utf-16", "utf-16-le", "utf-32"))))
    else:
        data = data + draw(st.binary(min_size=1, max_size=16))
    return Case(f"bytes-{op}", data, draw(content_types))


@st.composite
def random_bytes(draw: st.DrawFn) -> Case:
    return Case("random-bytes", draw(st.binary(max_size=200)), draw(content_types))


def _generate(strategy: st.SearchStrategy[Case], count: int) -> list[Case]:
    cases: list[Case] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(case: Case) -> None:
        cases.append(case)

    collect()
    return cases


def _handmade() -> list[Case]:
    submit = json.dumps(SEEDS[0]).encode()
    over = DEFAULT_MAX_BODY_SIZE + 1
    return [
        Case("oversize", b'{"id": "' + b"a" * over + b'"}'),
        Case("oversize-chunked", b'{"id": "' + b"b" * (over + 1_000_000) + b'"}', chunked=True),
        Case("oversize-not-json", b"x" * over, content_type="text/plain"),
        Case("empty", b""),
        Case("empty-chunked", b"", chunked=True),
        Case("null", b"null"),
        Case("array", b"[]"),
        Case("string", b'"hi"'),
        Case("object", b"{}"),
        Case("whitespace", b" " * 100_000),
        Case("deep-list", b"[" * 200_000 + b"]" * 200_000),
        Case("deep-object", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
        Case("unclosed", b"[" * 10_000),
        Case("nan", b'{"id": NaN, "messages": [], "trigger": Infinity}'),
        Case("duplicate-keys", b'{"id": "a", "id": 1, "messages": [], "messages": {}}'),
        Case("bom", b"\xef\xbb\xbf" + submit),
        Case("utf-16", submit.decode().encode("utf-16")),
        Case("trailing", submit + b" trailing"),
        Case("two-documents", submit + submit),
        Case("big-number", b'{"id": ' + b"9" * 100_000 + b"}"),
        Case("form", b"id=1&messages=2", content_type="application/x-www-form-urlencoded"),
        Case("no-content-type", submit, content_type=None),
        Case("chunked-valid", submit, chunked=True),
    ]


# --- the server ------------------------------------------------------------------------------


@dataclass
class Crash:
    stage: str
    error: str
    where: str


def _app(crashes: list[Crash]) -> Starlette:
    async def chat(request: Request) -> Response:
        stage = "parse"
        try:
            chat = await ChatRequest.from_request(request)
            stage = "respond"
            ctx: StreamContext[Any] = StreamContext.for_request(chat, id_generator=counter_ids())

            async def work(ctx: StreamContext[Any]) -> None:
                await ctx.write_text(f"{len(chat.messages)} messages")

            await ctx.run(work)
        except RequestParseError as error:
            return request_error_response(error)
        except Exception as exc:  # an unhandled exception: what would be a 500
            frames = traceback.extract_tb(exc.__traceback__)
            ours = [f for f in frames if "/ai_stream/" in f.filename.replace("\\", "/")]
            frame = (ours or frames)[-1]
            where = f"{Path(frame.filename).name}:{frame.lineno}"
            crashes.append(Crash(stage, f"{type(exc).__name__}: {exc}"[:200], where))
            return JSONResponse({"crash": type(exc).__name__}, status_code=500)
        return UIMessageStreamResponse(ctx)

    return Starlette(routes=[Route("/api/chat", chat, methods=["POST"])])


def _check(case: Case, status: int, headers: dict[str, str], body: bytes) -> str | None:
    """A problem with the answer, or ``None``."""
    if 400 <= status < 500:
        if not headers.get("content-type", "").startswith("application/json"):
            return f"{status} without a JSON body"
        error = json.loads(body).get("error")
        if not (isinstance(error, dict) and isinstance(error.get("message"), str)):
            return f"{status} without an error object"
        return None
    if status == 200:
        if headers.get("x-vercel-ai-ui-message-stream") == "v1":
            parse_sse_json(body)  # a complete stream, ending with [DONE]
        elif not body.startswith(b"f:"):  # ai 4's data stream
            return "200 with an unknown body"
        return None
    return f"HTTP {status}"


def _v4_bodies() -> list[dict[str, Any]]:
    return [
        {"messages": [{"role": "user", "content": "hi", "experimental_attachments": 5}]},
        {"messages": [{"role": "user", "content": "hi", "toolInvocations": 5}]},
        {"messages": [{"role": "assistant", "content": "", "toolInvocations": [{"state": []}]}]},
        {
            "messages": [
                {"role": "user", "parts": [{"type": "tool-invocation", "toolInvocation": 5}]}
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "x", "parts": [{"type": "source", "source": "s"}]}
            ]
        },
    ]


@pytest.mark.parametrize("body", _v4_bodies(), ids=lambda b: json.dumps(b)[:60])
def test_malformed_ai4_bodies_are_refused_not_crashed(body: dict[str, Any]) -> None:
    """Found by the fuzzer: the ai 4 conversion assumed the shapes of ai 4's fields."""
    with pytest.raises(RequestParseError) as info:
        ChatRequest.parse(json.dumps(body).encode())
    assert info.value.status_code == 422


def _deep_continuation(depth: int) -> dict[str, Any]:
    tool = {"type": "tool-x", "toolCallId": "t", "state": "output-available", "output": 1}
    tool["input"] = json.loads("[" * depth + "1" + "]" * depth)
    return {
        "id": "c",
        "trigger": "submit-message",
        "messages": [
            {"id": "u", "role": "user", "parts": [{"type": "text", "text": "x"}]},
            {"id": "a", "role": "assistant", "parts": [tool]},
        ],
    }


@pytest.mark.parametrize("depth", [100, 253, 254, 300, 900])
def test_deeply_nested_values_are_refused_or_usable(depth: int) -> None:
    """Found by the fuzzer: pydantic serialises at most ~253 levels, the parser took ~990."""
    try:
        chat = ChatRequest.parse(json.dumps(_deep_continuation(depth)).encode())
    except RequestParseError as error:
        assert error.status_code == 422
        return
    for message in chat.messages:
        message.to_dict()
    StreamContext.for_request(chat)


async def test_10000_bad_bodies_get_4xx_never_5xx(figures: Figures) -> None:
    start = time.perf_counter()
    cases = (
        _generate(mutated_bodies(), 7_000)
        + _generate(random_json(), 1_200)
        + _generate(damaged_bytes(), 1_500)
        + _generate(random_bytes(), 400)
        + _handmade()
    )
    generated_s = time.perf_counter() - start
    crashes: list[Crash] = []
    statuses: Counter[int] = Counter()
    problems: list[tuple[Case, str]] = []
    transport_errors: list[str] = []
    kinds_ok: Counter[str] = Counter()
    async with serve(_app(crashes)) as live:
        queue = list(reversed(cases))
        sent_bytes = 0

        async def worker() -> None:
            nonlocal sent_bytes
            connection: HttpConnection | None = None
            while queue:
                case = queue.pop()
                headers = (
                    [("content-type", case.content_type)] if case.content_type is not None else []
                )
                try:
                    if connection is None or not connection.usable:
                        connection = await HttpConnection.open(live.port)
                    reply = await connection.request(
                        "POST", "/api/chat", case.body, headers=headers, chunked=case.chunked
                    )
                except Exception as exc:
                    transport_errors.append(f"{case.kind}: {exc!r}")
                    connection = None
                    continue
                sent_bytes += len(case.body)
                statuses[reply.status] += 1
                try:
                    problem = _check(case, reply.status, reply.headers, reply.body)
                except Exception as exc:
                    problem = f"{reply.status} with a broken body: {exc!r}"
                if problem is not None:
                    problems.append((case, problem))
                elif reply.status == 200:
                    kinds_ok[case.kind] += 1
            if connection is not None:
                await connection.aclose()

        sending = time.perf_counter()
        with anyio.fail_after(120):
            async with anyio.create_task_group() as group:
                for _ in range(WORKERS):
                    group.start_soon(worker)
        sending_s = time.perf_counter() - sending

        # Still healthy: a normal request streams, and nothing is left running.
        healthy = await HttpConnection.open(live.port)
        normal = await healthy.request(
            "POST", "/api/chat", json.dumps(SEEDS[-1]).encode(), headers=[("content-type", JSON)]
        )
        await healthy.aclose()
        await settle(lambda: live.open_request_tasks() == 0, within=5)
        leftover_requests = live.open_request_tasks()
    wall = time.perf_counter() - start
    client_errors = sum(n for status, n in statuses.items() if 400 <= status < 500)
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    figures.record(
        "bad input",
        bodies=len(cases),
        answered=sum(statuses.values()),
        **{"4xx": client_errors, "2xx_valid": statuses[200], "5xx": server_errors},
        statuses=dict(sorted(statuses.items())),
        transport_errors=len(transport_errors),
        crashes=dict(Counter(f"{c.error.split(':')[0]} at {c.where}" for c in crashes)),
        mb_sent=round(sent_bytes / 1e6, 1),
        generate_s=round(generated_s, 3),
        send_s=round(sending_s, 3),
        wall_s=round(wall, 3),
    )
    assert len(cases) >= MINIMUM
    assert not transport_errors, transport_errors[:5]
    assert not crashes, (
        sorted({(c.stage, c.where, c.error) for c in crashes}),
        [(c.kind, c.body[:300], p) for c, p in problems[:5]],
    )
    assert server_errors == 0
    assert not problems, [(c.kind, c.body[:300], p) for c, p in problems[:5]]
    assert sum(statuses.values()) == len(cases)
    assert normal.status == 200 and parse_sse_json(normal.body)[-1]["type"] == "finish"
    assert leftover_requests == 0
