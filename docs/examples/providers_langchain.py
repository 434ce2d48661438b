"""Stream a LangChain runnable and a LangGraph agent into the answer useChat shows.

Run it: ``python docs/examples/providers_langchain.py`` uses langchain-core's fake chat models
(no network, no API key) in a chain and in a LangGraph graph with a real tool, and checks the
messages.
"""

from typing import Any

import anyio
from langchain_core.language_models.fake_chat_models import (
    FakeMessagesListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from ai_stream import ChatRequest, StreamContext
from ai_stream.convert import to_langchain
from ai_stream.integrations.langchain import stream_events, stream_graph
from ai_stream.testing import collect_stream, parse_sse, read_ui_message

USER = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Weather in Paris?"}]}
body = ChatRequest.parse({"id": "chat-1", "messages": [USER]})

# A chat model that answers with a fixed text, streamed word by word (your ChatOpenAI here).
chat_model = GenericFakeChatModel(messages=iter([AIMessage(content="Hello from LangChain!")]))


async def check_events() -> None:
    # --8<-- [start:events]
    async def work(ctx: StreamContext) -> None:
        events = chat_model.astream_events(to_langchain(body.messages), version="v2")
        await stream_events(ctx, events)

    ctx = StreamContext.for_request(body)
    await ctx.run(work)
    message = read_ui_message(parse_sse(await collect_stream(ctx)))
    assert message is not None
    assert message["parts"][-1]["text"] == "Hello from LangChain!"
    # --8<-- [end:events]


# --8<-- [start:graph]
@tool
def get_weather(city: str) -> str:
    """Get the weather of a city."""
    return f"Sunny, 21°C in {city}"


def agent_graph(model: Any) -> Any:
    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode([get_weather]))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph.compile()


async def answer(ctx: StreamContext, graph: Any) -> None:
    chunks = graph.astream(
        {"messages": to_langchain(body.messages)}, stream_mode=["messages", "updates"]
    )
    await stream_graph(ctx, chunks)


# --8<-- [end:graph]


async def check_graph() -> None:
    # A model that asks for the tool, then answers (your model.bind_tools([get_weather]) here).
    model = FakeMessagesListChatModel(
        responses=[
            AIMessage(
                content="Let me check.",
                tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "call-1"}],
            ),
            AIMessage(content="It is sunny in Paris."),
        ]
    )
    ctx = StreamContext.for_request(body)
    await ctx.run(answer, agent_graph(model))
    message = read_ui_message(parse_sse(await collect_stream(ctx)))
    assert message is not None
    # --8<-- [start:graph_check]
    parts = [(p["type"], p.get("text") or p.get("output")) for p in message["parts"]]
    assert parts == [
        ("step-start", None),
        ("text", "Let me check."),
        ("tool-get_weather", "Sunny, 21°C in Paris"),  # ToolNode ran it: output-available
        ("step-start", None),  # the second model call is a new step
        ("text", "It is sunny in Paris."),
    ]
    # --8<-- [end:graph_check]


async def run() -> None:
    await check_events()
    await check_graph()


def main() -> None:
    anyio.run(run)


if __name__ == "__main__":
    main()
