"""Stream an OpenAI Agents SDK run (a handoff, a tool call, an approval) into useChat's answer.

Run it: ``python docs/examples/providers_openai_agents.py`` runs a triage agent that hands off to
a files agent, on the SDK's own ``ScriptedModel`` (no network, no API key), and checks the
messages of both requests of the approval round trip.
"""

from typing import Any

import anyio
from agents import Agent, Runner, function_tool, set_tracing_disabled
from agents.testing import ModelStep, ScriptedModel, assistant_message, function_call
from agents.usage import Usage

from ai_stream import ChatRequest, StreamContext
from ai_stream.integrations.openai_agents import (
    MemoryRunStateStore,
    approved_run_state,
    stream_agent_run,
    to_agents_input,
)
from ai_stream.testing import collect_stream, parse_sse, read_ui_message

set_tracing_disabled(True)  # no traces sent to OpenAI from an offline example
SECRET = "example-approval-secret-0123456789"
USAGE = Usage(requests=1, input_tokens=10, output_tokens=5, total_tokens=15)


def scripted_model() -> ScriptedModel:
    """Triage hands off; the files agent checks the disk, then asks to delete; then it is done."""
    return ScriptedModel(
        [
            ModelStep(output=[function_call("transfer_to_files", {}, call_id="h1")], usage=USAGE),
            ModelStep(
                output=[
                    assistant_message("Let me look."),
                    function_call("disk_usage", {"path": "/tmp"}, call_id="c1"),
                ],
                usage=USAGE,
            ),
            ModelStep(
                output=[function_call("delete_file", {"path": "/tmp/big.log"}, call_id="c2")],
                usage=USAGE,
            ),
            ModelStep(output=[assistant_message("Deleted /tmp/big.log.")], usage=USAGE),
        ]
    )


# --8<-- [start:agent]
@function_tool
def disk_usage(path: str) -> dict[str, Any]:
    """How full a directory is."""
    return {"path": path, "largest": "/tmp/big.log"}


@function_tool(needs_approval=True)
def delete_file(path: str) -> str:
    """Delete a file (the user approves each call)."""
    return f"deleted {path}"


def build_agent(model: ScriptedModel) -> Agent[Any]:
    files = Agent(name="Files", model=model, tools=[disk_usage, delete_file])
    return Agent(name="Triage", model=model, handoffs=[files])


states = MemoryRunStateStore()  # RunState of runs waiting for approvals (server side)


async def answer(ctx: StreamContext, body: ChatRequest, agent: Agent[Any]) -> None:
    decisions = ctx.tool_approvals(body)  # verified: signed by this server
    state = await approved_run_state(ctx, agent, decisions, states) if decisions else None
    run = Runner.run_streamed(agent, state or to_agents_input(body.messages))
    await stream_agent_run(ctx, run, approvals=decisions, state_store=states)


# --8<-- [end:agent]


async def request(body: ChatRequest, agent: Agent[Any]) -> dict[str, Any]:
    ctx = StreamContext.for_request(body, approval_secret=SECRET)
    await ctx.run(answer, body, agent)
    continued = body.messages[-1].to_dict() if body.is_continuation else None
    message = read_ui_message(parse_sse(await collect_stream(ctx)), message=continued)
    assert message is not None
    return message


async def run() -> None:
    agent = build_agent(scripted_model())
    user = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Free some disk"}]}
    first = await request(ChatRequest.parse({"id": "chat-1", "messages": [user]}), agent)
    # --8<-- [start:check]
    kinds = [p["type"] for p in first["parts"] if p["type"] != "step-start"]
    assert kinds == [
        "tool-transfer_to_files",  # the handoff: a tool call …
        "data-handoff",  # … and who handed over to whom
        "text",
        "tool-disk_usage",
        "tool-delete_file",
    ]
    handoff = next(p for p in first["parts"] if p["type"] == "data-handoff")
    assert handoff["data"] == {"from": "Triage", "to": "Files"}
    delete = first["parts"][-1]
    assert delete["state"] == "approval-requested"
    assert first["metadata"]["agent"] == "Files"
    # --8<-- [end:check]

    # The user approves: useChat sends the message back with the decision.
    approval = {**delete["approval"], "approved": True}
    answered = {**delete, "state": "approval-responded", "approval": approval}
    follow_up = {**first, "parts": [*first["parts"][:-1], answered]}
    body = ChatRequest.parse({"id": "chat-1", "messages": [user, follow_up]})
    final = await request(body, agent)
    # --8<-- [start:resumed]
    assert final["id"] == first["id"]  # the same message, continued
    delete = next(p for p in final["parts"] if p["type"] == "tool-delete_file")
    assert (delete["state"], delete["output"]) == ("output-available", "deleted /tmp/big.log")
    assert final["parts"][-1]["text"] == "Deleted /tmp/big.log."
    assert final["metadata"]["usage"]["totalTokens"] == 60  # four model calls
    # --8<-- [end:resumed]


def main() -> None:
    anyio.run(run)


if __name__ == "__main__":
    main()
