"""The quick start: a FastAPI endpoint that streams "Hello world!" to useChat.

Run it: ``python docs/examples/quickstart.py`` posts one message to the app in process and checks
the message the browser would show.
"""

# --8<-- [start:app]
from fastapi import FastAPI

from ai_stream import StreamContext, UIMessageStreamResponse

app = FastAPI()


@app.post("/api/chat")
async def chat() -> UIMessageStreamResponse:
    ctx = StreamContext()

    async def work(ctx: StreamContext) -> None:
        await ctx.write_text("Hello ")  # sends start, start-step, text-start first
        await ctx.write_text("world!")
        # run() closes the part, the step and the message: finish + [DONE]

    await ctx.run(work)
    return UIMessageStreamResponse(ctx)


# --8<-- [end:app]


def main() -> None:
    # --8<-- [start:check]
    from fastapi.testclient import TestClient

    from ai_stream.testing import parse_sse, read_ui_message

    with TestClient(app) as client:
        response = client.post("/api/chat", json={"messages": []})
    message = read_ui_message(parse_sse(response.content))
    assert message is not None
    assert message["parts"][-1] == {"type": "text", "text": "Hello world!", "state": "done"}
    # --8<-- [end:check]


if __name__ == "__main__":
    main()
