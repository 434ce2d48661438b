"""``POST /api/trip``: ``experimental_useObject``'s ``submit({prompt})`` → a typed itinerary.

The answer is the JSON text of an :class:`~schemas.Itinerary`, streamed as it grows (the hook
shows ``parsePartialJson`` of the text so far). A bad request is a 422 before anything streams
(the hook's ``error``). A failure mid-stream just ends the text (it has no error channel): the
hook's final validation refuses the incomplete value (``onFinish({error})``) and the page shows
that.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Request

from ai_stream import CompletionRequest, ObjectStreamContext, UIMessageStreamResponse
from routes.completion import read_prompt, request_id
from schemas import Itinerary
from state import AppState, get_state

if TYPE_CHECKING:
    from ai_stream import ObjectResult

router = APIRouter()
logger = logging.getLogger("example")


@router.post("/api/trip")
async def trip(
    request: Request, app: Annotated[AppState, Depends(get_state)]
) -> UIMessageStreamResponse:
    """Stream the itinerary for ``{"prompt": ...}``; 422 for a bad body or prompt.

    A stop (the browser hangs up) cancels the work; the log tells how each answer ended.
    """
    # The body is {prompt}, the shape of a completion request: parsed with its bounds.
    prompt = read_prompt(await CompletionRequest.from_request(request))
    rid = request_id()

    async def finished(result: ObjectResult[Itinerary]) -> None:
        size = len(result.text)
        if result.aborted:
            logger.info("trip %s: stopped (%s) after %d characters", rid,
                        result.record.abort_reason, size)  # fmt: skip
        elif result.object is None:
            logger.info("trip %s: failed after %d characters (%s)", rid, size,
                        type(result.error).__name__)  # fmt: skip
        else:
            logger.info("trip %s: finished, %d days to %s", rid, len(result.object.days),
                        result.object.destination)  # fmt: skip

    obj = ObjectStreamContext(Itinerary, on_finish=finished, headers={"x-request-id": rid})
    logger.info("trip %s: started", rid)
    await obj.run(app.plan_trip, prompt)
    return UIMessageStreamResponse(obj)
