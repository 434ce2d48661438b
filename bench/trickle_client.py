"""The load generator of the trickling-streams bench (``bench/trickle.py``), a process of its own.

Opens ``--streams`` TCP connections to ``--host:--port`` at once, sends one minimal HTTP/1.1
``POST --path`` on each, reads every response to its end (chunked transfer encoding, a
``Content-Length`` or the connection's close) and closes the connection. Kept cheap on purpose:
a plain ``epoll`` loop that only appends the received bytes (asyncio's own bookkeeping cost as
much as the ``recv`` calls); parsing (status, de-chunking, counting events) happens after the
last stream has ended. Linux only (``select.epoll``), like the ``/proc`` readings of the bench.

Writes to stdout, one line each:

* ``OPEN <seconds>`` once every stream has received its response headers (seconds since the
  first connection attempt);
* ``RESULT <json>`` at the end: per-stream durations (request written -> last byte), events
  delivered, complete streams, errors, the client's own CPU time.

With ``--body-out PATH`` the first complete body (de-chunked) is written to ``PATH``.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import resource
import select
import socket
import sys
import time
from pathlib import Path
from typing import Any

DONE = b"data: [DONE]\n\n"
CHUNKED_END = b"\r\n0\r\n\r\n"


def raise_nofile_limit() -> None:
    """Raise the soft limit of open files to the hard limit (1000 connections need it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class Stream:
    """One connection, one request; the response is only buffered here."""

    __slots__ = (
        "sock",
        "pieces",
        "header_end",
        "chunked",
        "content_length",
        "received",
        "tail",
        "sent",
        "ended",
        "error",
    )

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.pieces: list[bytes] = []
        self.header_end = -1  # offset just past the blank line ending the headers
        self.chunked = False
        self.content_length = -1
        self.received = 0
        self.tail = b""  # the last bytes received, to find an end marker split across reads
        self.sent = 0.0
        self.ended = 0.0
        self.error: str | None = None

    @property
    def raw(self) -> bytes:
        return b"".join(self.pieces)

    def parse_head(self) -> bool:
        """Look for the end of the headers; True once found."""
        raw = self.raw
        end = raw.find(b"\r\n\r\n")
        if end < 0:
            return False
        self.header_end = end + 4
        head = raw[:end].lower()
        self.chunked = b"\r\ntransfer-encoding: chunked" in head
        marker = head.find(b"\r\ncontent-length:")
        if marker >= 0:
            line_end = head.find(b"\r\n", marker + 2)
            value = head[marker + 17 : line_end if line_end >= 0 else len(head)]
            self.content_length = int(value.strip())
        return True

    def complete(self) -> bool:
        if self.chunked:
            return self.tail.endswith(CHUNKED_END) or (
                self.received - self.header_end == 5 and self.tail.endswith(b"0\r\n\r\n")
            )
        return self.content_length >= 0 and self.received - self.header_end >= self.content_length


def run_streams(args: argparse.Namespace) -> tuple[list[Stream], float]:
    """Open every connection, send the requests, read every response to its end.

    A plain ``epoll`` loop (one ``recv`` per readiness event) rather than asyncio: the client
    shares the machine's cores with the server, so it must cost as little per event as it can.
    """
    payload = b'{"id":"bench","messages":[]}'
    request = (
        f"POST {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
        "Content-Type: application/json\r\nAccept: text/event-stream\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    poller = select.epoll()
    streams: dict[int, Stream] = {}
    all_streams: list[Stream] = []
    start = time.perf_counter()
    deadline = start + args.timeout
    waiting_head = args.streams
    active = 0
    recv = socket.socket.recv
    now = time.perf_counter

    def end(s: Stream, error: str | None = None) -> None:
        nonlocal active, waiting_head
        s.ended = now()
        s.error = error
        if s.header_end < 0:
            waiting_head -= 1
        fd = s.sock.fileno()
        poller.unregister(fd)
        del streams[fd]
        s.sock.close()
        active -= 1

    for _ in range(args.streams):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s = Stream(sock)
        all_streams.append(s)
        code = sock.connect_ex((args.host, args.port))
        if code not in (0, errno.EINPROGRESS):
            s.error = f"connect failed: {os.strerror(code)}"
            s.ended = now()
            waiting_head -= 1
            sock.close()
            continue
        streams[sock.fileno()] = s
        poller.register(sock.fileno(), select.EPOLLOUT)
        active += 1
    opened = False
    while active:
        timeout = deadline - now()
        if timeout <= 0:
            for s in list(streams.values()):
                end(s, "timed out")
            break
        if args.pause > 0:
            time.sleep(args.pause)  # let data arrive on many sockets: one poll for all of them
        for fd, _mask in poller.poll(timeout):
            s = streams[fd]
            if s.sent == 0.0:  # connected (or failed to)
                err = s.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    end(s, f"connect failed: {os.strerror(err)}")
                    continue
                s.sock.send(request)  # a few hundred bytes: fits the empty send buffer
                s.sent = now()
                poller.modify(fd, select.EPOLLIN)
                continue
            try:
                data = recv(s.sock, 262144)
            except OSError as exc:
                end(s, f"recv failed: {exc!r}")
                continue
            if not data:
                if s.header_end >= 0 and not s.chunked and s.content_length < 0:
                    end(s)  # the body ends with the connection
                else:
                    end(s, "connection closed before the end of the response")
                continue
            s.pieces.append(data)
            s.received += len(data)
            s.tail = data if len(data) >= 8 else (s.tail + data)[-8:]
            if s.header_end < 0:
                if not s.parse_head():
                    continue
                waiting_head -= 1
            if s.complete():
                end(s)
        if not opened and waiting_head == 0:
            opened = True
            print(f"OPEN {now() - start:.4f}", flush=True)
    poller.close()
    return all_streams, time.perf_counter() - start


def dechunk(body: bytes) -> bytes:
    """The payload of a chunked body.

    Raises:
        ValueError: The body is not valid chunked encoding.
    """
    out = bytearray()
    pos = 0
    while True:
        line_end = body.find(b"\r\n", pos)
        if line_end < 0:
            raise ValueError("truncated chunk size line")
        size = int(body[pos:line_end].split(b";", 1)[0], 16)
        start = line_end + 2
        if size == 0:
            return bytes(out)
        out += body[start : start + size]
        if body[start + size : start + size + 2] != b"\r\n":
            raise ValueError("a chunk does not end with CRLF")
        pos = start + size + 2


def analyse(streams: list[Stream], expect_events: int, body_out: Path | None) -> dict[str, Any]:
    durations: list[float] = []
    events = complete = 0
    errors: list[str] = []
    frames_seen: dict[int, int] = {}
    written = False
    for s in streams:
        if s.error is not None or s.header_end < 0:
            errors.append(s.error or "no response headers")
            continue
        raw = s.raw
        status_line = raw[: raw.find(b"\r\n")]
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or parts[1] != b"200":
            errors.append(f"status line {status_line[:80]!r}")
            continue
        body = raw[s.header_end :]
        if s.chunked:
            try:
                body = dechunk(body)
            except ValueError as exc:
                errors.append(f"bad chunked body: {exc}")
                continue
        count = body.count(b"\n\n")
        frames_seen[count] = frames_seen.get(count, 0) + 1
        if not body.endswith(DONE):
            errors.append(f"the body does not end with `data: [DONE]` (ends {body[-40:]!r})")
            continue
        if expect_events and count != expect_events:
            errors.append(f"{count} events instead of {expect_events}")
            continue
        complete += 1
        events += count
        durations.append(s.ended - s.sent)
        if body_out is not None and not written:
            body_out.write_bytes(body)
            written = True
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "streams": len(streams),
        "complete": complete,
        "events": events,
        "durations": durations,
        "errors": errors[:5],
        "error_count": len(errors),
        "frames_seen": {str(k): v for k, v in sorted(frames_seen.items())},
        "cpu_s": usage.ru_utime + usage.ru_stime,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--streams", type=int, default=1000)
    p.add_argument("--expect-events", type=int, default=0, help="SSE events per body (0: any)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds for the whole batch")
    p.add_argument("--body-out", type=Path, default=None)
    p.add_argument(
        "--pause",
        type=float,
        default=0.001,
        help="seconds to sleep before each poll (default 0.001: fewer system calls, timestamps "
        "within a millisecond)",
    )
    args = p.parse_args(argv)
    raise_nofile_limit()
    streams, wall = run_streams(args)
    result = analyse(streams, args.expect_events, args.body_out)
    result["wall_s"] = wall
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
