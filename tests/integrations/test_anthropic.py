"""The Anthropic integration: recorded Messages SSE bodies, read by the real ``anthropic`` SDK
through a mock transport, written with ``stream_messages`` and replayed through the real ``ai``
client releases (majors 5, 6, 7)."""

from __future__ import annotations

import importlib
import itertools
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anthropic
import anyio
import anyio.lowlevel
import pytest

from ai_stream import StreamContext
from ai_stream.agent import StreamResult, ToolCallInfo
from ai_stream.convert import to_anthropic
from ai_stream.integrations.anthropic import ProviderError, stream_messages
from ai_stream.testing import collect_stream, parse_sse, parse_sse_json
from tests.conformance.client import FIRST_AND_LATEST, replay

# The SDK speaks httpx2 since 2.x (httpx before): build the mock transport with its own module.
http: Any = sys.modules["httpx2"] if "httpx2" in sys.modules else importlib.import_module("httpx")


@pytest.fixture
def anyio_backend() -> str:
    """The anthropic SDK runs on asyncio."""
    return "asyncio"


# --- recorded streams (Anthropic's documented SSE event format) --------------------------------


def sse(events: list[dict[str, Any]]) -> bytes:
    return b"".join(
        f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode() for event in events
    )


def message_start(input_tokens: int = 25, **usage: int) -> dict[str, Any]:
    return {
        "type": "message_start",
        "message": {
            "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
            "type": "message",
            "role": "assistant",
            "model": "claude-test-model-20250101",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": 1, **usage},
        },
    }


def start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def delta(index: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": body}


def stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


def text_block(index: int, *pieces: str) -> list[dict[str, Any]]:
    return [
        start(index, {"type": "text", "text": ""}),
        *(delta(index, {"type": "text_delta", "text": p}) for p in pieces),
        stop(index),
    ]


def tool_block(
    index: int, tool_id: str, name: str, *pieces: str, kind: str = "tool_use"
) -> list[dict[str, Any]]:
    return [
        start(index, {"type": kind, "id": tool_id, "name": name, "input": {}}),
        *(delta(index, {"type": "input_json_delta", "partial_json": p}) for p in pieces),
        stop(index),
    ]


def message_end(stop_reason: str, output_tokens: int = 50) -> list[dict[str, Any]]:
    return [
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": output_tokens},
        },
        {"type": "message_stop"},
    ]


PING = {"type": "ping"}
SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"
REDACTED = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"

TEXT_ONLY = [
    message_start(25, cache_read_input_tokens=100, cache_creation_input_tokens=10),
    PING,
    *text_block(0, "Hello", ", world", "!"),
    *message_end("end_turn", 12),
]

THINKING = [
    message_start(),
    start(0, {"type": "thinking", "thinking": "", "signature": ""}),
    delta(0, {"type": "thinking_delta", "thinking": "The user greets me. "}),
    delta(0, {"type": "thinking_delta", "thinking": "I should answer politely."}),
    delta(0, {"type": "signature_delta", "signature": SIGNATURE}),
    stop(0),
    *text_block(1, "Hi", " there."),
    *message_end("end_turn"),
]

REDACTED_THINKING = [
    message_start(),
    start(0, {"type": "redacted_thinking", "data": REDACTED}),
    stop(0),
    *text_block(1, "Done."),
    *message_end("end_turn"),
]

ONE_TOOL = [
    message_start(),
    *text_block(0, "Let me check the weather."),
    *tool_block(1, "toolu_01A", "get_weather", "", '{"city": ', '"Paris"', "}"),
    *message_end("tool_use"),
]

PARALLEL_TOOLS = [
    message_start(),
    *tool_block(0, "toolu_01A", "get_weather", '{"city": "Paris"}'),
    *tool_block(1, "toolu_01B", "get_weather", '{"ci', 'ty": "Rome"}'),
    *tool_block(2, "toolu_01C", "get_time", ""),  # no parameters: empty input
    *message_end("tool_use"),
]

TOOL_JSON_ERROR = [
    message_start(),
    *tool_block(0, "toolu_01A", "get_weather", '{"city": ', '"Par'),
    *message_end("max_tokens"),
]

SEARCH_RESULTS: list[dict[str, Any]] = [
    {
        "type": "web_search_result",
        "url": "https://en.wikipedia.org/wiki/Paris",
        "title": "Paris - Wikipedia",
        "encrypted_content": "EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5LTQ1OGEtOWNhMy",
        "page_age": "2 days ago",
    },
    {
        "type": "web_search_result",
        "url": "https://www.paris.fr/",
        "title": "Paris.fr",
        "encrypted_content": "EtIBCioIARgBIiRkZjZhNjBmNy1hN2Y4LTQ5ZGUtOGIz",
        "page_age": None,
    },
]


def cite(index: int, url: str, title: str) -> dict[str, Any]:
    return delta(
        index,
        {
            "type": "citations_delta",
            "citation": {
                "type": "web_search_result_location",
                "cited_text": "Paris is the capital of France.",
                "url": url,
                "title": title,
                "encrypted_index": "Eo8BCioIAhgBIiQyYjQ0OWJmZi1lNm",
            },
        },
    )


WEB_SEARCH = [
    message_start(),
    *text_block(0, "I'll search for that."),
    *tool_block(
        1, "srvtoolu_01", "web_search", '{"query": ', '"capital of France"}', kind="server_tool_use"
    ),
    start(
        2,
        {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_01", "content": SEARCH_RESULTS},
    ),
    stop(2),
    *text_block(3, "Here is what I found. "),
    start(4, {"type": "text", "text": "", "citations": []}),
    cite(4, "https://en.wikipedia.org/wiki/Paris", "Paris - Wikipedia"),
    delta(4, {"type": "text_delta", "text": "Paris is the capital"}),
    stop(4),
    start(5, {"type": "text", "text": "", "citations": []}),
    cite(5, "https://en.wikipedia.org/wiki/Paris", "Paris - Wikipedia"),  # the same source again
    cite(5, "https://www.paris.fr/", "Paris.fr"),
    delta(5, {"type": "text_delta", "text": " and its largest city."}),
    stop(5),
    {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {
            "input_tokens": 2100,
            "output_tokens": 180,
            "cache_read_input_tokens": 0,
            "cache_creation_input_tokens": 0,
            "server_tool_use": {"web_search_requests": 1},
        },
    },
    {"type": "message_stop"},
]

SERVER_TOOL_ERROR = [
    message_start(),
    *tool_block(0, "srvtoolu_02", "web_search", '{"query": "news"}', kind="server_tool_use"),
    start(
        1,
        {
            "type": "web_search_tool_result",
            "tool_use_id": "srvtoolu_02",
            "content": {"type": "web_search_tool_result_error", "error_code": "max_uses_exceeded"},
        },
    ),
    stop(1),
    *text_block(2, "The search failed."),
    *message_end("end_turn"),
]

PROVIDER_ERROR = [
    message_start(),
    *text_block(0, "Partial answ"),
    {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded: secret-node-7"},
    },
]

DOCUMENTS = [
    {
        "type": "document",
        "title": "Handbook",
        "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="},
    },
    {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "Hi."}},
]


def doc_cite(index: int, kind: str, document_index: int, **extra: Any) -> dict[str, Any]:
    citation = {"type": kind, "cited_text": "x", "document_index": document_index, **extra}
    return delta(index, {"type": "citations_delta", "citation": citation})


DOCUMENT_CITATIONS = [
    message_start(),
    start(0, {"type": "text", "text": "", "citations": []}),
    doc_cite(0, "page_location", 0, document_title=None, start_page_number=1, end_page_number=2),
    delta(0, {"type": "text_delta", "text": "Vacation is 25 days"}),
    doc_cite(0, "page_location", 0, document_title=None, start_page_number=3, end_page_number=4),
    stop(0),
    start(1, {"type": "text", "text": "", "citations": []}),
    doc_cite(1, "char_location", 1, document_title="Notes", start_char_index=0, end_char_index=3),
    delta(1, {"type": "text_delta", "text": ", says the handbook."}),
    stop(1),
    *message_end("end_turn"),
]


# --- running a case ------------------------------------------------------------------------------


def mock_client(handler: Callable[[Any], Any]) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(
        api_key="test",
        base_url="http://test",
        max_retries=0,
        http_client=http.AsyncClient(transport=http.MockTransport(handler)),
    )


def body_client(body: bytes) -> anthropic.AsyncAnthropic:
    def handler(request: Any) -> Any:
        assert request.url.path == "/v1/messages"
        assert json.loads(request.content)["stream"] is True
        return http.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    return mock_client(handler)


REQUEST: dict[str, Any] = {
    "model": "claude-test-model",  # a name no deprecation list will hold
    "max_tokens": 1024,
    "messages": [{"role": "user", "content": "Hi"}],
}

Runner = Callable[[StreamContext[None], list[dict[str, Any]]], Awaitable[StreamResult]]


async def via_create(ctx: StreamContext[None], events: list[dict[str, Any]]) -> StreamResult:
    async with body_client(sse(events)) as client:
        stream = await client.messages.create(**REQUEST, stream=True)
        return await stream_messages(ctx, stream, documents=DOCUMENTS)


async def via_helper(ctx: StreamContext[None], events: list[dict[str, Any]]) -> StreamResult:
    async with body_client(sse(events)) as client:
        return await stream_messages(ctx, client.messages.stream(**REQUEST))


async def via_dicts(ctx: StreamContext[None], events: list[dict[str, Any]]) -> StreamResult:
    async def gen() -> AsyncIterator[dict[str, Any]]:
        for event in events:
            yield json.loads(json.dumps(event))

    return await stream_messages(ctx, gen(), documents=DOCUMENTS)


@dataclass
class Run:
    body: bytes
    ctx: StreamContext[None]
    results: list[StreamResult] = field(default_factory=list)

    @property
    def chunks(self) -> list[dict[str, Any]]:
        return parse_sse_json(self.body)

    @property
    def message(self) -> dict[str, Any]:
        assert self.ctx.record is not None
        return self.ctx.record.to_ui_message()


def ids() -> Callable[[], str]:
    counter = itertools.count(1)
    return lambda: f"id{next(counter)}"


async def produce(
    events: list[dict[str, Any]], target: int | str = 6, runner: Runner = via_create
) -> Run:
    ctx: StreamContext[None] = StreamContext(
        sdk_version=target, collect=True, message_id="msg-1", id_generator=ids()
    )
    run = Run(b"", ctx)

    async def work(ctx: StreamContext[None]) -> None:
        result = await runner(ctx, events)
        run.results.append(result)
        await ctx.finish(result.finish_reason)

    await ctx.run(work)
    run.body = await collect_stream(ctx)
    return run


SIGNATURE_2 = "EqQBCgIYAhIM2hcfEb0HKxaB3c4jHhyCekflMpml4em2qlj0NPZet"


def usage_delta(stop_reason: str, **delta: Any) -> dict[str, Any]:
    """The final ``message_delta`` as the API sends it now: the input counts are ``null``."""
    return {
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": None, **delta},
        "usage": {
            "input_tokens": None,
            "output_tokens": 40,
            "cache_creation_input_tokens": None,
            "cache_read_input_tokens": None,
            "output_tokens_details": {"thinking_tokens": 30},
        },
    }


THINKING_REPLAYED = [  # a stored response replayed: the block starts with its text
    message_start(),
    start(0, {"type": "thinking", "thinking": "Cached thought. ", "signature": ""}),
    delta(0, {"type": "thinking_delta", "thinking": "More."}),
    delta(0, {"type": "signature_delta", "signature": SIGNATURE}),
    stop(0),
    *text_block(1, "Done."),
    usage_delta("end_turn"),
    {"type": "message_stop"},
]

THINKING_OMITTED = [  # thinking display "omitted": only the signature is streamed
    message_start(),
    start(0, {"type": "thinking", "thinking": "", "signature": ""}),
    delta(0, {"type": "signature_delta", "signature": SIGNATURE_2}),
    stop(0),
    *text_block(1, "Done."),
    *message_end("end_turn"),
]

THINKING_UNSIGNED = [  # a thinking block without a signature (an Anthropic-compatible server)
    message_start(),
    start(0, {"type": "thinking", "thinking": "", "signature": ""}),
    delta(0, {"type": "thinking_delta", "thinking": "Unsigned."}),
    stop(0),
    *text_block(1, "Done."),
    *message_end("end_turn"),
]

MCP_AND_SEARCH_RESULTS = [
    message_start(),
    start(0, {"type": "mcp_tool_use", "id": "mcptoolu_1", "name": "search_docs",
              "server_name": "docs", "input": {"query": "limits"}}),
    stop(0),
    start(1, {"type": "mcp_tool_result", "tool_use_id": "mcptoolu_1", "is_error": False,
              "content": [{"type": "text", "text": "100 requests per minute"}]}),
    stop(1),
    start(2, {"type": "mcp_tool_use", "id": "mcptoolu_2", "name": "search_docs",
              "server_name": "docs", "input": {"query": "pricing"}}),
    stop(2),
    start(3, {"type": "mcp_tool_result", "tool_use_id": "mcptoolu_2", "is_error": True,
              "content": [{"type": "text", "text": "Index "},
                          {"type": "text", "text": "offline"}]}),
    stop(3),
    start(4, {"type": "mcp_tool_use", "id": "mcptoolu_3", "name": "search_docs",
              "server_name": "docs", "input": {"query": "sla"}}),
    stop(4),
    start(5, {"type": "mcp_tool_result", "tool_use_id": "mcptoolu_3", "is_error": True,
              "content": ""}),
    stop(5),
    start(6, {"type": "container_upload", "file_id": "file_011CNha8iCJcU1wXNR6q4V8w"}),
    stop(6),
    start(7, {"type": "text", "text": "", "citations": []}),
    delta(7, {"type": "citations_delta", "citation": {
        "type": "search_result_location", "source": "kb://handbook/limits", "title": "Limits",
        "cited_text": "100 requests per minute", "search_result_index": 0,
        "start_block_index": 0, "end_block_index": 0}}),
    delta(7, {"type": "citations_delta", "citation": {
        "type": "search_result_location", "source": "kb://faq", "title": None,
        "cited_text": "x", "search_result_index": 1, "start_block_index": 0,
        "end_block_index": 0}}),
    delta(7, {"type": "citations_delta", "citation": {
        "type": "search_result_location", "source": "https://status.example.com",
        "title": "Status", "cited_text": "x", "search_result_index": 2,
        "start_block_index": 0, "end_block_index": 0}}),
    delta(7, {"type": "citations_delta", "citation": {  # the same source again
        "type": "search_result_location", "source": "kb://faq", "title": None,
        "cited_text": "y", "search_result_index": 1, "start_block_index": 0,
        "end_block_index": 0}}),
    delta(7, {"type": "citations_delta", "citation": {  # a kind newer than this library
        "type": "future_location", "cited_text": "z"}}),
    delta(7, {"type": "text_delta", "text": "The limit is 100 requests per minute."}),
    stop(7),
    *tool_block(8, "toolu_01Q", "get_weather", '"Paris"'),  # valid JSON, not an object
    usage_delta("a_future_stop_reason"),
    {"type": "message_stop"},
]  # fmt: skip

REPLAYED_BLOCKS = [  # a stored response replayed as events: the blocks start with their content
    message_start(),
    start(0, {"type": "text", "text": "Paris", "citations": [{
        "type": "web_search_result_location", "url": "https://en.wikipedia.org/wiki/Paris",
        "title": "Paris - Wikipedia", "cited_text": "Paris", "encrypted_index": "Eo8B"}]}),
    stop(0),
    start(1, {"type": "tool_use", "id": "toolu_01B", "name": "get_weather",
              "input": {"city": "Paris"}}),
    stop(1),
    {"type": "message_delta", "delta": {"stop_reason": "stop_sequence", "stop_sequence": "###"},
     "usage": {"output_tokens": 9}},
    {"type": "message_stop"},
]  # fmt: skip

CUT_SHORT = [  # the connection ends inside the last block (a proxy cut it)
    message_start(),
    *text_block(0, "Checking."),
    start(1, {"type": "tool_use", "id": "toolu_01C", "name": "get_weather", "input": {}}),
    delta(1, {"type": "input_json_delta", "partial_json": '{"city": "Rome"}'}),
]

NO_USAGE = [  # an Anthropic-compatible server that reports no usage at all
    *text_block(0, "Hi."),
    {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}},
    {"type": "message_stop"},
]

PAUSED = [  # a long-running server tool: the turn is paused (stop_reason "pause_turn")
    message_start(),
    *text_block(0, "Searching."),
    *tool_block(1, "srvtoolu_09", "web_search", '{"query": "news"}', kind="server_tool_use"),
    *message_end("pause_turn", 20),
]
RESUMED = [  # the continuation request: the result of the paused call comes first
    message_start(30),
    start(0, {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_09",
              "content": SEARCH_RESULTS[:1]}),
    stop(0),
    *text_block(1, "Here is the news."),
    *message_end("end_turn", 10),
]  # fmt: skip
SEARCH_CALL = [
    {"type": "tool-input-start", "toolCallId": "srvtoolu_09", "toolName": "web_search",
     "providerExecuted": True},
    {"type": "tool-input-delta", "toolCallId": "srvtoolu_09",
     "inputTextDelta": '{"query": "news"}'},
    {"type": "tool-input-available", "toolCallId": "srvtoolu_09", "toolName": "web_search",
     "input": {"query": "news"}, "providerExecuted": True},
]  # fmt: skip
SEARCH_OUTPUT = {
    "type": "tool-output-available",
    "toolCallId": "srvtoolu_09",
    "output": SEARCH_RESULTS[:1],
    "providerExecuted": True,
}


CASES: dict[str, tuple[list[dict[str, Any]], str]] = {
    "text_only": (TEXT_ONLY, "ready"),
    "thinking": (THINKING, "ready"),
    "redacted_thinking": (REDACTED_THINKING, "ready"),
    "one_tool": (ONE_TOOL, "ready"),
    "parallel_tools": (PARALLEL_TOOLS, "ready"),
    "tool_json_error": (TOOL_JSON_ERROR, "ready"),
    "web_search": (WEB_SEARCH, "ready"),
    "server_tool_error": (SERVER_TOOL_ERROR, "ready"),
    "document_citations": (DOCUMENT_CITATIONS, "ready"),
    "provider_error": (PROVIDER_ERROR, "error"),
    "thinking_replayed": (THINKING_REPLAYED, "ready"),
    "thinking_omitted": (THINKING_OMITTED, "ready"),
    "thinking_unsigned": (THINKING_UNSIGNED, "ready"),
    "no_usage": (NO_USAGE, "ready"),
    "resumed_after_pause": (RESUMED, "ready"),
    "mcp_and_search_results": (MCP_AND_SEARCH_RESULTS, "ready"),
    "replayed_blocks": (REPLAYED_BLOCKS, "ready"),
    "cut_short": (CUT_SHORT, "ready"),
}
RUNNERS: dict[str, Runner] = {"sdk": via_create, "dicts": via_dicts}
MAJORS = (5, 6, 7)


# --- golden transcripts (sdk_version=6) ----------------------------------------------------------

START = [{"type": "start", "messageId": "msg-1"}, {"type": "start-step"}]


def usage(inp: int, out: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "message-metadata",
        "messageMetadata": {
            "usage": {"inputTokens": inp, "outputTokens": out, "totalTokens": inp + out, **extra}
        },
    }


def end(reason: str) -> list[dict[str, Any]]:
    return [{"type": "finish-step"}, {"type": "finish", "finishReason": reason}]


def text(part: str, *deltas: str) -> list[dict[str, Any]]:
    return [
        {"type": "text-start", "id": part},
        *({"type": "text-delta", "id": part, "delta": d} for d in deltas),
        {"type": "text-end", "id": part},
    ]


GOLDEN: dict[str, list[dict[str, Any]]] = {
    "text_only": [
        *START,
        *text("text-1", "Hello", ", world", "!"),
        usage(135, 12, cachedInputTokens=100),
        *end("stop"),
    ],
    "thinking": [
        *START,
        {"type": "reasoning-start", "id": "reasoning-1"},
        {"type": "reasoning-delta", "id": "reasoning-1", "delta": "The user greets me. "},
        {"type": "reasoning-delta", "id": "reasoning-1", "delta": "I should answer politely."},
        {
            "type": "reasoning-end",
            "id": "reasoning-1",
            "providerMetadata": {"anthropic": {"signature": SIGNATURE}},
        },
        *text("text-2", "Hi", " there."),
        usage(25, 50),
        *end("stop"),
    ],
    "redacted_thinking": [
        *START,
        {
            "type": "reasoning-start",
            "id": "reasoning-1",
            "providerMetadata": {"anthropic": {"redactedData": REDACTED}},
        },
        {
            "type": "reasoning-delta",
            "id": "reasoning-1",
            "delta": "",
            "providerMetadata": {"anthropic": {"redactedData": REDACTED}},
        },
        {"type": "reasoning-end", "id": "reasoning-1"},
        *text("text-2", "Done."),
        usage(25, 50),
        *end("stop"),
    ],
    "one_tool": [
        *START,
        *text("text-1", "Let me check the weather."),
        {"type": "tool-input-start", "toolCallId": "toolu_01A", "toolName": "get_weather"},
        {"type": "tool-input-delta", "toolCallId": "toolu_01A", "inputTextDelta": '{"city": '},
        {"type": "tool-input-delta", "toolCallId": "toolu_01A", "inputTextDelta": '"Paris"'},
        {"type": "tool-input-delta", "toolCallId": "toolu_01A", "inputTextDelta": "}"},
        {
            "type": "tool-input-available",
            "toolCallId": "toolu_01A",
            "toolName": "get_weather",
            "input": {"city": "Paris"},
        },
        usage(25, 50),
        *end("tool-calls"),
    ],
    "tool_json_error": [
        *START,
        {"type": "tool-input-start", "toolCallId": "toolu_01A", "toolName": "get_weather"},
        {"type": "tool-input-delta", "toolCallId": "toolu_01A", "inputTextDelta": '{"city": '},
        {"type": "tool-input-delta", "toolCallId": "toolu_01A", "inputTextDelta": '"Par'},
        {
            "type": "tool-input-error",
            "toolCallId": "toolu_01A",
            "toolName": "get_weather",
            "input": '{"city": "Par',
            "errorText": "The tool input is not valid JSON: Unterminated string starting at: "
            "line 1 column 10 (char 9)",
        },
        usage(25, 50),
        *end("length"),
    ],
    "web_search": [
        *START,
        *text("text-1", "I'll search for that."),
        {
            "type": "tool-input-start",
            "toolCallId": "srvtoolu_01",
            "toolName": "web_search",
            "providerExecuted": True,
        },
        {"type": "tool-input-delta", "toolCallId": "srvtoolu_01", "inputTextDelta": '{"query": '},
        {
            "type": "tool-input-delta",
            "toolCallId": "srvtoolu_01",
            "inputTextDelta": '"capital of France"}',
        },
        {
            "type": "tool-input-available",
            "toolCallId": "srvtoolu_01",
            "toolName": "web_search",
            "input": {"query": "capital of France"},
            "providerExecuted": True,
        },
        {
            "type": "tool-output-available",
            "toolCallId": "srvtoolu_01",
            "output": SEARCH_RESULTS,  # as the API sent them
            "providerExecuted": True,
        },
        {"type": "text-start", "id": "text-2"},
        {"type": "text-delta", "id": "text-2", "delta": "Here is what I found. "},
        {
            "type": "source-url",
            "sourceId": "src_5b84d6897d6a37f1",
            "url": "https://en.wikipedia.org/wiki/Paris",
            "title": "Paris - Wikipedia",
        },
        {"type": "text-delta", "id": "text-2", "delta": "Paris is the capital"},
        {
            "type": "source-url",
            "sourceId": "src_be2aa565c56406bf",
            "url": "https://www.paris.fr/",
            "title": "Paris.fr",
        },
        {"type": "text-delta", "id": "text-2", "delta": " and its largest city."},
        {"type": "text-end", "id": "text-2"},
        usage(2100, 180, cachedInputTokens=0),
        *end("stop"),
    ],
}


def reasoning(part: str, *deltas: str, signature: str | None = None) -> list[dict[str, Any]]:
    end: dict[str, Any] = {"type": "reasoning-end", "id": part}
    if signature is not None:
        end["providerMetadata"] = {"anthropic": {"signature": signature}}
    return [
        {"type": "reasoning-start", "id": part},
        *({"type": "reasoning-delta", "id": part, "delta": d} for d in deltas),
        end,
    ]


def provider_tool(tool_id: str, name: str, input: Any, outcome: dict[str, Any]) -> list[Any]:
    flags = {"providerExecuted": True, "dynamic": True}
    return [
        {"type": "tool-input-start", "toolCallId": tool_id, "toolName": name, **flags},
        {"type": "tool-input-available", "toolCallId": tool_id, "toolName": name,
         "input": input, **flags},
        {"toolCallId": tool_id, **outcome, **flags},
    ]  # fmt: skip


GOLDEN.update(
    {
        "thinking_replayed": [
            *START,
            *reasoning("reasoning-1", "Cached thought. ", "More.", signature=SIGNATURE),
            *text("text-2", "Done."),
            usage(25, 40, reasoningTokens=30),  # the nulls of message_delta are ignored
            *end("stop"),
        ],
        "thinking_omitted": [  # an empty part keeps the signature for the next turn
            *START,
            *reasoning("reasoning-1", "", signature=SIGNATURE_2),
            *text("text-2", "Done."),
            usage(25, 50),
            *end("stop"),
        ],
        "thinking_unsigned": [
            *START,
            *reasoning("reasoning-1", "Unsigned."),
            *text("text-2", "Done."),
            usage(25, 50),
            *end("stop"),
        ],
        "mcp_and_search_results": [
            *START,
            *provider_tool(
                "mcptoolu_1",
                "search_docs",
                {"query": "limits"},
                {
                    "type": "tool-output-available",
                    "output": [{"type": "text", "text": "100 requests per minute"}],
                },
            ),
            *provider_tool(
                "mcptoolu_2",
                "search_docs",
                {"query": "pricing"},
                {"type": "tool-output-error", "errorText": "Index offline"},
            ),
            *provider_tool(
                "mcptoolu_3",
                "search_docs",
                {"query": "sla"},
                {"type": "tool-output-error", "errorText": "The tool failed."},
            ),
            # the container_upload block is not shown; search results the app provided are
            # documents (titled by their source without a title), a web one is a URL
            {
                "type": "source-document",
                "sourceId": "src_7c0137b223ebddb4",
                "mediaType": "text/plain",
                "title": "Limits",
            },
            {
                "type": "source-document",
                "sourceId": "src_a248189aa4d5a779",
                "mediaType": "text/plain",
                "title": "kb://faq",
            },
            {
                "type": "source-url",
                "sourceId": "src_f653df2dc193e746",
                "url": "https://status.example.com",
                "title": "Status",
            },
            *text("text-1", "The limit is 100 requests per minute."),
            {"type": "tool-input-start", "toolCallId": "toolu_01Q", "toolName": "get_weather"},
            {"type": "tool-input-delta", "toolCallId": "toolu_01Q", "inputTextDelta": '"Paris"'},
            {
                "type": "tool-input-error",
                "toolCallId": "toolu_01Q",
                "toolName": "get_weather",
                "input": '"Paris"',
                "errorText": "The tool input is not a JSON object.",
            },
            usage(25, 40, reasoningTokens=30),
            *end("other"),  # a stop reason newer than this library
        ],  # fmt: skip
        "replayed_blocks": [
            *START,
            {"type": "text-start", "id": "text-1"},
            {"type": "text-delta", "id": "text-1", "delta": "Paris"},
            {
                "type": "source-url",
                "sourceId": "src_5b84d6897d6a37f1",
                "url": "https://en.wikipedia.org/wiki/Paris",
                "title": "Paris - Wikipedia",
            },
            {"type": "text-end", "id": "text-1"},
            {"type": "tool-input-start", "toolCallId": "toolu_01B", "toolName": "get_weather"},
            {
                "type": "tool-input-available",
                "toolCallId": "toolu_01B",
                "toolName": "get_weather",
                "input": {"city": "Paris"},
            },
            usage(25, 9),
            *end("stop"),
        ],  # fmt: skip
        "cut_short": [  # the open tool input is completed; no stop reason: run's default
            *START,
            *text("text-1", "Checking."),
            {"type": "tool-input-start", "toolCallId": "toolu_01C", "toolName": "get_weather"},
            {
                "type": "tool-input-delta",
                "toolCallId": "toolu_01C",
                "inputTextDelta": '{"city": "Rome"}',
            },
            {
                "type": "tool-input-available",
                "toolCallId": "toolu_01C",
                "toolName": "get_weather",
                "input": {"city": "Rome"},
            },
            usage(25, 1),
            {"type": "finish-step"},
            {"type": "finish", "finishReason": "tool-calls"},
        ],  # fmt: skip
        "no_usage": [*START, *text("text-1", "Hi."), *end("stop")],
    }
)


@pytest.mark.parametrize("name", sorted(GOLDEN))
async def test_golden_transcript(name: str) -> None:
    run = await produce(CASES[name][0])
    assert run.chunks == GOLDEN[name]
    parse_sse(run.body)


# --- the real client, majors 5/6/7 ---------------------------------------------------------------


@dataclass
class Produced:
    key: str
    expect: str
    releases: tuple[str, ...]
    run: Run


@pytest.fixture(scope="module")
def replayed() -> dict[str, tuple[Produced, dict[str, Any]]]:
    produced: list[Produced] = []

    async def make_all() -> None:
        for name, (events, expect) in CASES.items():
            for runner_name, runner in RUNNERS.items():
                for major in MAJORS:
                    run = await produce(events, major, runner)
                    key = f"{name}/{runner_name}@{major}"
                    produced.append(Produced(key, expect, FIRST_AND_LATEST[major], run))

    anyio.run(make_all)
    results = replay(
        [
            {"name": p.key, "body": p.run.body.decode(), "versions": list(p.releases)}
            for p in produced
        ]
    )
    return {p.key: (p, results[p.key]) for p in produced}


PAIRS = [
    (f"{name}/{runner}@{major}", release)
    for name in CASES
    for runner in RUNNERS
    for major in MAJORS
    for release in FIRST_AND_LATEST[major]
]


@pytest.mark.parametrize(("key", "release"), PAIRS, ids=[f"{k}-{r}" for k, r in PAIRS])
def test_real_client_accepts_stream(
    replayed: dict[str, tuple[Produced, dict[str, Any]]], key: str, release: str
) -> None:
    produced, results = replayed[key]
    result = results[release]
    record = produced.run.ctx.record
    assert record is not None
    chat = result["chat"]
    observed = {
        "chunk_errors": result["chunkErrors"],
        "status": chat["status"],
        "assistant": chat["messages"][-1],
    }
    expected = {
        "chunk_errors": [],
        "status": produced.expect,
        "assistant": record.to_ui_message(release),
    }
    assert observed == expected
    if produced.expect == "error":
        assert chat["error"] == "An error occurred."
        assert b"Overloaded" not in produced.run.body


@pytest.mark.parametrize("runner", sorted(RUNNERS))
async def test_sdk_and_dict_events_give_the_same_stream(runner: str) -> None:
    for name, (events, _) in CASES.items():
        sdk = await produce(events, 6, via_create)
        other = await produce(events, 6, RUNNERS[runner])
        assert other.chunks == sdk.chunks, name


async def test_messages_stream_helper() -> None:
    for name in ("thinking", "one_tool", "web_search", "text_only"):
        helper = await produce(CASES[name][0], 6, via_helper)
        assert helper.chunks == (await produce(CASES[name][0], 6)).chunks, name


# --- results -------------------------------------------------------------------------------------


async def test_result_of_text_stream() -> None:
    (result,) = (await produce(TEXT_ONLY)).results
    assert result.finish_reason == "stop"
    assert result.usage == {
        "inputTokens": 135,
        "outputTokens": 12,
        "totalTokens": 147,
        "cachedInputTokens": 100,
    }
    assert result.tool_calls == []
    assert result.provider_metadata == {
        "message_id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "model": "claude-test-model-20250101",
        "stop_reason": "end_turn",
        "usage": {
            "input_tokens": 25,
            "output_tokens": 12,
            "cache_read_input_tokens": 100,
            "cache_creation_input_tokens": 10,
        },
    }


async def test_result_of_parallel_tools() -> None:
    run = await produce(PARALLEL_TOOLS)
    (result,) = run.results
    assert result.finish_reason == "tool-calls"
    assert result.tool_calls == [
        ToolCallInfo("toolu_01A", "get_weather", {"city": "Paris"}),
        ToolCallInfo("toolu_01B", "get_weather", {"city": "Rome"}),
        ToolCallInfo("toolu_01C", "get_time", {}),
    ]
    parts = run.message["parts"]
    tools = [p for p in parts if p["type"].startswith("tool-")]
    assert [(p["toolCallId"], p["state"], p["input"]) for p in tools] == [
        ("toolu_01A", "input-available", {"city": "Paris"}),
        ("toolu_01B", "input-available", {"city": "Rome"}),
        ("toolu_01C", "input-available", {}),
    ]


async def test_invalid_tool_input_is_not_returned() -> None:
    for target in MAJORS:
        run = await produce(TOOL_JSON_ERROR, target)
        assert run.results[0].tool_calls == []
        (part,) = [p for p in run.message["parts"] if p["type"] == "tool-get_weather"]
        assert part["state"] == "output-error"
        assert part["errorText"].startswith("The tool input is not valid JSON")


async def test_server_tools_are_provider_executed() -> None:
    run = await produce(WEB_SEARCH)
    assert run.results[0].tool_calls == []
    message = run.message
    (tool,) = [p for p in message["parts"] if p["type"] == "tool-web_search"]
    assert tool["state"] == "output-available"
    assert tool["providerExecuted"] is True
    assert [r["url"] for r in tool["output"]] == [r["url"] for r in SEARCH_RESULTS]
    sources = [p for p in message["parts"] if p["type"] == "source-url"]
    assert [s["url"] for s in sources] == [
        "https://en.wikipedia.org/wiki/Paris",
        "https://www.paris.fr/",
    ]
    assert len({s["sourceId"] for s in sources}) == 2
    texts = [p["text"] for p in message["parts"] if p["type"] == "text"]
    assert texts == [
        "I'll search for that.",
        "Here is what I found. Paris is the capital and its largest city.",
    ]
    assert message["metadata"]["usage"]["inputTokens"] == 2100

    error = await produce(SERVER_TOOL_ERROR)
    parts = error.message["parts"]
    (tool,) = [p for p in parts if p["type"] == "tool-web_search"]
    assert (tool["state"], tool["errorText"]) == ("output-error", "max_uses_exceeded")
    assert tool["input"] == {"query": "news"}


async def test_document_citations() -> None:
    run = await produce(DOCUMENT_CITATIONS)
    parts = run.message["parts"]
    documents = [(p["mediaType"], p["title"]) for p in parts if p["type"] == "source-document"]
    assert documents == [("application/pdf", "Handbook"), ("text/plain", "Notes")]


@pytest.mark.parametrize("runner", sorted(RUNNERS))
async def test_error_event_raises_provider_error(runner: str) -> None:
    ctx: StreamContext[None] = StreamContext(collect=True)
    with pytest.raises(ProviderError) as info:
        await RUNNERS[runner](ctx, PROVIDER_ERROR)
    assert (info.value.provider, info.value.code) == ("anthropic", "overloaded_error")
    assert str(info.value) == "Anthropic stream error (overloaded_error): Overloaded: secret-node-7"
    if runner == "sdk":
        assert isinstance(info.value.__cause__, anthropic.APIStatusError)


async def test_provider_error_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    for runner in (via_create, via_dicts):
        run = await produce(PROVIDER_ERROR, 6, runner)
        chunks = run.chunks
        assert {"type": "error", "errorText": "An error occurred."} in chunks
        assert chunks[-1] == {"type": "finish", "finishReason": "error"}
        assert b"secret-node-7" not in run.body
        assert run.results == []
    assert "secret-node-7" in caplog.text  # logged on the server


# --- cancellation --------------------------------------------------------------------------------


async def test_client_disconnect_closes_the_provider_stream() -> None:
    state = {"sent": 0, "closed": False}
    head = sse([message_start(), start(0, {"type": "text", "text": ""})])

    class Endless(http.AsyncByteStream):  # type: ignore[misc]
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield head
            while True:
                await anyio.sleep(0.005)
                state["sent"] += 1
                yield sse([delta(0, {"type": "text_delta", "text": "tok "})])

        async def aclose(self) -> None:
            state["closed"] = True

    def handler(request: Any) -> Any:
        return http.Response(200, headers={"content-type": "text/event-stream"}, stream=Endless())

    finished: list[bool] = []

    async def work(ctx: StreamContext[None]) -> None:
        async with mock_client(handler) as client:
            stream = await client.messages.create(**REQUEST, stream=True)
            await stream_messages(ctx, stream)
        finished.append(True)

    ctx: StreamContext[None] = StreamContext(collect=True)
    await ctx.run(work)
    body = ctx.stream()
    received = b""
    async for piece in body:
        received += piece
        if received.count(b"tok ") >= 3:
            break
    await body.aclose()
    with anyio.fail_after(5):
        while not ctx.is_finished:
            await anyio.sleep(0.001)
    assert state["closed"] is True
    sent = state["sent"]
    await anyio.sleep(0.05)
    assert state["sent"] == sent  # nothing more is read from the provider
    assert finished == []
    assert ctx.is_disconnected
    assert ctx.record is not None and ctx.record.aborted


async def test_cancelled_work_closes_the_provider_stream() -> None:
    closed: list[bool] = []

    class Events:
        def __aiter__(self) -> Events:
            return self

        async def __anext__(self) -> dict[str, Any]:
            await anyio.sleep(0.01)
            return {"type": "ping"}

        async def close(self) -> None:
            await anyio.lowlevel.checkpoint()  # runs although the work is cancelled
            closed.append(True)

    ctx: StreamContext[None] = StreamContext()
    with anyio.move_on_after(0.05):
        await stream_messages(ctx, Events())
    assert closed == [True]


# --- round trip ----------------------------------------------------------------------------------

THINKING_TOOL = [
    message_start(),
    start(0, {"type": "thinking", "thinking": "", "signature": ""}),
    delta(0, {"type": "thinking_delta", "thinking": "Weather needs a tool."}),
    delta(0, {"type": "signature_delta", "signature": SIGNATURE}),
    stop(0),
    start(1, {"type": "redacted_thinking", "data": REDACTED}),
    stop(1),
    *text_block(2, "Checking."),
    *tool_block(3, "toolu_01A", "get_weather", '{"city": "Paris"}'),
    *message_end("tool_use"),
]
AFTER_TOOL = [message_start(), *text_block(0, "It is sunny in Paris."), *message_end("end_turn")]


async def test_round_trip_keeps_signature_and_tool_pairing() -> None:
    ctx: StreamContext[None] = StreamContext(collect=True, message_id="msg-1")

    async def work(ctx: StreamContext[None]) -> None:  # a server-side agent loop
        result = await via_create(ctx, THINKING_TOOL)
        for call in result.tool_calls:
            await ctx.complete_tool_call(call.tool_call_id, {"forecast": "sunny"})
        await ctx.new_step()
        result = await via_create(ctx, AFTER_TOOL)
        await ctx.finish(result.finish_reason)

    await ctx.run(work)
    await collect_stream(ctx)
    assert ctx.record is not None
    message = ctx.record.to_ui_message()
    user = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Weather in Paris?"}]}
    system, params = to_anthropic([user, message])
    messages: list[dict[str, Any]] = json.loads(json.dumps(params))
    assert system is None
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[1]["content"] == [
        {"type": "thinking", "thinking": "Weather needs a tool.", "signature": SIGNATURE},
        {"type": "redacted_thinking", "data": REDACTED},
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"city": "Paris"}},
    ]
    (result,) = messages[2]["content"]
    assert result["type"] == "tool_result"
    assert result["tool_use_id"] == "toolu_01A"
    assert messages[3]["content"] == [{"type": "text", "text": "It is sunny in Paris."}]


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_dict_events_on_trio() -> None:
    run = await produce(THINKING, 6, via_dicts)
    assert run.chunks == GOLDEN["thinking"]


# --- more results, sources and shapes of the stream argument --------------------------------------


async def test_result_of_stop_sequence_and_unknown_stop_reason() -> None:
    (replayed,) = (await produce(REPLAYED_BLOCKS)).results
    assert replayed.finish_reason == "stop"
    assert replayed.provider_metadata == {
        "message_id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "model": "claude-test-model-20250101",
        "stop_reason": "stop_sequence",
        "stop_sequence": "###",
        "usage": {"input_tokens": 25, "output_tokens": 9},
    }
    assert replayed.tool_calls == [ToolCallInfo("toolu_01B", "get_weather", {"city": "Paris"})]
    (future,) = (await produce(MCP_AND_SEARCH_RESULTS)).results
    assert (future.finish_reason, future.provider_metadata["stop_reason"]) == (
        "other",
        "a_future_stop_reason",
    )
    assert future.tool_calls == []  # MCP calls ran on Anthropic's side; the invalid one is out
    (bare,) = (await produce(NO_USAGE)).results
    assert (bare.usage, bare.provider_metadata) == (None, {"stop_reason": "end_turn"})


async def test_thinking_after_reasoning_the_app_wrote() -> None:
    """The app's own open reasoning part is ended before the model's thinking (and redacted
    thinking), so that the signature and the redacted data belong to the model's parts only."""

    async def work(ctx: StreamContext[None]) -> None:
        await ctx.write_reasoning("Loading your files…")
        await via_dicts(ctx, THINKING)
        await ctx.write_reasoning("Checking the policy…")
        await via_dicts(ctx, REDACTED_THINKING)

    ctx: StreamContext[None] = StreamContext(
        sdk_version=6, collect=True, message_id="msg-1", id_generator=ids()
    )
    await ctx.run(work)
    body = await collect_stream(ctx)
    redacted = {"anthropic": {"redactedData": REDACTED}}
    assert parse_sse_json(body) == [
        *START,
        *reasoning("reasoning-1", "Loading your files…"),
        *reasoning(
            "reasoning-2", "The user greets me. ", "I should answer politely.", signature=SIGNATURE
        ),
        *text("text-3", "Hi", " there."),
        usage(25, 50),
        *reasoning("reasoning-4", "Checking the policy…"),
        {"type": "reasoning-start", "id": "reasoning-5", "providerMetadata": redacted},
        {"type": "reasoning-delta", "id": "reasoning-5", "delta": "", "providerMetadata": redacted},
        {"type": "reasoning-end", "id": "reasoning-5"},
        *text("text-6", "Done."),
        usage(25, 50),
        {"type": "finish-step"},
        {"type": "finish", "finishReason": "stop"},
    ]
    (result,) = replay([{"name": "r", "body": body.decode(), "versions": ["6.0.326"]}]).values()
    assert result["6.0.326"]["chunkErrors"] == []
    assert ctx.record is not None
    assert result["6.0.326"]["chat"]["messages"][-1] == ctx.record.to_ui_message("6.0.326")


async def test_pause_turn_continued_in_the_same_message() -> None:
    """An agent loop continues a paused turn: the result of the earlier response's server tool
    call completes that call."""
    reasons: list[str | None] = []

    async def work(ctx: StreamContext[None]) -> None:
        result = await via_create(ctx, PAUSED)
        reasons.append(result.finish_reason)
        while result.finish_reason == "other" and result.provider_metadata["stop_reason"] == (
            "pause_turn"
        ):
            result = await via_create(ctx, RESUMED)
            reasons.append(result.finish_reason)
        await ctx.finish(result.finish_reason)

    ctx: StreamContext[None] = StreamContext(
        sdk_version=6, collect=True, message_id="msg-1", id_generator=ids()
    )
    await ctx.run(work)
    body = await collect_stream(ctx)
    (result,) = replay([{"name": "p", "body": body.decode(), "versions": ["6.0.326"]}]).values()
    assert result["6.0.326"]["chunkErrors"] == []
    assert ctx.record is not None
    assert result["6.0.326"]["chat"]["messages"][-1] == ctx.record.to_ui_message("6.0.326")
    assert parse_sse_json(body) == [
        *START,
        *text("text-1", "Searching."),
        *SEARCH_CALL,
        usage(25, 20),
        SEARCH_OUTPUT,
        *text("text-2", "Here is the news."),
        usage(30, 10),
        *end("stop"),
    ]
    assert reasons == ["other", "stop"]


async def test_pause_turn_continued_in_a_new_message() -> None:
    """The continuation streamed into a new message: the call it answers is announced first."""
    run = await produce(RESUMED)
    assert run.chunks == [
        *START,
        {"type": "tool-input-available", "toolCallId": "srvtoolu_09", "toolName": "web_search",
         "input": None, "providerExecuted": True},  # the input was in the earlier message
        SEARCH_OUTPUT,
        *text("text-1", "Here is the news."),
        usage(30, 10),
        *end("stop"),
    ]  # fmt: skip
    assert run.results[0].tool_calls == []


class ReplayedEvents:
    """Recorded events (plain dicts) replayed from storage, with a synchronous ``close()``."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.closed = 0

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[dict[str, Any]]:
        for event in self.events:
            await anyio.lowlevel.checkpoint()
            yield event

    def close(self) -> None:
        self.closed += 1


class Unclosable(ReplayedEvents):
    close = None  # type: ignore[assignment]


async def test_every_kind_of_stream_argument() -> None:
    """The un-awaited ``create()`` coroutine, a list of events, an async iterable with a
    synchronous ``close()`` (called once) or without one: the same stream."""
    expected = (await produce(THINKING)).chunks
    replayed = ReplayedEvents(THINKING)
    unclosable = Unclosable(THINKING)

    async def coroutine(ctx: StreamContext[None], events: list[dict[str, Any]]) -> StreamResult:
        async with body_client(sse(events)) as client:
            return await stream_messages(ctx, client.messages.create(**REQUEST, stream=True))

    async def listed(ctx: StreamContext[None], events: list[dict[str, Any]]) -> StreamResult:
        return await stream_messages(ctx, json.loads(json.dumps(events)))

    async def with_close(ctx: StreamContext[None], events: list[dict[str, Any]]) -> StreamResult:
        return await stream_messages(ctx, replayed)

    async def without_close(ctx: StreamContext[None], events: list[Any]) -> StreamResult:
        return await stream_messages(ctx, unclosable)

    for runner in (coroutine, listed, with_close, without_close):
        assert (await produce(THINKING, 6, runner)).chunks == expected, runner.__name__
    assert replayed.closed == 1


async def test_a_broken_connection_passes_through(caplog: pytest.LogCaptureFixture) -> None:
    """A transport error is not a provider error: it propagates unchanged (and ``run`` masks it)."""

    class Broken(http.AsyncByteStream):  # type: ignore[misc]
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield sse([message_start(), *text_block(0, "Partial")][:3])
            raise http.ReadError("connection reset by peer")

    def handler(request: Any) -> Any:
        return http.Response(200, headers={"content-type": "text/event-stream"}, stream=Broken())

    async def runner(ctx: StreamContext[None], events: list[dict[str, Any]]) -> StreamResult:
        async with mock_client(handler) as client:
            stream = await client.messages.create(**REQUEST, stream=True)
            return await stream_messages(ctx, stream)

    ctx: StreamContext[None] = StreamContext(sdk_version=6)
    with pytest.raises(http.ReadError, match="connection reset by peer"):
        await runner(ctx, [])
    run = await produce([], 6, runner)
    assert run.chunks == [
        *START,
        {"type": "text-start", "id": "text-1"},
        {"type": "text-delta", "id": "text-1", "delta": "Partial"},
        {"type": "text-end", "id": "text-1"},
        {"type": "error", "errorText": "An error occurred."},
        *end("error"),
    ]
    assert "connection reset by peer" in caplog.text
