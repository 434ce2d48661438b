"""The resumable streams of the demo: Redis when ``REDIS_URL`` is set, else in memory.

``keep_running=grace`` keeps an answer running for ``grace`` seconds after its last reader left
(readers on every worker count, through the store): a reload within that time resumes it; a
closed tab (nobody comes back) stops it after the grace and ``on_finish`` saves the partial
answer. The stop button does not wait: it posts ``/api/chat/{id}/stop`` (``routes/chat.py``),
which stops the answer at once wherever it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ai_stream import ResumableStreams

if TYPE_CHECKING:
    from ai_stream.resume import StreamStore


def make_streams(store: StreamStore | None, *, grace: float) -> ResumableStreams:
    """The demo's stream manager."""
    return ResumableStreams(store, keep_running=grace)
