"""Resumable streams that stop an answer nobody follows any more (after a grace period).

``ResumableStreams(keep_running=True)`` lets an answer run on when its reader goes away, so a
reload resumes it; ``keep_running=False`` stops it at once, which saves the partial answer when
the user presses stop. This keeps both: an answer left without readers for ``grace`` seconds is
stopped (``on_finish`` saves what was produced), and a reader that comes back in time resumes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio

from ai_stream import ResumableStreams

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from ai_stream.resume import StreamStore


class GraceStreams(ResumableStreams):
    """:class:`ResumableStreams` that stops an unfollowed answer after ``grace`` seconds."""

    def __init__(self, store: StreamStore | None = None, *, grace: float = 3.0) -> None:
        super().__init__(store, keep_running=True)
        self.grace = grace

    async def follow(self, stream_id: str) -> AsyncIterator[bytes]:
        """Follow the stream; when the last reader leaves, stop it unless one comes back."""
        try:
            async for data in super().follow(stream_id):
                yield data
        finally:
            if stream_id not in self._readers and stream_id in self._scopes:
                if self.grace <= 0:
                    self._scopes[stream_id].cancel()
                elif self._group is not None:
                    self._group.start_soon(self._stop_if_abandoned, stream_id)

    async def _stop_if_abandoned(self, stream_id: str) -> None:
        await anyio.sleep(self.grace)
        scope = self._scopes.get(stream_id)
        if scope is not None and stream_id not in self._readers:
            scope.cancel()
