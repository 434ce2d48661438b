"""The offline demo model: deterministic, no network, streamed at a realistic pace.

It is a ``ModelCall`` for :func:`ai_stream.agent.run_agent`: each call streams one model
response into the context and returns the tool calls it made, exactly like a provider adapter.
The last user message picks the scenario (case-insensitive keywords):

==================  =================================================================
``weather``         reasoning, the ``getWeather`` tool (server), then the answer
``search``          the ``searchDocs`` tool (sources), then an answer citing them
``delete``          the ``deleteDataset`` tool, which needs the user's approval
``time zone``       the client-side ``getTimeZone`` tool (the browser answers)
``long task``       a ``data-progress`` part updated 0→100 %, then the answer
``error``           fails inside the work (the browser sees the masked error)
anything else       reasoning and a markdown answer with a code block
==================  =================================================================

It also answers the completion page (:meth:`DemoModel.complete`: a text streamed word by word)
and the trip page (:meth:`DemoModel.plan_trip`: an :class:`~schemas.Itinerary` streamed as a
growing value with ``write_partial``). There a prompt containing ``error`` fails half-way.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any

import anyio

from ai_stream.agent import StreamResult, ToolCallInfo

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ai_stream import ObjectStreamContext, StreamContext, UIMessage
    from ai_stream.protocol.messages import DynamicToolUIPart, ToolUIPart
    from schemas import Itinerary

_TOKEN = re.compile(r"\S+\s*|\s+")
_CITY = re.compile(r"\b(?:in|for|at)\s+([A-Z][\w\- ]*[\w])", re.IGNORECASE)
# "a trip to New York", "visit Lisbon": capitalised words after "to" / "in" / "visit(ing)".
_DESTINATION = re.compile(r"\b(?:to|in|visit|visiting)\s+((?:[A-Z][\w'\-]*)(?:\s+[A-Z][\w'\-]*)*)")
_DAYS = re.compile(r"\b(\d+)[\s-]*days?\b", re.IGNORECASE)


class DemoModelError(RuntimeError):
    """The failure the ``error`` scenario raises (the browser sees only the masked text)."""


class DemoModel:
    """The scripted model.

    Args:
        delay: Seconds per streamed token (0: as fast as possible).
    """

    def __init__(self, delay: float = 0.02) -> None:
        self.delay = delay
        self._tokens = 0

    async def _pause(self, factor: float = 1.0) -> None:
        if self.delay > 0:
            self._tokens += 1
            await anyio.sleep(self.delay * factor * (0.75 + 0.25 * (self._tokens % 3)))

    async def text(self, ctx: StreamContext[Any], text: str) -> None:
        """Stream ``text`` as small tokens."""
        for token in _TOKEN.findall(text):
            await self._pause()
            await ctx.write_text(token)
        await ctx.end_text()

    async def reasoning(self, ctx: StreamContext[Any], text: str) -> None:
        """Stream ``text`` as reasoning."""
        for token in _TOKEN.findall(text):
            await self._pause()
            await ctx.write_reasoning(token)
        await ctx.end_reasoning()

    async def call(self, ctx: StreamContext[Any], name: str, input: dict[str, Any]) -> StreamResult:
        """Request a tool call (the agent loop runs it, asks for approval, or stops for it)."""
        await self._pause(3)
        handle = await ctx.begin_tool_call(name, input)
        return StreamResult(
            finish_reason="tool-calls",
            tool_calls=[ToolCallInfo(handle.tool_call_id, name, input)],
        )

    async def __call__(self, ctx: StreamContext[Any], messages: list[UIMessage]) -> StreamResult:
        """Stream one response to ``messages`` (the history, the current answer last)."""
        prompt = next((m.text for m in reversed(messages) if m.role == "user"), "")
        current = messages[-1] if messages and messages[-1].role == "assistant" else None
        done: dict[str, ToolUIPart | DynamicToolUIPart] = (
            {p.tool_name: p for p in current.tool_parts} if current is not None else {}
        )
        lowered = prompt.lower()
        if "weather" in lowered:
            return await self.weather(ctx, prompt, done)
        if "search" in lowered:
            return await self.search(ctx, prompt, done)
        if "delete" in lowered:
            return await self.delete(ctx, done)
        if "time zone" in lowered or "timezone" in lowered:
            return await self.time_zone(ctx, done)
        if "long task" in lowered:
            return await self.long_task(ctx)
        if "error" in lowered:
            await self.reasoning(ctx, "Calling the flaky upstream service…")
            raise DemoModelError("the demo upstream service is down (as you asked)")
        return await self.chat(ctx, prompt)

    async def weather(
        self, ctx: StreamContext[Any], prompt: str, done: dict[str, Any]
    ) -> StreamResult:
        """``getWeather`` on the server, then the answer."""
        part = done.get("getWeather")
        if part is None:
            match = _CITY.search(prompt)
            city = match.group(1).strip().title() if match else "Berlin"
            await self.reasoning(
                ctx, f"The user wants the weather in {city}. I will call the weather tool."
            )
            return await self.call(ctx, "getWeather", {"city": city})
        if part.state != "output-available":
            await self.text(ctx, f"I could not get the weather: {part.error_text or 'no data'}.")
            return StreamResult(finish_reason="stop")
        out = part.output
        await self.text(
            ctx,
            f"It is **{out['temperatureC']} °C** and {out['condition']} in {out['city']} "
            f"(humidity {out['humidity']} %).",
        )
        return StreamResult(finish_reason="stop")

    async def search(
        self, ctx: StreamContext[Any], prompt: str, done: dict[str, Any]
    ) -> StreamResult:
        """``searchDocs`` (sources), then an answer citing the hits."""
        part = done.get("searchDocs")
        if part is None:
            await self.reasoning(ctx, "Let me search the documentation first.")
            query = re.sub(r"(?i)^.*?search( for)?\s*", "", prompt).strip() or prompt
            return await self.call(ctx, "searchDocs", {"query": query})
        hits = part.output["results"] if isinstance(part.output, dict) else []
        lines = [f"I found {len(hits)} relevant pages:", ""]
        lines += [f"{i}. [{hit['title']}]({hit['url']}) — {hit['snippet']}" for i, hit in
                  enumerate(hits, 1)]  # fmt: skip
        await self.text(ctx, "\n".join(lines))
        return StreamResult(finish_reason="stop")

    async def delete(self, ctx: StreamContext[Any], done: dict[str, Any]) -> StreamResult:
        """``deleteDataset``, which needs approval; then what happened."""
        part = done.get("deleteDataset")
        if part is None:
            await self.text(ctx, "Deleting **sales-2024** cannot be undone, so I need your OK.")
            return await self.call(ctx, "deleteDataset", {"name": "sales-2024"})
        if part.state == "output-available":
            out = part.output
            await self.text(ctx, f"Done: the dataset **{out['deleted']}** ({out['rows']} rows) "
                                 "is gone.")  # fmt: skip
        elif part.state == "output-denied":
            await self.text(ctx, "Understood — I did **not** delete the dataset.")
        else:
            await self.text(ctx, f"The deletion failed: {part.error_text}.")
        return StreamResult(finish_reason="stop")

    async def time_zone(self, ctx: StreamContext[Any], done: dict[str, Any]) -> StreamResult:
        """The client-side ``getTimeZone`` tool; the browser answers with the next request."""
        part = done.get("getTimeZone")
        if part is None:
            await self.reasoning(ctx, "Only the browser knows the user's time zone; asking it.")
            return await self.call(ctx, "getTimeZone", {})
        if part.state == "output-error":
            await self.text(ctx, f"The browser could not tell me: {part.error_text}.")
            return StreamResult(finish_reason="stop")
        out = part.output
        zone = out.get("timeZone", json.dumps(out)) if isinstance(out, dict) else str(out)
        await self.text(ctx, f"Your browser says your time zone is **{zone}**.")
        return StreamResult(finish_reason="stop")

    async def long_task(self, ctx: StreamContext[Any]) -> StreamResult:
        """A progress data part updated in place, then the answer."""
        await self.text(ctx, "Starting the long task.\n\n")
        for percent in range(0, 101, 10):
            await ctx.write_data(
                "progress", {"label": "Crunching numbers", "percent": percent}, id="progress"
            )
            await self._pause(8)
        await self.text(ctx, "\n\nThe long task is **complete**: 42 reports generated.")
        return StreamResult(finish_reason="stop")

    async def chat(self, ctx: StreamContext[Any], prompt: str) -> StreamResult:
        """Reasoning and a markdown answer with a fenced code block."""
        plan = await ctx.store.get("user.plan", default="free")
        await self.reasoning(
            ctx,
            "No tool needed. I will show how a Python backend streams to useChat, "
            "with a short code example.",
        )
        await self.text(
            ctx,
            f"You said: *{prompt.strip() or '…'}*\n\n"
            "Here is how a Python backend answers `useChat` with **ai_stream**:\n\n"
            "```python\n"
            '@app.post("/api/chat")\n'
            "async def chat(request: Request) -> Response:\n"
            "    body = await ChatRequest.from_request(request)\n"
            "    ctx = StreamContext.for_request(body)\n"
            '    await ctx.run(lambda ctx: ctx.write_text("Hello!"))\n'
            "    return UIMessageStreamResponse(ctx)\n"
            "```\n\n"
            f"Try *weather in Paris*, *search resume*, *delete the dataset*, *what is my time "
            f"zone*, *long task* or *error*. (Your plan: **{plan}**.)",
        )
        return StreamResult(finish_reason="stop")

    # --- the completion page and the trip page ----------------------------------------------

    async def complete(self, ctx: StreamContext[Any], prompt: str) -> None:
        """The completion page: a text about ``prompt``, streamed word by word.

        A prompt containing ``error`` fails half-way (``useCompletion``'s default "data"
        protocol shows the masked error; the "text" protocol has no error channel).
        """
        topic = " ".join(prompt.split()) or "…"
        first = (
            f"Here is a completion for “{topic}”, written by the offline demo model. "
            "It streams one word at a time, the way a real model does: the Python backend "
            "writes each token with ctx.write_text and useCompletion shows the text as it grows. "
        )
        second = (
            "Press Stop at any moment: the browser hangs up, ai_stream cancels the work on the "
            "server and nothing more is generated. Set OPENAI_API_KEY to get the same page "
            "from a real model."
        )
        for token in _TOKEN.findall(first):
            await self._pause()
            await ctx.write_text(token)
        if "error" in prompt.lower():
            raise DemoModelError("the demo upstream service is down (as you asked)")
        for token in _TOKEN.findall(second):
            await self._pause()
            await ctx.write_text(token)

    async def plan_trip(self, obj: ObjectStreamContext[Itinerary], prompt: str) -> None:
        """The trip page: an itinerary for ``prompt``, sent as a value that grows word by word.

        Each ``write_partial`` value extends the previous one (a string grows, keys and
        elements are added at the end). A prompt containing ``error`` fails in the second day:
        the text ends without ``tips``, and the page's schema refuses it.
        """
        itinerary = demo_itinerary(prompt)
        fail = "error" in prompt.lower()
        for value in growing(itinerary):
            if fail and len(value.get("days", ())) >= 2:
                raise DemoModelError("the demo upstream service is down (as you asked)")
            await self._pause()
            await obj.write_partial(value)


_TITLES = (
    "Old town and first impressions",
    "Markets, museums and a long lunch",
    "A day trip out of town",
    "Parks, viewpoints and the waterfront",
    "Last walks and souvenirs",
)
_ACTIVITIES = (
    "Walking tour of the historic centre",
    "Coffee and pastries at a neighbourhood café",
    "Sunset from the best viewpoint in town",
    "Morning at the central market",
    "Afternoon in the main art museum",
    "Dinner at a family-run restaurant",
    "Train to a nearby village",
    "Picnic by the river",
    "Evening concert or live music",
    "Bike ride through the largest park",
    "Boat trip along the coast or the river",
    "Shopping for local crafts",
)
_TIPS = (
    "Buy a public transport day pass: it pays off after three rides.",
    "Book the popular museums online a few days ahead.",
    "Carry a refillable water bottle and comfortable shoes.",
    "Lunch menus are cheaper than dinner at the same places.",
)


def demo_itinerary(prompt: str) -> dict[str, Any]:
    """The demo itinerary for ``prompt`` (deterministic): destination and days come from it.

    ``"a 4-day trip to Porto"`` → Porto, 4 days (1 to 5; a weekend is 2; default 3, default
    destination Lisbon).
    """
    match = _DESTINATION.search(prompt)
    destination = match.group(1).strip() if match else "Lisbon"
    count = _DAYS.search(prompt)
    days = min(5, max(1, int(count.group(1)))) if count else 2 if "weekend" in prompt.lower() else 3
    seed = int(hashlib.sha256(destination.lower().encode()).hexdigest(), 16)
    plan = []
    for day in range(days):
        picks = [_ACTIVITIES[(seed + day * 3 + i) % len(_ACTIVITIES)] for i in range(3)]
        plan.append({"day": day + 1, "title": _TITLES[day], "activities": picks})
    return {
        "destination": destination,
        "summary": f"{days} relaxed days in {destination}: the classics, good food and one "
        "escape from the city.",
        "days": plan,
        "tips": [_TIPS[(seed + i) % len(_TIPS)] for i in range(3)],
    }


def growing(value: Any) -> Iterator[Any]:
    """Successive partial values of a JSON value, each extending the last, ending with ``value``.

    Strings grow by words, objects by keys and arrays by elements (in order); other scalars
    appear whole. What a framework that yields growing objects hands to ``write_partial``.
    """
    if isinstance(value, str):
        text = ""
        for token in _TOKEN.findall(value) or [""]:
            text += token
            yield text
    elif isinstance(value, dict):
        done: dict[str, Any] = {}
        if not value:
            yield {}
        for key, item in value.items():
            for part in growing(item):
                yield {**done, key: part}
            done[key] = item
    elif isinstance(value, list):
        head: list[Any] = []
        if not value:
            yield []
        for item in value:
            for part in growing(item):
                yield [*head, part]
            head.append(item)
    else:
        yield value
