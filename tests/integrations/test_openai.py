"""OpenAI adapters: recorded Chat Completions / Responses SSE bodies served to the real ``openai``
SDK through an httpx MockTransport, written into a StreamContext, then replayed through the real
``ai`` client releases (no network, no API key)."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import anyio
import anyio.lowlevel
import httpx
import openai
import pytest
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel

from ai_stream import ObjectResult, ObjectStreamContext, StreamContext
from ai_stream.agent import StreamResult, ToolCallInfo
from ai_stream.integrations.openai import (
    ProviderError,
    openai_response_format,
    openai_text_format,
    stream_chat_completions,
    stream_chat_completions_object,
    stream_responses,
    stream_responses_object,
)
from ai_stream.reducer import UIMessageReducer
from ai_stream.testing import collect_stream, parse_sse_json
from tests.conformance.client import replay
from tests.helpers import leave_after, transcript

RELEASES = {5: "5.0.277", 6: "6.0.326", 7: "7.0.173"}
SECRET = "upstream exploded: key sk-secret-123"

# --- recorded provider bodies ----------------------------------------------------------------


def chat_chunk(
    delta: dict[str, Any] | None = None,
    finish: str | None = None,
    *,
    usage: dict[str, Any] | None = None,
    choices: bool = True,
) -> dict[str, Any]:
    """One ``chat.completion.chunk`` as the API streams it."""
    chunk: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "gpt-4o-2024-08-06",
        "system_fingerprint": "fp_1",
        "choices": [{"index": 0, "delta": delta or {}, "logprobs": None, "finish_reason": finish}]
        if choices
        else [],
    }
    if usage is not None or not choices:
        chunk["usage"] = usage
    return chunk


CHAT_USAGE = {
    "prompt_tokens": 12,
    "completion_tokens": 7,
    "total_tokens": 19,
    "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
}


def tool_delta(
    index: int, *, id: str | None = None, name: str | None = None, args: str = ""
) -> Any:
    piece: dict[str, Any] = {"index": index, "function": {"arguments": args}}
    if id is not None:
        piece.update(id=id, type="function")
        piece["function"]["name"] = name
    return {"tool_calls": [piece]}


CHAT_TEXT = [
    chat_chunk({"role": "assistant", "content": "", "refusal": None}),
    chat_chunk({"content": "Hello"}),
    chat_chunk({"content": ", world"}),
    chat_chunk({"content": "!"}),
    chat_chunk({}, "stop"),
    chat_chunk(usage=CHAT_USAGE, choices=False),
]
CHAT_REASONING = [
    chat_chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
    chat_chunk({"reasoning_content": "The user greets me."}),
    chat_chunk({"reasoning_content": " Reply briefly."}),
    chat_chunk({"content": "Hi there."}),
    chat_chunk({}, "stop"),
    chat_chunk(
        usage={
            "prompt_tokens": 5,
            "completion_tokens": 20,
            "total_tokens": 25,
            "completion_tokens_details": {"reasoning_tokens": 14},
        },
        choices=False,
    ),
]
CHAT_ONE_TOOL = [
    chat_chunk({"role": "assistant", "content": None}),
    chat_chunk(tool_delta(0, id="call_weather", name="get_weather")),
    chat_chunk(tool_delta(0, args='{"ci')),
    chat_chunk(tool_delta(0, args='ty": "Paris"}')),
    chat_chunk({}, "tool_calls"),
    chat_chunk(usage=CHAT_USAGE, choices=False),
]
CHAT_PARALLEL = [
    chat_chunk({"role": "assistant", "content": "Checking both."}),
    chat_chunk(tool_delta(0, id="call_a", name="get_weather")),
    chat_chunk(tool_delta(1, id="call_b", name="get_time")),
    chat_chunk(tool_delta(0, args='{"city":')),
    chat_chunk(tool_delta(1, args='{"tz": "Europe/Paris"}')),
    chat_chunk(tool_delta(0, args=' "Paris"}')),
    chat_chunk({}, "tool_calls"),
]
CHAT_BAD_JSON = [
    chat_chunk({"role": "assistant", "content": None}),
    chat_chunk(tool_delta(0, id="call_bad", name="get_weather")),
    chat_chunk(tool_delta(0, args='{"city": "Par')),
    chat_chunk({}, "tool_calls"),
]
CHAT_REFUSAL = [
    chat_chunk({"role": "assistant", "content": None, "refusal": "I can't "}),
    chat_chunk({"refusal": "help with that."}),
    chat_chunk({}, "stop"),
]
CHAT_LENGTH = [chat_chunk({"content": "Cut"}), chat_chunk({}, "length")]
CHAT_ERROR_AFTER = [chat_chunk({"content": "Partial"})]  # then an error object


def chat_body(chunks: list[dict[str, Any]], *, error: bool = False) -> bytes:
    frames = [f"data: {json.dumps(c)}\n\n" for c in chunks]
    if error:
        frames.append(
            f"data: {json.dumps({'error': {'message': SECRET, 'type': 'server_error'}})}\n\n"
        )
    else:
        frames.append("data: [DONE]\n\n")
    return "".join(frames).encode()


class Seq:
    """Responses events with increasing ``sequence_number``."""

    def __init__(self) -> None:
        self.n = itertools.count()

    def __call__(self, type: str, **fields: Any) -> dict[str, Any]:
        return {"type": type, "sequence_number": next(self.n), **fields}


def response_obj(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1700000000,
        "model": "o4-mini-2025-04-16",
        "status": status,
        "output": [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        **extra,
    }


RESPONSES_USAGE = {
    "input_tokens": 30,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 50,
    "output_tokens_details": {"reasoning_tokens": 32},
    "total_tokens": 80,
}


def message_events(e: Seq, item_id: str, *deltas: str, index: int = 0) -> list[dict[str, Any]]:
    text = "".join(deltas)
    item = {"id": item_id, "type": "message", "role": "assistant", "status": "in_progress"}
    part = {"type": "output_text", "text": "", "annotations": []}
    done_part = {**part, "text": text}
    return [
        e("response.output_item.added", output_index=index, item={**item, "content": []}),
        e("response.content_part.added", item_id=item_id, output_index=index, content_index=0,
          part=part),
        *[
            e("response.output_text.delta", item_id=item_id, output_index=index, content_index=0,
              delta=d, logprobs=[])
            for d in deltas
        ],
        e("response.output_text.done", item_id=item_id, output_index=index, content_index=0,
          text=text, logprobs=[]),
        e("response.content_part.done", item_id=item_id, output_index=index, content_index=0,
          part=done_part),
        e("response.output_item.done", output_index=index,
          item={**item, "status": "completed", "content": [done_part]}),
    ]  # fmt: skip


def function_events(
    e: Seq, item_id: str, call_id: str, name: str, deltas: list[str], index: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(added + deltas, done events) of one function call."""
    args = "".join(deltas)
    item = {"id": item_id, "type": "function_call", "call_id": call_id, "name": name,
            "arguments": "", "status": "in_progress"}  # fmt: skip
    start = [e("response.output_item.added", output_index=index, item=item)] + [
        e("response.function_call_arguments.delta", item_id=item_id, output_index=index, delta=d)
        for d in deltas
    ]
    done = [
        e("response.function_call_arguments.done", item_id=item_id, output_index=index,
          arguments=args),
        e("response.output_item.done", output_index=index,
          item={**item, "arguments": args, "status": "completed"}),
    ]  # fmt: skip
    return start, done


def created(e: Seq) -> list[dict[str, Any]]:
    return [
        e("response.created", response=response_obj("in_progress")),
        e("response.in_progress", response=response_obj("in_progress")),
    ]


def completed(e: Seq) -> dict[str, Any]:
    return e("response.completed", response=response_obj("completed", usage=RESPONSES_USAGE))


def r_text() -> list[dict[str, Any]]:
    e = Seq()
    return [*created(e), *message_events(e, "msg_1", "Hello", ", world", "!"), completed(e)]


def r_reasoning() -> list[dict[str, Any]]:
    e = Seq()
    item = {"id": "rs_1", "type": "reasoning", "summary": []}
    summary = [
        {"type": "summary_text", "text": "**Plan** Greet back."},
        {"type": "summary_text", "text": "Keep it short."},
    ]
    events = [*created(e), e("response.output_item.added", output_index=0, item=item)]
    for i, (first, rest) in enumerate([("**Plan**", " Greet back."), ("Keep it", " short.")]):
        part = {"type": "summary_text", "text": ""}
        events += [
            e("response.reasoning_summary_part.added", item_id="rs_1", output_index=0,
              summary_index=i, part=part),
            e("response.reasoning_summary_text.delta", item_id="rs_1", output_index=0,
              summary_index=i, delta=first),
            e("response.reasoning_summary_text.delta", item_id="rs_1", output_index=0,
              summary_index=i, delta=rest),
            e("response.reasoning_summary_text.done", item_id="rs_1", output_index=0,
              summary_index=i, text=first + rest),
            e("response.reasoning_summary_part.done", item_id="rs_1", output_index=0,
              summary_index=i, part=summary[i]),
        ]  # fmt: skip
    done_item = {**item, "summary": summary, "encrypted_content": "gAAAA-encrypted"}
    events.append(e("response.output_item.done", output_index=0, item=done_item))
    events += message_events(e, "msg_1", "Hi", " there.", index=1)
    return [*events, completed(e)]


def r_one_tool() -> list[dict[str, Any]]:
    e = Seq()
    start, done = function_events(
        e, "fc_1", "call_weather", "get_weather", ['{"ci', 'ty": "Paris"}'], 0
    )
    return [*created(e), *start, *done, completed(e)]


def r_parallel() -> list[dict[str, Any]]:
    e = Seq()
    events = [*created(e), *message_events(e, "msg_1", "Checking both.")]
    a_start, a_done = function_events(
        e, "fc_a", "call_a", "get_weather", ['{"city":', ' "Paris"}'], 1
    )
    b_start, b_done = function_events(
        e, "fc_b", "call_b", "get_time", ['{"tz": "Europe/Paris"}'], 2
    )
    return [*events, *a_start, *a_done, *b_start, *b_done, completed(e)]


def r_bad_json() -> list[dict[str, Any]]:
    e = Seq()
    start, done = function_events(e, "fc_1", "call_bad", "get_weather", ['{"city": "Par'], 0)
    return [*created(e), *start, *done, completed(e)]


def r_error() -> list[dict[str, Any]]:
    e = Seq()
    events = [*created(e), *message_events(e, "msg_1", "Partial")[:3]]
    return [*events, e("error", code="server_error", message=SECRET, param=None)]


def r_failed() -> list[dict[str, Any]]:
    e = Seq()
    error = {"code": "server_error", "message": SECRET}
    return [*created(e), e("response.failed", response=response_obj("failed", error=error))]


def r_incomplete() -> list[dict[str, Any]]:
    e = Seq()
    events = [*created(e), *message_events(e, "msg_1", "Cut")]
    response = response_obj(
        "incomplete", incomplete_details={"reason": "max_output_tokens"}, usage=RESPONSES_USAGE
    )
    return [*events, e("response.incomplete", response=response)]


def r_search() -> list[dict[str, Any]]:
    """Web search + file search (provider-executed) and their citations."""
    e = Seq()
    ws = {"id": "ws_1", "type": "web_search_call", "status": "in_progress",
          "action": {"type": "search", "query": "paris weather"}}  # fmt: skip
    fs = {"id": "fs_1", "type": "file_search_call", "status": "in_progress", "queries": []}
    results = [{"file_id": "file_1", "filename": "guide.pdf", "score": 0.9, "text": "Pack light."}]
    events = [
        *created(e),
        e("response.output_item.added", output_index=0, item=ws),
        e("response.web_search_call.in_progress", item_id="ws_1", output_index=0),
        e("response.web_search_call.searching", item_id="ws_1", output_index=0),
        e("response.web_search_call.completed", item_id="ws_1", output_index=0),
        e("response.output_item.done", output_index=0, item={**ws, "status": "completed"}),
        e("response.output_item.added", output_index=1, item=fs),
        e("response.file_search_call.completed", item_id="fs_1", output_index=1),
        e("response.output_item.done", output_index=1,
          item={**fs, "status": "completed", "queries": ["packing"], "results": results}),
    ]  # fmt: skip
    message = message_events(e, "msg_1", "Sunny, ", "pack light.", index=2)
    url = {"type": "url_citation", "url": "https://weather.example/paris", "title": "Paris",
           "start_index": 0, "end_index": 6}  # fmt: skip
    doc = {"type": "file_citation", "file_id": "file_1", "filename": "guide.pdf", "index": 18}
    annotations = [
        e("response.output_text.annotation.added", item_id="msg_1", output_index=2,
          content_index=0, annotation_index=i, annotation=a)
        for i, a in enumerate([url, doc])
    ]  # fmt: skip
    return [*events, *message[:4], *annotations, *message[4:], completed(e)]


def r_encrypted_only() -> list[dict[str, Any]]:
    """A reasoning item without a summary (only its encrypted content is requested)."""
    e = Seq()
    item = {"id": "rs_2", "type": "reasoning", "summary": [], "encrypted_content": "gAAAA-early"}
    return [
        *created(e),
        e("response.output_item.added", output_index=0, item=item),
        e("response.output_item.done", output_index=0,
          item={**item, "encrypted_content": "gAAAA-final"}),
        *message_events(e, "msg_1", "Hi.", index=1),
        completed(e),
    ]  # fmt: skip


def r_raw_reasoning() -> list[dict[str, Any]]:
    """An open-weights server (gpt-oss on vLLM): raw reasoning text without its item events, empty
    deltas."""
    e = Seq()
    deltas = ["Think", "", " more."]
    return [
        *created(e),
        *[
            e("response.reasoning_text.delta", item_id="rs_oss", output_index=0, content_index=0,
              delta=d)
            for d in deltas
        ],
        *message_events(e, "msg_1", "", "Answer.", index=1),
        completed(e),
    ]  # fmt: skip


def r_refusal() -> list[dict[str, Any]]:
    e = Seq()
    item = {"id": "msg_r", "type": "message", "role": "assistant", "status": "in_progress"}
    part = {"type": "refusal", "refusal": ""}
    done_part = {"type": "refusal", "refusal": "I can't help with that."}
    return [
        *created(e),
        e("response.output_item.added", output_index=0, item={**item, "content": []}),
        e("response.content_part.added", item_id="msg_r", output_index=0, content_index=0,
          part=part),
        e("response.refusal.delta", item_id="msg_r", output_index=0, content_index=0,
          delta="I can't "),
        e("response.refusal.delta", item_id="msg_r", output_index=0, content_index=0,
          delta="help with that."),
        e("response.refusal.done", item_id="msg_r", output_index=0, content_index=0,
          refusal="I can't help with that."),
        e("response.content_part.done", item_id="msg_r", output_index=0, content_index=0,
          part=done_part),
        e("response.output_item.done", output_index=0,
          item={**item, "status": "completed", "content": [done_part]}),
        completed(e),
    ]  # fmt: skip


def r_hosted_tools() -> list[dict[str, Any]]:
    """Web search actions (open page, find in page, search with sources, a future action, a
    failed search), results whose item was never added, an image generation item (not shown),
    and annotations of code interpreter files."""
    e = Seq()

    def web(item_id: str, action: dict[str, Any], status: str = "completed") -> dict[str, Any]:
        return {"id": item_id, "type": "web_search_call", "status": status, "action": action}

    open_page = web("ws_open", {"type": "open_page", "url": "https://weather.example/paris"})
    find = web("ws_find", {"type": "find_in_page", "url": "https://weather.example/paris",
                           "pattern": "sunny"})  # fmt: skip
    sources = [{"type": "url", "url": "https://weather.example/paris"}]
    search = web("ws_search", {"type": "search", "query": "paris", "sources": sources})
    future = web("ws_future", {"type": "screenshot", "url": "https://weather.example"})
    failed = web("ws_failed", {"type": "search", "query": "oslo"}, status="failed")
    code = {"id": "ci_2", "type": "code_interpreter_call", "status": "completed",
            "container_id": "cntr_2", "code": "print(2 * 21)",
            "outputs": [{"type": "logs", "logs": "42\n"}]}  # fmt: skip
    image = {"id": "ig_1", "type": "image_generation_call", "status": "completed", "result": None}
    citation = {"type": "container_file_citation", "container_id": "cntr_2",
                "file_id": "cfile_1", "filename": "chart.png", "start_index": 0,
                "end_index": 5}  # fmt: skip
    file_path = {"type": "file_path", "file_id": "cfile_2", "index": 5}
    message = message_events(e, "msg_1", "Done.", index=6)
    return [
        *created(e),
        *[
            event
            for i, item in enumerate([open_page, find, failed])
            for event in (
                e("response.output_item.added", output_index=i,
                  item={**item, "status": "in_progress"}),
                e("response.output_item.done", output_index=i, item=item),
            )
        ],
        e("response.output_item.done", output_index=3, item=search),  # never added
        e("response.output_item.done", output_index=4, item=future),
        e("response.output_item.done", output_index=5, item=code),
        e("response.output_item.added", output_index=6, item=image),
        e("response.output_item.done", output_index=6, item=image),
        *message[:4],
        *[
            e("response.output_text.annotation.added", item_id="msg_1", output_index=6,
              content_index=0, annotation_index=i, annotation=a)
            for i, a in enumerate([citation, file_path])
        ],
        *message[4:],
        completed(e),
    ]  # fmt: skip


def r_function_quirks() -> list[dict[str, Any]]:
    """Function calls as compatible servers send them: the whole call in output_item.added,
    deltas missed before arguments.done, late or unknown events."""
    e = Seq()
    whole = {"id": "fc_w", "type": "function_call", "call_id": "call_w", "name": "get_time",
             "arguments": '{"tz": "UTC"}', "status": "completed"}  # fmt: skip
    partial = {"id": "fc_p", "type": "function_call", "call_id": "call_p", "name": "get_weather",
               "arguments": "", "status": "in_progress"}  # fmt: skip
    full = '{"city": "Paris"}'
    return [
        *created(e),
        e("response.output_item.added", output_index=0, item=whole),
        e("response.output_item.done", output_index=0, item=whole),
        e("response.output_item.added", output_index=1, item=partial),
        e("response.function_call_arguments.delta", item_id="fc_p", output_index=1,
          delta='{"city": "Par'),
        e("response.function_call_arguments.done", item_id="fc_p", output_index=1,
          arguments=full),
        e("response.function_call_arguments.delta", item_id="fc_p", output_index=1,
          delta="late"),
        e("response.output_item.done", output_index=1,
          item={**partial, "arguments": full, "status": "completed"}),
        e("response.function_call_arguments.done", item_id="fc_unknown", output_index=2,
          arguments="{}"),
        e("response.output_item.done", output_index=2,
          item={**partial, "id": "fc_unknown", "call_id": "call_u"}),
        completed(e),
    ]  # fmt: skip


CHAT_COMPATIBLE = [  # a compatible server: no model, n=2, no delta in the last chunk, own spelling
    {"id": "cmpl-9", "object": "chat.completion.chunk", "created": 1, "choices": [
        {"index": 0, "delta": {"role": "assistant", "content": "Hi"}},
        {"index": 1, "delta": {"role": "assistant", "content": "Hello"}},
    ], "usage": {"prompt_tokens": None, "completion_tokens": None, "total_tokens": None}},
    {"id": "cmpl-9", "object": "chat.completion.chunk", "created": 1,
     "choices": [{"index": 0, "finish_reason": "eos"}],
     "usage": {"prompt_tokens": 5, "completion_tokens": 3}},
]  # fmt: skip
CHAT_NAMELESS_TOOL = [  # a tool call that never gets a name, and no finish_reason at all
    chat_chunk(tool_delta(0, id="call_t", name="get_time", args="{}")),
    chat_chunk({"tool_calls": [{"index": 1, "id": "call_x", "function": {"arguments": ""}}]}),
    chat_chunk({"tool_calls": [{"index": 1, "function": {"arguments": '{"a": 1}'}}]}),
]


def responses_body(events: list[dict[str, Any]]) -> bytes:
    return "".join(f"event: {ev['type']}\ndata: {json.dumps(ev)}\n\n" for ev in events).encode()


# --- the real SDK over a mock transport -------------------------------------------------------


class RecordedBody(httpx.AsyncByteStream):
    """Serves SSE frames one by one; can hang after ``stall_after`` frames; records closing."""

    def __init__(self, body: bytes, stall_after: int | None = None) -> None:
        self.frames = [f + b"\n\n" for f in body.split(b"\n\n") if f]
        self.stall_after = stall_after
        self.sent = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for frame in self.frames:
            if self.stall_after is not None and self.sent >= self.stall_after:
                await anyio.sleep_forever()
            self.sent += 1
            yield frame
            await anyio.lowlevel.checkpoint()

    async def aclose(self) -> None:
        self.closed = True


def sdk_client(
    body: RecordedBody, requests: list[dict[str, Any]] | None = None
) -> openai.AsyncOpenAI:
    """A real SDK client that answers with ``body``; request bodies go into ``requests``."""

    def handler(request: httpx.Request) -> httpx.Response:
        if requests is not None:
            requests.append(json.loads(request.content))
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=body)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    # openai >= 3 types the client as httpx2 but accepts an httpx client as well.
    return openai.AsyncOpenAI(
        api_key="test", base_url="http://test/v1", http_client=cast(Any, http)
    )


async def sdk_chat_stream(body: RecordedBody) -> Any:
    return await sdk_client(body).chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )


async def sdk_responses_stream(body: RecordedBody) -> Any:
    return await sdk_client(body).responses.create(model="o4-mini", input="Hi", stream=True)


# --- LiteLLM-like objects (no openai types) -----------------------------------------------------


def to_namespace(value: Any) -> Any:
    if isinstance(value, dict):
        return SimpleNamespace(**{k: to_namespace(v) for k, v in value.items()})
    if isinstance(value, list):
        return [to_namespace(v) for v in value]
    return value


class LiteLLMLikeStream:
    """An async iterator of attribute objects with ``aclose`` (as LiteLLM's stream wrapper)."""

    def __init__(self, chunks: list[dict[str, Any]]) -> None:
        self._chunks = iter([to_namespace(c) for c in chunks])
        self.closed = False

    def __aiter__(self) -> LiteLLMLikeStream:
        return self

    async def __anext__(self) -> Any:
        await anyio.lowlevel.checkpoint()
        try:
            return next(self._chunks)
        except StopIteration:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        self.closed = True


# --- cases -------------------------------------------------------------------------------------

Adapter = Callable[[StreamContext[Any], Any], Awaitable[StreamResult]]


@dataclass
class Case:
    name: str
    adapter: Adapter
    make_stream: Callable[[], Awaitable[Any]]
    expect: str = "ready"
    majors: tuple[int, ...] = (5, 6, 7)


def chat_case(name: str, chunks: list[dict[str, Any]], **kw: Any) -> Case:
    error = kw.pop("error", False)

    async def make() -> Any:
        return await sdk_chat_stream(RecordedBody(chat_body(chunks, error=error)))

    return Case(name, stream_chat_completions, make, **kw)


def responses_case(name: str, events: list[dict[str, Any]], **kw: Any) -> Case:
    async def make() -> Any:
        return await sdk_responses_stream(RecordedBody(responses_body(events)))

    return Case(name, stream_responses, make, **kw)


async def _plain_dicts() -> Any:
    return json.loads(json.dumps(CHAT_PARALLEL))


async def _litellm_like() -> Any:
    return LiteLLMLikeStream(CHAT_REASONING)


CASES = [
    chat_case("chat-text", CHAT_TEXT),
    chat_case("chat-reasoning", CHAT_REASONING),
    chat_case("chat-one-tool", CHAT_ONE_TOOL),
    chat_case("chat-parallel-tools", CHAT_PARALLEL),
    chat_case("chat-bad-tool-json", CHAT_BAD_JSON),
    chat_case("chat-refusal", CHAT_REFUSAL),
    chat_case("chat-length", CHAT_LENGTH),
    chat_case("chat-provider-error", CHAT_ERROR_AFTER, error=True, expect="error"),
    Case("chat-plain-dicts", stream_chat_completions, _plain_dicts),
    Case("chat-litellm-like", stream_chat_completions, _litellm_like),
    responses_case("responses-text", r_text()),
    responses_case("responses-reasoning", r_reasoning()),
    responses_case("responses-one-tool", r_one_tool()),
    responses_case("responses-parallel-tools", r_parallel()),
    responses_case("responses-bad-tool-json", r_bad_json()),
    responses_case("responses-error-event", r_error(), expect="error"),
    responses_case("responses-failed", r_failed(), expect="error"),
    responses_case("responses-incomplete", r_incomplete()),
    responses_case("responses-search-and-citations", r_search()),
    responses_case("responses-encrypted-only", r_encrypted_only()),
    responses_case("responses-raw-reasoning", r_raw_reasoning()),
    responses_case("responses-refusal", r_refusal()),
    responses_case("responses-hosted-tools", r_hosted_tools()),
    responses_case("responses-function-quirks", r_function_quirks()),
    chat_case("chat-compatible", CHAT_COMPATIBLE),
    chat_case("chat-nameless-tool", CHAT_NAMELESS_TOOL),
]


@dataclass
class Produced:
    body: bytes
    result: StreamResult | None
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)


def counter_ids() -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"id{next(numbers)}"


async def produce(case: Case, major: int) -> Produced:
    ctx: StreamContext[None] = StreamContext(
        sdk_version=major, collect=True, message_id="msg", id_generator=counter_ids()
    )
    results: list[StreamResult] = []

    async def work(ctx: StreamContext[None]) -> None:
        result = await case.adapter(ctx, await case.make_stream())
        results.append(result)
        await ctx.finish(result.finish_reason)

    await ctx.run(work)
    body = await collect_stream(ctx)
    assert ctx.record is not None
    release = RELEASES[major]
    return Produced(
        body, results[0] if results else None, {release: ctx.record.to_ui_message(release)}
    )


@pytest.fixture(scope="module")
def produced() -> dict[tuple[str, int], Produced]:
    out: dict[tuple[str, int], Produced] = {}
    for case in CASES:
        for major in case.majors:
            out[case.name, major] = anyio.run(produce, case, major)
    return out


@pytest.fixture(scope="module")
def replayed(produced: dict[tuple[str, int], Produced]) -> dict[str, dict[str, Any]]:
    cases = [
        {"name": f"{name}@{major}", "body": p.body.decode(), "versions": [RELEASES[major]]}
        for (name, major), p in produced.items()
    ]
    return replay(cases)


PAIRS = [(c.name, m) for c in CASES for m in c.majors]
EXPECT = {c.name: c.expect for c in CASES}


@pytest.mark.parametrize(("name", "major"), PAIRS, ids=[f"{n}@{m}" for n, m in PAIRS])
def test_real_client_accepts_stream(
    produced: dict[tuple[str, int], Produced],
    replayed: dict[str, dict[str, Any]],
    name: str,
    major: int,
) -> None:
    release = RELEASES[major]
    p = produced[name, major]
    result = replayed[f"{name}@{major}"][release]
    chat = result["chat"]
    assert result["chunkErrors"] == []
    assert chat["status"] == EXPECT[name]
    assert chat["messages"][-1] == p.messages[release]
    if EXPECT[name] == "error":
        assert chat["error"] == "An error occurred."
        assert b"sk-secret" not in p.body and b"exploded" not in p.body


# --- golden transcripts (ai 6) -------------------------------------------------------------------


def chunks_of(produced: dict[tuple[str, int], Produced], name: str) -> list[dict[str, Any]]:
    return parse_sse_json(produced[name, 6].body)


START = [{"type": "start", "messageId": "msg"}, {"type": "start-step"}]
CHAT_UI_USAGE = {
    "inputTokens": 12,
    "outputTokens": 7,
    "totalTokens": 19,
    "reasoningTokens": 0,
    "cachedInputTokens": 4,
}
CHAT_USAGE_META = {"type": "message-metadata", "messageMetadata": {"usage": CHAT_UI_USAGE}}


def test_golden_chat_text(produced: dict[tuple[str, int], Produced]) -> None:
    assert chunks_of(produced, "chat-text") == [
        *START,
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "Hello"},
        {"type": "text-delta", "id": "text-1", "delta": ", world"},
        {"type": "text-delta", "id": "text-1", "delta": "!"},
        {"type": "text-end", "id": "text-1"},
        CHAT_USAGE_META,
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
    ]
    result = produced["chat-text", 6].result
    assert result is not None
    assert result.finish_reason == "stop"
    assert result.usage == CHAT_UI_USAGE
    assert result.tool_calls == []
    assert result.provider_metadata == {"response_id": "chatcmpl-1", "model": "gpt-4o-2024-08-06"}


def test_golden_chat_reasoning(produced: dict[tuple[str, int], Produced]) -> None:
    usage = {"inputTokens": 5, "outputTokens": 20, "totalTokens": 25, "reasoningTokens": 14}
    expected = [
        *START,
        {"type": "reasoning-start", "id": "reasoning-1"},
        {"type": "reasoning-delta", "id": "reasoning-1", "delta": "The user greets me."},
        {"type": "reasoning-delta", "id": "reasoning-1", "delta": " Reply briefly."},
        {"type": "reasoning-end", "id": "reasoning-1"},
        {"type": "text-start", "id": "text-2"},
        {"type": "text-delta", "id": "text-2", "delta": "Hi there."},
        {"type": "text-end", "id": "text-2"},
        {"type": "message-metadata", "messageMetadata": {"usage": usage}},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
    ]
    assert chunks_of(produced, "chat-reasoning") == expected
    assert chunks_of(produced, "chat-litellm-like") == expected  # same chunks, duck-typed


def test_golden_chat_parallel_tools(produced: dict[tuple[str, int], Produced]) -> None:
    expected = [
        *START,
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "Checking both."},
        {"type": "text-end", "id": "text-1"},
        {"type": "tool-input-start", "toolCallId": "call_a", "toolName": "get_weather"},
        {"type": "tool-input-start", "toolCallId": "call_b", "toolName": "get_time"},
        {"type": "tool-input-delta", "toolCallId": "call_a", "inputTextDelta": '{"city":'},
        {"type": "tool-input-delta", "toolCallId": "call_b",
         "inputTextDelta": '{"tz": "Europe/Paris"}'},
        {"type": "tool-input-delta", "toolCallId": "call_a", "inputTextDelta": ' "Paris"}'},
        {"type": "tool-input-available", "toolCallId": "call_a", "toolName": "get_weather",
         "input": {"city": "Paris"}},
        {"type": "tool-input-available", "toolCallId": "call_b", "toolName": "get_time",
         "input": {"tz": "Europe/Paris"}},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "tool-calls"},
    ]  # fmt: skip
    assert chunks_of(produced, "chat-parallel-tools") == expected
    assert chunks_of(produced, "chat-plain-dicts") == expected
    for name in ("chat-parallel-tools", "chat-plain-dicts"):
        result = produced[name, 6].result
        assert result is not None
        assert result.finish_reason == "tool-calls"
        assert result.tool_calls == [
            ToolCallInfo("call_a", "get_weather", {"city": "Paris"}),
            ToolCallInfo("call_b", "get_time", {"tz": "Europe/Paris"}),
        ]


def test_golden_chat_bad_json(produced: dict[tuple[str, int], Produced]) -> None:
    chunks = chunks_of(produced, "chat-bad-tool-json")
    error = chunks[-3]
    assert error["type"] == "tool-input-error"
    assert error["errorText"] == "The model sent arguments for this tool that are not valid JSON."
    assert chunks == [
        *START,
        {"type": "tool-input-start", "toolCallId": "call_bad", "toolName": "get_weather"},
        {"type": "tool-input-delta", "toolCallId": "call_bad", "inputTextDelta": '{"city": "Par'},
        {"type": "tool-input-error", "toolCallId": "call_bad", "toolName": "get_weather",
         "input": '{"city": "Par', "errorText": error["errorText"]},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "tool-calls"},
    ]  # fmt: skip
    result = produced["chat-bad-tool-json", 6].result
    assert result is not None and result.tool_calls == []
    # ai 5 (5.0.0 lacks tool-input-error): the call fails instead.
    v5 = parse_sse_json(produced["chat-bad-tool-json", 5].body)
    assert [c["type"] for c in v5[3:6]] == [
        "tool-input-delta",
        "tool-input-available",
        "tool-output-error",
    ]


def test_chat_refusal_and_length(produced: dict[tuple[str, int], Produced]) -> None:
    text = [
        c.get("delta") for c in chunks_of(produced, "chat-refusal") if c["type"] == "text-delta"
    ]
    assert text == ["I can't ", "help with that."]
    result = produced["chat-refusal", 6].result
    assert result is not None and result.provider_metadata["refusal"] == "I can't help with that."
    assert chunks_of(produced, "chat-length")[-1] == {"type": "finish", "finishReason": "length"}


def test_provider_errors_are_masked(produced: dict[tuple[str, int], Produced]) -> None:
    for name in ("chat-provider-error", "responses-error-event", "responses-failed"):
        chunks = chunks_of(produced, name)
        assert {"type": "error", "errorText": "An error occurred."} in chunks
        assert chunks[-1] == {"type": "finish", "finishReason": "error"}
        assert SECRET not in produced[name, 6].body.decode()


def test_golden_responses_reasoning(produced: dict[tuple[str, int], Produced]) -> None:
    meta = {"openai": {"itemId": "rs_1", "reasoningEncryptedContent": None}}
    final = {"openai": {"itemId": "rs_1", "reasoningEncryptedContent": "gAAAA-encrypted"}}
    usage = {"inputTokens": 30, "outputTokens": 50, "totalTokens": 80, "reasoningTokens": 32,
             "cachedInputTokens": 0}  # fmt: skip
    assert chunks_of(produced, "responses-reasoning") == [
        *START,
        {"type": "reasoning-start", "id": "reasoning-1", "providerMetadata": meta},
        {"type": "reasoning-delta", "id": "reasoning-1", "delta": "**Plan**",
         "providerMetadata": meta},
        {"type": "reasoning-delta", "id": "reasoning-1", "delta": " Greet back."},
        {"type": "reasoning-end", "id": "reasoning-1"},
        {"type": "reasoning-start", "id": "reasoning-2", "providerMetadata": meta},
        {"type": "reasoning-delta", "id": "reasoning-2", "delta": "Keep it",
         "providerMetadata": meta},
        {"type": "reasoning-delta", "id": "reasoning-2", "delta": " short."},
        {"type": "reasoning-end", "id": "reasoning-2", "providerMetadata": final},
        {"type": "text-start", "id": "text-3"},
        {"type": "text-delta", "id": "text-3", "delta": "Hi"},
        {"type": "text-delta", "id": "text-3", "delta": " there."},
        {"type": "text-end", "id": "text-3"},
        {"type": "message-metadata", "messageMetadata": {"usage": usage}},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
    ]  # fmt: skip
    result = produced["responses-reasoning", 6].result
    assert result is not None
    assert result.usage == usage
    assert result.provider_metadata == {"response_id": "resp_1", "model": "o4-mini-2025-04-16"}


def test_responses_reasoning_round_trips_to_converter(
    produced: dict[tuple[str, int], Produced],
) -> None:
    from ai_stream.convert import to_openai_responses

    message = produced["responses-reasoning", 6].messages[RELEASES[6]]
    user = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]}
    items = to_openai_responses([user, message], include_reasoning=True)
    assert items[1] == {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [
            {"type": "summary_text", "text": "**Plan** Greet back."},
            {"type": "summary_text", "text": "Keep it short."},
        ],
        "encrypted_content": "gAAAA-encrypted",
    }


def test_golden_responses_parallel_tools(produced: dict[tuple[str, int], Produced]) -> None:
    assert chunks_of(produced, "responses-parallel-tools") == [
        *START,
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "Checking both."},
        {"type": "text-end", "id": "text-1"},
        {"type": "tool-input-start", "toolCallId": "call_a", "toolName": "get_weather"},
        {"type": "tool-input-delta", "toolCallId": "call_a", "inputTextDelta": '{"city":'},
        {"type": "tool-input-delta", "toolCallId": "call_a", "inputTextDelta": ' "Paris"}'},
        {"type": "tool-input-available", "toolCallId": "call_a", "toolName": "get_weather",
         "input": {"city": "Paris"}},
        {"type": "tool-input-start", "toolCallId": "call_b", "toolName": "get_time"},
        {"type": "tool-input-delta", "toolCallId": "call_b",
         "inputTextDelta": '{"tz": "Europe/Paris"}'},
        {"type": "tool-input-available", "toolCallId": "call_b", "toolName": "get_time",
         "input": {"tz": "Europe/Paris"}},
        {"type": "message-metadata", "messageMetadata": {"usage": {
            "inputTokens": 30, "outputTokens": 50, "totalTokens": 80, "reasoningTokens": 32,
            "cachedInputTokens": 0}}},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "tool-calls"},
    ]  # fmt: skip
    result = produced["responses-parallel-tools", 6].result
    assert result is not None and result.finish_reason == "tool-calls"
    assert [c.tool_call_id for c in result.tool_calls] == ["call_a", "call_b"]


def test_responses_bad_json_and_incomplete(produced: dict[tuple[str, int], Produced]) -> None:
    types = [c["type"] for c in chunks_of(produced, "responses-bad-tool-json")]
    assert "tool-input-error" in types
    result = produced["responses-bad-tool-json", 6].result
    assert result is not None and result.tool_calls == [] and result.finish_reason == "stop"
    assert chunks_of(produced, "responses-incomplete")[-1] == {
        "type": "finish",
        "finishReason": "length",
    }


def test_golden_responses_search_and_citations(produced: dict[tuple[str, int], Produced]) -> None:
    chunks = [c for c in chunks_of(produced, "responses-search-and-citations")
              if c["type"] != "message-metadata"]  # fmt: skip
    assert chunks == [
        *START,
        {"type": "tool-input-available", "toolCallId": "ws_1", "toolName": "web_search",
         "input": {}, "providerExecuted": True},
        {"type": "tool-output-available", "toolCallId": "ws_1", "providerExecuted": True,
         "output": {"action": {"type": "search", "query": "paris weather"}}},
        {"type": "tool-input-available", "toolCallId": "fs_1", "toolName": "file_search",
         "input": {}, "providerExecuted": True},
        {"type": "tool-output-available", "toolCallId": "fs_1", "providerExecuted": True,
         "output": {"queries": ["packing"], "results": [{"attributes": None, "fileId": "file_1",
                    "filename": "guide.pdf", "score": 0.9, "text": "Pack light."}]}},
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "Sunny, "},
        {"type": "text-delta", "id": "text-1", "delta": "pack light."},
        {"type": "source-url", "sourceId": "msg_1:0:0", "url": "https://weather.example/paris",
         "title": "Paris"},
        {"type": "source-document", "sourceId": "msg_1:0:1", "mediaType": "text/plain",
         "title": "guide.pdf", "filename": "guide.pdf",
         "providerMetadata": {"openai": {"fileId": "file_1"}}},
        {"type": "text-end", "id": "text-1"},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
    ]  # fmt: skip
    result = produced["responses-search-and-citations", 6].result
    assert result is not None and result.tool_calls == []
    assert [c.tool_name for c in result.provider_metadata["provider_tool_calls"]] == [
        "web_search",
        "file_search",
    ]


# --- unit tests ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_code_interpreter_streams_its_code() -> None:
    e = Seq()
    item = {"id": "ci_1", "type": "code_interpreter_call", "status": "in_progress",
            "container_id": "cntr_1", "code": None, "outputs": None}  # fmt: skip
    outputs = [{"type": "logs", "logs": "2\n"}]
    events = [
        e("response.output_item.added", output_index=0, item=item),
        e("response.code_interpreter_call_code.delta", item_id="ci_1", output_index=0,
          delta='print(1 + 1)\n'),
        e("response.code_interpreter_call_code.done", item_id="ci_1", output_index=0,
          code="print(1 + 1)\n"),
        e("response.output_item.done", output_index=0,
          item={**item, "status": "completed", "code": "print(1 + 1)\n", "outputs": outputs}),
        completed(e),
    ]  # fmt: skip
    ctx: StreamContext[None] = StreamContext(sdk_version=6, collect=True)
    await ctx.run(lambda c: stream_responses(c, events))
    chunks = parse_sse_json(await collect_stream(ctx))
    tool = [c for c in chunks if c.get("toolCallId") == "ci_1"]
    deltas = "".join(c["inputTextDelta"] for c in tool if c["type"] == "tool-input-delta")
    assert json.loads(deltas) == {"containerId": "cntr_1", "code": "print(1 + 1)\n"}
    assert tool[-2]["input"] == {"containerId": "cntr_1", "code": "print(1 + 1)\n"}
    assert tool[-1] == {"type": "tool-output-available", "toolCallId": "ci_1",
                        "output": {"outputs": outputs}, "providerExecuted": True}  # fmt: skip


@pytest.mark.anyio
async def test_error_chunk_in_plain_dicts_raises_provider_error() -> None:
    ctx: StreamContext[None] = StreamContext(sdk_version=6)
    chunks = [chat_chunk({"content": "x"}), {"error": {"message": SECRET, "code": "boom"}}]
    with pytest.raises(ProviderError) as info:
        await stream_chat_completions(ctx, chunks)
    assert str(info.value) == SECRET and info.value.code == "boom"


@pytest.mark.anyio
async def test_arguments_before_name_and_missing_index() -> None:
    """Some OpenAI-compatible servers send the whole call in one piece, without ``index``."""
    ctx: StreamContext[None] = StreamContext(sdk_version=7, collect=True)
    chunks = [
        {"choices": [{"delta": {"tool_calls": [
            {"id": "c1", "function": {"name": "a", "arguments": "{}"}},
            {"id": "c2", "function": {"name": "b", "arguments": ""}},
        ]}, "finish_reason": "tool_calls"}]},
    ]  # fmt: skip
    results: list[StreamResult] = []

    async def work(ctx: StreamContext[None]) -> None:
        results.append(await stream_chat_completions(ctx, chunks))

    await ctx.run(work)
    await collect_stream(ctx)
    assert results[0].tool_calls == [ToolCallInfo("c1", "a", {}), ToolCallInfo("c2", "b", {})]
    assert results[0].finish_reason == "tool-calls"


# --- client disconnect: the provider stream is closed -------------------------------------------


async def _disconnect(adapter: Adapter, body: RecordedBody, open_stream: Any) -> Any:
    ctx: StreamContext[None] = StreamContext(sdk_version=6, collect=True)
    streams: list[Any] = []

    async def work(ctx: StreamContext[None]) -> None:
        stream = await open_stream(body)
        streams.append(stream)
        await adapter(ctx, stream)

    await ctx.run(work)
    # the client goes away while the provider is still generating
    received = await leave_after(ctx, b"text-delta")
    assert ctx.is_disconnected
    assert ctx.record is not None and ctx.record.aborted
    return streams[0], received


@pytest.mark.anyio
async def test_chat_disconnect_closes_the_provider_stream() -> None:
    body = RecordedBody(chat_body(CHAT_TEXT), stall_after=3)
    stream, received = await _disconnect(stream_chat_completions, body, sdk_chat_stream)
    assert body.closed  # the HTTP response was closed: no more tokens are requested
    sent = body.sent
    await anyio.sleep(0.05)
    assert body.sent == sent <= 3 < len(body.frames)
    assert stream.response.is_closed
    chunks = parse_sse_json(received, require_done=False)
    deltas = [c.get("delta") for c in chunks if c["type"] == "text-delta"]
    assert deltas in (["Hello"], ["Hello", ", world"])  # "!" was never requested


@pytest.mark.anyio
async def test_responses_disconnect_closes_the_provider_stream() -> None:
    body = RecordedBody(responses_body(r_text()), stall_after=5)
    stream, received = await _disconnect(stream_responses, body, sdk_responses_stream)
    assert body.closed
    sent = body.sent
    await anyio.sleep(0.05)
    assert body.sent == sent <= 5 < len(body.frames)
    assert stream.response.is_closed


@pytest.mark.anyio
async def test_disconnect_closes_a_duck_typed_stream() -> None:
    class Hanging(LiteLLMLikeStream):
        sent = False

        async def __anext__(self) -> Any:
            if self.sent:
                await anyio.sleep_forever()
            self.sent = True
            return to_namespace(chat_chunk({"content": "Hello"}))

    hanging = Hanging([])

    async def open_stream(body: Any) -> Any:
        return hanging

    await _disconnect(stream_chat_completions, RecordedBody(b""), open_stream)
    assert hanging.closed


@pytest.mark.anyio
async def test_disconnected_stream_replays_cleanly() -> None:
    """What the client got before it left is a valid (unterminated) stream for the real client."""
    body = RecordedBody(chat_body(CHAT_TEXT), stall_after=3)
    _, received = await _disconnect(stream_chat_completions, body, sdk_chat_stream)
    chunks = parse_sse_json(received, require_done=False)
    out = replay([{"name": "d", "body": received.decode(), "versions": [RELEASES[6]]}])
    result = out["d"][RELEASES[6]]
    assert result["chunkErrors"] == []
    reducer = UIMessageReducer(RELEASES[6], mode="chat")
    for chunk in chunks:
        reducer.apply(chunk)
    assert result["chat"]["messages"][-1] == reducer.message


# --- more recorded shapes (ai 6 transcripts; all replayed above for ai 5, 6, 7) -----------------

RESPONSES_META = {
    "type": "message-metadata",
    "messageMetadata": {"usage": {"inputTokens": 30, "outputTokens": 50, "totalTokens": 80,
                                  "reasoningTokens": 32, "cachedInputTokens": 0}},
}  # fmt: skip
END = [{"type": "finish-step"}, {"type": "finish", "finishReason": "stop"}]


def said(part: str, *deltas: str) -> list[dict[str, Any]]:
    return [
        {"type": "text-start", "id": part},
        *({"type": "text-delta", "id": part, "delta": d} for d in deltas),
        {"type": "text-end", "id": part},
    ]


def test_golden_responses_encrypted_reasoning_only(
    produced: dict[tuple[str, int], Produced],
) -> None:
    """No summary: an empty reasoning part carries the item and its final encrypted content, so
    that the converter can send the item back."""
    meta = {"openai": {"itemId": "rs_2", "reasoningEncryptedContent": "gAAAA-final"}}
    assert chunks_of(produced, "responses-encrypted-only") == [
        *START,
        {"type": "reasoning-start", "id": "reasoning-1", "providerMetadata": meta},
        {"type": "reasoning-delta", "id": "reasoning-1", "delta": "", "providerMetadata": meta},
        {"type": "reasoning-end", "id": "reasoning-1", "providerMetadata": meta},
        *said("text-2", "Hi."),
        RESPONSES_META,
        *END,
    ]


def test_golden_responses_raw_reasoning(produced: dict[tuple[str, int], Produced]) -> None:
    """Reasoning text without its item events; empty deltas are skipped."""
    meta = {"openai": {"itemId": "rs_oss", "reasoningEncryptedContent": None}}
    assert chunks_of(produced, "responses-raw-reasoning") == [
        *START,
        {"type": "reasoning-start", "id": "reasoning-1", "providerMetadata": meta},
        {"type": "reasoning-delta", "id": "reasoning-1", "delta": "Think",
         "providerMetadata": meta},
        {"type": "reasoning-delta", "id": "reasoning-1", "delta": " more."},
        {"type": "reasoning-end", "id": "reasoning-1"},
        *said("text-2", "Answer."),
        RESPONSES_META,
        *END,
    ]  # fmt: skip


def test_golden_responses_refusal(produced: dict[tuple[str, int], Produced]) -> None:
    assert chunks_of(produced, "responses-refusal") == [
        *START,
        *said("text-1", "I can't ", "help with that."),
        RESPONSES_META,
        *END,
    ]
    result = produced["responses-refusal", 6].result
    assert result is not None and result.provider_metadata["refusal"] == "I can't help with that."


def hosted(item_id: str, name: str, input: Any, outcome: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"type": "tool-input-available", "toolCallId": item_id, "toolName": name, "input": input,
         "providerExecuted": True},
        {"toolCallId": item_id, **outcome, "providerExecuted": True},
    ]  # fmt: skip


def test_golden_responses_hosted_tools(produced: dict[tuple[str, int], Produced]) -> None:
    page = "https://weather.example/paris"
    assert chunks_of(produced, "responses-hosted-tools") == [
        *START,
        *hosted("ws_open", "web_search", {}, {"type": "tool-output-available",
                "output": {"action": {"type": "openPage", "url": page}}}),
        *hosted("ws_find", "web_search", {}, {"type": "tool-output-available",
                "output": {"action": {"type": "findInPage", "url": page, "pattern": "sunny"}}}),
        *hosted("ws_failed", "web_search", {}, {"type": "tool-output-error",
                "errorText": "The web_search call did not complete (failed)."}),
        *hosted("ws_search", "web_search", {}, {"type": "tool-output-available",
                "output": {"action": {"type": "search", "query": "paris"},
                           "sources": [{"type": "url", "url": page}]}}),
        *hosted("ws_future", "web_search", {}, {"type": "tool-output-available",
                "output": {"action": {"type": "screenshot", "url": "https://weather.example"}}}),
        *hosted("ci_2", "code_interpreter", {"containerId": "cntr_2", "code": "print(2 * 21)"},
                {"type": "tool-output-available",
                 "output": {"outputs": [{"logs": "42\n", "type": "logs"}]}}),
        # the image generation item and the file_path annotation are not shown
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "Done."},
        {"type": "source-document", "sourceId": "msg_1:0:0", "mediaType": "text/plain",
         "title": "chart.png", "filename": "chart.png",
         "providerMetadata": {"openai": {"fileId": "cfile_1", "containerId": "cntr_2"}}},
        {"type": "text-end", "id": "text-1"},
        RESPONSES_META,
        *END,
    ]  # fmt: skip
    result = produced["responses-hosted-tools", 6].result
    assert result is not None and result.tool_calls == []
    assert [c.tool_call_id for c in result.provider_metadata["provider_tool_calls"]] == [
        "ws_open", "ws_find", "ws_failed", "ws_search", "ws_future", "ci_2",
    ]  # fmt: skip


def test_golden_responses_function_quirks(produced: dict[tuple[str, int], Produced]) -> None:
    """A call complete in output_item.added streams its arguments at once; arguments.done sends
    the deltas that were missed; late and unknown events are ignored."""
    assert chunks_of(produced, "responses-function-quirks") == [
        *START,
        {"type": "tool-input-start", "toolCallId": "call_w", "toolName": "get_time"},
        {"type": "tool-input-delta", "toolCallId": "call_w", "inputTextDelta": '{"tz": "UTC"}'},
        {"type": "tool-input-available", "toolCallId": "call_w", "toolName": "get_time",
         "input": {"tz": "UTC"}},
        {"type": "tool-input-start", "toolCallId": "call_p", "toolName": "get_weather"},
        {"type": "tool-input-delta", "toolCallId": "call_p", "inputTextDelta": '{"city": "Par'},
        {"type": "tool-input-delta", "toolCallId": "call_p", "inputTextDelta": 'is"}'},
        {"type": "tool-input-available", "toolCallId": "call_p", "toolName": "get_weather",
         "input": {"city": "Paris"}},
        RESPONSES_META,
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "tool-calls"},
    ]  # fmt: skip
    result = produced["responses-function-quirks", 6].result
    assert result is not None
    assert result.tool_calls == [
        ToolCallInfo("call_w", "get_time", {"tz": "UTC"}),
        ToolCallInfo("call_p", "get_weather", {"city": "Paris"}),
    ]


def test_golden_chat_compatible_server(produced: dict[tuple[str, int], Produced]) -> None:
    """Only choice 0 is read; usage without counts is ignored, a missing total is computed; an
    unknown finish reason is "other"."""
    assert chunks_of(produced, "chat-compatible") == [
        *START,
        *said("text-1", "Hi"),
        {"type": "message-metadata", "messageMetadata": {"usage": {
            "inputTokens": 5, "outputTokens": 3, "totalTokens": 8}}},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "other"},
    ]  # fmt: skip
    result = produced["chat-compatible", 6].result
    assert result is not None and result.provider_metadata == {"response_id": "cmpl-9"}


def test_golden_chat_nameless_tool_call(produced: dict[tuple[str, int], Produced]) -> None:
    """A call that never gets a name is dropped; tool calls without a finish reason mean
    "tool-calls"."""
    assert chunks_of(produced, "chat-nameless-tool") == [
        *START,
        {"type": "tool-input-start", "toolCallId": "call_t", "toolName": "get_time"},
        {"type": "tool-input-delta", "toolCallId": "call_t", "inputTextDelta": "{}"},
        {"type": "tool-input-available", "toolCallId": "call_t", "toolName": "get_time",
         "input": {}},
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "tool-calls"},
    ]  # fmt: skip
    result = produced["chat-nameless-tool", 6].result
    assert result is not None
    assert (result.finish_reason, result.tool_calls) == (
        "tool-calls",
        [ToolCallInfo("call_t", "get_time", {})],
    )


# --- what is passed as the stream ---------------------------------------------------------------


@pytest.mark.anyio
async def test_a_complete_response_is_not_a_stream() -> None:
    """``stream=True`` forgotten (a ChatCompletion, iterable as a pydantic model) or ``await``
    forgotten: a TypeError saying so, instead of an empty answer."""

    def handler(request: httpx.Request) -> httpx.Response:
        completion = {
            "id": "chatcmpl-2", "object": "chat.completion", "created": 1, "model": "gpt-4o",
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": "Hello"}}],
        }  # fmt: skip
        return httpx.Response(200, json=completion)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = openai.AsyncOpenAI(
        api_key="test", base_url="http://test/v1", http_client=cast(Any, http)
    )
    request: Any = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}
    completion = await client.chat.completions.create(**request)
    ctx: StreamContext[None] = StreamContext(sdk_version=6)
    message = r"Expected the provider stream: .* \(create the response with stream=True, and await"
    with pytest.raises(TypeError, match=message):
        await stream_chat_completions(ctx, completion)
    not_awaited = client.chat.completions.create(**request, stream=True)
    try:
        with pytest.raises(TypeError, match=message):
            await stream_chat_completions(ctx, not_awaited)
    finally:
        not_awaited.close()


def reading(stream: Any) -> Callable[[StreamContext[Any]], Awaitable[None]]:
    async def work(ctx: StreamContext[Any]) -> None:
        await stream_chat_completions(ctx, stream)

    return work


@pytest.mark.anyio
async def test_a_sync_generator_is_read_and_closed() -> None:
    """Recorded chunks from a sync generator; its synchronous ``close()`` is called."""
    closed: list[bool] = []

    def recorded() -> Iterator[dict[str, Any]]:
        try:
            yield from CHAT_TEXT
        finally:
            closed.append(True)

    chunks = await transcript(reading(recorded()), message_id="msg", sdk_version=6)
    assert chunks == [
        *START,
        *said("text-1", "Hello", ", world", "!"),
        CHAT_USAGE_META,
        *END,
    ]
    assert closed == [True]


@pytest.mark.anyio
async def test_a_failing_close_does_not_hide_the_result(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class ClosingFails(LiteLLMLikeStream):
        async def aclose(self) -> None:
            raise ConnectionResetError("the connection is already gone")

    results: list[StreamResult] = []

    async def work(ctx: StreamContext[Any]) -> None:
        results.append(await stream_chat_completions(ctx, ClosingFails(CHAT_REASONING)))

    caplog.set_level(logging.DEBUG, logger="ai_stream")
    chunks = await transcript(work, message_id="msg", sdk_version=6)
    closing_fine = reading(LiteLLMLikeStream(CHAT_REASONING))
    assert chunks == await transcript(closing_fine, message_id="msg", sdk_version=6)
    assert results[0].finish_reason == "stop"
    (record,) = [r for r in caplog.records if r.exc_info]
    assert record.getMessage() == "Closing the provider stream failed"
    assert record.levelno == logging.DEBUG


@pytest.mark.anyio
async def test_error_object_of_a_duck_typed_stream() -> None:
    """LiteLLM-like attribute objects: the error object's fields are the ProviderError body."""
    error = {"error": {"message": SECRET, "code": "rate_limited", "type": "throttling"}}
    ctx: StreamContext[None] = StreamContext(sdk_version=6)
    with pytest.raises(ProviderError) as info:
        await stream_chat_completions(ctx, LiteLLMLikeStream([chat_chunk({"content": "x"}), error]))
    assert (str(info.value), info.value.code) == (SECRET, "rate_limited")
    assert info.value.body == error["error"]


# --- object streams (experimental_useObject) ------------------------------------------------------


class Stop(BaseModel):
    name: str
    minutes: int = 0


class Trip(BaseModel):
    city: str
    stops: list[Stop] = []


class Plan(BaseModel):
    """References with keywords beside them, null defaults, unions."""

    trip: Trip
    backup: Trip | None = None
    home: Stop = Stop(name="home")


TRIP_PIECES = [
    '{"city": "Ly',
    'on", "stops": [{"name": "Gare',
    ' Part-Dieu", "minutes": 5}, ',
    '{"name": "Vieux Lyon"}]}',
]
TRIP = Trip(city="Lyon", stops=[Stop(name="Gare Part-Dieu", minutes=5), Stop(name="Vieux Lyon")])
STOPS_PIECES = [  # (the object OpenAI answers for an array: openai_response_format)
    '{"elements": [{"name": "Gare',
    ' Part-Dieu", "minutes": 5}, {"na',
    'me": "Vieux Lyon", "minutes": 0}',
    "]}",
]
STOPS = [Stop(name="Gare Part-Dieu", minutes=5), Stop(name="Vieux Lyon")]
STOPS_BODY = b'[{"name":"Gare Part-Dieu","minutes":5},{"name":"Vieux Lyon","minutes":0}]'
ObjectPump = Callable[[ObjectStreamContext[Any], Any], Awaitable[StreamResult]]
SDK_ON_ASYNCIO = pytest.mark.parametrize("anyio_backend", ["asyncio"])
"""The real SDK's streams leave their SSE generators open after ``[DONE]`` (trio warns of it);
the duck-typed tests run on trio too."""


def object_chunks(pieces: list[str], finish: str = "stop") -> list[dict[str, Any]]:
    """Chat Completions structured output: the JSON text in content deltas."""
    return [
        chat_chunk({"role": "assistant", "content": "", "refusal": None}),
        *(chat_chunk({"content": piece}) for piece in pieces),
        chat_chunk({}, finish),
        chat_chunk(usage=CHAT_USAGE, choices=False),
    ]


def object_events(pieces: list[str]) -> list[dict[str, Any]]:
    """Responses structured output: the JSON text in output_text deltas."""
    e = Seq()
    return [*created(e), *message_events(e, "msg_1", *pieces), completed(e)]


async def run_object(
    obj: ObjectStreamContext[Any], pump: ObjectPump, open_stream: Callable[[], Awaitable[Any]]
) -> tuple[bytes, list[StreamResult]]:
    """Run ``pump`` on the opened stream as the object stream's work: the body, its results."""
    results: list[StreamResult] = []

    async def work(obj: ObjectStreamContext[Any]) -> None:
        results.append(await pump(obj, await open_stream()))

    await obj.run(work)
    return await collect_stream(obj.context), results


def test_formats_ask_for_the_strict_schema_of_the_value() -> None:
    """The schema in OpenAI's strict form, as the SDK makes it of a model; an array is asked
    for as {"elements": [...]}."""
    stops = ObjectStreamContext(list[Stop], output="array")
    elements = {
        "type": "object",
        "properties": {"elements": {"type": "array", "items": {"$ref": "#/$defs/Stop"}}},
        "required": ["elements"],
        "additionalProperties": False,
        "$defs": {"Stop": to_strict_json_schema(Stop)},
    }
    assert (
        openai_response_format(ObjectStreamContext(Trip)),
        openai_response_format(ObjectStreamContext(Plan), name="plan")["json_schema"]["schema"],
        openai_text_format(stops, name="stops"),
    ) == (
        {
            "type": "json_schema",
            "json_schema": {
                "name": "response",
                "schema": to_strict_json_schema(Trip),
                "strict": True,
            },
        },
        to_strict_json_schema(Plan),
        {"format": {"type": "json_schema", "name": "stops", "schema": elements, "strict": True}},
    )


@pytest.mark.anyio
@SDK_ON_ASYNCIO
async def test_chat_completions_object_streams_the_json_text() -> None:
    obj = ObjectStreamContext(Trip)
    requests: list[dict[str, Any]] = []

    async def open_stream() -> Any:
        client = sdk_client(RecordedBody(chat_body(object_chunks(TRIP_PIECES))), requests)
        return await client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "A trip to Lyon"}],
            stream=True,
            stream_options={"include_usage": True},
            response_format=cast(Any, openai_response_format(obj)),
        )

    body, results = await run_object(obj, stream_chat_completions_object, open_stream)
    assert (body, obj.result) == ("".join(TRIP_PIECES).encode(), TRIP)
    assert requests[0]["response_format"] == openai_response_format(obj)
    assert results == [
        StreamResult(
            finish_reason="stop",
            usage=CHAT_UI_USAGE,
            provider_metadata={"response_id": "chatcmpl-1", "model": "gpt-4o-2024-08-06"},
        )
    ]


@pytest.mark.anyio
@SDK_ON_ASYNCIO
async def test_chat_completions_object_reads_the_sdk_stream_helper() -> None:
    """``client.chat.completions.stream(...)``: its chunk events are read, the rest ignored."""
    obj = ObjectStreamContext(list[Stop], output="array")
    client = sdk_client(RecordedBody(chat_body(object_chunks(STOPS_PIECES))))

    async def work(obj: ObjectStreamContext[Any]) -> None:
        async with client.chat.completions.stream(
            model="gpt-4o",
            messages=[{"role": "user", "content": "Stops in Lyon"}],
            response_format=cast(Any, openai_response_format(obj)),
        ) as stream:
            await stream_chat_completions_object(obj, stream)

    await obj.run(work)
    assert (await collect_stream(obj.context), obj.result) == (STOPS_BODY, STOPS)


@pytest.mark.anyio
@pytest.mark.parametrize("wrapped", [True, False], ids=["elements-object", "bare-array"])
async def test_an_array_gets_each_element_once_complete(wrapped: bool) -> None:
    """An element goes out when the next one starts (or the array closes), whole and
    validated; ``{"elements": [...]}`` and a bare array (a compatible server) alike."""
    pieces = STOPS_PIECES if wrapped else ["[" + STOPS_PIECES[0][14:], *STOPS_PIECES[1:3], "]"]
    obj = ObjectStreamContext(list[Stop], output="array")
    sent: list[str] = []

    async def chunks() -> AsyncIterator[dict[str, Any]]:
        for piece in pieces:
            yield chat_chunk({"content": piece})
            sent.append(obj.text)  # (the piece was written when the next one is asked for)
        yield chat_chunk({}, "stop")

    async def open_stream() -> Any:
        return chunks()

    body, _ = await run_object(obj, stream_chat_completions_object, open_stream)
    first = '[{"name":"Gare Part-Dieu","minutes":5}'
    assert (body, obj.result, sent) == (
        STOPS_BODY,
        STOPS,
        ["", first, first, STOPS_BODY.decode()[:-1]],  # (the "]" closes the stream)
    )


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("chunks", "sent", "code"),
    [
        (CHAT_REFUSAL, b"", "refusal"),
        (object_chunks(TRIP_PIECES[:1], "length"), b'{"city": "Ly', "length"),
        (object_chunks(TRIP_PIECES[:1], "content_filter"), b'{"city": "Ly', "content-filter"),
    ],
    ids=["refusal", "length", "content-filter"],
)
async def test_chat_completions_object_fails_without_a_whole_value(
    chunks: list[dict[str, Any]], sent: bytes, code: str
) -> None:
    """A refusal or an output cut short is a ProviderError: the body just ends (useObject's
    own validation fails), and the provider stream is closed."""
    obj = ObjectStreamContext(Trip)
    stream = LiteLLMLikeStream(chunks)
    body, results = await run_object(obj, stream_chat_completions_object, lambda: opened(stream))
    assert (body, obj.result, results, type(obj.error), getattr(obj.error, "code", None)) == (
        sent,
        None,
        [],
        ProviderError,
        code,
    )
    assert stream.closed


@pytest.mark.anyio
async def test_chat_completions_object_error_is_not_sent() -> None:
    obj = ObjectStreamContext(Trip)
    error = {"error": {"message": SECRET, "code": "server_error"}}
    stream = LiteLLMLikeStream([*object_chunks(TRIP_PIECES[:1])[:2], error])
    body, _ = await run_object(obj, stream_chat_completions_object, lambda: opened(stream))
    assert (body, obj.result, type(obj.error), str(obj.error)) == (
        b'{"city": "Ly',
        None,
        ProviderError,
        SECRET,  # (logged on the server; the text protocol has no error channel)
    )


@pytest.mark.anyio
@SDK_ON_ASYNCIO
@pytest.mark.parametrize("output", ["object", "array"])
async def test_responses_object_streams_the_json_text(output: str) -> None:
    obj: ObjectStreamContext[Any] = (
        ObjectStreamContext(Trip)
        if output == "object"
        else ObjectStreamContext(list[Stop], output="array")
    )
    pieces, expected = (
        (TRIP_PIECES, ("".join(TRIP_PIECES).encode(), TRIP))
        if output == "object"
        else (STOPS_PIECES, (STOPS_BODY, STOPS))
    )
    requests: list[dict[str, Any]] = []

    async def open_stream() -> Any:
        client = sdk_client(RecordedBody(responses_body(object_events(pieces))), requests)
        return await client.responses.create(
            model="gpt-4.1", input="A trip", stream=True, text=cast(Any, openai_text_format(obj))
        )

    body, results = await run_object(obj, stream_responses_object, open_stream)
    assert (body, obj.result) == expected
    assert requests[0]["text"] == openai_text_format(obj)
    assert (results[0].finish_reason, results[0].provider_metadata["response_id"]) == (
        "stop",
        "resp_1",
    )


@pytest.mark.anyio
@SDK_ON_ASYNCIO
async def test_responses_object_reads_the_sdk_stream_helper() -> None:
    obj = ObjectStreamContext(Trip)
    client = sdk_client(RecordedBody(responses_body(object_events(TRIP_PIECES))))

    async def work(obj: ObjectStreamContext[Any]) -> None:
        async with client.responses.stream(
            model="gpt-4.1", input="A trip", text=cast(Any, openai_text_format(obj))
        ) as stream:
            await stream_responses_object(obj, stream)

    await obj.run(work)
    assert (await collect_stream(obj.context), obj.result) == ("".join(TRIP_PIECES).encode(), TRIP)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("events", "sent", "code", "message"),
    [
        (r_refusal(), b"", "refusal", "The model refused to answer: I can't help with that."),
        (r_incomplete(), b"Cut", "length", "The output was cut short at the token limit: its "
         "JSON is incomplete."),
        (r_failed(), b"", "server_error", SECRET),
        (r_error(), b"Partial", "server_error", SECRET),
    ],
    ids=["refusal", "incomplete", "failed", "error-event"],
)  # fmt: skip
async def test_responses_object_fails_without_a_whole_value(
    events: list[dict[str, Any]], sent: bytes, code: str, message: str
) -> None:
    obj = ObjectStreamContext(Trip)
    stream = LiteLLMLikeStream(events)
    body, results = await run_object(obj, stream_responses_object, lambda: opened(stream))
    assert (body, obj.result, results, type(obj.error), getattr(obj.error, "code", None)) == (
        sent,
        None,
        [],
        ProviderError,
        code,
    )
    assert (str(obj.error), stream.closed) == (message, True)


@pytest.mark.anyio
@pytest.mark.parametrize("api", ["chat", "responses"])
async def test_object_disconnect_closes_the_provider_stream(api: str) -> None:
    if api == "chat":
        recorded = RecordedBody(chat_body(object_chunks(TRIP_PIECES)), stall_after=3)
        pump, open_stream = stream_chat_completions_object, sdk_chat_stream
    else:
        recorded = RecordedBody(responses_body(object_events(TRIP_PIECES)), stall_after=6)
        pump, open_stream = stream_responses_object, sdk_responses_stream
    finished: list[ObjectResult[Trip]] = []
    obj = ObjectStreamContext(Trip, on_finish=finished.append)
    streams: list[Any] = []

    async def work(obj: ObjectStreamContext[Any]) -> None:
        streams.append(await open_stream(recorded))
        await pump(obj, streams[0])

    await obj.run(work)
    # the client goes away while the provider is still generating
    received = [await leave_after(obj.context)]
    sent = recorded.sent
    await anyio.sleep(0.05)
    assert (recorded.closed, streams[0].response.is_closed, obj.result, finished[0].aborted) == (
        True,
        True,
        None,
        True,
    )
    assert "".join(TRIP_PIECES[:2]).encode().startswith(received[0])  # (not the rest)
    assert recorded.sent == sent < len(recorded.frames)


async def opened(stream: Any) -> Any:
    return stream


async def test_a_text_stream_gets_the_text_and_the_usage_stays_in_the_result() -> None:
    """useCompletion / TextStreamChatTransport with a provider: the text stream takes no
    metadata, so the adapter keeps the usage in its result instead of failing the answer."""

    async def chunks() -> AsyncIterator[dict[str, Any]]:
        yield {"id": "c", "model": "m", "choices": [{"index": 0, "delta": {"content": "Hi"}}]}
        usage = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
        choice = {"index": 0, "delta": {}, "finish_reason": "stop"}
        yield {"id": "c", "model": "m", "choices": [choice], "usage": usage}

    results: list[StreamResult] = []
    ctx: StreamContext[None] = StreamContext(stream_protocol="text")

    async def work(ctx: StreamContext[None]) -> None:
        results.append(await stream_chat_completions(ctx, chunks()))

    await ctx.run(work)
    assert (await collect_stream(ctx), results[0].finish_reason, results[0].usage is not None) == (
        b"Hi",
        "stop",
        True,
    )
