"""The resumable streams of the demo: Redis when ``REDIS_URL`` is set, else in memory.

``keep_running=grace`` keeps an answer running for ``grace`` seconds after its last reader left:
a reload within that time resumes it, the stop button (nobody comes back) stops it and
``on_finish`` saves the partial answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ai_stream import ResumableStreams

if TYPE_CHECKING:
    from ai_stream.resume import StreamStore


def make_streams(store: StreamStore | None, *, grace: float) -> ResumableStreams:
    """The demo's stream manager."""
    return ResumableStreams(store, keep_running=grace)
