"""The answer: the agent loop (model → tools → model) with the demo model or a real one.

Both models get the same tools; :func:`ai_stream.agent.run_agent` runs server tools, asks for
approvals and stops for client-side tools, over as many requests as the conversation needs.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ai_stream.agent import ModelCall, Tool, run_agent
from services import search_service
from services.demo_model import DemoModel

if TYPE_CHECKING:
    from collections.abc import Callable

    from openai import AsyncOpenAI

    from ai_stream import ChatRequest, StreamContext, UIMessage
    from ai_stream.agent import StreamResult
    from schemas import RequestInfo
    from settings import Settings

SYSTEM_PROMPT = (
    "You are the ai_stream demo assistant. Use the tools when they help: getWeather for the "
    "weather, searchDocs for documentation questions, deleteDataset to delete a dataset (the "
    "user must approve it), getTimeZone (runs in the browser) for the user's time zone."
)

TOOL_SCHEMAS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "getWeather",
            "description": "The current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "searchDocs",
            "description": "Search the AI SDK documentation.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "deleteDataset",
            "description": "Delete a dataset (asks the user first).",
            "parameters": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "getTimeZone",
            "description": "The user's time zone, from their browser.",
            "parameters": {"type": "object", "properties": {}},
        },
    },
]

CONDITIONS = ("sunny", "cloudy", "rainy", "windy", "snowy")


def get_weather(city: str) -> dict[str, Any]:
    """A deterministic fake weather service (a sync tool: it runs in a worker thread)."""
    seed = int(hashlib.sha256(city.lower().encode()).hexdigest(), 16)
    return {
        "city": city,
        "temperatureC": seed % 35 - 5,
        "condition": CONDITIONS[seed % len(CONDITIONS)],
        "humidity": 30 + seed % 60,
    }


async def delete_dataset(name: str) -> dict[str, Any]:
    """Runs only once the user approved it."""
    return {"deleted": name, "rows": 12_345}


def build_tools(ctx: StreamContext[RequestInfo]) -> dict[str, Tool | Callable[..., Any]]:
    """The tools of this answer; ``searchDocs`` writes its sources into ``ctx``."""

    async def search_docs(query: str) -> dict[str, Any]:
        return await search_service.search(query, ctx=ctx)

    return {
        "getWeather": get_weather,
        "searchDocs": search_docs,
        "deleteDataset": Tool(delete_dataset, needs_approval=True),
        "getTimeZone": Tool(client_side=True),
    }


def openai_client(settings: Settings) -> AsyncOpenAI | None:
    """The OpenAI client the real models share (``None`` without ``OPENAI_API_KEY``).

    The app closes it when it stops (``main.py``).
    """
    if not settings.openai_api_key:
        return None
    from openai import AsyncOpenAI

    return AsyncOpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url)


def openai_model(settings: Settings, client: AsyncOpenAI | None = None) -> ModelCall:
    """A real model through the OpenAI Chat Completions API (any compatible server)."""
    from openai import AsyncOpenAI

    from ai_stream.convert import to_openai_chat
    from ai_stream.integrations.openai import stream_chat_completions

    if client is None:
        client = AsyncOpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url)

    async def model(ctx: StreamContext[Any], messages: list[UIMessage]) -> StreamResult:
        stream = await client.chat.completions.create(  # type: ignore[call-overload]
            model=settings.openai_model,
            messages=to_openai_chat(messages, system=SYSTEM_PROMPT),
            tools=TOOL_SCHEMAS,
            stream=True,
            stream_options={"include_usage": True},
        )
        return await stream_chat_completions(ctx, stream)

    return model


def make_model(settings: Settings, client: AsyncOpenAI | None = None) -> ModelCall:
    """The real model when ``OPENAI_API_KEY`` is set, else the offline demo model."""
    if settings.openai_api_key:
        return openai_model(settings, client)
    return DemoModel(settings.demo_delay)


async def answer(
    ctx: StreamContext[RequestInfo], request: ChatRequest, *, model: ModelCall, secret: str
) -> None:
    """Answer the chat request (any number of steps) into ``ctx``."""
    await run_agent(ctx, request, model, build_tools(ctx), approval_secret=secret)
