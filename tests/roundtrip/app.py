"""A chat backend for the live round trips: tool approvals and client-side tools.

The client's first message picks the flow:

* "delete the file" → a ``deleteFile`` call that needs approval; on the follow-up request the
  verified decision runs or denies it, then the answer continues the same message;
* "where am I" → a client-side ``getLocation`` call (no server result); on the follow-up the
  client's output or error is read with ``tool_results()`` and answered;
* anything else → a plain answer (also used by regenerate).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ai_stream import (
    ChatRequest,
    RequestParseError,
    StreamContext,
    StreamRecord,
    UIMessageStreamResponse,
    request_error_response,
)

SECRET = "round-trip-secret-0123456789"

records: dict[str, list[StreamRecord]] = {}
"""Every finished stream's record, per chat id, in order."""


async def answer(ctx: StreamContext[None], request: ChatRequest) -> None:
    if request.is_continuation:
        for decision in request.tool_approvals(SECRET):
            if decision.approved:
                await ctx.complete_tool_call(
                    decision.tool_call_id, {"deleted": decision.input["path"]}
                )
            else:
                await ctx.deny_tool_call(decision.tool_call_id)
            await ctx.new_step()
            await ctx.write_text(
                "Deleted." if decision.approved else f"Kept it ({decision.reason})."
            )
        for result in request.tool_results():
            if result.tool_name != "getLocation":
                continue
            await ctx.new_step()
            if result.is_error:
                await ctx.write_text(f"I could not find you: {result.error_text}")
            else:
                await ctx.write_text(f"You are in {result.output['city']}.")
        return
    text = request.messages[-1].text if request.messages else ""
    if "delete" in text:
        await ctx.write_text("I need your approval first.")
        call = await ctx.begin_tool_call("deleteFile", {"path": "/tmp/notes.txt", "force": 1.0})
        await ctx.request_tool_approval(call.tool_call_id)
    elif "where" in text:
        await ctx.begin_tool_call("getLocation", {"precision": "city"})
    else:
        await ctx.write_reasoning("A short answer will do.")
        await ctx.write_text(f"Hello! You said: {text}")


async def chat(request: Request) -> Response:
    try:
        body = await ChatRequest.from_request(request)
    except RequestParseError as error:
        return request_error_response(error)
    sdk = request.query_params.get("sdk", "6")

    def save(record: StreamRecord) -> None:
        records.setdefault(body.id, []).append(record)

    ctx: StreamContext[None] = StreamContext.for_request(
        body, sdk_version=sdk, approval_secret=SECRET, on_finish=save
    )
    await ctx.run(answer, body)
    return UIMessageStreamResponse(ctx)


app = Starlette(routes=[Route("/api/chat", chat, methods=["POST"])])
