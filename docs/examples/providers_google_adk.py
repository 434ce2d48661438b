"""Stream a Google ADK run (a transfer, a tool call, a confirmation) into useChat's answer.

Run it: ``python docs/examples/providers_google_adk.py`` runs a triage agent that transfers to
a files agent, on a scripted ``BaseLlm`` (ADK's model hook: no network, no API key), and checks
the messages of both requests of the approval round trip.
"""

from collections.abc import AsyncGenerator
from typing import Any

import anyio
from google.adk.agents import LlmAgent
from google.adk.agents.run_config import (  # type: ignore[attr-defined]  # ADK's own import
    RunConfig,
    StreamingMode,
)
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import InMemoryRunner
from google.adk.tools.function_tool import FunctionTool
from google.genai import types

from ai_stream import ChatRequest, StreamContext
from ai_stream.integrations.google_adk import (
    confirmation_message,
    stream_adk_run,
    to_adk_contents,
)
from ai_stream.testing import collect_stream, parse_sse, read_ui_message

SECRET = "example-approval-secret-0123456789"
USAGE = types.GenerateContentResponseUsageMetadata(
    prompt_token_count=10, candidates_token_count=5, total_token_count=15
)


def reply(*parts: types.Part, partial: bool = False) -> LlmResponse:
    content = types.Content(role="model", parts=list(parts))
    return LlmResponse(content=content, partial=partial or None, usage_metadata=USAGE)


def call(name: str, args: dict[str, Any], call_id: str) -> types.Part:
    return types.Part(function_call=types.FunctionCall(name=name, args=args, id=call_id))


class ScriptedModel(BaseLlm):
    """Triage transfers; the files agent checks the disk, then asks to delete; then it is done."""

    model: str = "scripted"
    script: list[list[LlmResponse]] = [
        [reply(call("transfer_to_agent", {"agent_name": "Files"}, "h1"))],
        [
            reply(types.Part(text="Let me look."), partial=True),
            reply(types.Part(text="Let me look."), call("disk_usage", {"path": "/tmp"}, "c1")),
        ],
        [reply(call("delete_file", {"path": "/tmp/big.log"}, "c2"))],
        [
            reply(types.Part(text="Deleted "), partial=True),
            reply(types.Part(text="/tmp/big.log."), partial=True),
            reply(types.Part(text="Deleted /tmp/big.log.")),
        ],
    ]

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        for response in self.script.pop(0):
            yield response


# --8<-- [start:agent]
def disk_usage(path: str) -> dict[str, Any]:
    """How full a directory is."""
    return {"path": path, "largest": "/tmp/big.log"}


def delete_file(path: str) -> str:
    """Delete a file (the user confirms each call)."""
    return f"deleted {path}"


def build_runner(model: BaseLlm) -> InMemoryRunner:
    files = LlmAgent(
        name="Files",
        model=model,
        description="Disk space.",
        tools=[disk_usage, FunctionTool(delete_file, require_confirmation=True)],
    )
    triage = LlmAgent(name="Triage", model=model, sub_agents=[files])
    return InMemoryRunner(agent=triage, app_name="files")  # any session service works


async def answer(ctx: StreamContext, body: ChatRequest, runner: InMemoryRunner) -> None:
    # one ADK session per chat: it keeps the history and the calls waiting for confirmation
    session = await runner.session_service.get_session(
        app_name=runner.app_name, user_id="user-1", session_id=body.id
    ) or await runner.session_service.create_session(
        app_name=runner.app_name, user_id="user-1", session_id=body.id
    )
    decisions = ctx.tool_approvals(body)  # verified: signed by this server
    if decisions:  # the follow-up of a confirmation: answer it from the session
        new_message = confirmation_message(session, decisions)
    else:  # a new user message
        new_message = to_adk_contents(body.messages[-1:])[-1]
    events = runner.run_async(
        user_id="user-1",
        session_id=body.id,
        new_message=new_message,
        run_config=RunConfig(streaming_mode=StreamingMode.SSE),  # text as it is written
    )
    await stream_adk_run(ctx, events, approvals=decisions)


# --8<-- [end:agent]


async def request(body: ChatRequest, runner: InMemoryRunner) -> dict[str, Any]:
    ctx = StreamContext.for_request(body, approval_secret=SECRET)
    await ctx.run(answer, body, runner)
    continued = body.messages[-1].to_dict() if body.is_continuation else None
    message = read_ui_message(parse_sse(await collect_stream(ctx)), message=continued)
    assert message is not None
    return message


async def run() -> None:
    runner = build_runner(ScriptedModel())
    user = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Free some disk"}]}
    first = await request(ChatRequest.parse({"id": "chat-1", "messages": [user]}), runner)
    # --8<-- [start:check]
    kinds = [p["type"] for p in first["parts"] if p["type"] != "step-start"]
    assert kinds == [
        "tool-transfer_to_agent",  # the transfer: a tool call …
        "data-transfer",  # … and who transferred to whom
        "text",
        "tool-disk_usage",
        "tool-delete_file",
    ]
    transfer = next(p for p in first["parts"] if p["type"] == "data-transfer")
    assert transfer["data"] == {"from": "Triage", "to": "Files"}
    delete = first["parts"][-1]
    assert delete["state"] == "approval-requested"
    assert first["metadata"]["agent"] == "Files"
    # --8<-- [end:check]

    # The user approves: useChat sends the message back with the decision.
    approval = {**delete["approval"], "approved": True}
    answered = {**delete, "state": "approval-responded", "approval": approval}
    follow_up = {**first, "parts": [*first["parts"][:-1], answered]}
    body = ChatRequest.parse({"id": "chat-1", "messages": [user, follow_up]})
    final = await request(body, runner)
    # --8<-- [start:resumed]
    assert final["id"] == first["id"]  # the same message, continued
    delete = next(p for p in final["parts"] if p["type"] == "tool-delete_file")
    assert delete["state"] == "output-available"
    assert delete["output"] == {"result": "deleted /tmp/big.log"}  # ADK wraps a non-dict result
    assert final["parts"][-1]["text"] == "Deleted /tmp/big.log."
    assert final["metadata"]["usage"]["totalTokens"] == 15  # this request's model call
    # --8<-- [end:resumed]


def main() -> None:
    anyio.run(run)


if __name__ == "__main__":
    main()
