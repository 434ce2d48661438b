"""``make bench``: ai_stream vs a hand-written ``json.dumps`` generator vs ai-sdk-stream-python.

Five sections, each run interleaved and repeated in one run so that the noise of a shared
machine hits every contender alike (results are reported as medians, best values and ratios):

1. in process: produce and fully drain one typical stream (protocol.md §1.2 with 1000 text
   deltas) to bytes, producer and reader running concurrently as in a server; µs per event;
2. over HTTP: a uvicorn server (subprocess, 127.0.0.1, one worker, asyncio loop, h11) with one
   route per contender, read by 10 concurrent httpx streams; events per second;
3. trickling streams (``trickle.py``): 1000 concurrent answers of one token every 20 ms over
   HTTP, one server process per contender (the TypeScript ``ai`` package in Node among them),
   load from a separate process; server CPU per event, memory per open stream, durations;
4. linear cost curves (``curves.py``): µs per chunk at growing sizes, in process;
5. object streams (``object_streams.py``, ``experimental_useObject``): ``ObjectStreamContext``
   fed an itinerary's JSON text in 1000 deltas vs a text ``StreamContext`` vs a hand-written
   generator, in process (µs per delta) and over HTTP (deltas per second); its linear cost
   curve is with the others.

``--quick`` runs a short version of everything; ``--only-objects`` only section 5 (and its curve).

Writes ``bench/RESULTS.md`` and prints the same summary. See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import functools
import gc
import io
import os
import platform
import pstats
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import curves
import httpx
import object_streams
import trickle
from ai_sdk_stream_python import StreamContext as PeerContext
from workload import (
    Workload,
    ai_stream_work,
    compare,
    decode_sse,
    handwritten_stream,
    handwritten_stream_default_json,
    make_workload,
    normalize,
    peer_work,
)

from ai_stream import StreamContext

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "RESULTS.md"
DONE = b"data: [DONE]\n\n"

# Targets of the issue.
TARGET_US_PER_EVENT = 0.5
TARGET_COLLECT_US_PER_EVENT = 0.8
TARGET_HTTP_FACTOR = 8.0
ISSUE_HANDWRITTEN_US = 2.7
ISSUE_PEER_US = 4.1
ISSUE_HANDWRITTEN_EPS = 125_000

HANDWRITTEN = "handwritten"

# --- in-process contenders -----------------------------------------------------------------------


async def run_ai_stream(w: Workload, *, collect: bool = False) -> bytes:
    # As UIMessageStreamResponse drains a context: ctx.pump(send), the writers may call send.
    ctx: StreamContext[Any] = StreamContext(collect=collect)
    await ctx.run(ai_stream_work, w)
    pieces: list[bytes] = []

    async def send(piece: bytes) -> None:
        pieces.append(piece)

    await ctx.pump(send)
    return b"".join(pieces)


async def run_ai_stream_iterated(w: Workload) -> bytes:
    ctx: StreamContext[Any] = StreamContext()
    await ctx.run(ai_stream_work, w)
    return b"".join([body async for body in ctx.stream()])


async def run_ai_stream_collect(w: Workload) -> bytes:
    return await run_ai_stream(w, collect=True)


async def run_handwritten(w: Workload) -> bytes:
    # StreamingResponse encodes every str chunk the generator yields; so does this drain.
    return b"".join([frame.encode() async for frame in handwritten_stream(w)])


async def run_handwritten_default_json(w: Workload) -> bytes:
    return b"".join([frame.encode() async for frame in handwritten_stream_default_json(w)])


async def run_peer(w: Workload) -> bytes:
    ctx: PeerContext[Any] = PeerContext()
    await ctx.run(functools.partial(peer_work, w=w))
    return b"".join([frame.encode() async for frame in ctx.stream()])


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    run: Callable[[Workload], Awaitable[bytes]]
    route: str | None  # HTTP route, if it is measured over HTTP
    note: str = ""


CONTENDERS = (
    Contender("ai_stream", "ai_stream", run_ai_stream, "/ai_stream"),
    Contender(
        "ai_stream_collect",
        "ai_stream (`collect=True`)",
        run_ai_stream_collect,
        None,
        "also records the message (StreamRecord)",
    ),
    Contender(
        "ai_stream_iterated",
        "ai_stream, iterating `ctx.stream()`",
        run_ai_stream_iterated,
        None,
        "informational: the body as an async iterator (`StreamingResponse(ctx.stream())`)",
    ),
    Contender(
        HANDWRITTEN,
        "hand-written `json.dumps` generator",
        run_handwritten,
        "/handwritten",
        'compact separators, `ensure_ascii=False`: `"data: " + json.dumps(...) + "\\n\\n"`',
    ),
    Contender(
        "handwritten_default_json",
        "hand-written, `json.dumps` defaults",
        run_handwritten_default_json,
        None,
        "informational: default separators and `\\uXXXX` escapes (not the bytes of the JS server)",
    ),
    Contender("peer", "ai-sdk-stream-python 0.4.1", run_peer, "/peer"),
)
BY_KEY = {c.key: c for c in CONTENDERS}


# --- results -------------------------------------------------------------------------------------


@dataclass
class InProcess:
    us_per_event: dict[str, list[float]] = field(default_factory=dict)
    bytes_per_stream: dict[str, int] = field(default_factory=dict)
    frames_per_stream: dict[str, int] = field(default_factory=dict)


@dataclass
class Http:
    events_per_s: dict[str, list[float]] = field(default_factory=dict)
    requests_per_s: dict[str, list[float]] = field(default_factory=dict)
    server_cpu_us: dict[str, list[float]] = field(default_factory=dict)  # per event
    client_cpu_us: dict[str, list[float]] = field(default_factory=dict)  # per event
    body_writes: dict[str, float] = field(default_factory=dict)


@dataclass
class Report:
    workload: Workload
    args: argparse.Namespace
    warnings: list[str] = field(default_factory=list)
    inprocess: InProcess = field(default_factory=InProcess)
    breakdown: dict[str, float] = field(default_factory=dict)
    http: Http | None = None
    server_command: list[str] = field(default_factory=list)
    argv: list[str] = field(default_factory=list)
    first_sections_s: float = 0.0
    library: str = ""
    trickle: trickle.TrickleReport | None = None
    curves: curves.CurvesReport | None = None
    objects: object_streams.ObjectsReport | None = None
    elapsed_s: float = 0.0


# --- correctness check ---------------------------------------------------------------------------


def check_body(key: str, body: bytes, w: Workload, reference: list[Any], report: Report) -> None:
    """Warn (do not fail) when a contender's stream differs from the hand-written one."""
    where = f"{BY_KEY[key].label}"
    if not body.endswith(DONE):
        report.warnings.append(f"{where}: the body does not end with `data: [DONE]`")
    try:
        chunks = decode_sse(body)
    except ValueError as exc:
        report.warnings.append(f"{where}: undecodable SSE ({exc})")
        return
    if len(chunks) != w.event_count:
        report.warnings.append(
            f"{where}: {len(chunks)} events per stream, the workload has {w.event_count}"
        )
    for problem in compare(reference, normalize(chunks)):
        report.warnings.append(f"{where}: differs from the hand-written stream: {problem}")


async def check_inprocess(w: Workload, report: Report) -> None:
    bodies = {c.key: await c.run(w) for c in CONTENDERS}
    reference = normalize(decode_sse(bodies[HANDWRITTEN]))
    for key, body in bodies.items():
        report.inprocess.bytes_per_stream[key] = len(body)
        report.inprocess.frames_per_stream[key] = body.count(b"\n\n")
        check_body(key, body, w, reference, report)


# --- in-process timing ---------------------------------------------------------------------------


async def time_streams(
    run: Callable[[Workload], Awaitable[bytes]], w: Workload, n: int
) -> tuple[float, bytes]:
    """Produce and drain ``n`` streams; return the time and the last body."""
    body = b""
    start = time.perf_counter()
    for _ in range(n):
        body = await run(w)
    return time.perf_counter() - start, body


async def bench_inprocess(w: Workload, report: Report) -> None:
    rounds, streams = report.args.rounds, report.args.streams
    events = w.event_count * streams
    for c in CONTENDERS:  # warm-up
        await time_streams(c.run, w, max(2, streams // 5))
    results: dict[str, list[float]] = {c.key: [] for c in CONTENDERS}
    for r in range(rounds):
        order = CONTENDERS[r % len(CONTENDERS) :] + CONTENDERS[: r % len(CONTENDERS)]
        for c in order:
            gc.collect()
            elapsed, body = await time_streams(c.run, w, streams)
            results[c.key].append(elapsed / events * 1e6)
            if body.count(b"\n\n") != w.event_count or not body.endswith(DONE):
                report.warnings.append(f"{c.label}: a timed stream was incomplete (round {r + 1})")
        print(
            f"  in-process round {r + 1}/{rounds}: "
            + ", ".join(f"{k} {v[-1]:.3f}" for k, v in results.items())
            + " µs/event",
            flush=True,
        )
    report.inprocess.us_per_event = results


# --- HTTP ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def server_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "server:app",
        "--app-dir",
        str(BENCH_DIR),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--loop",
        "asyncio",
        "--http",
        "h11",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def wait_ready(proc: subprocess.Popen[bytes], port: int, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not start within {timeout:.0f} s:\n{log.read_text()}")


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of another process (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


@dataclass
class Batch:
    elapsed: float
    requests: int
    events: int
    reads: int
    first_body: bytes


async def http_batch(
    clients: list[httpx.AsyncClient], route: str, requests: int, events: int
) -> Batch:
    """``requests`` POSTs to ``route``, one stream at a time per client; bodies read fully."""
    remaining = requests
    delivered = reads = 0
    first: list[bytes] = []

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal remaining, delivered, reads
        while remaining > 0:
            remaining -= 1
            async with client.stream("POST", route, json={"id": "bench", "messages": []}) as r:
                parts = [part async for part in r.aiter_raw()]
            body = b"".join(parts)
            if r.status_code != 200 or not body.endswith(DONE):
                raise RuntimeError(f"{route}: status {r.status_code}, body ends {body[-40:]!r}")
            count = body.count(b"\n\n")
            if count != events:
                raise RuntimeError(f"{route}: {count} events instead of {events}")
            delivered += count
            reads += len(parts)
            if not first:
                first.append(body)

    start = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for client in clients:
            group.create_task(worker(client))
    elapsed = time.perf_counter() - start
    return Batch(elapsed, requests, delivered, reads, first[0])


async def bench_http(port: int, server_pid: int, w: Workload, report: Report) -> None:
    args = report.args
    http = Http()
    contenders = [c for c in CONTENDERS if c.route is not None]
    async with contextlib.AsyncExitStack() as stack:
        # One client (one keep-alive connection) per concurrent user, like 10 browsers.
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60.0)
            )
            for _ in range(args.concurrency)
        ]
        bodies: dict[str, bytes] = {}
        for c in contenders:  # warm-up, and the correctness check of what went over the wire
            assert c.route is not None
            batch = await http_batch(clients, c.route, args.concurrency * 2, w.event_count)
            bodies[c.key] = batch.first_body
        reference = normalize(decode_sse(bodies[HANDWRITTEN]))
        for key, body in bodies.items():
            before = len(report.warnings)
            check_body(key, body, w, reference, report)
            for i in range(before, len(report.warnings)):
                report.warnings[i] = "HTTP: " + report.warnings[i]
        reads: dict[str, list[float]] = {c.key: [] for c in contenders}
        for c in contenders:
            http.events_per_s[c.key] = []
            http.requests_per_s[c.key] = []
            http.server_cpu_us[c.key] = []
            http.client_cpu_us[c.key] = []
        for r in range(args.http_rounds):
            order = contenders[r % len(contenders) :] + contenders[: r % len(contenders)]
            for c in order:
                assert c.route is not None
                server_cpu, client_cpu = process_cpu_seconds(server_pid), time.process_time()
                batch = await http_batch(clients, c.route, args.http_requests, w.event_count)
                server_cpu = process_cpu_seconds(server_pid) - server_cpu
                client_cpu = time.process_time() - client_cpu
                http.server_cpu_us[c.key].append(server_cpu / batch.events * 1e6)
                http.client_cpu_us[c.key].append(client_cpu / batch.events * 1e6)
                http.events_per_s[c.key].append(batch.events / batch.elapsed)
                http.requests_per_s[c.key].append(batch.requests / batch.elapsed)
                reads[c.key].append(batch.reads / batch.requests)
            print(
                f"  HTTP round {r + 1}/{args.http_rounds}: "
                + ", ".join(f"{k} {v[-1]:,.0f}" for k, v in http.events_per_s.items())
                + " events/s",
                flush=True,
            )
        http.body_writes = {k: statistics.median(v) for k, v in reads.items()}
    report.http = http


@contextlib.contextmanager
def uvicorn_server(report: Report) -> Iterator[tuple[int, int]]:
    """``uvicorn server:app`` in a subprocess, ready; yields (port, pid). Its log is a warning."""
    port = free_port()
    cmd = server_command(port)
    report.server_command = cmd
    with tempfile.NamedTemporaryFile("w+b", suffix=".log", delete=False) as log_file:
        log = Path(log_file.name)
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "BENCH_OBJECT_DELTAS": str(report.args.object_deltas),
        }
        proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, env=env)
        try:
            wait_ready(proc, port, log)
            yield port, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    errors = log.read_text(errors="replace").strip()
    log.unlink(missing_ok=True)
    if errors:
        report.warnings.append(f"server log: {errors[-500:]}")


def run_http(w: Workload, report: Report) -> None:
    with uvicorn_server(report) as (port, pid):
        asyncio.run(bench_http(port, pid, w, report))


def run_objects(report: Report) -> None:
    """Section 5: object streams in process, then over HTTP (a server of its own)."""
    args = report.args
    objects = object_streams.run_inprocess(args)
    report.objects = objects
    if not args.no_http:
        started = time.perf_counter()
        print("object streams over HTTP:", flush=True)
        with uvicorn_server(report) as (port, pid):
            objects.http = asyncio.run(
                object_streams.bench_http(
                    port,
                    functools.partial(process_cpu_seconds, pid),
                    objects,
                    args.http_rounds,
                    args.http_requests,
                    args.concurrency,
                )
            )
        objects.elapsed_s += time.perf_counter() - started
    report.warnings += objects.warnings


# --- ai_stream cost breakdown ---------------------------------------------------------------------


async def _empty_work(ctx: StreamContext[Any]) -> None:
    return None


async def breakdown(w: Workload, reps: int = 7) -> dict[str, float]:
    """Median costs (µs) of ai_stream's building blocks, through its public API only."""
    deltas = w.text

    async def text_calls() -> float:
        ctx: StreamContext[Any] = StreamContext(buffer_size=1 << 30)
        await ctx.write_text("x")  # open the part (slow path once)
        start = time.perf_counter()
        for delta in deltas:
            await ctx.write_text(delta)
        return (time.perf_counter() - start) / len(deltas)

    async def reasoning_calls() -> float:
        ctx: StreamContext[Any] = StreamContext(buffer_size=1 << 30)
        await ctx.write_reasoning("x")
        start = time.perf_counter()
        for delta in deltas:
            await ctx.write_reasoning(delta)
        return (time.perf_counter() - start) / len(deltas)

    async def empty_stream() -> float:
        n = 200
        start = time.perf_counter()
        for _ in range(n):
            ctx: StreamContext[Any] = StreamContext()
            await ctx.run(_empty_work)
            b"".join([body async for body in ctx.stream()])
        return (time.perf_counter() - start) / n

    async def construct(id_generator: Callable[[], str] | None) -> float:
        n = 500
        kwargs: dict[str, Any] = {} if id_generator is None else {"id_generator": id_generator}
        start = time.perf_counter()
        for _ in range(n):
            StreamContext(**kwargs)
        return (time.perf_counter() - start) / n

    async def whole(buffer_size: int) -> float:
        n = 20
        start = time.perf_counter()
        for _ in range(n):
            ctx: StreamContext[Any] = StreamContext(buffer_size=buffer_size)
            await ctx.run(ai_stream_work, w)
            b"".join([body async for body in ctx.stream()])
        return (time.perf_counter() - start) / n / w.event_count

    probes: dict[str, Callable[[], Awaitable[float]]] = {
        "write_text": text_calls,
        "write_reasoning": reasoning_calls,
        "empty_stream": empty_stream,
        "construct": lambda: construct(None),
        "construct_fixed_id": lambda: construct(lambda: "0123456789abcdef"),
        "stream_16k": lambda: whole(16 * 1024),
        "stream_1m": lambda: whole(1 << 20),
    }
    samples: dict[str, list[float]] = {k: [] for k in probes}
    for _ in range(reps):
        for key, probe in probes.items():
            samples[key].append(await probe() * 1e6)
    return {k: statistics.median(v) for k, v in samples.items()}


# --- profiling -----------------------------------------------------------------------------------


def profile_ai_stream(w: Workload, streams: int, collect: bool) -> str:
    async def loop() -> None:
        for _ in range(streams):
            await run_ai_stream(w, collect=collect)

    asyncio.run(loop())  # warm-up
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(loop())
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


# --- report --------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def library_revision() -> str:
    """The git commit of the ai_stream sources that ran, and whether they had local changes."""
    import ai_stream

    src = Path(ai_stream.__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=src,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "."],
            cwd=src,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return f"from {src}"
    return f"git {commit}" + (", with uncommitted changes in its sources" if dirty else "")


def verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL**"


def render_header(report: Report) -> list[str]:
    args = report.args
    if report.trickle is not None:
        node_version, ai_version = report.trickle.node_version, report.trickle.ai_version
    else:
        _, node_version, ai_version = trickle.node_setup()
    return [
        "# ai_stream benchmark results",
        "",
        "Generated by `make bench` (`bench/run.py`); overwritten on every run. Absolute numbers",
        "depend on the machine (shared and noisy: 2 cores); the **ratios** between contenders,",
        "measured interleaved in the same run, are the meaningful part.",
        "",
        f"* date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M:%S UTC')}",
        f"* machine: {platform.platform()}; CPU: {cpu_model()}; {os.cpu_count()} cores",
        f"* Python {platform.python_version()} ({platform.python_implementation()}), "
        "plain asyncio event loop (no uvloop)",
        f"* ai_stream {version('ai-stream')} ({report.library}), ai-sdk-stream-python "
        f"{version('ai-sdk-stream-python')}, uvicorn {version('uvicorn')}, starlette "
        f"{version('starlette')}, anyio {version('anyio')}, pydantic {version('pydantic')} "
        f"(pydantic-core {version('pydantic-core')}), h11 {version('h11')}, httpx "
        f"{version('httpx')}",
        f"* Node {node_version}, `ai` (npm) {ai_version} (the trickling section's TypeScript "
        "reference server, `bench/node`)",
        "* run: `bench/run.py"
        + "".join(f" {a}" for a in report.argv)
        + "`"
        + (" (`--quick`: a short version, not the full `make bench`)" if args.quick else ""),
        f"* total bench time: {report.elapsed_s:.0f} s",
        "",
    ]


def render_main(report: Report) -> tuple[list[str], list[str]]:
    """Sections 1 and 2 (the typical stream, in process and over HTTP), and their targets."""
    w, args, ip = report.workload, report.args, report.inprocess
    med = {k: statistics.median(v) for k, v in ip.us_per_event.items()}
    best = {k: min(v) for k, v in ip.us_per_event.items()}
    hand = med[HANDWRITTEN]
    lines = [
        "## Workload",
        "",
        "The typical stream of protocol.md §1.2, scaled: " + w.describe(),
        "",
        "Written three ways (`bench/workload.py`): ai_stream's `StreamContext` writers, a",
        "hand-written async generator of `json.dumps` frames, and ai-sdk-stream-python's",
        "`StreamContext` writers. Each contender's stream is decoded and compared (ids",
        "normalised) with the hand-written one before timing.",
        "",
        "## In process: produce and drain one stream to bytes",
        "",
        f"Per stream: create the context, `run(work)`, and `await ctx.pump(send)` with a `send` "
        f"that keeps the pieces, as `UIMessageStreamResponse` does (the work task and the reader "
        f"run concurrently, as in a server; the writers may call `send` themselves); the "
        f"generators are joined "
        f"with each `str` frame encoded, as `StreamingResponse` does. {args.rounds} rounds "
        f"(contenders interleaved, order rotated) of {args.streams} streams each "
        f"({args.streams * w.event_count:,} events per contender per round). µs per event = "
        "round time / events.",
        "",
        "| contender | median µs/event | min µs/event | median events/s | "
        "time vs hand-written | bytes/stream |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines.extend(
        f"| {c.label} | {med[c.key]:.3f} | {best[c.key]:.3f} | {1e6 / med[c.key]:,.0f} | "
        f"{med[c.key] / hand:.2f}× | {ip.bytes_per_stream.get(c.key, 0):,} |"
        for c in CONTENDERS
    )
    notes = [f"* {c.label}: {c.note}" for c in CONTENDERS if c.note]
    lines += ["", *notes, ""]
    ai = med["ai_stream"]
    lines += [
        f"ai_stream is {hand / ai:.1f}× faster than the hand-written generator and "
        f"{med['peer'] / ai:.1f}× faster than ai-sdk-stream-python; with `collect=True` it takes "
        f"{med['ai_stream_collect'] / hand:.1f}× the hand-written generator's time. Bytes differ "
        "by id lengths: ai-sdk-stream-python uses uuid4 part ids, the others short ones.",
        "",
    ]
    b = report.breakdown
    if b:
        other = w.event_count - len(w.text) - len(w.step1_text) - len(w.reasoning) - 1
        text_us = (len(w.text) + len(w.step1_text)) * b["write_text"]
        reasoning_us = len(w.reasoning) * b["write_reasoning"]
        rest_us = b["stream_16k"] * w.event_count - text_us - reasoning_us
        lines += [
            "### Where ai_stream's in-process time goes",
            "",
            "Medians of micro-measurements through the public API (same run):",
            "",
            "| building block | cost |",
            "| --- | ---: |",
            f"| `write_text` into an open part (fast path), per call | {b['write_text']:.3f} µs |",
            f"| `write_reasoning` into an open part, per call | {b['write_reasoning']:.3f} µs |",
            "| empty stream: `StreamContext()`, `run`, drain `start`/`finish`/`[DONE]` | "
            f"{b['empty_stream']:.1f} µs |",
            f"| `StreamContext()` alone | {b['construct']:.1f} µs |",
            "| `StreamContext(id_generator=<constant>)` (no `generate_id()` for the message id) | "
            f"{b['construct_fixed_id']:.1f} µs |",
            "| whole workload, default `buffer_size` (16 KiB), per event | "
            f"{b['stream_16k']:.3f} µs |",
            "| whole workload, `buffer_size=1 MiB` (no backpressure waits), per event | "
            f"{b['stream_1m']:.3f} µs |",
            "",
            f"Per stream of {b['stream_16k'] * w.event_count:.0f} µs: "
            f"{len(w.text) + len(w.step1_text)} text deltas × fast path ≈ {text_us:.0f} µs, "
            f"{len(w.reasoning)} reasoning deltas ≈ {reasoning_us:.0f} µs; the remaining "
            f"≈ {rest_us:.0f} µs are the other {other} chunks (lifecycle, `fit`, JSON encoding), "
            "the context, the work task, the reader and its wake-ups; of those, backpressure "
            "waits at 16 KiB cost "
            f"≈ {(b['stream_16k'] - b['stream_1m']) * w.event_count:.0f} µs.",
            "",
        ]
    summary = [
        f"* In process, ai_stream ≤ {TARGET_US_PER_EVENT} µs/event (median): "
        f"{ai:.3f} µs → {verdict(ai <= TARGET_US_PER_EVENT)}. On this machine the hand-written "
        f"generator takes {hand:.2f} µs (issue: ~{ISSUE_HANDWRITTEN_US}) and ai-sdk-stream-python "
        f"{med['peer']:.2f} µs (issue: ~{ISSUE_PEER_US}); the same target as a ratio "
        f"(≤ {TARGET_US_PER_EVENT / ISSUE_HANDWRITTEN_US:.3f}× the hand-written time): "
        f"{ai / hand:.3f}× → {verdict(ai / hand <= TARGET_US_PER_EVENT / ISSUE_HANDWRITTEN_US)}.",
        f"* In process, ai_stream `collect=True` ≤ {TARGET_COLLECT_US_PER_EVENT} µs/event "
        f"(median): {med['ai_stream_collect']:.3f} µs → "
        f"{verdict(med['ai_stream_collect'] <= TARGET_COLLECT_US_PER_EVENT)}.",
    ]
    if report.http is not None:
        http = report.http
        eps = {k: statistics.median(v) for k, v in http.events_per_s.items()}
        top = {k: max(v) for k, v in http.events_per_s.items()}
        rps = {k: statistics.median(v) for k, v in http.requests_per_s.items()}
        scpu = {k: statistics.median(v) for k, v in http.server_cpu_us.items()}
        ccpu = {k: statistics.median(v) for k, v in http.client_cpu_us.items()}
        hand_eps = eps[HANDWRITTEN]
        lines += [
            f"## Over HTTP: {args.concurrency} concurrent clients",
            "",
            "Server: `"
            + " ".join(["python", *report.server_command[1:]]).replace(str(BENCH_DIR), "bench")
            + "` (one worker, asyncio loop, h11, no access log) in a subprocess on the same "
            "machine. Routes (`bench/server.py`): `UIMessageStreamResponse(ctx)`, "
            '`StreamingResponse(gen(), media_type="text/event-stream")`, and the peer\'s '
            "documented `StreamingResponse(ctx.stream(), ...)`. Clients: "
            f"{args.concurrency} `httpx.AsyncClient`s (one keep-alive connection each) in the "
            "bench process, each running one POST stream after another; every body is read "
            f"completely and must end with `data: [DONE]` and hold {w.event_count} events. "
            f"{args.http_rounds} rounds (interleaved, order rotated) of {args.http_requests} "
            "requests per contender. events/s = events delivered / wall time of the round. "
            "Client and server share the 2 cores, so the events/s include the client's cost: "
            "compare the server and client CPU columns to see which side was the bottleneck.",
            "",
            "| contender | median events/s | best events/s | median requests/s | "
            "vs hand-written | server CPU µs/event | client CPU µs/event | body reads/response |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines.extend(
            f"| {c.label} | {eps[c.key]:,.0f} | {top[c.key]:,.0f} | {rps[c.key]:,.1f} | "
            f"{eps[c.key] / hand_eps:.2f}× | {scpu[c.key]:.2f} | {ccpu[c.key]:.2f} | "
            f"{http.body_writes[c.key]:,.0f} |"
            for c in CONTENDERS
            if c.key in eps
        )
        lines += [
            "",
            "Server CPU: user + system time of the uvicorn process (`/proc`, 10 ms ticks) over the "
            "round, per event delivered; client CPU: the bench process's `time.process_time()`. "
            "Body reads: how many pieces the client's `aiter_raw()` received per response; fewer "
            "means the server coalesced frames into fewer body writes (and the client parsed "
            "fewer chunked-encoding pieces).",
            "",
        ]
        factor = eps["ai_stream"] / hand_eps
        summary.append(
            f"* Over HTTP, ai_stream ≥ {TARGET_HTTP_FACTOR:.0f}× the hand-written generator's "
            f"events/s (median): {eps['ai_stream']:,.0f} vs {hand_eps:,.0f} events/s = "
            f"{factor:.2f}× → {verdict(factor >= TARGET_HTTP_FACTOR)} (the issue's reference for "
            f"the hand-written generator: ~{ISSUE_HANDWRITTEN_EPS:,}/s; here {hand_eps:,.0f}/s). "
            f"Informational: server CPU per event {scpu['ai_stream']:.2f} vs "
            f"{scpu[HANDWRITTEN]:.2f} µs ({scpu[HANDWRITTEN] / scpu['ai_stream']:.1f}× less), "
            f"client CPU per event {ccpu['ai_stream']:.2f} vs {ccpu[HANDWRITTEN]:.2f} µs "
            f"({ccpu[HANDWRITTEN] / ccpu['ai_stream']:.1f}× less)."
        )
    else:
        summary.append("* Over HTTP: not run (`--no-http`).")
    return lines, summary


def render(report: Report) -> str:
    args = report.args
    lines = render_header(report)
    summary: list[str] = []
    if report.inprocess.us_per_event:
        section, targets = render_main(report)
        lines += section
        summary += targets
    else:
        summary.append(
            "* The typical stream, in process and over HTTP: not run (`--only-objects`)."
        )
    if report.objects is not None:
        section, targets = object_streams.render(report.objects)
        lines += section
        summary += targets
    else:
        summary.append("* Object streams: not run (`--no-objects`).")
    if report.trickle is not None:
        section, targets = trickle.render(report.trickle)
        lines += section
        summary += targets
    else:
        skipped = "--only-objects" if args.only_objects else "--no-trickle"
        summary.append(f"* Trickling streams: not run (`{skipped}`).")
    if report.curves is not None:
        section, targets = curves.render(report.curves)
        lines += section
        summary += targets
    else:
        summary.append("* Linear cost curves: not run (`--no-curves`).")
    lines += ["## Targets", "", *summary, ""]
    section_times = []
    if report.inprocess.us_per_event:
        section_times.append(f"in process + over HTTP {report.first_sections_s:.0f} s")
    if report.objects is not None:
        section_times.append(f"object streams {report.objects.elapsed_s:.0f} s")
    if report.trickle is not None:
        section_times.append(f"trickling {report.trickle.elapsed_s:.0f} s")
    if report.curves is not None:
        section_times.append(f"curves {report.curves.elapsed_s:.0f} s")
    lines += [f"Time per section: {', '.join(section_times)}.", ""]
    if report.warnings:
        lines += ["## Warnings", "", *[f"* {m}" for m in report.warnings], ""]
    else:
        checks = []
        if report.inprocess.us_per_event:
            checks.append(
                "All contenders produced the same logical chunk sequence (ids normalised)"
                + (" in process and over HTTP" if report.http is not None else " in process")
                + (
                    "; the trickling contenders the same sequence as the plain generator, and "
                    "every trickling stream was complete"
                    if report.trickle is not None
                    else ""
                )
                + "; every body ended with `data: [DONE]`."
            )
        if report.objects is not None:
            checks.append(
                "Object streams: every delta contender sent the model's JSON text byte for byte"
                + (" (in process and over HTTP)" if report.objects.http is not None else "")
                + ", the element contenders the same array, and both object streams ended with "
                "the model's value, validated."
            )
        lines += ["## Checks", "", " ".join(checks), ""]
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------


# Defaults of the full run, and of --quick (an option given explicitly wins over both).
FULL = {
    "rounds": 7,
    "streams": 40,
    "http_rounds": 7,
    "http_requests": 150,
    "trickle_rounds": 5,
    "trickle_streams": 1000,
    "trickle_tokens": 100,
    "curve_rounds": 3,
    "curve_budget": 15.0,
}
QUICK = {
    "rounds": 3,
    "streams": 10,
    "http_rounds": 2,
    "http_requests": 40,
    "trickle_rounds": 1,
    "trickle_streams": 200,
    "trickle_tokens": 50,
    "curve_rounds": 1,
    "curve_budget": 3.0,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)

    def default(key: str) -> str:
        return f"(default {FULL[key]}; --quick: {QUICK[key]})"

    p.add_argument(
        "--quick",
        action="store_true",
        help="a short run of every section (about a minute and a half): fewer rounds, streams "
        "and tokens, a 3 s budget per curve point",
    )
    p.add_argument("--rounds", type=int, help="in-process rounds " + default("rounds"))
    p.add_argument(
        "--streams", type=int, help="streams per contender per round " + default("streams")
    )
    p.add_argument("--http-rounds", type=int, help="HTTP rounds " + default("http_rounds"))
    p.add_argument(
        "--http-requests",
        type=int,
        help="requests per contender/round " + default("http_requests"),
    )
    p.add_argument("--concurrency", type=int, default=10, help="concurrent HTTP clients")
    p.add_argument("--text-deltas", type=int, default=1000, help="text deltas in the last step")
    p.add_argument("--no-http", action="store_true", help="skip the HTTP benchmark")
    p.add_argument(
        "--trickle-rounds", type=int, help="trickling rounds " + default("trickle_rounds")
    )
    p.add_argument(
        "--trickle-streams",
        type=int,
        help="concurrent trickling streams " + default("trickle_streams"),
    )
    p.add_argument(
        "--trickle-tokens",
        type=int,
        help="tokens per trickling stream " + default("trickle_tokens"),
    )
    p.add_argument(
        "--trickle-interval",
        type=float,
        default=0.02,
        help="seconds between two tokens (default 0.02)",
    )
    p.add_argument("--no-trickle", action="store_true", help="skip the trickling streams")
    p.add_argument("--curve-rounds", type=int, help="curve rounds " + default("curve_rounds"))
    p.add_argument(
        "--curve-budget",
        type=float,
        help="seconds one curve point may take before it stops early " + default("curve_budget"),
    )
    p.add_argument("--no-curves", action="store_true", help="skip the linear cost curves")
    p.add_argument("--no-objects", action="store_true", help="skip the object streams (section 5)")
    p.add_argument(
        "--only-objects",
        action="store_true",
        help="run only the object streams (in process, over HTTP unless --no-http) and their "
        "curve (unless --no-curves); writes nothing unless --output is given",
    )
    p.add_argument(
        "--object-deltas",
        type=int,
        default=1000,
        help="JSON text deltas of the object streams' workload (default 1000)",
    )
    p.add_argument(
        "--profile-objects",
        action="store_true",
        help="only cProfile the object stream's in-process loop (write_json); no RESULTS.md",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="only cProfile ai_stream's in-process loop (and with collect=True); no RESULTS.md",
    )
    p.add_argument(
        "--output",
        type=Path,
        help="where to write RESULTS.md (default bench/RESULTS.md; with --only-objects: nowhere)",
    )
    args = p.parse_args(argv)
    if args.output is None and not args.only_objects:
        args.output = RESULTS
    if args.only_objects and args.no_objects:
        p.error("--only-objects and --no-objects exclude each other")
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def raise_nofile_limit() -> None:
    """Raise the soft limit of open files to the hard one; servers and clients inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    w = make_workload(text_deltas=args.text_deltas)
    if args.profile:
        for collect in (False, True):
            print(f"## cProfile: ai_stream, collect={collect}, {args.streams} streams\n")
            print(profile_ai_stream(w, args.streams, collect))
        return 0
    if args.profile_objects:
        ow = object_streams.make_object_workload(args.object_deltas)
        print(f"## cProfile: ObjectStreamContext.write_json, {args.streams} streams\n")
        print(object_streams.profile(ow, args.streams))
        return 0
    raise_nofile_limit()
    started = time.perf_counter()
    report = Report(w, args)
    report.argv = list(sys.argv[1:] if argv is None else argv)
    report.library = library_revision()
    if not args.only_objects:
        print(f"workload: {w.describe()}", flush=True)
        asyncio.run(check_inprocess(w, report))
        print("in process:", flush=True)
        asyncio.run(bench_inprocess(w, report))
        print("ai_stream cost breakdown:", flush=True)
        report.breakdown = asyncio.run(breakdown(w))
        if not args.no_http:
            print("over HTTP:", flush=True)
            run_http(w, report)
        report.first_sections_s = time.perf_counter() - started
    if not args.no_objects:
        print("object streams:", flush=True)
        run_objects(report)
    if not args.no_trickle and not args.only_objects:
        print("trickling streams:", flush=True)
        report.trickle = trickle.run_trickle(args)
        report.warnings += report.trickle.warnings
    if not args.no_curves:
        print("linear cost curves:", flush=True)
        report.curves = curves.run_curves(args, ("object",) if args.only_objects else None)
        report.warnings += report.curves.warnings
    report.elapsed_s = time.perf_counter() - started
    text = render(report)
    print()
    print(text)
    if args.output is not None:
        args.output.write_text(text + "\n")
        print(f"written to {args.output}")
    for message in report.warnings:
        print(f"WARNING: {message}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
