"""Saving chats yourself, without a ChatStore: on_finish and the record of the stream.

Run it: ``python docs/examples/persistence_on_finish.py`` posts two messages (the second answer
fails half-way) and checks that the saved chat holds what the browser showed, the failed answer
included, and what the record's summary says.
"""

from typing import Any

from fastapi import FastAPI, Request

# --8<-- [start:app]
from ai_stream import ChatRequest, StreamContext, StreamRecord, UIMessageStreamResponse

app = FastAPI()
saved: dict[str, list[dict[str, Any]]] = {}  # your database: chat id -> UIMessage JSON objects


@app.post("/api/chat")
async def chat(request: Request) -> UIMessageStreamResponse:
    body = await ChatRequest.from_request(request)  # useChat's default body: the whole history
    messages = [message.to_dict() for message in body.messages]
    saved[body.id] = messages  # now: a reload during the answer shows the question

    async def save(record: StreamRecord) -> None:
        message = record.to_ui_message()  # the assistant message as useChat shows it
        if body.is_continuation:
            messages[-1] = message  # tool outputs, approvals: the same message, updated
        elif message["parts"]:
            messages.append(message)
        saved[body.id] = messages

    ctx: StreamContext[None] = StreamContext.for_request(body, on_finish=save)
    await ctx.run(work, body)
    return UIMessageStreamResponse(ctx)


# --8<-- [end:app]


async def work(ctx: StreamContext[None], body: ChatRequest) -> None:
    """Stands in for the model; "fail" makes it raise half-way."""
    await ctx.write_text("Thinking… ")
    if "fail" in body.messages[-1].text:
        raise RuntimeError("the model provider is down")  # logged; the browser sees a masked text
    await ctx.write_text("done.")


def user_message(message_id: str, text: str) -> dict[str, Any]:
    return {"id": message_id, "role": "user", "parts": [{"type": "text", "text": text}]}


def main() -> None:
    import logging

    import anyio
    from fastapi.testclient import TestClient

    from ai_stream import UIMessage
    from ai_stream.testing import collect_stream, parse_sse, read_ui_message

    logging.getLogger("ai_stream").setLevel(logging.CRITICAL)  # (the failure below is on purpose)

    # --8<-- [start:check]
    with TestClient(app) as client:
        first = user_message("m1", "Hello")
        response = client.post("/api/chat", json={"id": "c1", "messages": [first]})
        shown = read_ui_message(parse_sse(response.content))
        assert saved["c1"] == [first, shown]

        second = user_message("m2", "Now fail")
        history = [first, shown, second]
        response = client.post("/api/chat", json={"id": "c1", "messages": history})
        failed = read_ui_message(parse_sse(response.content))
        assert failed is not None and failed["parts"][-1]["text"] == "Thinking… "
        assert saved["c1"] == [*history, failed]  # on_finish ran after the failure too
    # --8<-- [end:check]

    # --8<-- [start:to-dict]
    message = UIMessage.model_validate(first)
    assert message.to_dict() == first  # the JSON the browser sent, unchanged
    assert message.model_dump()["metadata"] is None  # model_dump adds every absent field
    # --8<-- [end:to-dict]

    summaries: list[dict[str, Any]] = []

    # --8<-- [start:summary]
    async def summarise(record: StreamRecord) -> None:
        summary = record.to_dict()
        assert summary["text"] == "Thinking… "
        assert summary["finish_reason"] == "error"
        assert summary["errors"] == ["An error occurred."]  # the masked text the user saw
        assert summary["aborted"] is False
        assert summary["message"] == record.to_ui_message()
        # --8<-- [end:summary]
        summaries.append(summary)

    body = ChatRequest.parse({"id": "c2", "messages": [user_message("m1", "fail")]})

    async def run() -> None:
        ctx: StreamContext[None] = StreamContext.for_request(body, on_finish=summarise)
        await ctx.run(work, body)
        await collect_stream(ctx)

    anyio.run(run)
    assert len(summaries) == 1


if __name__ == "__main__":
    main()
