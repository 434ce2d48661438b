"""Conformance scenarios: streams written with the public API, one function each.

Each scenario names the majors it applies to (every one is replayed through the first and the
latest release of each) or the exact releases it targets, and the ``useChat`` status it must end
in (``error`` exactly where the scenario emits an error).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

from ai_stream import (
    DataChunk,
    FinishStepChunk,
    StartStepChunk,
    StreamContext,
    TextDeltaChunk,
    TextEndChunk,
    TextStartChunk,
)
from ai_stream.protocol import Citation, CustomChunk, UrlCitationSource

Work = Callable[[StreamContext[Any]], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    name: str
    work: Work
    majors: tuple[int, ...] = (5, 6, 7)
    releases: tuple[str, ...] = ()
    """Exact releases: the context targets each of them instead of a major."""
    expect: str = "ready"
    options: dict[str, Any] = field(default_factory=dict)


SCENARIOS: list[Scenario] = []


def scenario(
    *,
    majors: tuple[int, ...] | None = None,
    releases: tuple[str, ...] = (),
    expect: str = "ready",
    **options: Any,
) -> Callable[[Work], Work]:
    """Register a scenario; without ``majors`` it runs on every major unless ``releases`` given."""
    if majors is None:
        majors = () if releases else (5, 6, 7)

    def register(work: Work) -> Work:
        name = work.__name__.removeprefix("s_")
        SCENARIOS.append(Scenario(name, work, majors, releases, expect, options))
        return work

    return register


class Boom(RuntimeError):
    pass


UNICODE = (
    'Grüße 👋🏽 — 你好, مرحبا, e\u0301, \u2028line\u2029sep, tab\t, "quotes" \\ / <b>&amp;</b>'
)


@scenario()
async def s_text_only(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("Hello ")
    await ctx.write_text("world!")


@scenario()
async def s_reasoning_then_text(ctx: StreamContext[Any]) -> None:
    await ctx.write_reasoning("Let me think")
    await ctx.write_reasoning("…")
    await ctx.write_text("The answer is 42.")


@scenario()
async def s_text_reasoning_text(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("First. ")
    await ctx.write_reasoning("Hmm.")
    await ctx.write_text("Second.")


@scenario()
async def s_tool_call_complete(ctx: StreamContext[Any]) -> None:
    handle = await ctx.begin_tool_call("getWeather", {"city": "Paris"})
    await ctx.complete_tool_call(handle.tool_call_id, {"city": "Paris", "tempC": 21})
    await ctx.new_step()
    await ctx.write_text("It is 21°C in Paris.")


@scenario()
async def s_tool_call_fail(ctx: StreamContext[Any]) -> None:
    handle = await ctx.begin_tool_call("search", {"q": "x"})
    await ctx.fail_tool_call(handle.toolCallId, "timeout")
    await ctx.new_step()
    await ctx.write_text("The search timed out.")


@scenario()
async def s_tool_output_null(ctx: StreamContext[Any]) -> None:
    handle = await ctx.begin_tool_call("notify", {})
    await ctx.complete_tool_call(handle.tool_call_id, None)


@scenario()
async def s_streamed_tool_input(ctx: StreamContext[Any]) -> None:
    handle = await ctx.start_tool_input("getWeather")
    for piece in ['{"ci', 'ty": "Pa', 'ris", "days": [1, ', "2]}"]:
        await ctx.stream_tool_input_delta(handle.tool_call_id, piece)
    await ctx.finish_tool_input(handle.tool_call_id)
    await ctx.complete_tool_call(handle.tool_call_id, "sunny")


@scenario(majors=(6, 7), releases=("5.0.277",))
async def s_tool_input_error(ctx: StreamContext[Any]) -> None:
    handle = await ctx.start_tool_input("getWeather")
    await ctx.stream_tool_input_delta(handle.tool_call_id, '{"city": ')
    await ctx.fail_tool_input(handle.tool_call_id, "Invalid JSON input")
    await ctx.new_step()
    await ctx.write_text("Retrying is not possible.")


@scenario()
async def s_preliminary_outputs(ctx: StreamContext[Any]) -> None:
    handle = await ctx.begin_tool_call("research", {"topic": "ai"})
    await ctx.complete_tool_call(handle.tool_call_id, {"progress": 0.5}, preliminary=True)
    await ctx.complete_tool_call(handle.tool_call_id, {"progress": 1.0}, preliminary=True)
    await ctx.complete_tool_call(handle.tool_call_id, {"result": "done"})


@scenario()
async def s_dynamic_tool(ctx: StreamContext[Any]) -> None:
    handle = await ctx.begin_tool_call("mcp_lookup", {"id": 7}, dynamic=True)
    await ctx.complete_tool_call(handle.tool_call_id, {"name": "seven"})
    other = await ctx.start_tool_input("mcp_fail", dynamic=True)
    await ctx.stream_tool_input_delta(other.tool_call_id, "{}")
    await ctx.finish_tool_input(other.tool_call_id)
    await ctx.fail_tool_call(other.tool_call_id, "denied by server")


@scenario()
async def s_provider_executed_tool(ctx: StreamContext[Any]) -> None:
    handle = await ctx.begin_tool_call("web_search", {"query": "ai sdk"}, provider_executed=True)
    await ctx.complete_tool_call(
        handle.tool_call_id, [{"url": "https://ai-sdk.dev"}], provider_executed=True
    )
    await ctx.write_source("src-1", "https://ai-sdk.dev", "AI SDK")
    await ctx.write_text("See the docs.")


@scenario()
async def s_sources(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("Cited. ")
    await ctx.write_source("s1", "https://example.com/a", "A")
    await ctx.write_source("s2", "https://example.com/b")
    await ctx.write_source_document("d1", "application/pdf", "Report", filename="report.pdf")
    await ctx.write_text("More text.")


@scenario()
async def s_files(ctx: StreamContext[Any]) -> None:
    await ctx.write_file("data:image/png;base64,iVBORw0KGgo=", "image/png")
    await ctx.write_file("https://example.com/cat.jpg", "image/jpeg")
    await ctx.write_text("Two images.")


@scenario()
async def s_data_parts(ctx: StreamContext[Any]) -> None:
    await ctx.write_data("weather", {"city": "Paris", "status": "loading"}, id="w1")
    await ctx.write_data("notice", "plain string")
    await ctx.write_data("data-list", [1, 2, 3])
    await ctx.write_text("Loading…")
    await ctx.write_data("weather", {"city": "Paris", "status": "done", "tempC": 21}, id="w1")
    await ctx.write_data("notice", None)


@scenario()
async def s_transient_data(ctx: StreamContext[Any]) -> None:
    await ctx.write_data("status", {"phase": "searching"}, transient=True)
    await ctx.write_text("Found it.")
    await ctx.write_data("status", {"phase": "done"}, transient=True)


@scenario()
async def s_metadata_merges(ctx: StreamContext[Any]) -> None:
    await ctx.start(metadata={"a": 1, "nested": {"x": 1}, "list": [1, 2]})
    await ctx.write_text("Hi")
    await ctx.write_message_metadata({"b": 2, "nested": {"y": 2}, "list": [3]})
    await ctx.finish(metadata={"a": 3, "usage": {"inputTokens": 5, "outputTokens": 2}})


@scenario(message_metadata={"model": "mock-1"})
async def s_metadata_in_constructor(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("Hi")


@scenario()
async def s_multi_step(ctx: StreamContext[Any]) -> None:
    await ctx.write_reasoning("Plan: search, then answer.")
    await ctx.new_step()
    handle = await ctx.begin_tool_call("search", {"q": "python"})
    await ctx.complete_tool_call(handle.tool_call_id, ["a", "b"])
    await ctx.new_step()
    await ctx.write_text("Based on the results…")
    await ctx.new_step()
    await ctx.write_text("One more step.")


@scenario()
async def s_client_side_tool(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("Let me ask the browser for your location.")
    await ctx.begin_tool_call("getLocation", {})


@scenario()
async def s_parallel_tool_calls(ctx: StreamContext[Any]) -> None:
    async def call(name: str, delay: float) -> None:
        handle = await ctx.begin_tool_call(name, {"delay": delay})
        await anyio.sleep(delay)
        await ctx.complete_tool_call(handle.tool_call_id, f"{name} done")

    async with anyio.create_task_group() as group:
        group.start_soon(call, "slow", 0.02)
        group.start_soon(call, "fast", 0.0)
    await ctx.new_step()
    await ctx.write_text("Both done.")


@scenario(expect="error")
async def s_error_mid_text(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("Partial answ")
    raise Boom("secret database password in this message")


@scenario(expect="error")
async def s_error_mid_reasoning(ctx: StreamContext[Any]) -> None:
    await ctx.write_reasoning("Thinking about")
    raise Boom("boom")


@scenario(expect="error")
async def s_error_mid_tool_input(ctx: StreamContext[Any]) -> None:
    handle = await ctx.start_tool_input("getWeather")
    await ctx.stream_tool_input_delta(handle.tool_call_id, '{"city":')
    raise Boom("boom")


@scenario(expect="error")
async def s_error_before_anything(ctx: StreamContext[Any]) -> None:
    raise Boom("boom")


@scenario(expect="error", on_error=lambda exc: f"Tool failed: {type(exc).__name__}")
async def s_error_custom_text(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("Working")
    raise Boom("boom")


@scenario(expect="error")
async def s_explicit_error(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("Almost")
    await ctx.error("Quota exceeded, try again later.")
    await ctx.finish("error")


@scenario()
async def s_abort_mid_text(ctx: StreamContext[Any]) -> None:
    await ctx.write_reasoning("Thinking")
    await ctx.write_text("Partial")
    await ctx.abort()


@scenario(majors=(7,), releases=("6.0.326",))
async def s_abort_with_reason(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("Partial")
    await ctx.abort("user pressed stop")


@scenario()
async def s_long_unicode(ctx: StreamContext[Any]) -> None:
    for _ in range(20):
        await ctx.write_text(UNICODE)
    await ctx.write_reasoning(UNICODE)
    handle = await ctx.begin_tool_call("echo", {"text": UNICODE, "emoji": "🧪"})
    await ctx.complete_tool_call(handle.tool_call_id, {"echo": UNICODE})
    await ctx.write_data("unicode", {"s": UNICODE})
    await ctx.write_text("\x00\x01\x1f control chars and lone surrogate \ud800 end")


@scenario()
async def s_empty_deltas(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("")
    await ctx.write_text("a")
    await ctx.write_text("")
    await ctx.write_reasoning("")
    await ctx.write_text("")


@scenario()
async def s_many_deltas(ctx: StreamContext[Any]) -> None:
    for i in range(2000):
        await ctx.write_text(f"token{i} ")


@scenario()
async def s_empty_message(ctx: StreamContext[Any]) -> None:
    return None


@scenario(releases=("5.0.277", "6.0.0", "6.0.326", "7.0.0", "7.0.173"))
async def s_finish_reason_provider_spelling(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("Cut off")
    await ctx.finish("max_tokens")


@scenario(releases=("5.0.277", "6.0.326", "7.0.173"))
async def s_finish_reason_content_filter(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("I can't")
    await ctx.finish("content_filter")


@scenario(majors=(6, 7))
async def s_tool_approval_request(ctx: StreamContext[Any]) -> None:
    handle = await ctx.begin_tool_call("deleteFile", {"path": "/tmp/x"})
    await ctx.write(
        {"type": "tool-approval-request", "approvalId": "appr-1", "toolCallId": handle.tool_call_id}
    )
    await ctx.finish("tool-calls")


@scenario(majors=(6, 7))
async def s_tool_output_denied(ctx: StreamContext[Any]) -> None:
    handle = await ctx.begin_tool_call("deleteFile", {"path": "/tmp/x"})
    await ctx.write({"type": "tool-output-denied", "toolCallId": handle.tool_call_id})
    await ctx.new_step()
    await ctx.write_text("I did not delete it.")


@scenario(majors=(7,))
async def s_v7_automatic_approval(ctx: StreamContext[Any]) -> None:
    handle = await ctx.begin_tool_call("readFile", {"path": "README"})
    await ctx.write(
        {
            "type": "tool-approval-request",
            "approvalId": "a1",
            "toolCallId": handle.tool_call_id,
            "isAutomatic": True,
        }
    )
    await ctx.write({"type": "tool-approval-response", "approvalId": "a1", "approved": True})
    await ctx.complete_tool_call(handle.tool_call_id, "# README")


@scenario(releases=("7.0.173",))
async def s_v7_reset_step(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("A first try that will be discarded")
    await ctx.write({"type": "reset-step"})
    await ctx.write_text("The retry.")


@scenario(majors=(7,))
async def s_v7_custom_and_reasoning_file(ctx: StreamContext[Any]) -> None:
    await ctx.write(CustomChunk(kind="openai.compaction", provider_metadata={"openai": {"n": 1}}))
    await ctx.write(
        {"type": "reasoning-file", "url": "data:image/png;base64,AA==", "mediaType": "image/png"}
    )
    await ctx.write_text("Done.")


@scenario(releases=("7.0.173",))
async def s_v7_citations(ctx: StreamContext[Any]) -> None:
    await ctx.write(TextStartChunk(id="t1"))
    await ctx.write(TextDeltaChunk(id="t1", delta="Paris is the capital."))
    source = UrlCitationSource(id="s1", url="https://en.wikipedia.org/wiki/Paris", title="Paris")
    await ctx.write(
        TextEndChunk(id="t1", citations=[Citation(source=source, start_index=0, end_index=5)])
    )


@scenario(releases=("7.0.173",))
async def s_v7_steering_message(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("Working on it")
    await ctx.write(
        {"type": "steering-message", "id": "u2", "parts": [{"type": "text", "text": "Be brief"}]}
    )
    await ctx.write_text(" briefly.")


@scenario(releases=("7.0.173",))
async def s_v7_text_spans_steps(ctx: StreamContext[Any]) -> None:
    await ctx.write(TextStartChunk(id="t1"))
    await ctx.write(TextDeltaChunk(id="t1", delta="step one "))
    await ctx.write(FinishStepChunk())
    await ctx.write(StartStepChunk())
    await ctx.write(TextDeltaChunk(id="t1", delta="continues"))
    await ctx.write(TextEndChunk(id="t1"))


@scenario()
async def s_low_level_writes(ctx: StreamContext[Any]) -> None:
    await ctx.write(TextStartChunk(id="manual"))
    await ctx.write(TextDeltaChunk(id="manual", delta="raw "))
    ctx.write_event_to_stream(TextDeltaChunk(id="manual", delta="sync"))
    await ctx.write(TextEndChunk(id="manual"))
    await ctx.write(DataChunk(type="data-raw", data={"ok": True}))
    await ctx.write_text(" then auto")


@scenario()
async def s_seed_events_api(ctx: StreamContext[Any]) -> None:
    from ai_stream import TextDeltaEvent

    await ctx.write_text("Hello")
    assert ctx.current_text_id is not None
    ctx.write_event_to_stream(TextDeltaEvent(id=ctx.current_text_id, delta="!"))


@scenario(majors=(6, 7))
async def s_provider_metadata(ctx: StreamContext[Any]) -> None:
    meta = {"anthropic": {"signature": "sig-1"}}
    await ctx.write_reasoning("thinking", provider_metadata=meta)
    await ctx.end_reasoning(provider_metadata={"anthropic": {"signature": "sig-final"}})
    await ctx.write_text("answer", provider_metadata={"openai": {"itemId": "msg_1"}})
    handle = await ctx.begin_tool_call("t", {}, provider_metadata={"openai": {"itemId": "fc_1"}})
    await ctx.complete_tool_call(handle.tool_call_id, 1, provider_metadata={"x": {"y": 1}})


@scenario(releases=("6.0.326", "7.0.173"))
async def s_tool_title_and_metadata(ctx: StreamContext[Any]) -> None:
    handle = await ctx.begin_tool_call(
        "getWeather", {"city": "Oslo"}, title="Weather in Oslo", tool_metadata={"cost": 1}
    )
    await ctx.complete_tool_call(handle.tool_call_id, "cold", tool_metadata={"cached": True})


@scenario()
async def s_service_layers_with_store(ctx: StreamContext[Any]) -> None:
    async def load_user(ctx: StreamContext[Any]) -> None:
        await ctx.write_reasoning("Loading user…")
        await ctx.store.set("user.name", "Alice")

    async def answer(ctx: StreamContext[Any]) -> None:
        name = await ctx.store.get("user.name", default="there")
        await ctx.write_text(f"Hello {name}!")

    await load_user(ctx)
    await ctx.new_step()
    await answer(ctx)


@scenario()
async def s_text_tool_text_same_step(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("Before the tool. ")
    handle = await ctx.begin_tool_call("calc", {"a": 1, "b": 2})
    await ctx.complete_tool_call(handle.tool_call_id, 3)
    await ctx.write_text("After the tool: 3.")


@scenario()
async def s_end_text_then_new_part(ctx: StreamContext[Any]) -> None:
    await ctx.write_text("Paragraph one.")
    await ctx.end_text()
    await ctx.write_text("Paragraph two.")


@scenario(disconnect_after=3)
async def s_client_disconnects_mid_answer(ctx: StreamContext[Any]) -> None:
    await ctx.write_reasoning("Thinking")
    await anyio.sleep(0.01)
    await ctx.write_text("The first words")
    await anyio.sleep(0.01)
    await ctx.write_text(" and more")
    await anyio.sleep(0.01)
    await ctx.write_text(" never delivered")
    await anyio.sleep(1)
