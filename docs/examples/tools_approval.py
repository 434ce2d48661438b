"""A tool that runs only once the user approved it (ai 6+), written with the context's writers.

Run it: ``python docs/examples/tools_approval.py`` asks to delete a file, approves the call as
``addToolApprovalResponse`` does, and checks that the tool ran once, that the same approval
sent again runs nothing, that a denial is reported, and that another secret verifies nothing.
"""

import copy
import os
import secrets
from typing import Any

os.environ.setdefault("AI_STREAM_SECRET", secrets.token_urlsafe(32))  # (a real app sets it)

# --8<-- [start:app]
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from ai_stream import (
    ChatError,
    ChatRequest,
    MemoryChatStore,
    StreamContext,
    UIMessageStreamResponse,
    begin_turn,
)

SECRET = os.environ["AI_STREAM_SECRET"]  # the same on every worker
app = FastAPI()
chats = MemoryChatStore()
deleted: list[str] = []  # what the tool did


async def delete_file(path: str) -> dict[str, Any]:
    deleted.append(path)
    return {"deleted": path}


async def work(ctx: StreamContext[None], request: ChatRequest) -> None:
    if request.is_continuation:  # the user decided: approve or deny
        decisions = ctx.tool_approvals(request)  # verified with SECRET, or it raises
        if not decisions:
            return  # nothing new (a replay): the calls were decided before
        for decision in decisions:
            if decision.approved:
                output = await delete_file(**decision.input)
                await ctx.complete_tool_call(decision.tool_call_id, output)
            else:
                await ctx.deny_tool_call(decision.tool_call_id)
        await ctx.write_text("Done.")  # a new step of the same message
        return
    await ctx.write_text("I will delete notes.txt.")
    call = await ctx.begin_tool_call("deleteFile", {"path": "notes.txt"})
    await ctx.request_tool_approval(call.tool_call_id)  # then finish: "tool-calls"


@app.post("/api/chat")
async def chat(request: Request) -> Response:
    body = await ChatRequest.from_request(request)
    try:
        turn = await begin_turn(chats, body, user="alice")
    except ChatError as error:
        return JSONResponse(error.to_dict(), status_code=error.status_code)
    ctx: StreamContext[None] = StreamContext.for_request(
        turn.request, approval_secret=SECRET, on_finish=turn.save
    )
    await ctx.run(work, turn.request)
    return UIMessageStreamResponse(ctx)


# --8<-- [end:app]


def respond(message: dict[str, Any], approved: bool) -> dict[str, Any]:
    """What ``addToolApprovalResponse({id, approved})`` does to the message in the browser."""
    answered = copy.deepcopy(message)
    for part in answered["parts"]:
        if part.get("state") == "approval-requested":
            part["state"] = "approval-responded"
            part["approval"] = {**part["approval"], "approved": approved}
    return answered


def main() -> None:
    from fastapi.testclient import TestClient

    from ai_stream import ApprovalVerificationError
    from ai_stream.testing import parse_sse, read_ui_message

    question = {"id": "m1", "role": "user", "parts": [{"type": "text", "text": "Delete notes"}]}
    with TestClient(app) as client:
        # --8<-- [start:check]
        first = client.post("/api/chat", json={"id": "c1", "message": question})
        chunks = parse_sse(first.content)
        asked = read_ui_message(chunks)
        assert asked is not None
        tool = asked["parts"][-1]
        assert (tool["type"], tool["state"]) == ("tool-deleteFile", "approval-requested")
        assert tool["approval"]["id"].startswith("apr2.")  # signed: chat, call, tool, input
        assert chunks[-1].to_wire() == {"type": "finish", "finishReason": "tool-calls"}
        assert deleted == []  # nothing runs before the user decides

        answered = respond(asked, approved=True)  # addToolApprovalResponse
        approved = {"id": "c1", "message": answered}
        second = client.post("/api/chat", json=approved)
        done = read_ui_message(parse_sse(second.content), message=answered)
        assert done is not None and done["id"] == asked["id"]  # the same message, continued
        tool = done["parts"][2]
        assert (tool["state"], tool["output"]) == ("output-available", {"deleted": "notes.txt"})
        assert done["parts"][-1]["text"] == "Done."
        assert deleted == ["notes.txt"]

        client.post("/api/chat", json=approved)  # the same approval again (a retry, a replay)
        assert deleted == ["notes.txt"]  # ignored: the stored call has its output already
        # --8<-- [end:check]

        # --8<-- [start:deny]
        first = client.post("/api/chat", json={"id": "c2", "message": question})
        asked = read_ui_message(parse_sse(first.content))
        assert asked is not None
        answered = respond(asked, approved=False)
        second = client.post("/api/chat", json={"id": "c2", "message": answered})
        done = read_ui_message(parse_sse(second.content), message=answered)
        assert done is not None and done["parts"][2]["state"] == "output-denied"
        assert deleted == ["notes.txt"]  # (from the first chat only)
        # --8<-- [end:deny]

    # --8<-- [start:secret]
    body = ChatRequest.parse({"id": "c2", "messages": [question, respond(asked, True)]})
    assert [decision.approved for decision in body.tool_approvals(SECRET)] == [True]
    try:  # a worker with another secret: the approval does not verify, nothing runs
        body.tool_approvals("another-worker-random-secret")
    except ApprovalVerificationError:
        pass
    else:
        raise AssertionError("an approval signed with another secret must not verify")
    # --8<-- [end:secret]


if __name__ == "__main__":
    main()
