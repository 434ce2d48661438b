from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ai_stream import (
    ChatRequest,
    CompletionRequest,
    DynamicToolUIPart,
    FileUIPart,
    RequestParseError,
    TextUIPart,
    ToolUIPart,
    UnknownUIPart,
    request_error_response,
)
from ai_stream.protocol.messages import MAX_DEPTH, MAX_FIELDS

FIXTURES = Path(__file__).parent.parent / "fixtures" / "requests"

USER = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "hi"}]}


def body(**fields: Any) -> dict[str, Any]:
    return {"id": "chat-1", "messages": [USER], "trigger": "submit-message", **fields}


def test_reference_body_parses_with_extra_fields() -> None:
    raw = (
        '{"sessionId":"s1","temperature":0.2,"id":"chat-1","messages":[{"parts":[{"type":"text",'
        '"text":"Hello"}],"id":"id1","role":"user","metadata":{"sentAt":1}}],"trigger":"submit-message"}'
    )
    request = ChatRequest.parse(raw)
    assert (request.id, request.trigger, request.message_id) == ("chat-1", "submit-message", None)
    assert request.extra == {"sessionId": "s1", "temperature": 0.2}
    assert request.get("sessionId") == "s1" and request.get("missing", 3) == 3
    assert request.messages[0].metadata == {"sentAt": 1}
    assert request.to_dict() == json.loads(raw)  # nothing lost


def test_every_part_type_and_tool_state() -> None:
    states: list[dict[str, Any]] = [
        {"state": "input-streaming", "input": {"par": 1}},
        {"state": "input-available", "input": {}},
        {"state": "approval-requested", "input": {}, "approval": {"id": "a"}},
        {"state": "approval-responded", "input": {}, "approval": {"id": "a", "approved": True}},
        {"state": "output-available", "input": {}, "output": None, "preliminary": True},
        {"state": "output-error", "input": {}, "errorText": "x", "rawInput": "{"},
        {"state": "output-denied", "input": {}, "approval": {"id": "a", "approved": False}},
    ]
    parts: list[dict[str, Any]] = [
        {"type": "step-start"},
        {"type": "text", "text": "t", "state": "done", "providerMetadata": {"p": {"a": 1}}},
        {"type": "reasoning", "text": "r", "id": "r1", "state": "streaming"},
        {"type": "source-url", "sourceId": "s", "url": "https://x", "title": "X"},
        {"type": "source-document", "sourceId": "d", "mediaType": "application/pdf", "title": "D"},
        {
            "type": "file",
            "mediaType": "image/png",
            "url": "data:image/png;base64,AA==",
            "filename": "a.png",
        },
        {"type": "data-weather", "id": "w", "data": {"t": 1}},
        {"type": "custom", "kind": "openai.x"},
        {"type": "reasoning-file", "mediaType": "image/png", "url": "https://x/a.png"},
        {"type": "steering-message", "id": "s1", "parts": [{"type": "text", "text": "go"}]},
        *({"type": "tool-getWeather", "toolCallId": f"c{i}", **s} for i, s in enumerate(states)),
        {
            "type": "dynamic-tool",
            "toolName": "mcp",
            "toolCallId": "d1",
            "state": "input-available",
            "input": 1,
        },
        {"type": "from-the-future", "anything": [1]},
    ]
    message = {"id": "a1", "role": "assistant", "parts": parts}
    request = ChatRequest.parse(body(messages=[USER, message]))
    parsed = request.messages[1]
    assert parsed.to_dict() == message
    assert len(parsed.tool_parts) == 8
    assert isinstance(parsed.parts[-1], UnknownUIPart)
    assert isinstance(parsed.parts[-2], DynamicToolUIPart) and parsed.parts[-2].tool_name == "mcp"
    assert isinstance(parsed.parts[-3], ToolUIPart) and parsed.parts[-3].tool_name == "getWeather"
    assert request.is_continuation


def test_lenient_where_the_client_is() -> None:
    # no trigger (custom prepareSendMessagesRequest), null optional fields, empty assistant
    request = ChatRequest.parse(
        {
            "id": "c",
            "messages": [
                {
                    "id": "u",
                    "role": "user",
                    "parts": [{"type": "text", "text": "a", "state": None}],
                },
                {"id": "a", "role": "assistant", "parts": []},
            ],
        }
    )
    assert request.trigger == "submit-message"


def test_ai4_bodies_are_converted() -> None:
    request = ChatRequest.parse(
        {
            "id": "c",
            "messages": [
                {
                    "id": "m1",
                    "role": "user",
                    "content": "what is this?",
                    "experimental_attachments": [
                        {
                            "name": "a.png",
                            "contentType": "image/png",
                            "url": "data:image/png;base64,AA==",
                        }
                    ],
                },
                {
                    "id": "m2",
                    "role": "assistant",
                    "content": "",
                    "toolInvocations": [
                        {
                            "state": "result",
                            "toolCallId": "t",
                            "toolName": "w",
                            "args": {"c": 1},
                            "result": 2,
                        }
                    ],
                },
                {"id": "m3", "role": "data", "content": "ignored"},
            ],
            "data": {"extra": 1},
        }
    )
    assert request.protocol == "data-stream"
    user, assistant = request.messages
    assert isinstance(user.parts[0], FileUIPart) and isinstance(user.parts[1], TextUIPart)
    assert assistant.tool_parts[0].state == "output-available"
    assert assistant.tool_parts[0].output == 2


MALFORMED: list[tuple[bytes | str, str]] = [
    ("", "not valid JSON"),
    ("{", "not valid JSON"),
    ("nope", "not valid JSON"),
    ("null", "must be a JSON object"),
    ("[]", "must be a JSON object"),
    ("42", "must be a JSON object"),
    ('"text"', "must be a JSON object"),
    ("{}", "at id"),
    ('{"id":"c"}', "at messages"),
    ('{"messages":[]}', "at id"),
    ('{"id":1,"messages":[]}', "at id"),
    ('{"id":"c","messages":{}}', "at messages"),
    ('{"id":"c","messages":[1]}', r"at messages\[0\]"),
    ('{"id":"c","messages":[{}]}', r"at messages\[0\]\.id"),
    ('{"id":"c","messages":[{"id":"m","role":"robot","parts":[]}]}', r"messages\[0\]\.role"),
    ('{"id":"c","messages":[{"id":"m","role":"user","parts":{}}]}', r"messages\[0\]\.parts"),
    ('{"id":"c","messages":[{"id":"m","role":"user","parts":[1]}]}', r"messages\[0\]\.parts\[0\]"),
    (
        '{"id":"c","messages":[{"id":"m","role":"user","parts":[{"type":"text"}]}]}',
        r"parts\[0\]\.text",
    ),
    (
        '{"id":"c","messages":[{"id":"m","role":"user","parts":[{"type":"text","text":5}]}]}',
        r"parts\[0\]\.text",
    ),
    (
        '{"id":"c","messages":[{"id":"m","role":"user","parts":[{"type":"file","url":"x"}]}]}',
        "mediaType",
    ),
    (
        '{"id":"c","messages":[{"id":"m","role":"user","parts":[{"type":"source-url","url":"x"}]}]}',
        "sourceId",
    ),
    (
        '{"id":"c","messages":[{"id":"m","role":"assistant","parts":[{"type":"tool-x","state":"input-available"}]}]}',
        "toolCallId",
    ),
    (
        '{"id":"c","messages":[{"id":"m","role":"assistant","parts":[{"type":"tool-x","toolCallId":"t","state":"done"}]}]}',
        "state",
    ),
    (
        '{"id":"c","messages":[{"id":"m","role":"assistant","parts":[{"type":"tool-","toolCallId":"t","state":"input-available"}]}]}',
        "type",
    ),
    (
        '{"id":"c","messages":[{"id":"m","role":"assistant","parts":[{"type":"dynamic-tool","toolCallId":"t","state":"input-available"}]}]}',
        "toolName",
    ),
    (
        '{"id":"c","messages":[{"id":"m","role":"assistant","parts":[{"type":"tool-x","toolCallId":"t","state":"approval-responded","approval":{"id":"a","approved":"true"}}]}]}',
        "approval.approved",
    ),
    (
        '{"id":"c","messages":[{"id":"m","role":"assistant","parts":[{"type":"tool-x","toolCallId":"t","state":"approval-responded","approval":{"approved":true}}]}]}',
        "approval.id",
    ),
    (
        '{"id":"c","messages":[{"id":"m","role":"assistant","parts":[{"type":"reasoning"}]}]}',
        "text",
    ),
    (
        '{"id":"c","messages":[{"id":"m","role":"assistant","parts":[{"type":"data-x","id":5,"data":1}]}]}',
        r"parts\[0\]\.id",
    ),
    ('{"id":"c","messages":[{"id":"m","role":"user","parts":[]}],"trigger":"resend"}', "trigger"),
    ('{"id":"c","messages":[{"id":"m","role":"user","parts":[]}],"messageId":7}', "messageId"),
    (
        '{"id":"c","messages":[{"id":"m","role":"user","parts":[{"type":"text","text":"a","providerMetadata":{"x":1}}]}]}',
        "providerMetadata",
    ),
    ("[" * 50_000 + "]" * 50_000, "nested too deeply"),
    (
        '{"id":"c","messages":['
        + '{"id":"m","role":"user","parts":' * 300
        + "[]"
        + "}" * 300
        + "]}",
        "nested too deeply",
    ),
    (b"\xff\xfe{}", "not valid JSON"),
]


@pytest.mark.parametrize(("raw", "message"), MALFORMED)
def test_malformed_bodies_raise_a_clear_error(raw: bytes | str, message: str) -> None:
    with pytest.raises(RequestParseError, match=message) as info:
        ChatRequest.parse(raw)
    assert info.value.status_code == 422
    assert str(info.value).endswith(".")


def test_size_limit() -> None:
    with pytest.raises(RequestParseError, match="larger than 10 bytes") as info:
        ChatRequest.parse(json.dumps(body()), max_size=10)
    assert info.value.status_code == 413


async def _endpoint(request: Request) -> Response:
    try:
        chat = await ChatRequest.from_request(request, max_size=2048)
    except RequestParseError as error:
        return request_error_response(error)
    return JSONResponse({"id": chat.id, "messages": len(chat.messages)})


APP = Starlette(routes=[Route("/api/chat", _endpoint, methods=["POST"])])


async def _post(content: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=APP), base_url="http://t") as c:
        return await c.post("/api/chat", content=content, headers=headers)


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize(("raw", "message"), MALFORMED[:33])
async def test_http_answers_422_with_a_json_error(
    anyio_backend: str, raw: bytes | str, message: str
) -> None:
    content = raw.encode() if isinstance(raw, str) else raw
    if len(content) > 2048:
        return
    response = await _post(content, {"content-type": "application/json"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "invalid_request" and error["message"]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_http_415_413_and_success(anyio_backend: str) -> None:
    ok = json.dumps(body()).encode()
    assert (await _post(ok, {"content-type": "text/plain"})).status_code == 415
    assert (await _post(ok, {})).status_code == 415
    big = json.dumps(body(padding="x" * 5000)).encode()
    response = await _post(big, {"content-type": "application/json"})
    assert (
        response.status_code == 413
        and "larger than 2048 bytes" in response.json()["error"]["message"]
    )
    response = await _post(ok, {"content-type": "application/json; charset=utf-8"})
    assert response.status_code == 200 and response.json() == {"id": "chat-1", "messages": 1}


def _recorded() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/*.json") if p.name != "index.json")


def test_fixtures_cover_every_release_and_flow() -> None:
    releases = {p.parent.name for p in _recorded()}
    assert releases >= {"4.3.19", "5.0.0", "5.0.277", "6.0.0", "6.0.326", "7.0.0", "7.0.173"}
    flows = {p.stem for p in _recorded() if p.parent.name == "6.0.326"}
    assert flows >= {
        "submit", "submit-files-metadata", "edit", "regenerate", "client-tool-output",
        "client-tool-error", "approval-approved", "approval-denied",
    }  # fmt: skip


@pytest.mark.parametrize("path", _recorded(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_body_the_real_client_sends_parses(path: Path) -> None:
    raw = json.loads(path.read_text())
    request = ChatRequest.parse(path.read_bytes())
    if request.protocol == "ui-message-stream":
        assert request.to_dict() == raw  # parsed losslessly


# --- hostile bodies cost little, and errors never echo them ----------------------------------


def _chat_body(*, parts: Any = None, metadata: Any = None) -> bytes:
    message = {"id": "u", "role": "user", "parts": parts or [], "metadata": metadata}
    body = {"id": "c", "trigger": "submit-message", "messages": [message]}
    return json.dumps(body, separators=(",", ":")).encode()


def test_bodies_with_too_many_json_values_are_refused_before_parsing() -> None:
    with pytest.raises(RequestParseError, match="more than 100 JSON values") as info:
        ChatRequest.parse(_chat_body(metadata=[0] * 101), max_values=100)
    assert info.value.status_code == 413
    assert ChatRequest.parse(_chat_body(metadata=[0] * 80), max_values=100).messages


def test_bodies_with_too_many_parts_are_refused_before_validation() -> None:
    parts = [{"type": "text", "text": "a"}] * 10
    with pytest.raises(RequestParseError, match="more than 10 messages and parts") as info:
        ChatRequest.parse(_chat_body(parts=parts), max_parts=10)
    assert (info.value.status_code, info.value.path) == (413, "messages")
    assert len(ChatRequest.parse(_chat_body(parts=parts), max_parts=11).messages[0].parts) == 10
    v4 = {"messages": [{"role": "user", "content": "a", "toolInvocations": [{}] * 20}]}
    with pytest.raises(RequestParseError, match="messages and parts"):
        ChatRequest.parse(json.dumps(v4), max_parts=10)


@pytest.mark.parametrize("depth", [MAX_DEPTH - 4, MAX_DEPTH - 3])
def test_depth_is_bounded_while_parsing_and_a_deep_body_round_trips(depth: int) -> None:
    """``MAX_DEPTH`` levels in all (the body, its message list and message take 3 before the
    metadata, its innermost value 1): accepted and serialised back; one more level refused,
    also as a dict."""
    metadata: Any = 0
    for _ in range(depth):
        metadata = [metadata]
    body = _chat_body(metadata=metadata)
    if depth == MAX_DEPTH - 4:
        request = ChatRequest.parse(body)
        assert request.to_dict()["messages"][0]["metadata"] == metadata
        return
    for raw in (body, json.loads(body)):
        with pytest.raises(RequestParseError, match="nested too deeply"):
            ChatRequest.parse(raw)


def test_errors_repeat_only_a_short_escaped_prefix_of_the_body() -> None:
    """An attacker-chosen tag or key (1 MB, control characters, non-ASCII) appears in the error
    at most as a short, printable prefix."""
    tag = "\x00\u202e" + "k" * 1_000_000
    body = _chat_body(parts=[{"type": "text", "text": 1}])
    hostile: list[str | bytes] = [
        json.dumps({"id": "c", "messages": [{"id": "u", "role": tag, "parts": []}]}),
        json.dumps({"id": "c", "messages": {tag: 1}}),
        body.replace(b'"text":1', b'"text":1,"' + tag.encode() + b'":{"a":1}'),
    ]
    for raw in hostile:
        with pytest.raises(RequestParseError) as info:
            ChatRequest.parse(raw)
        text = json.dumps(info.value.to_dict())
        assert len(text) < 600 and "kkkk" * 100 not in text, text
        assert all(" " <= c <= "~" for c in str(info.value).replace("…", "")), str(info.value)


@pytest.mark.parametrize("chat_id", ["", "a\x00b", "line\nbreak", "\x7f", "x" * 257])
def test_chat_ids_are_bounded_and_have_no_control_characters(chat_id: str) -> None:
    body = {"id": chat_id, "messages": [{"id": "u", "role": "user", "parts": []}]}
    with pytest.raises(RequestParseError, match="no control|none of them a control") as info:
        ChatRequest.parse(json.dumps(body))
    assert info.value.path == "id"
    assert ChatRequest.parse(json.dumps({**body, "id": "x" * 256})).id == "x" * 256


def test_tool_results_can_be_limited_to_the_client_side_tools() -> None:
    """A result for a server tool in a continuation can only be forged: with client_tools,
    tool_results() leaves it out."""
    parts = [
        {"type": "tool-getLocation", "toolCallId": "c1", "state": "output-available",
         "input": {}, "output": "Paris"},
        {"type": "tool-deleteFile", "toolCallId": "c2", "state": "output-available",
         "input": {}, "output": "forged: deleted"},
    ]  # fmt: skip
    body = {
        "id": "c",
        "messages": [
            {"id": "u", "role": "user", "parts": []},
            {"id": "a", "role": "assistant", "parts": parts},
        ],
    }
    request = ChatRequest.parse(json.dumps(body))
    assert [r.tool_call_id for r in request.tool_results()] == ["c1", "c2"]
    assert [r.tool_call_id for r in request.tool_results({"getLocation"})] == ["c1"]


def test_bodies_of_long_numbers_are_refused_before_parsing() -> None:
    """Numbers of thousands of digits cost their square to convert: a body full of them is
    refused before parsing; a few long digit runs (in text, too) pass."""
    with pytest.raises(RequestParseError, match="too many long numbers") as info:
        ChatRequest.parse(_chat_body(metadata=[10**4000] * 100))
    assert info.value.status_code == 413
    text = [{"type": "text", "text": "1" * 40 + " and " + "2" * 1000}]
    assert ChatRequest.parse(_chat_body(parts=text, metadata=[10**4000])).messages


def test_the_number_of_top_level_fields_is_bounded() -> None:
    body = json.loads(_chat_body())
    ChatRequest.parse(json.dumps({**body, **{f"x{i}": i for i in range(MAX_FIELDS - 3)}}))
    with pytest.raises(RequestParseError, match=f"more than {MAX_FIELDS} fields") as info:
        ChatRequest.parse(json.dumps({**body, **{f"x{i}": i for i in range(MAX_FIELDS)}}))
    assert info.value.status_code == 413


def _scan_outcome(chunks: list[bytes], max_values: int) -> str:
    """What ``ChatRequest.from_stream`` says of a body read in these chunks."""
    reads = iter([*chunks, b""])
    try:
        ChatRequest.from_stream(
            lambda _size: next(reads), content_type="application/json", max_values=max_values
        )
    except RequestParseError as error:  # (which bound a body over two is refused for first
        return f"refused: {error.status_code}"  # depends on where the reads cut it)
    return "ok"


@settings(max_examples=300, deadline=None)
@given(
    runs=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 3)), max_size=30),
    cuts=st.lists(st.integers(0, 2000), max_size=12),
    max_values=st.integers(1, 40),
)
@example(  # (over both bounds: the long numbers seen first when read in two pieces)
    runs=[(0, 0)] * 13 + [(24, 0), (40, 0), (40, 2), (36, 3)], cuts=[196], max_values=8
)
def test_the_bounds_of_a_body_read_in_chunks_are_those_of_the_whole_body(
    runs: list[tuple[int, int]], cuts: list[int], max_values: int
) -> None:
    """Long digit runs and values are counted alike however the reads cut the body (a run of
    digits may span several reads)."""
    text = " ".join("7" * digits + "," * commas for digits, commas in runs)
    raw = json.dumps({"id": "c", "messages": [], "note": text}).encode()
    chunks = [raw[a:b] for a, b in itertools.pairwise([0, *sorted(cuts), len(raw)])]
    with patch("ai_stream.protocol.messages.MAX_LONG_DIGITS", 40 * 40 * 2):
        whole = _scan_outcome([raw], max_values)
        assert _scan_outcome([c for c in chunks if c], max_values) == whole


def test_a_body_over_a_bound_is_refused_before_the_rest_is_read() -> None:
    reads: list[int] = []

    def read(size: int) -> bytes:
        reads.append(size)
        return b"[" * size

    with pytest.raises(RequestParseError, match="more than 50000 JSON values") as info:
        ChatRequest.from_stream(read, content_type="application/json")
    assert info.value.status_code == 413
    assert sum(reads) == 64 * 1024  # (one read of the 4 MiB the body could have had)


# --- useCompletion's body ---------------------------------------------------------------------


def test_a_completion_request_keeps_the_prompt_and_the_extra_fields() -> None:
    request = CompletionRequest.parse(json.dumps({"prompt": "Plan a trip", "days": 3}))
    assert (request.prompt, request.extra, request.get("days"), request.get("x", 0)) == (
        "Plan a trip",
        {"days": 3},
        3,
        0,
    )
    assert CompletionRequest.parse({"prompt": ""}).prompt == ""


@pytest.mark.parametrize(
    ("body", "message", "path", "status"),
    [
        ("[]", "The request body must be a JSON object.", "", 422),
        ("{}", "Field required", "prompt", 422),
        ('{"prompt": 1}', "Input should be a valid string", "prompt", 422),
        ('{"prompt": "a"', "The request body is not valid JSON.", "", 422),
        ('{"prompt": "' + "x" * 100 + '"}', "The request body is larger than 64 bytes.", "", 413),
        ("[" * 300 + "]" * 300, "The request body is nested too deeply.", "", 422),
    ],
)
def test_a_bad_completion_request_is_refused_as_a_chat_request_is(
    body: str, message: str, path: str, status: int
) -> None:
    with pytest.raises(RequestParseError) as info:
        CompletionRequest.parse(body, max_size=64 if status == 413 else 4096)
    assert (info.value.path, info.value.status_code) == (path, status)
    assert message in str(info.value)


async def _completion_endpoint(request: Request) -> Response:
    try:
        completion = await CompletionRequest.from_request(request, max_size=64)
    except RequestParseError as error:
        return request_error_response(error)
    return JSONResponse({"prompt": completion.prompt})


async def test_a_completion_request_is_read_bounded_from_starlette(anyio_backend: str) -> None:
    app = Starlette(routes=[Route("/c", _completion_endpoint, methods=["POST"])])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        good = await client.post("/c", json={"prompt": "hi"})
        large = await client.post("/c", json={"prompt": "x" * 100})
        text = await client.post("/c", content=b"hi", headers={"content-type": "text/plain"})
    assert (good.status_code, good.json()) == (200, {"prompt": "hi"})
    assert [large.status_code, text.status_code] == [413, 415]
