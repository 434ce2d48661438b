"""A FastAPI backend for ``useChat`` (ai 6 or 7): ``uvicorn main:app --port 8000``.

Text, a server tool, a tool that needs the user's approval, a tool the browser runs, stop, and
chats that survive a reload. Set ``OPENAI_API_KEY`` for a real model; without it an offline
model answers (try "weather in Paris", "delete notes.txt", "what time is it", "tell a story").
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable  # noqa: TC003 (FastAPI reads the annotations)
from typing import Any

import anyio
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from ai_stream import (
    ChatError,
    ChatRequest,
    MemoryChatStore,
    RequestParseError,
    StreamContext,
    UIMessage,
    UIMessageStreamResponse,
    begin_turn,
    request_parse_error_handler,
)
from ai_stream.agent import ModelCall, StreamResult, Tool, ToolCallInfo, run_agent

# Signs tool approvals: set it in production (and share it between workers).
SECRET = os.environ.get("AI_STREAM_SECRET") or secrets.token_urlsafe(32)
CLIENT_TOOLS = {"getLocalTime"}  # run by the browser: only their outputs come from a request

app = FastAPI()
app.add_exception_handler(RequestParseError, request_parse_error_handler)  # bad bodies: 4xx JSON
if origin := os.environ.get("FRONTEND_ORIGIN"):  # only when the frontend calls us directly
    app.add_middleware(CORSMiddleware, allow_origins=[origin], allow_methods=["*"],
                       allow_headers=["*"])  # fmt: skip
chats = MemoryChatStore()  # SQLChatStore("sqlite+aiosqlite:///chats.db") keeps them on disk


async def get_weather(city: str) -> dict[str, Any]:
    """A server tool (your weather service here)."""
    return {"city": city, "forecast": "sunny", "temperatureC": 21}


async def delete_file(path: str) -> dict[str, Any]:
    """A server tool that runs only once the user approved the call."""
    return {"deleted": path}


TOOLS: dict[str, Tool | Callable[..., Any]] = {
    "getWeather": get_weather,
    "deleteFile": Tool(delete_file, needs_approval=True),
    "getLocalTime": Tool(client_side=True),
}


def user_of(request: Request) -> str:
    """Who asks."""
    return request.headers.get("x-user-id", "demo-user")  # your authentication here


@app.post("/api/chat")
async def chat(request: Request) -> Response:
    """``useChat``'s requests: a new message, an approval, a browser tool's output."""
    body = await ChatRequest.from_request(request)
    try:  # the stored chat is the history; the body brings only what the user may add
        turn = await begin_turn(chats, body, user=user_of(request), client_tools=CLIENT_TOOLS)
    except ChatError as error:
        return JSONResponse(error.to_dict(), status_code=error.status_code)
    ctx: StreamContext[None] = StreamContext.for_request(
        turn.request, collect=True, approval_secret=SECRET, on_finish=turn.save
    )
    await ctx.run(run_agent, turn.request, model(), TOOLS)
    return UIMessageStreamResponse(ctx)


@app.get("/api/chats/{chat_id}")
async def load(chat_id: str, request: Request) -> Response:
    """The saved chat, for the page to show after a reload."""
    chat = await chats.load(chat_id)
    if chat is None or chat.owner != user_of(request):
        return JSONResponse({"messages": []})
    return JSONResponse({"messages": chat.messages})


def model() -> ModelCall:
    """OpenAI when ``OPENAI_API_KEY`` is set, else the offline model."""
    if os.environ.get("OPENAI_API_KEY"):
        return openai_model
    return offline_model


async def openai_model(ctx: StreamContext[Any], messages: list[UIMessage]) -> StreamResult:
    """One OpenAI Chat Completions call, streamed into ``ctx``."""
    from openai import AsyncOpenAI

    from ai_stream.convert import to_openai_chat
    from ai_stream.integrations.openai import stream_chat_completions

    def tool(name: str, description: str, **properties: str) -> Any:
        schema = {k: {"type": "string", "description": v} for k, v in properties.items()}
        return {"type": "function", "function": {"name": name, "description": description,
                "parameters": {"type": "object", "properties": schema}}}  # fmt: skip

    stream = await AsyncOpenAI().chat.completions.create(
        model=os.environ.get("OPENAI_MODEL", "gpt-4.1-mini"),
        messages=to_openai_chat(messages, system="You are a helpful assistant."),
        tools=[
            tool("getWeather", "The weather of a city.", city="The city"),
            tool("deleteFile", "Delete a file (asks the user).", path="The file"),
            tool("getLocalTime", "The user's local time, from their browser."),
        ],
        stream=True,
    )
    return await stream_chat_completions(ctx, stream)


async def offline_model(ctx: StreamContext[Any], messages: list[UIMessage]) -> StreamResult:
    """Stands in for a model: calls a tool once, then answers with what the tools returned."""
    last = messages[-1]
    if last.role == "assistant" and last.tool_parts:  # the tools answered: report
        for part in last.tool_parts:
            result = part.output if part.has_output else part.error_text or "denied"
            await ctx.write_text(f"{part.tool_name}: {json.dumps(result)}\n")
        return StreamResult(finish_reason="stop")
    text = last.text.lower()
    for word, name, input in (("weather", "getWeather", {"city": "Paris"}),
                              ("delete", "deleteFile", {"path": "notes.txt"}),
                              ("time", "getLocalTime", {})):  # fmt: skip
        if word in text:
            await ctx.write_text(f"Let me use {name}.")
            call = await ctx.begin_tool_call(name, input)
            info = ToolCallInfo(call.tool_call_id, name, input)
            return StreamResult(finish_reason="tool-calls", tool_calls=[info])
    for word in f"You said: {last.text}. ".split() * (40 if "story" in text else 1):
        await ctx.write_text(word + " ")
        await anyio.sleep(0.05)
    return StreamResult(finish_reason="stop")
