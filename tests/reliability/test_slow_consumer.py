"""Slow consumer: 100,000 text deltas against a client that reads in small, slow steps.

The server runs in a subprocess (``slow_server.py``) so that its memory is its own. The producer
writes as fast as ai_stream lets it; backpressure must hold it back so that what the server keeps
for the stream stays under a fixed bound, whatever the length of the answer.

The bounds asserted:

* ai_stream itself (what waits for the reader + the batch the server is writing) stays at most
  ``AI_STREAM_BOUND`` = 64 KiB. Measured steady state with the default ``buffer_size``
  (16 KiB): two batches of ~17 KB (16 KiB + the write that crossed the mark): one in flight,
  one queued behind the blocked writer.
* the memory alive that ai_stream's own files allocated (tracemalloc) stays at most
  ``AI_STREAM_TRACED_BOUND`` = 128 KiB: the frames above, plus the joined body of the batch in
  flight (the frames of that batch stay referenced by the body generator while it is sent).
* everything the server process allocated for the stream and still held at once (tracemalloc
  peak: ai_stream, Starlette, uvicorn, h11, asyncio transport, the producer) stays at most
  ``PROCESS_BOUND`` = 512 KiB, for a body of ~5.6 MB.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

from ai_stream.testing import parse_sse_json
from tests.reliability.conftest import Figures
from tests.reliability.slow_server import expected_text

SERVER = Path(__file__).with_name("slow_server.py")
DELTAS = 100_000
READ_SIZE = 8192  # bytes per read
READ_PAUSE = 0.004  # seconds between reads
SOCKET_BUFFER = 8192  # SO_RCVBUF of the client, SO_SNDBUF of the server
AI_STREAM_BOUND = 64 * 1024
AI_STREAM_TRACED_BOUND = 128 * 1024
PROCESS_BOUND = 512 * 1024
TIME_LIMIT = 40.0


class Lines:
    """Reads ``KEY value`` lines from the server's stdout, with a timeout."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self.fd = proc.stdout.fileno()
        self.buffer = b""

    def get(self, key: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                name, _, value = line.decode().partition(" ")
                if name == key:
                    return value
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"the server did not print {key} in time"
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                data = os.read(self.fd, 65536)
                assert data, f"the server exited before printing {key}"
                self.buffer += data


def _dechunk(body: bytes) -> bytes:
    out = bytearray()
    position = 0
    while True:
        end = body.index(b"\r\n", position)
        size = int(body[position:end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += body[end + 2 : end + 2 + size]
        position = end + 2 + size + 2


def test_slow_consumer_memory_stays_bounded(figures: Figures, tmp_path: Path) -> None:
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), str(DELTAS), str(SOCKET_BUFFER)],
        stdout=subprocess.PIPE,
        stderr=log,
    )
    try:
        lines = Lines(proc)
        port = int(lines.get("PORT", timeout=30))
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
        sock.settimeout(10)
        received = bytearray()
        reads = 0
        with sock:
            sock.connect(("127.0.0.1", port))
            sock.sendall(
                b"POST /stream HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n"
                b"content-length: 0\r\n\r\n"
            )
            start = time.perf_counter()
            while chunk := sock.recv(READ_SIZE):
                received += chunk
                reads += 1
                assert time.perf_counter() - start < TIME_LIMIT, "the stream took too long"
                time.sleep(READ_PAUSE)
            read_s = time.perf_counter() - start
        stats = json.loads(lines.get("STATS", timeout=10))
    finally:
        proc.kill()
        proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()
        log.close()
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    content = _dechunk(body)
    chunks = parse_sse_json(content)
    text = "".join(c["delta"] for c in chunks if c["type"] == "text-delta")
    figures.record(
        "slow consumer",
        deltas=DELTAS,
        body_bytes=len(content),
        client_reads=reads,
        read_s=round(read_s, 3),
        producer_s=round(stats["produce_s"], 3),
        writes_that_waited=stats["blocked_writes"],
        peak_ai_stream_bytes=stats["ai_stream"],
        peak_pending_bytes=stats["pending"],
        max_batch_bytes=stats["max_batch"],
        peak_transport_buffer_bytes=stats["transport"],
        peak_traced_bytes=stats["traced_peak"],
        peak_traced_by_ai_stream_files=stats.get("traced_ai_stream", 0),
        peak_traced_by_uvicorn_h11_asyncio=stats.get("traced_server", 0),
        peak_traced_other=stats.get("traced_other", 0),
        samples=stats["samples"],
    )
    assert text == expected_text(DELTAS)
    assert chunks[-1]["type"] == "finish"
    # Backpressure held the producer back: it was done only shortly before the reader.
    assert stats["produce_s"] > 0.5 * read_s
    assert stats["blocked_writes"] > 10
    assert stats["ai_stream"] <= AI_STREAM_BOUND
    assert stats.get("traced_ai_stream", 0) <= AI_STREAM_TRACED_BOUND
    assert stats["traced_peak"] <= PROCESS_BOUND
