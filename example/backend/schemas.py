"""Request-scoped information and API shapes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RequestInfo(BaseModel):
    """Read-only facts about the request, available to every layer as ``ctx.info``."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    plan: str
    chat_id: str


class ChatSummary(BaseModel):
    """One entry of ``GET /api/chats``."""

    id: str
    title: str
    updatedAt: str


class ChatDetail(BaseModel):
    """``GET /api/chats/{chat_id}``: the chat and its UI messages."""

    id: str
    title: str
    messages: list[dict[str, object]]


# The docstrings of these two models are the descriptions in their JSON schema (what a real
# model is given). extra="forbid" and no defaults: the schema suits OpenAI's strict structured
# outputs (every property required, no additional properties). The frontend's zod schema
# (example/frontend/components/trip.ts) mirrors them.


class TripDay(BaseModel):
    """One day of the trip: its number (from 1), a short title and a few activities."""

    model_config = ConfigDict(extra="forbid")

    day: int
    title: str
    activities: list[str]


class Itinerary(BaseModel):
    """A trip itinerary: the destination, a one-sentence summary, the days and practical tips."""

    model_config = ConfigDict(extra="forbid")

    destination: str
    summary: str
    days: list[TripDay]
    tips: list[str]
