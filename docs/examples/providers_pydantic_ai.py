"""Stream a pydantic-ai agent run (a tool call, then text) into the answer useChat shows.

Run it: ``python docs/examples/providers_pydantic_ai.py`` runs an Agent on pydantic-ai's
``FunctionModel`` (a scripted model: no network, no API key) and checks the message.
"""

from collections.abc import AsyncIterator

import anyio
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelRequest, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from ai_stream import ChatRequest, StreamContext
from ai_stream.integrations.pydantic_ai import stream_agent
from ai_stream.testing import collect_stream, parse_sse, read_ui_message


async def scripted_model(
    messages: list[ModelMessage], info: AgentInfo
) -> AsyncIterator[str | DeltaToolCalls]:
    """Asks for the weather first; answers once the tool has returned."""
    last = messages[-1]
    if isinstance(last, ModelRequest) and isinstance(last.parts[0], ToolReturnPart):
        yield "It is sunny "
        yield "in Paris."
    else:
        yield {0: DeltaToolCall(name="get_weather", json_args='{"city": ', tool_call_id="c1")}
        yield {0: DeltaToolCall(json_args='"Paris"}')}


# --8<-- [start:agent]
agent = Agent(FunctionModel(stream_function=scripted_model), instructions="Be brief.")


@agent.tool_plain
def get_weather(city: str) -> dict[str, object]:
    """Get the weather of a city."""
    return {"city": city, "sky": "sunny"}


async def answer(ctx: StreamContext, body: ChatRequest) -> None:
    prompt = body.messages[-1].text
    await stream_agent(ctx, agent.run_stream_events(prompt))


# --8<-- [end:agent]


async def run() -> None:
    user = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Weather in Paris?"}]}
    body = ChatRequest.parse({"id": "chat-1", "messages": [user]})
    ctx = StreamContext.for_request(body)
    await ctx.run(answer, body)
    message = read_ui_message(parse_sse(await collect_stream(ctx)))
    assert message is not None
    # --8<-- [start:check]
    _, tool, _, text = message["parts"]  # step-start, tool, step-start, text
    assert tool["type"] == "tool-get_weather"
    assert tool["input"] == {"city": "Paris"}
    assert tool["output"] == {"city": "Paris", "sky": "sunny"}
    assert text["text"] == "It is sunny in Paris."
    assert message["metadata"]["usage"]["totalTokens"] > 0  # the run's usage
    # --8<-- [end:check]


def main() -> None:
    anyio.run(run)


if __name__ == "__main__":
    main()
