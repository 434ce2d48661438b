"""``POST /api/completion``: ``useCompletion``'s ``{prompt, ...body}`` → the completion, streamed.

The body field ``protocol`` picks the answer's protocol, as the page's ``useCompletion({
streamProtocol})`` reads it: ``"data"`` (the hook's default; the UI message stream, which can
carry an error) or ``"text"`` (plain text; a failure just ends it).
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request

from ai_stream import (
    CompletionRequest,
    RequestParseError,
    StreamContext,
    UIMessageStreamResponse,
)
from state import AppState, get_state

if TYPE_CHECKING:
    from ai_stream.record import StreamRecord

router = APIRouter()
logger = logging.getLogger("example")

MAX_PROMPT = 2000
"""Characters of a prompt (a longer one is a 422)."""


def read_prompt(body: CompletionRequest) -> str:
    """The request's prompt, stripped.

    Raises:
        RequestParseError: Empty or longer than :data:`MAX_PROMPT` (422; the app's handler
            answers ``{"error": {"type", "message", "path"}}``).
    """
    prompt = body.prompt.strip()
    if not prompt:
        raise RequestParseError("Write a prompt first.", path="prompt")
    if len(prompt) > MAX_PROMPT:
        raise RequestParseError(
            f"The prompt is too long ({len(prompt)} characters, at most {MAX_PROMPT}).",
            path="prompt",
        )
    return prompt


def request_id() -> str:
    """A short id for the logs (sent back as ``x-request-id``)."""
    return secrets.token_hex(4)


@router.post("/api/completion")
async def completion(
    request: Request, app: Annotated[AppState, Depends(get_state)]
) -> UIMessageStreamResponse:
    """Stream the completion of the prompt; 422 for a bad body, an empty or too long prompt.

    A stop (the browser hangs up) cancels the work; the log tells how each answer ended.
    """
    body = await CompletionRequest.from_request(request)  # RequestParseError → 4xx JSON
    prompt = read_prompt(body)
    protocol: Any = body.get("protocol", "data")
    if protocol not in ("data", "text"):
        raise RequestParseError('protocol must be "data" or "text".', path="protocol")
    stream_protocol: Literal["data", "text"] = protocol
    rid = request_id()

    async def finished(record: StreamRecord) -> None:
        size = len(record.text)
        if record.aborted:
            logger.info("completion %s: stopped (%s) after %d characters", rid,
                        record.abort_reason, size)  # fmt: skip
        elif record.finish_reason == "error":
            logger.info("completion %s: failed after %d characters", rid, size)
        else:
            logger.info("completion %s: finished, %d characters", rid, size)

    ctx: StreamContext[None] = StreamContext(
        stream_protocol=stream_protocol, on_finish=finished, headers={"x-request-id": rid}
    )
    logger.info("completion %s: started (%s protocol)", rid, stream_protocol)
    await ctx.run(app.complete, prompt)
    return UIMessageStreamResponse(ctx)
