"""The outbox: frames, delta runs, the hand-off to the reader, backpressure (asyncio and trio)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from anyio.abc import TaskGroup
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ai_stream import ClientDisconnectedError
from ai_stream._outbox import LEND_GAP, Outbox
from ai_stream.encoding import SSEEncoder
from ai_stream.encoding.data_stream import DataStreamEncoder

# Text with what UTF-8 cannot carry (lone surrogates), the run's join mark (DEL) and JSON escapes.
TEXT = st.text(
    alphabet=st.sampled_from(
        ["a", "é", "😀", '"', "\\", "\n", "\ud800", "\udc00", "\udfff", "\x00", "\x7f", "u", "0"]
    ),
    max_size=6,
)
KINDS = st.sampled_from(["text-delta", "reasoning-delta"])
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("delta"), KINDS, st.sampled_from(["t1", "t2"]), TEXT),
        st.tuples(st.just("push"), TEXT),
        st.tuples(st.just("read")),
    ),
    max_size=40,
)


@dataclass
class Writer:
    """Writes like the context does: deltas of the open run take the fast path."""

    outbox: Outbox
    shared: bool
    expected: list[bytes] = field(default_factory=list)
    run: tuple[str, str] | None = None
    shared_list: list[str] = field(default_factory=list)
    run_deltas: list[str] = field(default_factory=list)

    def delta(self, kind: str, part_id: str, text: str) -> bool:
        """Returns whether the writer must await drain()."""
        chunk = {"type": kind, "id": part_id, "delta": text}
        self.expected.append(SSEEncoder().encode(chunk))
        if self.run == (kind, part_id) and self.outbox.run_kind == kind:
            self.run_deltas.append(text)
            return self.outbox.append(text)
        wait = self.outbox.push([chunk])
        self.shared_list = [text] if self.shared else []
        self.outbox.open_run(kind, part_id, self.shared_list if self.shared else None)
        self.run, self.run_deltas = (kind, part_id), [text]
        return wait

    def push(self, text: str) -> bool:
        chunk = {"type": "data-x", "data": text}
        self.expected.append(SSEEncoder().encode(chunk))
        self.run = None
        return self.outbox.push([chunk])


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize("shared", [False, True], ids=["own-run", "shared-run"])
@settings(max_examples=150, deadline=None)
@given(ops=OPS)
@example(ops=[("delta", "text-delta", "t1", t) for t in ["a", "\\u0000", "\\u007f", "\\", "b"]])
@example(ops=[("delta", "text-delta", "t1", t) for t in ["a", "\x7f", "\x00", "b"]])
def test_the_body_is_every_chunk_encoded_on_its_own(
    ops: list[tuple[Any, ...]], shared: bool, backend: str
) -> None:
    """Whatever the order of writes and reads: the bytes of each chunk encoded alone, in order,
    lone surrogates escaped as JSON.stringify does; pending() is 0 right after each read."""

    async def main() -> None:
        outbox = Outbox(SSEEncoder(), high_water=1 << 20)
        writer = Writer(outbox, shared)
        body = b""
        for op in ops:
            if op[0] == "delta":
                writer.delta(op[1], op[2], op[3])
            elif op[0] == "push":
                writer.push(op[1])
            else:
                if outbox.pending():
                    body += await outbox.read() or b""
                assert outbox.pending() == 0
        outbox.close()
        while (piece := await outbox.read()) is not None:
            body += piece
        assert body == b"".join(writer.expected) + SSEEncoder().terminator
        if shared and writer.run is not None:
            assert writer.shared_list == writer.run_deltas  # the record sees every delta

    anyio.run(main, backend=backend)


@pytest.mark.anyio
async def test_a_parked_reader_takes_everything_written_since_in_one_body() -> None:
    outbox = Outbox(SSEEncoder(), high_water=1 << 20)
    bodies: list[bytes] = []

    async def read_all() -> None:
        while (body := await outbox.read()) is not None:
            bodies.append(body)

    async with anyio.create_task_group() as group:
        group.start_soon(read_all)
        await anyio.wait_all_tasks_blocked()
        outbox.push([{"type": "start"}])
        outbox.push([{"type": "text-delta", "id": "t", "delta": "a"}])
        outbox.open_run("text-delta", "t")
        for piece in "bcd":
            outbox.append(piece)
        await anyio.wait_all_tasks_blocked()
        outbox.close()
    assert bodies == [
        b'data: {"type":"start"}\n\n'
        + b"".join(
            b'data: {"type":"text-delta","id":"t","delta":"%s"}\n\n' % c
            for c in (b"a", b"b", b"c", b"d")
        ),
        b"data: [DONE]\n\n",
    ]


@pytest.mark.anyio
async def test_writers_wait_for_a_slow_reader_and_memory_stays_bounded() -> None:
    high_water = 1024
    outbox = Outbox(SSEEncoder(), high_water=high_water)
    peak = 0
    received = 0

    async def write() -> None:
        nonlocal peak
        outbox.push([{"type": "text-delta", "id": "t", "delta": "x" * 10}])
        outbox.open_run("text-delta", "t")
        for _ in range(2000):
            if outbox.append("x" * 10):
                await outbox.drain()
            peak = max(peak, outbox.pending())
        outbox.close()

    async def read() -> None:
        nonlocal received
        while (body := await outbox.read()) is not None:
            received += body.count(b"\n\n")
            await anyio.sleep(0.001)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(read)
            group.start_soon(write)
    assert received == 2001 + 1  # every delta frame, then [DONE]
    assert peak <= 2 * high_water


@pytest.mark.anyio
async def test_leave_wakes_a_waiting_writer_with_client_disconnected() -> None:
    outbox = Outbox(SSEEncoder(), high_water=64)
    assert outbox.push([{"type": "data-x", "data": "y" * 100}])  # over budget, no reader
    failures: list[BaseException] = []

    async def writer() -> None:
        try:
            await outbox.drain()
        except ClientDisconnectedError as exc:
            failures.append(exc)

    async with anyio.create_task_group() as group:
        group.start_soon(writer)
        await anyio.wait_all_tasks_blocked()
        outbox.leave()
    assert len(failures) == 1 and outbox.pending() == 0
    with pytest.raises(ClientDisconnectedError):
        outbox.push([{"type": "start"}])
    assert await outbox.read() is None


@pytest.mark.anyio
async def test_read_with_idle_returns_empty_bytes_after_silence() -> None:
    outbox = Outbox(SSEEncoder(), high_water=1024)
    with anyio.fail_after(2):
        assert await outbox.read(0.01) == b""
        outbox.push([{"type": "start"}])
        assert await outbox.read(0.01) == b'data: {"type":"start"}\n\n'
        outbox.close()
        assert await outbox.read(0.01) == b"data: [DONE]\n\n"
        assert await outbox.read(0.01) is None


@pytest.mark.anyio
async def test_the_data_stream_has_no_terminator_frame() -> None:
    """ai 4 bodies end without [DONE]: close() queues nothing (not even an empty frame)."""
    outbox = Outbox(DataStreamEncoder(), high_water=1024)
    outbox.close()
    assert await outbox.read() is None


# --- lending: writers send with the parked reader's send (asyncio) ---------------------------

PAUSES = st.sampled_from(["checkpoint", "turns", "gap"])
LEND_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("delta"), KINDS, st.sampled_from(["t1", "t2"]), TEXT),
        st.tuples(st.just("push"), TEXT),
        st.tuples(st.just("pause"), PAUSES),
    ),
    max_size=40,
)


async def _pause(kind: str) -> None:
    if kind == "checkpoint":
        await anyio.lowlevel.checkpoint()
    elif kind == "turns":
        for _ in range(3):
            await anyio.lowlevel.checkpoint()
    else:
        await anyio.sleep(LEND_GAP * 1.5)


class Sender:
    """A send that records its pieces and callers, fails if entered twice, and may wait."""

    def __init__(self, waits: list[bool]) -> None:
        self.pieces: list[bytes] = []
        self.callers: list[object] = []
        self.waits = waits
        self.busy = False

    async def __call__(self, body: bytes) -> None:
        assert not self.busy, "send entered twice"
        self.busy = True
        try:
            self.callers.append(_current_task())
            if self.waits and self.waits.pop(0):
                await anyio.lowlevel.checkpoint()  # like a server waiting for flow control
            self.pieces.append(body)
        finally:
            self.busy = False


def _current_task() -> object:
    return anyio.get_current_task().id


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@settings(max_examples=120, deadline=None)
@given(
    ops=LEND_OPS,
    waits=st.lists(st.booleans(), max_size=12),
    writers=st.integers(1, 3),
    high_water=st.sampled_from([64, 1 << 20]),
)
@example(  # the reader was woken, then a turn of the loop passed: it must not lend any more
    ops=[("pause", "checkpoint"), ("push", ""), ("delta", "text-delta", "t1", "")]
    + [("delta", "text-delta", "t1", "")],
    waits=[True],
    writers=2,
    high_water=64,
)
def test_a_lent_send_delivers_every_chunk_in_order_and_never_twice_at_once(
    ops: list[tuple[Any, ...]], waits: list[bool], writers: int, high_water: int, backend: str
) -> None:
    """Writers in several tasks, with pauses shorter and longer than LEND_GAP, a send that
    sometimes waits: the pieces are every chunk in write order, send is never re-entered, and
    what is queued stays bounded while a writer sends for the reader."""

    async def main() -> None:
        outbox = Outbox(SSEEncoder(), high_water=high_water)
        writer = Writer(outbox, shared=False)
        send = Sender(list(waits))
        peak = 0

        async def write(mine: list[tuple[Any, ...]]) -> None:
            nonlocal peak
            for op in mine:
                if op[0] == "pause":
                    await _pause(op[1])
                    continue
                wait = writer.delta(*op[1:]) if op[0] == "delta" else writer.push(op[1])
                assert outbox.pending() > 0  # (what was just written is counted)
                peak = max(peak, outbox.pending())
                if wait:
                    await outbox.drain()

        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                group.start_soon(_lending_reader, outbox, send)
                async with anyio.create_task_group() as writing:
                    for i in range(writers):
                        writing.start_soon(write, ops[i::writers])
                outbox.close()
        assert b"".join(send.pieces) == b"".join(writer.expected) + SSEEncoder().terminator
        assert peak <= high_water + 3 * 200  # one write over the budget per writer
        if backend == "trio":  # no lending: the reader sends everything
            assert len(set(send.callers)) == 1

    anyio.run(main, backend=backend)


async def _lending_reader(outbox: Outbox, send: Callable[[bytes], Awaitable[object]]) -> None:
    while (body := await outbox.read(lend=send)) is not None:
        await send(body)


async def _start_lending(
    group: TaskGroup, outbox: Outbox, send: Callable[[bytes], Awaitable[object]]
) -> None:
    """Start a reader that lends ``send``, and let it park and a turn of the loop pass."""
    group.start_soon(_lending_reader, outbox, send)
    await anyio.lowlevel.checkpoint()
    await anyio.lowlevel.checkpoint()


def _first_delta(outbox: Outbox, text: str) -> None:
    """A writer's first text delta of part ``t``, its run open for more (as write_text)."""
    outbox.push([{"type": "text-delta", "id": "t", "delta": text}])
    outbox.open_run("text-delta", "t")


def _delta(text: str) -> bytes:
    return b'data: {"type":"text-delta","id":"t","delta":"%s"}\n\n' % text.encode()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # lending is asyncio only
async def test_a_trickling_writer_sends_each_token_itself() -> None:
    """One task step per token: the reader parks once, the writer sends its own tokens."""
    outbox = Outbox(SSEEncoder(), high_water=1 << 20)
    send = Sender([])
    with anyio.fail_after(2):
        async with anyio.create_task_group() as group:
            await _start_lending(group, outbox, send)
            _first_delta(outbox, "a")
            assert outbox.overflow()  # the writer is to send: drain() does
            await outbox.drain()
            for token in "bcd":
                await anyio.sleep(LEND_GAP * 1.5)
                if outbox.append(token):
                    await outbox.drain()
            outbox.close()
    me = _current_task()
    assert send.pieces == [*map(_delta, "abcd"), b"data: [DONE]\n\n"]
    assert send.callers[:4] == [me] * 4 and send.callers[4] != me


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # lending is asyncio only
async def test_a_burst_after_a_writer_sent_goes_out_in_one_piece() -> None:
    outbox = Outbox(SSEEncoder(), high_water=1 << 20)
    send = Sender([])
    with anyio.fail_after(2):
        async with anyio.create_task_group() as group:
            await _start_lending(group, outbox, send)
            _first_delta(outbox, "a")
            await outbox.drain()  # sent by this task
            for token in "bcdef":  # sooner than LEND_GAP: the reader takes them, together
                if outbox.append(token):
                    await outbox.drain()
            await anyio.lowlevel.checkpoint()
            await anyio.lowlevel.checkpoint()
            outbox.close()
    assert send.pieces == [_delta("a"), b"".join(map(_delta, "bcdef")), b"data: [DONE]\n\n"]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # lending is asyncio only
async def test_what_send_raises_in_a_writer_is_raised_by_the_reader() -> None:
    outbox = Outbox(SSEEncoder(), high_water=1 << 20)
    me = _current_task()
    failures: list[BaseException] = []

    async def send(body: bytes) -> None:
        if _current_task() == me:
            raise OSError("connection reset")

    async def read() -> None:
        try:
            while (body := await outbox.read(lend=send)) is not None:
                await send(body)
        except OSError as exc:
            failures.append(exc)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as group:
            group.start_soon(read)
            await anyio.lowlevel.checkpoint()
            await anyio.lowlevel.checkpoint()
            outbox.push([{"type": "start"}])
            await outbox.drain()  # the writer is not the one to hear of it
            await anyio.lowlevel.checkpoint()
    assert [str(f) for f in failures] == ["connection reset"]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # lending is asyncio only
async def test_a_reader_woken_while_a_writer_sends_waits_for_that_send() -> None:
    outbox = Outbox(SSEEncoder(), high_water=1 << 20)
    release = anyio.Event()
    order: list[str] = []

    async def send(body: bytes) -> None:
        order.append(f"in {body.decode().strip()}")
        if b"start" in body:
            await release.wait()
        order.append("out")

    async def write() -> None:
        outbox.push([{"type": "start"}])
        await outbox.drain()

    with anyio.fail_after(2):
        async with anyio.create_task_group() as group:
            await _start_lending(group, outbox, send)
            group.start_soon(write)
            await anyio.wait_all_tasks_blocked()
            outbox.push([{"type": "finish"}])  # the reader would be woken now ...
            outbox.close()
            await anyio.wait_all_tasks_blocked()
            release.set()  # ... but sends only after the writer's send returned
    assert order == [
        'in data: {"type":"start"}',
        "out",
        'in data: {"type":"finish"}\n\ndata: [DONE]',
        "out",
    ]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # lending is asyncio only
async def test_a_writer_cancelled_in_send_leaves_the_stream_working() -> None:
    outbox = Outbox(SSEEncoder(), high_water=1 << 20)
    pieces: list[bytes] = []
    calls = 0

    async def send(body: bytes) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            await anyio.sleep_forever()
        pieces.append(body)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as group:
            await _start_lending(group, outbox, send)
            with anyio.move_on_after(0.01):
                outbox.push([{"type": "start"}])
                await outbox.drain()  # stuck in send, then cancelled
            outbox.push([{"type": "finish"}])
            outbox.hand_over()
            await anyio.wait_all_tasks_blocked()
            outbox.close()
    assert pieces == [b'data: {"type":"finish"}\n\n', b"data: [DONE]\n\n"]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_writers_wait_while_a_writer_sends_and_memory_stays_bounded() -> None:
    high_water = 256
    outbox = Outbox(SSEEncoder(), high_water=high_water)
    release = anyio.Event()
    pieces: list[bytes] = []
    peak = 0

    async def send(body: bytes) -> None:
        if not pieces:
            await release.wait()  # the first send (by a writer) is slow
        pieces.append(body)

    async def first() -> None:
        outbox.push([{"type": "start"}])
        await outbox.drain()

    async def flood() -> None:
        nonlocal peak
        outbox.push([{"type": "text-delta", "id": "t", "delta": "x"}])
        outbox.open_run("text-delta", "t")
        for _ in range(200):
            if outbox.append("y" * 10):
                await outbox.drain()
            peak = max(peak, outbox.pending())

    with anyio.fail_after(2):
        async with anyio.create_task_group() as group:
            await _start_lending(group, outbox, send)
            group.start_soon(first)
            await anyio.wait_all_tasks_blocked()
            group.start_soon(flood)
            await anyio.wait_all_tasks_blocked()
            assert outbox.pending() <= high_water + 64  # the flood waits for the slow send
            release.set()
            await anyio.wait_all_tasks_blocked()
            outbox.close()
    assert b"".join(pieces).count(b"\n\n") == 1 + 201 + 1
    assert peak <= high_water + 64
