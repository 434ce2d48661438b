"""The session: one stream's sending, its work, its end and ``on_finish`` (asyncio and trio).

Most of it is exercised through ``StreamContext`` (tests/test_context*.py); these tests drive a
``Session`` directly, with the pure lifecycle and a real outbox below it.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from ai_stream._lifecycle import Lifecycle
from ai_stream._outbox import Outbox
from ai_stream._session import DEFAULT_ERROR_TEXT, OnError, OnFinish, Session
from ai_stream.encoding import encoder_for
from ai_stream.exceptions import StreamStateError
from ai_stream.protocol.versions import ClientTarget
from ai_stream.record import StreamRecord
from ai_stream.testing import parse_sse_json


def session(
    *,
    collect: bool = True,
    on_finish: OnFinish | None = None,
    on_error: OnError | None = None,
    text: bool = False,
) -> Session:
    target = ClientTarget.parse(6)
    if text:
        target = target.as_text()
    ids = itertools.count(1)
    lifecycle = Lifecycle(target, "m1", lambda: f"id{next(ids)}")
    record = StreamRecord(target, "m1") if collect else None
    return Session(
        target, lifecycle, Outbox(encoder_for(target), 1024), record, on_finish, on_error
    )


class Owner:
    """A minimal owner: the context's public ending methods, delegated as the context does."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.finishes: list[str | None] = []

    def claim_work(self) -> Any:
        if not self.session.claim_work():
            return None
        return lambda: self.session.supervise(self)

    async def error(self, error_text: str = DEFAULT_ERROR_TEXT) -> None:
        await self.session.error(error_text)

    async def finish(self, finish_reason: str | None = None, *, metadata: Any = None) -> None:
        self.finishes.append(finish_reason)
        await self.session.finish(finish_reason, metadata)


async def body_of(s: Session, owner: Owner) -> list[dict[str, Any]]:
    pieces = [piece async for piece in s.body(None, None, owner)]
    return parse_sse_json(b"".join(pieces))


async def test_the_end_is_final_once_and_on_finish_runs_once() -> None:
    records: list[StreamRecord] = []
    s = session(on_finish=records.append)
    await s.emit(s.lifecycle.text("Hi"))
    await s.finish()
    await s.abort("late", "aborted")  # nothing: the stream ended
    await s.finalize(aborted=True, reason="late")
    assert s.finalized
    assert len(records) == 1
    assert (records[0].aborted, records[0].text, records[0].finish_reason) == (False, "Hi", "stop")


async def test_a_failing_on_finish_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def on_finish(record: StreamRecord) -> None:
        raise RuntimeError("storage down")

    s = session(on_finish=on_finish)
    with caplog.at_level(logging.ERROR, "ai_stream"):
        await s.abort(None, "aborted")
    assert [r.getMessage() for r in caplog.records] == ["on_finish callback failed"]
    assert s.record is not None
    assert (s.record.aborted, s.record.abort_reason) == (True, "aborted")


def test_error_text_masks_by_default_and_survives_a_failing_on_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(error: BaseException) -> str:
        raise ValueError("no")

    with caplog.at_level(logging.ERROR, "ai_stream"):
        texts = [
            session().error_text(RuntimeError("secret")),
            session(text=True).error_text(RuntimeError("secret")),
            session(on_error=lambda e: f"failed: {type(e).__name__}").error_text(KeyError("k")),
            session(on_error=broken).error_text(RuntimeError("secret")),
        ]
    assert texts == [DEFAULT_ERROR_TEXT, "", "failed: KeyError", DEFAULT_ERROR_TEXT]
    assert "on_error callback failed" in [r.getMessage() for r in caplog.records]


def test_work_is_given_once_and_claimed_once() -> None:
    async def work(owner: Any) -> None:
        pass

    s = session()
    assert not s.claim_work()  # no work yet
    s.set_work(work, ())
    with pytest.raises(StreamStateError, match="already called"):
        s.set_work(work, ())
    assert s.claim_work()
    assert not s.claim_work()


async def test_the_work_runs_on_the_owner_and_its_end_is_the_owners_finish() -> None:
    async def work(owner: Owner, greeting: str) -> None:
        await owner.session.emit(owner.session.lifecycle.text(greeting))

    s = session()
    owner = Owner(s)
    s.set_work(work, ("Hello",))
    chunks = await body_of(s, owner)
    assert owner.finishes == [None]
    assert [c["type"] for c in chunks] == [
        "start",
        "start-step",
        "text-start",
        "text-delta",
        "text-end",
        "finish-step",
        "finish",
    ]


async def test_failing_work_ends_with_the_masked_error_through_the_owner(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def work(owner: Owner) -> None:
        raise RuntimeError("secret detail")

    s = session()
    owner = Owner(s)
    s.set_work(work, ())
    with caplog.at_level(logging.ERROR, "ai_stream"):
        chunks = await body_of(s, owner)
    assert owner.finishes == ["error"]
    assert chunks[-2:] == [
        {"type": "error", "errorText": DEFAULT_ERROR_TEXT},
        {"type": "finish", "finishReason": "error"},
    ]
    assert "secret detail" not in str(chunks)


async def test_stop_before_the_work_starts_cancels_it_when_it_starts() -> None:
    async def work(owner: Owner) -> None:
        await anyio.lowlevel.checkpoint()  # (cancelled here)
        await owner.session.emit(owner.session.lifecycle.text("never"))

    s = session()
    owner = Owner(s)
    s.set_work(work, ())
    s.stopping, s.stop_reason = True, "user"  # as stop() leaves it while the work waits
    chunks = await body_of(s, owner)
    assert chunks == [{"type": "start", "messageId": "m1"}, {"type": "abort"}]  # (ai 6: no reason)
    assert s.record is not None
    assert (s.record.aborted, s.record.abort_reason) == (True, "user")


async def test_disconnect_after_everything_was_delivered_changes_nothing() -> None:
    s = session()
    owner = Owner(s)
    await s.emit(s.lifecycle.text("Hi"))
    await s.finish()
    await body_of(s, owner)
    s.disconnect()
    assert not s.disconnected
    assert s.record is not None and not s.record.aborted


async def test_a_write_nothing_reads_is_refused_after_the_misuse_timeout() -> None:
    s = session()
    s.outbox = Outbox(encoder_for(s.target), 1)  # (every write fills the buffer)
    with anyio.fail_after(5):
        with pytest.raises(StreamStateError, match="Nothing reads the stream"):
            await s.emit(s.lifecycle.text("Hi"))
