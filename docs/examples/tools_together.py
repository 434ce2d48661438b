"""One handler for approvals and browser tools together, written with the context's writers.

Run it: ``python docs/examples/tools_together.py`` lets a scripted model call a tool that needs
approval and a tool the browser runs in the same step, answers both as ``useChat`` does (one
automatic request), and checks that the tool ran once, that the same assistant message was
continued, that the model saw both outputs, and that a replay runs nothing.
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

app = FastAPI()
chats = MemoryChatStore()
deleted: list[str] = []


async def delete_file(path: str) -> dict[str, Any]:
    """The server's tool: it runs only once the user approved the call."""
    deleted.append(path)
    return {"deleted": path}


async def model(ctx: StreamContext[None], messages: list[UIMessage]) -> None:
    """Stands in for the model: calls both tools, then reports what they returned."""
    last = messages[-1]
    if last.role == "assistant":
        outputs = [part.output for part in last.tool_parts if part.state == "output-available"]
        await ctx.write_text(f"Results: {outputs}")
        return
    await ctx.write_text("Cleaning up.")
    call = await ctx.begin_tool_call("deleteFile", {"path": "notes.txt"})
    await ctx.request_tool_approval(call.tool_call_id)  # the user decides
    await ctx.begin_tool_call("getLocation", {})  # no output from us: the browser runs it


# --8<-- [start:handler]
SECRET = os.environ["AI_STREAM_SECRET"]
CLIENT_TOOLS = {"getLocation"}  # the browser runs these: only their outputs come from a body


async def work(ctx: StreamContext[None], request: ChatRequest) -> None:
    if request.is_continuation:  # approvals, browser outputs, or both: one message continues
        decisions = ctx.tool_approvals(request)  # 1. the user's decisions, verified
        for decision in decisions:
            if decision.approved:
                output = await delete_file(**decision.input)
                await ctx.complete_tool_call(decision.tool_call_id, output)
            else:
                await ctx.deny_tool_call(decision.tool_call_id)
        results = request.tool_results(CLIENT_TOOLS)  # 2. already in the message
        if not decisions and not results:
            return  # a replay: everything was answered before
        await ctx.new_step()  # 3. the model's next step, after the outputs
    await model(ctx, history(ctx, request))


def history(ctx: StreamContext[None], request: ChatRequest) -> list[UIMessage]:
    """The chat as the model must see it: with the outputs this stream just sent."""
    messages = list(request.messages)
    if request.is_continuation:
        assert ctx.record is not None  # (collect=True)
        messages[-1] = UIMessage.model_validate(ctx.record.to_ui_message())
    return messages


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
    await ctx.run(work, turn.request)
    return UIMessageStreamResponse(ctx)


# --8<-- [end:handler]


def browser(message: dict[str, Any]) -> dict[str, Any]:
    """The user approves (``addToolApprovalResponse``) and ``onToolCall`` answers
    ``getLocation`` (``addToolOutput``): the message ``useChat`` then sends by itself."""
    answered = copy.deepcopy(message)
    for part in answered["parts"]:
        if part.get("state") == "approval-requested":
            part["state"] = "approval-responded"
            part["approval"] = {**part["approval"], "approved": True}
        elif part.get("type") == "tool-getLocation":
            part["state"], part["output"] = "output-available", {"city": "Paris"}
    return answered


def chats_saved() -> list[dict[str, Any]]:
    import anyio

    chat = anyio.run(chats.load, "c1")
    assert chat is not None
    return chat.messages


def main() -> None:
    from fastapi.testclient import TestClient

    from ai_stream.testing import parse_sse, read_ui_message

    question = {"id": "m1", "role": "user", "parts": [{"type": "text", "text": "Clean up"}]}
    with TestClient(app) as client:
        # --8<-- [start:check]
        first = client.post("/api/chat", json={"id": "c1", "message": question})
        asked = read_ui_message(parse_sse(first.content))
        assert asked is not None
        states = [(p["type"], p["state"]) for p in asked["parts"] if "toolCallId" in p]
        assert states == [
            ("tool-deleteFile", "approval-requested"),
            ("tool-getLocation", "input-available"),
        ]

        answered = browser(asked)  # approved, and the browser's tool ran
        follow_up = {"id": "c1", "message": answered}  # one request for both
        second = client.post("/api/chat", json=follow_up)
        done = read_ui_message(parse_sse(second.content), message=answered)
        assert done is not None and done["id"] == asked["id"]  # the same message, continued
        assert done["parts"][-1]["text"] == "Results: [{'deleted': 'notes.txt'}, {'city': 'Paris'}]"
        assert deleted == ["notes.txt"]

        replay = client.post("/api/chat", json=follow_up)
        assert read_ui_message(parse_sse(replay.content), message=done) == done  # nothing new
        assert deleted == ["notes.txt"]
        # --8<-- [end:check]
    assert chats_saved() == [question, done]


if __name__ == "__main__":
    main()
