"""The agent loop: a server tool, a tool that needs approval and a browser tool with run_agent.

Run it: ``python docs/examples/tools_agent.py`` drives three chats through an offline model (the
weather, a deletion the user approves, the browser's clock) and checks each round trip: one
assistant message per answer, the approved tool run once, the browser's output taken.
"""

import copy
import os
import secrets
from typing import Any

os.environ.setdefault("AI_STREAM_SECRET", secrets.token_urlsafe(32))  # (a real app sets it)

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from ai_stream import (
    ChatError,
    ChatRequest,
    MemoryChatStore,
    StreamContext,
    UIMessage,
    UIMessageStreamResponse,
    begin_turn,
)
from ai_stream.agent import StreamResult, Tool, ToolCallInfo, run_agent

app = FastAPI()
chats = MemoryChatStore()
deleted: list[str] = []


# --8<-- [start:model]
async def model(ctx: StreamContext[Any], messages: list[UIMessage]) -> StreamResult:
    """Streams one model response into ctx; returns the calls it made (here: scripted)."""
    last = messages[-1]
    if last.role == "assistant":  # the tools answered: report what they returned
        for part in last.tool_parts:
            await ctx.write_text(f"{part.tool_name}: {part.output or part.state}. ")
        return StreamResult(finish_reason="stop")
    name, input = {
        "weather": ("getWeather", {"city": "Paris"}),
        "delete": ("deleteFile", {"path": "notes.txt"}),
        "time": ("getLocalTime", {}),
    }[last.text]
    call = await ctx.begin_tool_call(name, input)
    return StreamResult("tool-calls", tool_calls=[ToolCallInfo(call.tool_call_id, name, input)])


# --8<-- [end:model]


# --8<-- [start:tools]
async def get_weather(city: str) -> dict[str, Any]:
    return {"city": city, "forecast": "sunny"}


async def delete_file(path: str) -> dict[str, Any]:
    deleted.append(path)
    return {"deleted": path}


TOOLS = {
    "getWeather": Tool(get_weather),  # runs at once (a plain function works too)
    "deleteFile": Tool(delete_file, needs_approval=True),  # the user decides first
    "getLocalTime": Tool(client_side=True),  # the browser runs it
}
CLIENT_TOOLS = {name for name, tool in TOOLS.items() if tool.client_side}
SECRET = os.environ["AI_STREAM_SECRET"]


@app.post("/api/chat")
async def chat(request: Request) -> Response:
    body = await ChatRequest.from_request(request)
    try:
        turn = await begin_turn(chats, body, user="alice", client_tools=CLIENT_TOOLS)
    except ChatError as error:
        return JSONResponse(error.to_dict(), status_code=error.status_code)
    ctx: StreamContext[None] = StreamContext.for_request(
        turn.request, collect=True, approval_secret=SECRET, on_finish=turn.save
    )
    await ctx.run(run_agent, turn.request, model, TOOLS)
    return UIMessageStreamResponse(ctx)


# --8<-- [end:tools]


def answer_tools(message: dict[str, Any]) -> dict[str, Any]:
    """The browser: approve every requested call, answer getLocalTime (``addToolOutput``)."""
    answered = copy.deepcopy(message)
    for part in answered["parts"]:
        if part.get("state") == "approval-requested":
            part["state"] = "approval-responded"
            part["approval"] = {**part["approval"], "approved": True}
        elif part.get("type") == "tool-getLocalTime":
            part["state"], part["output"] = "output-available", {"time": "09:30"}
    return answered


def main() -> None:
    from fastapi.testclient import TestClient

    from ai_stream.testing import parse_sse, read_ui_message

    def user(words: str) -> dict[str, Any]:
        return {"id": f"u-{words}", "role": "user", "parts": [{"type": "text", "text": words}]}

    with TestClient(app) as client:

        def send(chat_id: str, message: dict[str, Any]) -> dict[str, Any]:
            """POST one message (last message only); the assistant message shown after it."""
            body = {"id": chat_id, "message": message, "trigger": "submit-message"}
            response = client.post("/api/chat", json=body)
            base = message if message["role"] == "assistant" else None
            shown = read_ui_message(parse_sse(response.content), message=base)
            assert shown is not None
            return shown

        # --8<-- [start:check]
        weather = send("c1", user("weather"))  # model, tool, model: one answer, two steps
        assert [p["type"] for p in weather["parts"]] == [
            "step-start",
            "tool-getWeather",
            "step-start",
            "text",
        ]
        assert weather["parts"][-1]["text"].startswith("getWeather: {'city': 'Paris'")

        asked = send("c2", user("delete"))  # stops at the approval request
        assert asked["parts"][-1]["state"] == "approval-requested" and deleted == []
        done = send("c2", answer_tools(asked))  # the user approved: same message, continued
        assert done["id"] == asked["id"] and deleted == ["notes.txt"]
        assert done["parts"][-1]["text"] == "deleteFile: {'deleted': 'notes.txt'}. "

        waiting = send("c3", user("time"))  # stops: the browser runs getLocalTime
        assert waiting["parts"][-1]["state"] == "input-available"
        told = send("c3", answer_tools(waiting))  # addToolOutput, then the automatic request
        assert told["id"] == waiting["id"]
        assert told["parts"][-1]["text"] == "getLocalTime: {'time': '09:30'}. "
        # --8<-- [end:check]

        send("c2", answer_tools(asked))  # the approval again: the tool does not run again
        assert deleted == ["notes.txt"]


if __name__ == "__main__":
    main()
