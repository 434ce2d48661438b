"""The outbox: frames, delta runs, the hand-off to the reader, backpressure (asyncio and trio)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ai_stream import ClientDisconnectedError
from ai_stream._outbox import Outbox
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

    def delta(self, kind: str, part_id: str, text: str) -> None:
        chunk = {"type": kind, "id": part_id, "delta": text}
        self.expected.append(SSEEncoder().encode(chunk))
        if self.run == (kind, part_id) and self.outbox.run_kind == kind:
            self.outbox.append(text)
            self.run_deltas.append(text)
            return
        self.outbox.push([chunk])
        self.shared_list = [text] if self.shared else []
        self.outbox.open_run(kind, part_id, self.shared_list if self.shared else None)
        self.run, self.run_deltas = (kind, part_id), [text]

    def push(self, text: str) -> None:
        chunk = {"type": "data-x", "data": text}
        self.expected.append(SSEEncoder().encode(chunk))
        self.outbox.push([chunk])
        self.run = None


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
