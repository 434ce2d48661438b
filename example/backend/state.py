"""What the routes share: settings, the database, the resumable streams and the models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from fastapi import Request  # noqa: TC002 - FastAPI reads the annotation at runtime

if TYPE_CHECKING:
    from ai_stream import ResumableStreams
    from ai_stream.agent import ModelCall
    from services.completion_service import CompletionModel
    from services.db_service import ChatDatabase
    from services.trip_service import TripPlanner
    from settings import Settings


@dataclass
class AppState:
    """The app's long-lived objects (``app.state.example``)."""

    settings: Settings
    db: ChatDatabase
    streams: ResumableStreams
    model: ModelCall
    complete: CompletionModel
    plan_trip: TripPlanner


def get_state(request: Request) -> AppState:
    """FastAPI dependency: the app's :class:`AppState`."""
    return cast("AppState", request.app.state.example)


def user_id_of(request: Request) -> str:
    """The user, from the ``x-user-id`` header (a real app would check a session)."""
    return request.headers.get("x-user-id") or "demo-user"
