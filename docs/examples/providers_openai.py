"""Stream OpenAI (Chat Completions and Responses) into the answer useChat shows.

Run it: ``python docs/examples/providers_openai.py`` posts a message to the endpoint in process.
The OpenAI client is replaced (a FastAPI dependency override) by a stand-in that returns typed
``openai`` stream events built by hand, so no network and no API key are needed.
"""

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Annotated, Any, cast

from fastapi import Depends, FastAPI, Request
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionChunk
from openai.types.chat.chat_completion_chunk import Choice, ChoiceDelta
from openai.types.completion_usage import CompletionUsage
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseReasoningItem,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
    ResponseUsage,
)
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails

from ai_stream import ChatRequest, StreamContext, UIMessage, UIMessageStreamResponse
from ai_stream.convert import to_openai_chat, to_openai_responses
from ai_stream.integrations.openai import stream_chat_completions, stream_responses

# --8<-- [start:endpoint]
app = FastAPI()


def openai_client() -> AsyncOpenAI:
    return AsyncOpenAI()  # reads OPENAI_API_KEY


@app.post("/api/chat")
async def chat(
    request: Request, client: Annotated[AsyncOpenAI, Depends(openai_client)]
) -> UIMessageStreamResponse:
    body = await ChatRequest.from_request(request)
    ctx = StreamContext.for_request(body)

    async def work(ctx: StreamContext) -> None:
        stream = await client.chat.completions.create(
            model="gpt-4.1-mini",
            messages=to_openai_chat(body.messages, system="You are a helpful assistant."),
            stream=True,
            stream_options={"include_usage": True},  # usage becomes message metadata
        )
        result = await stream_chat_completions(ctx, stream)
        await ctx.finish(result.finish_reason)

    await ctx.run(work)
    return UIMessageStreamResponse(ctx)


# --8<-- [end:endpoint]


# --8<-- [start:responses]
async def answer_with_responses(ctx: StreamContext, client: AsyncOpenAI, body: ChatRequest) -> None:
    stream = await client.responses.create(
        model="o4-mini",
        input=to_openai_responses(body.messages, include_reasoning=True),
        reasoning={"summary": "auto"},
        include=["reasoning.encrypted_content"],  # so that the reasoning can be sent back
        store=False,
        stream=True,
    )
    result = await stream_responses(ctx, stream)
    await ctx.finish(result.finish_reason)


# --8<-- [end:responses]


# --- the stand-in for OpenAI: typed stream events, built by hand ---------------------------------


def chunk(content: str | None = None, finish: str | None = None) -> ChatCompletionChunk:
    delta = ChoiceDelta(content=content)
    choice = Choice(index=0, delta=delta, finish_reason=cast("Any", finish))
    return ChatCompletionChunk(
        id="chatcmpl-1", object="chat.completion.chunk", created=0, model="gpt-4.1-mini",
        choices=[choice],
    )  # fmt: skip


CHAT_CHUNKS = [
    chunk("Hello"),
    chunk(", world!"),
    chunk(finish="stop"),
    ChatCompletionChunk(
        id="chatcmpl-1",
        object="chat.completion.chunk",
        created=0,
        model="gpt-4.1-mini",
        choices=[],
        usage=CompletionUsage(prompt_tokens=9, completion_tokens=4, total_tokens=13),
    ),  # fmt: skip
]

REASONING = ResponseReasoningItem(id="rs_1", type="reasoning", summary=[])
MESSAGE = ResponseOutputMessage(
    id="msg_1", type="message", role="assistant", status="completed",
    content=[ResponseOutputText(type="output_text", text="Hi!", annotations=[])],
)  # fmt: skip
RESPONSE_EVENTS: list[ResponseStreamEvent] = [
    ResponseOutputItemAddedEvent(
        type="response.output_item.added", item=REASONING, output_index=0, sequence_number=1
    ),
    ResponseReasoningSummaryTextDeltaEvent(
        type="response.reasoning_summary_text.delta",
        item_id="rs_1",
        output_index=0,
        summary_index=0,
        delta="The user greets me.",
        sequence_number=2,
    ),  # fmt: skip
    ResponseOutputItemDoneEvent(
        type="response.output_item.done",
        item=REASONING.model_copy(update={"encrypted_content": "gAAAA-encrypted"}),
        output_index=0,
        sequence_number=3,
    ),
    ResponseTextDeltaEvent(
        type="response.output_text.delta",
        item_id="msg_1",
        output_index=1,
        content_index=0,
        delta="Hi!",
        logprobs=[],
        sequence_number=4,
    ),  # fmt: skip
    ResponseOutputItemDoneEvent(
        type="response.output_item.done", item=MESSAGE, output_index=1, sequence_number=5
    ),
    ResponseCompletedEvent(
        type="response.completed",
        sequence_number=6,
        response=Response(
            id="resp_1",
            object="response",
            created_at=0,
            model="o4-mini",
            output=[MESSAGE],
            parallel_tool_calls=True,
            tool_choice="auto",
            tools=[],
            usage=ResponseUsage(
                input_tokens=12,
                output_tokens=30,
                total_tokens=42,
                input_tokens_details=InputTokensDetails(cached_tokens=0, cache_write_tokens=0),
                output_tokens_details=OutputTokensDetails(reasoning_tokens=24),
            ),
        ),  # fmt: skip
    ),
]


class FakeOpenAI:
    """Answers ``chat.completions.create`` and ``responses.create`` with recorded events."""

    def __init__(self, events: list[Any]) -> None:
        self.events = events
        self.requests: list[dict[str, Any]] = []
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self.create))
        self.responses = SimpleNamespace(create=self.create)

    async def create(self, **request: Any) -> AsyncIterator[Any]:
        self.requests.append(request)

        async def stream() -> AsyncIterator[Any]:
            for event in self.events:
                yield event

        return stream()


def check_chat_completions() -> None:
    # --8<-- [start:check]
    from fastapi.testclient import TestClient

    from ai_stream.testing import parse_sse, read_ui_message

    fake = FakeOpenAI(CHAT_CHUNKS)  # replays typed ChatCompletionChunk objects
    app.dependency_overrides[openai_client] = lambda: cast("AsyncOpenAI", fake)
    user = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]}
    with TestClient(app) as http:
        response = http.post("/api/chat", json={"id": "chat-1", "messages": [user]})

    assert fake.requests[0]["messages"] == [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Hi"},
    ]
    message = read_ui_message(parse_sse(response.content))
    assert message is not None
    assert message["parts"][-1] == {"type": "text", "text": "Hello, world!", "state": "done"}
    assert message["metadata"] == {
        "usage": {"inputTokens": 9, "outputTokens": 4, "totalTokens": 13}
    }
    # --8<-- [end:check]
    app.dependency_overrides.clear()


async def check_responses() -> None:
    from ai_stream.testing import collect_stream, parse_sse, read_ui_message

    body = ChatRequest.parse(
        {
            "id": "c",
            "messages": [{"id": "u1", "role": "user", "parts": [{"type": "text", "text": "Hi"}]}],
        }
    )
    fake = FakeOpenAI(RESPONSE_EVENTS)
    ctx = StreamContext.for_request(body)
    await ctx.run(answer_with_responses, cast("AsyncOpenAI", fake), body)
    message = read_ui_message(parse_sse(await collect_stream(ctx)))
    assert message is not None
    # --8<-- [start:check_responses]
    reasoning, text = message["parts"][1:]
    assert reasoning["text"] == "The user greets me."
    assert reasoning["providerMetadata"] == {
        "openai": {"itemId": "rs_1", "reasoningEncryptedContent": "gAAAA-encrypted"}
    }
    assert text["text"] == "Hi!"
    # On the next turn, the reasoning item goes back to OpenAI with the history.
    history = [*body.messages, UIMessage.model_validate(message)]
    items = to_openai_responses(history, include_reasoning=True)
    assert items[1] == {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [{"type": "summary_text", "text": "The user greets me."}],
        "encrypted_content": "gAAAA-encrypted",
    }
    # --8<-- [end:check_responses]


def main() -> None:
    import anyio

    check_chat_completions()
    anyio.run(check_responses)


if __name__ == "__main__":
    main()
