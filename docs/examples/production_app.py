"""A chat app ready for production: configuration from the environment, bounded request bodies,
masked errors, heartbeats, a deadline per answer and a frozen heap.

Run it: ``python docs/examples/production_app.py`` builds the app with a test environment, sends
it hostile bodies and an answer that fails with a secret in its message, and checks what the
client gets and what the server logs.
"""

# --8<-- [start:app]
import gc
import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Request

from ai_stream import (
    DEFAULT_MAX_BODY_SIZE,
    ChatRequest,
    ClientTarget,
    RequestParseError,
    StreamContext,
    UIMessageStreamResponse,
    request_parse_error_handler,
)

logger = logging.getLogger("chat")


class ModelBusyError(Exception):
    """Your provider's rate-limit error."""


def public_error(error: Exception) -> str:
    """What the browser may see of an error (the exception itself is logged at ERROR)."""
    if isinstance(error, ModelBusyError):
        return "The model is busy. Try again in a minute."
    if isinstance(error, TimeoutError):
        return "The answer took too long."
    return "An error occurred."


def create_app(environ: Mapping[str, str] = os.environ) -> FastAPI:
    """Build the app from the environment; fail at start-up, not at the first request."""
    secret = environ.get("AI_STREAM_SECRET", "")
    if len(secret.encode()) < 16:  # the same value on every worker (tool approvals)
        raise RuntimeError("Set AI_STREAM_SECRET to a random string of 16 bytes or more.")
    target = ClientTarget.parse(environ.get("AI_SDK_VERSION", "6"))  # the `ai` you ship
    max_body = int(environ.get("CHAT_MAX_BODY", DEFAULT_MAX_BODY_SIZE))  # 4 MiB by default
    deadline = float(environ.get("CHAT_DEADLINE", "300"))  # seconds per answer
    keep_alive = float(environ.get("CHAT_KEEP_ALIVE", "15"))  # seconds of silence

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gc.collect()
        gc.freeze()  # start-up objects are never walked by a collection again
        logger.info("chat app started for %s", target.label)  # (no secret at INFO)
        yield

    app = FastAPI(lifespan=lifespan)
    app.add_exception_handler(RequestParseError, request_parse_error_handler)  # 4xx JSON

    @app.post("/api/chat")
    async def chat(request: Request) -> UIMessageStreamResponse:
        # bounded: 413 beyond max_body (before reading it all), 415 if not JSON, 422 if invalid
        body = await ChatRequest.from_request(request, max_size=max_body)
        ctx = StreamContext.for_request(
            body, sdk_version=target, approval_secret=secret, on_error=public_error
        )

        async def work(ctx: StreamContext) -> None:
            with anyio.fail_after(deadline):  # TimeoutError: closed parts, a masked error
                await answer(ctx, body)

        await ctx.run(work)
        return UIMessageStreamResponse(ctx, keep_alive=keep_alive)

    return app


# --8<-- [end:app]


async def answer(ctx: StreamContext, body: ChatRequest) -> None:
    """The model call: it fails on purpose when asked to."""
    last = body.last_message
    text = last.parts[0].text if last and last.parts and hasattr(last.parts[0], "text") else ""
    if text == "fail":
        raise RuntimeError("db connection failed: postgres://app:hunter2@db/chat")
    if text == "busy":
        raise ModelBusyError("429 from the provider (key sk-live-0123456789)")
    if text == "slow":
        await ctx.write_text("Thinking")
        await anyio.sleep(60)
    await ctx.write_text(f"You said: {text}")


class Captured(logging.Handler):
    """Keeps the log records of the ``ai_stream`` and ``chat`` loggers."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def said(text: str) -> dict[str, object]:
    """What ``useChat`` posts for a first message."""
    message = {"id": "u1", "role": "user", "parts": [{"type": "text", "text": text}]}
    return {"id": "chat-1", "trigger": "submit-message", "messages": [message]}


def main() -> None:
    captured = Captured()
    for name in ("ai_stream", "chat"):
        logging.getLogger(name).addHandler(captured)
        logging.getLogger(name).setLevel(logging.DEBUG)

    # --8<-- [start:check-config]
    from fastapi.testclient import TestClient

    from ai_stream.testing import parse_sse, read_ui_message

    try:
        create_app({})
    except RuntimeError as error:
        assert "AI_STREAM_SECRET" in str(error)  # no secret: the worker does not start
    else:
        raise AssertionError("an app without a secret must not start")
    try:
        create_app({"AI_STREAM_SECRET": "x" * 32, "AI_SDK_VERSION": "9"})
    except ValueError:
        pass  # a client release that does not exist: refused at start-up
    else:
        raise AssertionError("an unknown client release must be refused")

    environ = {"AI_STREAM_SECRET": "s3cr3t-s3cr3t-s3cr3t-s3cr3t", "CHAT_DEADLINE": "0.2"}
    with TestClient(create_app(environ)) as client:
        assert gc.get_freeze_count() > 0  # the lifespan froze the start-up heap
        ok = client.post("/api/chat", json=said("hello"))
        assert ok.status_code == 200
        assert ok.headers["x-accel-buffering"] == "no"  # proxies: do not buffer
        assert ok.headers["cache-control"] == "no-cache"
        assert ok.content.startswith(b": stream-open\n\n")  # heartbeats are on
        message = read_ui_message(parse_sse(ok.content))
        assert message is not None and message["parts"][-1]["text"] == "You said: hello"
        # --8<-- [end:check-config]

        # --8<-- [start:check-bodies]
        hostile = {
            "too large": (b'{"id":"c","messages":[],"x":"' + b"a" * (5 << 20) + b'"}', 413),
            "not JSON": (b"hello", 415),  # (sent as text/plain below)
            "broken JSON": (b'{"id": "c", "messages": [', 422),
            "too deep": (b'{"id":"c","messages":' + b"[" * 300 + b"]" * 300 + b"}", 422),
            "too many values": (b'{"id":"c","messages":[' + b"0," * 60_000 + b"0]}", 413),
            "not a chat": (b'{"id": "c", "messages": "hi"}', 422),
        }
        for name, (payload, status) in hostile.items():
            kind = "text/plain" if name == "not JSON" else "application/json"
            refused = client.post("/api/chat", content=payload, headers={"content-type": kind})
            assert refused.status_code == status, name
            problem = refused.json()["error"]  # {"type", "message", "path"}
            assert problem["type"] == "invalid_request" and problem["message"], name
            assert len(refused.content) < 200, name  # short, and never the body echoed back
        # --8<-- [end:check-bodies]

        # --8<-- [start:check-errors]
        for text, shown, secret in [
            ("fail", "An error occurred.", "hunter2"),
            ("busy", "The model is busy. Try again in a minute.", "sk-live-0123456789"),
            ("slow", "The answer took too long.", None),  # the deadline (0.2 s here)
        ]:
            captured.records.clear()
            failed = client.post("/api/chat", json=said(text))
            assert failed.status_code == 200  # the stream had started: the error is in it
            chunks = [chunk.to_wire() for chunk in parse_sse(failed.content)]
            assert {"type": "error", "errorText": shown} in chunks
            assert chunks[-1] == {"type": "finish", "finishReason": "error"}
            errors = [r for r in captured.records if r.levelno >= logging.ERROR]
            assert len(errors) == 1  # logged once, at ERROR, with the traceback
            if secret is not None:
                assert secret.encode() not in failed.content  # never on the wire
                assert errors[0].exc_info and secret in str(errors[0].exc_info[1])  # logged
            quiet = [r for r in captured.records if r.levelno <= logging.INFO]
            assert not any(secret and secret in r.getMessage() for r in quiet)
        # --8<-- [end:check-errors]


if __name__ == "__main__":
    main()
