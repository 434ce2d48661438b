"""The trip page's model: an :class:`~schemas.Itinerary` for a prompt, demo model or real one.

The demo model sends growing values (``write_partial``); a real model's structured output
arrives as JSON text, passed on as it comes (``stream_chat_completions_object``). Either way
the client sees the itinerary grow, and when the work returns ``ObjectStreamContext``
validates the whole value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from services.demo_model import DemoModel

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from ai_stream import ObjectStreamContext
    from schemas import Itinerary
    from settings import Settings

TRIP_PROMPT = (
    "You plan trips. Write an itinerary for the trip the user describes: the destination, a "
    "one-sentence summary, one entry per day (at most 5 days, numbered from 1, each with a "
    "short title and three activities) and three practical tips."
)


class TripPlanner(Protocol):
    """Streams the itinerary for ``prompt`` into ``obj``."""

    async def __call__(self, obj: ObjectStreamContext[Itinerary], prompt: str) -> None: ...


def openai_trip_planner(settings: Settings, client: AsyncOpenAI | None = None) -> TripPlanner:
    """OpenAI structured outputs (strict ``json_schema`` from the model), streamed.

    ``openai_response_format`` asks for the Itinerary's schema in OpenAI's strict form;
    ``stream_chat_completions_object`` passes the JSON text on as it comes (a refusal or an
    answer cut short is a ``ProviderError``: the text ends and the page's schema refuses it).
    """
    from openai import AsyncOpenAI

    from ai_stream.integrations.openai import (
        openai_response_format,
        stream_chat_completions_object,
    )

    if client is None:
        client = AsyncOpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url)

    async def plan_trip(obj: ObjectStreamContext[Itinerary], prompt: str) -> None:
        stream = await client.chat.completions.create(  # type: ignore[call-overload]
            model=settings.openai_model,
            messages=[
                {"role": "system", "content": TRIP_PROMPT},
                {"role": "user", "content": prompt},
            ],
            response_format=openai_response_format(obj, "itinerary"),
            stream=True,
        )
        await stream_chat_completions_object(obj, stream)  # (closes the stream, also on a stop)

    return plan_trip


def make_trip_planner(settings: Settings, client: AsyncOpenAI | None = None) -> TripPlanner:
    """The real model when ``OPENAI_API_KEY`` is set, else the offline demo model."""
    if settings.openai_api_key:
        return openai_trip_planner(settings, client)
    return DemoModel(settings.demo_delay).plan_trip
