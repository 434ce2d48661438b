"""The agent loop for plain SDK users: model → tools → model, streamed into one message.

Run it: ``python docs/examples/providers_agent.py`` posts a question to the endpoint in process.
The OpenAI client is replaced (a FastAPI dependency override) by a stand-in that streams typed
``ChatCompletionChunk`` objects built by hand: a tool call first, then the answer.
"""

from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Annotated, Any, cast

from fastapi import Depends, FastAPI, Request
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionChunk, ChatCompletionToolParam
from openai.types.chat.chat_completion_chunk import (
    Choice,
    ChoiceDelta,
    ChoiceDeltaToolCall,
    ChoiceDeltaToolCallFunction,
)

from ai_stream import ChatRequest, StreamContext, UIMessage, UIMessageStreamResponse
from ai_stream.agent import StreamResult, Tool, run_agent
from ai_stream.convert import to_openai_chat
from ai_stream.integrations.openai import stream_chat_completions

# --8<-- [start:tools]
SECRET = "change-me: signs tool approvals"  # in production: os.environ["AI_STREAM_SECRET"]


def get_weather(city: str) -> dict[str, Any]:  # sync tools run in a worker thread
    return {"city": city, "tempC": 21}


async def delete_file(path: str) -> dict[str, Any]:
    return {"deleted": path}


TOOLS: dict[str, Tool | Callable[..., Any]] = {
    "getWeather": get_weather,
    "deleteFile": Tool(delete_file, needs_approval=True),  # asks the user first
    "getLocalTime": Tool(client_side=True),  # the browser runs it (onToolCall)
}


def schema(name: str, description: str, **properties: str) -> ChatCompletionToolParam:
    fields = {key: {"type": kind} for key, kind in properties.items()}
    parameters: dict[str, object] = {"type": "object", "properties": fields}
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


SCHEMAS = [
    schema("getWeather", "The weather of a city.", city="string"),
    schema("deleteFile", "Delete a file.", path="string"),
    schema("getLocalTime", "The user's local time."),
]
# --8<-- [end:tools]

# --8<-- [start:endpoint]
app = FastAPI()


def openai_client() -> AsyncOpenAI:
    return AsyncOpenAI()


@app.post("/api/chat")
async def chat(
    request: Request, client: Annotated[AsyncOpenAI, Depends(openai_client)]
) -> UIMessageStreamResponse:
    body = await ChatRequest.from_request(request)

    async def model(ctx: StreamContext, messages: list[UIMessage]) -> StreamResult:
        """One model call: stream its response into ctx, return what it asked for."""
        stream = await client.chat.completions.create(
            model="gpt-4.1-mini",
            messages=to_openai_chat(messages, system="You are a helpful assistant."),
            tools=SCHEMAS,
            stream=True,
        )
        return await stream_chat_completions(ctx, stream)

    ctx = StreamContext.for_request(body, collect=True, approval_secret=SECRET)
    await ctx.run(run_agent, body, model, TOOLS)
    return UIMessageStreamResponse(ctx)


# --8<-- [end:endpoint]


# --- the stand-in for OpenAI: typed chunks, built by hand ----------------------------------------


def chunk(delta: ChoiceDelta, finish: Any = None) -> ChatCompletionChunk:
    return ChatCompletionChunk(
        id="chatcmpl-1", object="chat.completion.chunk", created=0, model="gpt-4.1-mini",
        choices=[Choice(index=0, delta=delta, finish_reason=finish)],
    )  # fmt: skip


CALL = ChoiceDeltaToolCall(
    index=0, id="call-1", type="function",
    function=ChoiceDeltaToolCallFunction(name="getWeather", arguments='{"city": "Paris"}'),
)  # fmt: skip
ASKS_FOR_THE_TOOL = [chunk(ChoiceDelta(tool_calls=[CALL])), chunk(ChoiceDelta(), "tool_calls")]
ANSWERS = [chunk(ChoiceDelta(content="It is 21°C in Paris.")), chunk(ChoiceDelta(), "stop")]


class FakeOpenAI:
    """Calls the tool while the history has no tool result, then answers."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self.create))

    async def create(self, **request: Any) -> AsyncIterator[ChatCompletionChunk]:
        self.requests.append(request)
        ran = any(m["role"] == "tool" for m in request["messages"])

        async def stream() -> AsyncIterator[ChatCompletionChunk]:
            for item in ANSWERS if ran else ASKS_FOR_THE_TOOL:
                yield item

        return stream()


def main() -> None:
    # --8<-- [start:check]
    from fastapi.testclient import TestClient

    from ai_stream.testing import parse_sse, read_ui_message

    fake = FakeOpenAI()
    app.dependency_overrides[openai_client] = lambda: cast("AsyncOpenAI", fake)
    user = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Weather in Paris?"}]}
    with TestClient(app) as http:
        response = http.post("/api/chat", json={"id": "chat-1", "messages": [user]})

    chunks = parse_sse(response.content)
    message = read_ui_message(chunks)
    assert message is not None
    _, tool, _, text = message["parts"]  # one assistant message, two steps
    assert (tool["type"], tool["state"]) == ("tool-getWeather", "output-available")
    assert tool["output"] == {"city": "Paris", "tempC": 21}
    assert text["text"] == "It is 21°C in Paris."
    # The second model call saw the tool's result in its history.
    assert fake.requests[1]["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "call-1",
        "content": '{"city":"Paris","tempC":21}',
    }
    assert chunks[-1].to_wire() == {"type": "finish", "finishReason": "stop"}
    # --8<-- [end:check]
    app.dependency_overrides.clear()


if __name__ == "__main__":
    main()
