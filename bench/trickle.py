"""Trickling streams: 1000 concurrent answers at a model's pace, over HTTP, per contender.

Every stream answers with one text token every ``interval`` seconds (default 100 tokens x 20 ms
= a 2.0 s answer). Each contender has a server process of its own, so that its CPU time and
memory are its own (``/proc/<pid>/stat`` and ``/proc/<pid>/status``):

* ai_stream, ai_stream with ``collect=True`` (+ a no-op ``on_finish``), the plain Starlette
  generator and ai-sdk-stream-python 0.4.1: ``uvicorn server:app`` (``bench/server.py``, routes
  ``/trickle/...``), one worker, asyncio loop, h11, ``--backlog 2048``;
* the TypeScript reference: ``node bench/node/server.mjs`` (the real ``ai`` package).

The load comes from ``bench/trickle_client.py``, a separate process per round: it opens every
connection at once, reads every body to the end and reports per-stream durations. Rounds are
interleaved (contenders' order rotated each round); medians over rounds are reported.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from workload import compare, decode_sse, normalize, trickle_event_count, trickle_tokens

if TYPE_CHECKING:
    import argparse

BENCH_DIR = Path(__file__).resolve().parent
NODE_DIR = BENCH_DIR / "node"
CLIENT = BENCH_DIR / "trickle_client.py"
BACKLOG = 2048
PLAIN = "plain"

# Acceptance targets of ai_stream vs the plain generator (trickling streams).
TARGET_DURATION_FACTOR = 1.1


@dataclass(frozen=True)
class TrickleContender:
    key: str
    label: str
    server: str  # "python" (uvicorn server:app) or "node" (bench/node/server.mjs)
    path: str
    note: str = ""


CONTENDERS = (
    TrickleContender(
        "ai_stream",
        "ai_stream",
        "python",
        "/trickle/ai_stream",
        "`UIMessageStreamResponse(ctx)` after `await ctx.run(work)`",
    ),
    TrickleContender(
        "ai_stream_collect",
        "ai_stream (`collect=True`)",
        "python",
        "/trickle/ai_stream_collect",
        "the same with `collect=True` and an async `on_finish` that does nothing",
    ),
    TrickleContender(
        PLAIN,
        "plain Starlette generator",
        "python",
        "/trickle/plain",
        '`StreamingResponse` over an async generator yielding `"data: " + json.dumps(...) + '
        '"\\n\\n"` (compact, `ensure_ascii=False`)',
    ),
    TrickleContender(
        "peer",
        "ai-sdk-stream-python 0.4.1",
        "python",
        "/trickle/peer",
        "`await ctx.run(work)` + `StreamingResponse(ctx.stream(), ...)`, as documented",
    ),
    TrickleContender(
        "node",
        "TypeScript `ai` (Node)",
        "node",
        "/trickle",
        "`createUIMessageStream` (a `setTimeout` promise between tokens) + "
        "`pipeUIMessageStreamToResponse` on `node:http`",
    ),
)
BY_KEY = {c.key: c for c in CONTENDERS}


@dataclass
class RoundResult:
    key: str
    round: int
    streams: int
    complete: int
    events: int
    error_count: int
    errors: list[str]
    server_cpu_s: float
    client_cpu_s: float
    rss_mid_kib: int | None
    rss_peak_kib: int | None
    median_s: float | None
    p99_s: float | None
    wall_s: float
    open_s: float | None

    @property
    def cpu_us_per_event(self) -> float | None:
        return self.server_cpu_s / self.events * 1e6 if self.events else None


@dataclass
class TrickleReport:
    streams: int
    tokens: int
    interval: float
    rounds: int
    warmup_streams: int
    events_per_stream: int
    contenders: list[str] = field(default_factory=list)  # keys measured
    commands: dict[str, list[str]] = field(default_factory=dict)
    idle_rss_kib: dict[str, int] = field(default_factory=dict)
    results: list[RoundResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    node_version: str = "not found"
    ai_version: str = "not installed"
    elapsed_s: float = 0.0

    def per(self, key: str) -> list[RoundResult]:
        return [r for r in self.results if r.key == key]


# --- /proc ---------------------------------------------------------------------------------------

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def rss_kib(pid: int) -> int | None:
    """The resident set size of a process in KiB (``VmRSS``), if readable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


# --- servers -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def python_command(port: int) -> list[str]:
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
        "--backlog",
        str(BACKLOG),
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def node_command(port: int, node: str) -> list[str]:
    return [node, str(NODE_DIR / "server.mjs"), "--port", str(port), "--backlog", str(BACKLOG)]


def node_setup() -> tuple[str | None, str, str]:
    """(node executable or None, node version, ai version) - or why the Node server can't run."""
    node = shutil.which("node")
    if node is None:
        return None, "not found", "not installed"
    try:
        version = subprocess.run(
            [node, "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None, "not runnable", "not installed"
    package = NODE_DIR / "node_modules" / "ai" / "package.json"
    try:
        ai = str(json.loads(package.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None, version, "not installed (run `make bench`, which runs `npm ci` in bench/node)"
    return node, version, ai


@dataclass
class Server:
    key: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path


def wait_ready(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"the server exited ({server.proc.returncode}): "
                + server.log.read_text(errors="replace")[-1000:]
            )
        try:
            url = f"http://127.0.0.1:{server.port}/health"
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not start within {timeout:.0f} s")


def stop(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()


# --- one batch of streams ------------------------------------------------------------------------


@dataclass
class Batch:
    result: dict[str, Any]
    open_s: float | None
    rss_mid_kib: int | None  # the sample nearest to the middle of the streams
    rss_peak_kib: int | None  # the largest sample while the streams were open
    mid_sampled: bool  # a sample was taken while the streams were open


SAMPLE_EVERY = 0.05  # seconds between two RSS samples of the server while the streams are open


async def run_client(
    server: Server,
    path: str,
    streams: int,
    expect_events: int,
    *,
    client_timeout: float,
    body_out: Path | None = None,
) -> Batch:
    """One client process: ``streams`` concurrent POSTs; the server's RSS sampled meanwhile.

    From the moment every stream is open (the client's ``OPEN`` line) until the client ends,
    the server's VmRSS is read every 50 ms; the reported mid-stream value is the sample nearest
    to the middle of the median stream (requests written at ``open_s / 2`` on average).
    """
    cmd = [
        sys.executable,
        str(CLIENT),
        "--port",
        str(server.port),
        "--path",
        path,
        "--streams",
        str(streams),
        "--expect-events",
        str(expect_events),
        "--timeout",
        str(client_timeout),
    ]
    if body_out is not None:
        cmd += ["--body-out", str(body_out)]
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    open_s: float | None = None
    client_start = 0.0
    result: dict[str, Any] | None = None
    samples: list[tuple[float, int]] = []
    streaming = True

    async def sample() -> None:
        while streaming:
            rss = rss_kib(server.proc.pid)
            if rss is not None:
                samples.append((time.perf_counter(), rss))
            await asyncio.sleep(SAMPLE_EVERY)

    sampler: asyncio.Task[None] | None = None
    stderr_task = asyncio.ensure_future(proc.stderr.read())
    while True:
        line = await proc.stdout.readline()
        if not line:
            break
        if line.startswith(b"OPEN "):
            open_s = float(line.split()[1])
            client_start = time.perf_counter() - open_s
            sampler = asyncio.ensure_future(sample())
        elif line.startswith(b"RESULT "):
            streaming = False
            result = json.loads(line[7:])
    streaming = False
    if sampler is not None:
        await sampler
    await proc.wait()
    stderr = (await stderr_task).decode(errors="replace").strip()
    if result is None:
        raise RuntimeError(f"the load generator failed ({proc.returncode}): {stderr[-1000:]}")
    durations: list[float] = result["durations"]
    rss_mid = rss_peak = None
    if samples and durations and open_s is not None:
        middle = client_start + open_s / 2 + statistics.median(durations) / 2
        rss_mid = min(samples, key=lambda s: abs(s[0] - middle))[1]
        rss_peak = max(rss for _, rss in samples)
    return Batch(result, open_s, rss_mid, rss_peak, bool(samples))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- the benchmark -------------------------------------------------------------------------------


async def _bench(
    report: TrickleReport, servers: dict[str, Server], tokens: list[str], workdir: Path
) -> None:
    expect = report.events_per_stream
    ideal = report.tokens * report.interval
    timeout = max(120.0, ideal * 30)
    keys = [k for k in report.contenders if k in servers]
    # Warm-up (a few streams per server) and the check of what went over the wire.
    bodies: dict[str, bytes] = {}
    for key in keys:
        body_file = workdir / f"{key}.body"
        batch = await run_client(
            servers[key],
            BY_KEY[key].path,
            report.warmup_streams,
            expect,
            client_timeout=timeout,
            body_out=body_file,
        )
        r = batch.result
        if r["complete"] != r["streams"]:
            report.warnings.append(
                f"trickle warm-up, {BY_KEY[key].label}: {r['complete']} of {r['streams']} "
                f"streams complete ({r['error_count']} errors, e.g. {r['errors'][:2]}; "
                f"events per body seen: {r['frames_seen']})"
            )
        if body_file.exists():
            bodies[key] = body_file.read_bytes()
        print(f"  trickle warm-up {key}: {r['complete']}/{r['streams']} complete", flush=True)
    if PLAIN in bodies:
        reference = normalize(decode_sse(bodies[PLAIN]))
        for key, body in bodies.items():
            try:
                problems = compare(reference, normalize(decode_sse(body)))
            except ValueError as exc:
                problems = [f"undecodable SSE ({exc})"]
            report.warnings.extend(
                f"trickle, {BY_KEY[key].label}: differs from the plain generator: {p}"
                for p in problems
            )
    await asyncio.sleep(1.0)
    for key in keys:
        rss = rss_kib(servers[key].proc.pid)
        if rss is not None:
            report.idle_rss_kib[key] = rss
    for rnd in range(report.rounds):
        shift = rnd % len(keys)
        for key in keys[shift:] + keys[:shift]:
            server = servers[key]
            cpu_before = cpu_seconds(server.proc.pid)
            batch = await run_client(
                server,
                BY_KEY[key].path,
                report.streams,
                expect,
                client_timeout=timeout,
            )
            await asyncio.sleep(0.3)  # let the server close the connections
            cpu = cpu_seconds(server.proc.pid) - cpu_before
            r = batch.result
            durations: list[float] = r["durations"]
            result = RoundResult(
                key=key,
                round=rnd + 1,
                streams=r["streams"],
                complete=r["complete"],
                events=r["events"],
                error_count=r["error_count"],
                errors=r["errors"],
                server_cpu_s=cpu,
                client_cpu_s=r["cpu_s"],
                rss_mid_kib=batch.rss_mid_kib,
                rss_peak_kib=batch.rss_peak_kib,
                median_s=statistics.median(durations) if durations else None,
                p99_s=percentile(durations, 0.99) if durations else None,
                wall_s=r["wall_s"],
                open_s=batch.open_s,
            )
            report.results.append(result)
            if result.complete != result.streams:
                report.warnings.append(
                    f"trickle round {rnd + 1}, {BY_KEY[key].label}: {result.complete} of "
                    f"{result.streams} streams complete ({result.error_count} errors, e.g. "
                    f"{result.errors[:2]}; events per body seen: {r['frames_seen']})"
                )
            if not batch.mid_sampled:
                report.warnings.append(
                    f"trickle round {rnd + 1}, {BY_KEY[key].label}: no mid-stream RSS sample "
                    "(the streams did not all open, or ended before the middle)"
                )
            cpu_us = result.cpu_us_per_event
            print(
                f"  trickle round {rnd + 1}/{report.rounds} {key}: "
                f"{result.complete}/{result.streams} complete, median "
                f"{(result.median_s or 0):.2f} s, p99 {(result.p99_s or 0):.2f} s, server CPU "
                f"{'n/a' if cpu_us is None else f'{cpu_us:.1f}'} µs/event, RSS mid-stream "
                f"{(batch.rss_mid_kib or 0) / 1024:.0f} MiB",
                flush=True,
            )


def run_trickle(args: argparse.Namespace) -> TrickleReport:
    started = time.perf_counter()
    tokens = trickle_tokens(args.trickle_tokens)
    report = TrickleReport(
        streams=args.trickle_streams,
        tokens=len(tokens),
        interval=args.trickle_interval,
        rounds=args.trickle_rounds,
        warmup_streams=min(50, args.trickle_streams),
        events_per_stream=trickle_event_count(tokens),
    )
    node, report.node_version, report.ai_version = node_setup()
    with tempfile.TemporaryDirectory(prefix="ai-stream-trickle-") as tmp:
        workdir = Path(tmp)
        token_file = workdir / "tokens.json"
        token_file.write_text(json.dumps(tokens, ensure_ascii=False), encoding="utf-8")
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "BENCH_TRICKLE_TOKENS": str(token_file),
            "BENCH_TRICKLE_INTERVAL": repr(args.trickle_interval),
        }
        servers: dict[str, Server] = {}
        try:
            for c in CONTENDERS:
                if c.server == "node" and node is None:
                    report.skipped[c.key] = (
                        f"node {report.node_version}, ai {report.ai_version}: not measured"
                    )
                    report.warnings.append(f"trickle, {c.label}: {report.skipped[c.key]}")
                    continue
                port = free_port()
                if c.server == "node":
                    assert node is not None
                    cmd = node_command(port, node)
                else:
                    cmd = python_command(port)
                report.commands[c.key] = cmd
                log = workdir / f"{c.key}.log"
                with log.open("wb") as log_file:
                    proc = subprocess.Popen(
                        cmd, stdout=log_file, stderr=subprocess.STDOUT, env=env, cwd=BENCH_DIR
                    )
                servers[c.key] = Server(c.key, proc, port, log)
            for key, server in list(servers.items()):
                try:
                    wait_ready(server)
                except RuntimeError as exc:
                    report.skipped[key] = str(exc)
                    report.warnings.append(f"trickle, {BY_KEY[key].label}: {exc}")
                    stop(server)
                    del servers[key]
            report.contenders = [c.key for c in CONTENDERS if c.key in servers]
            asyncio.run(_bench(report, servers, tokens, workdir))
        finally:
            for server in servers.values():
                stop(server)
            for server in servers.values():
                text = server.log.read_text(errors="replace").strip()
                if text:
                    report.warnings.append(
                        f"trickle, {BY_KEY[server.key].label}: server log: {text[-500:]}"
                    )
    report.elapsed_s = time.perf_counter() - started
    return report


# --- report --------------------------------------------------------------------------------------


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _ratio(value: float | None, reference: float | None) -> str:
    if value is None or reference is None or reference == 0:
        return "n/a"
    return f"{value / reference:.2f}×"


def verdict(ok: bool | None) -> str:
    if ok is None:
        return "**FAIL** (not measured)"
    return "**PASS**" if ok else "**FAIL**"


@dataclass
class Summary:
    cpu_us: float | None
    mem_kib: float | None
    median_s: float | None
    p99_s: float | None
    client_us: float | None
    complete: int
    streams: int
    events: int


def summarize(report: TrickleReport, key: str) -> Summary:
    rows = report.per(key)
    idle = report.idle_rss_kib.get(key)
    mem = [
        None if r.rss_mid_kib is None or idle is None else (r.rss_mid_kib - idle) / report.streams
        for r in rows
    ]
    return Summary(
        cpu_us=_median([r.cpu_us_per_event for r in rows]),
        mem_kib=_median(mem),
        median_s=_median([r.median_s for r in rows]),
        p99_s=_median([r.p99_s for r in rows]),
        client_us=_median([r.client_cpu_s / r.events * 1e6 if r.events else None for r in rows]),
        complete=sum(r.complete for r in rows),
        streams=sum(r.streams for r in rows),
        events=sum(r.events for r in rows),
    )


def render(report: TrickleReport) -> tuple[list[str], list[str]]:
    """The RESULTS.md section and its target lines."""
    ideal = report.tokens * report.interval
    py_cmd = next((v for k, v in report.commands.items() if BY_KEY[k].server == "python"), None)
    node_cmd = report.commands.get("node")
    lines = [
        f"## Trickling streams: {report.streams:,} concurrent answers at a model's pace (HTTP)",
        "",
        f"Every stream answers with {report.tokens} text tokens, one every "
        f"{report.interval * 1000:.0f} ms (`await asyncio.sleep({report.interval})` before each "
        "write in Python, a `setTimeout` promise in Node): an ideal duration of "
        f"{ideal:.2f} s and {report.events_per_stream} SSE events per stream (start, start-step, "
        f"text-start, {report.tokens} text-delta, text-end, finish-step, finish, [DONE]). "
        "Each contender runs in a server process of its own (same app, one route each), so its "
        "CPU and memory are its own:",
        "",
    ]
    if py_cmd is not None:
        lines.append(
            "* Python: `"
            + " ".join(["python", *py_cmd[1:]]).replace(str(BENCH_DIR), "bench")
            + "` (routes `/trickle/...` of `bench/server.py`);"
        )
    if node_cmd is not None:
        lines.append(
            "* Node: `"
            + " ".join(["node", *node_cmd[1:]]).replace(str(BENCH_DIR), "bench")
            + f"` (node {report.node_version}, ai {report.ai_version});"
        )
    lines += [
        f"* load: `bench/trickle_client.py`, a separate process per round: {report.streams:,} "
        "connections opened at once, one minimal HTTP/1.1 POST each, every body read to the "
        "end (an `epoll` loop that only buffers; de-chunked and checked afterwards: status 200, "
        f"ends with `data: [DONE]`, {report.events_per_stream} events).",
        "",
        f"{report.rounds} rounds, contenders interleaved and their order rotated; medians over "
        f"rounds. Warm-up: {report.warmup_streams} streams per server, then the idle RSS. "
        "Server CPU: user + system time of the server process (`/proc/<pid>/stat`, 10 ms ticks) "
        "over the round ÷ events delivered. Memory per open stream: (VmRSS in the middle of the "
        "streams − idle VmRSS after the warm-up) ÷ streams; VmRSS (`/proc/<pid>/status`) is read "
        "every 50 ms while the streams are open and the sample nearest to the middle of the "
        "median stream is used (the per-round table also shows the peak). Duration: request "
        "written → last byte, per stream (median and p99 over the streams of a round). Client "
        "and servers share the 2 cores.",
        "",
        "| contender | server CPU µs/event | vs plain | memory KiB/open stream | vs plain | "
        "duration median s | vs plain | duration p99 s | vs plain | complete streams | "
        "events delivered | client CPU µs/event |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    summaries = {k: summarize(report, k) for k in report.contenders}
    plain = summaries.get(PLAIN)
    for key in report.contenders:
        s = summaries[key]
        lines.append(
            f"| {BY_KEY[key].label} | {_fmt(s.cpu_us, '.1f')} | "
            f"{_ratio(s.cpu_us, plain.cpu_us if plain else None)} | {_fmt(s.mem_kib, '.1f')} | "
            f"{_ratio(s.mem_kib, plain.mem_kib if plain else None)} | "
            f"{_fmt(s.median_s, '.2f')} | {_ratio(s.median_s, plain.median_s if plain else None)} "
            f"| {_fmt(s.p99_s, '.2f')} | {_ratio(s.p99_s, plain.p99_s if plain else None)} | "
            f"{s.complete:,}/{s.streams:,} | {s.events:,} | {_fmt(s.client_us, '.1f')} |"
        )
    for key, reason in report.skipped.items():
        lines.append(f"| {BY_KEY[key].label} | not measured: {reason} |" + " |" * 10)
    lines += ["", *[f"* {BY_KEY[k].label}: {BY_KEY[k].note}" for k in report.contenders], ""]
    offered = report.streams / report.interval
    capacity = [
        f"{BY_KEY[k].label} {1e6 / c:,.0f}/s"
        for k in report.contenders
        if (c := summaries[k].cpu_us) is not None and c > 0
    ]
    lines += [
        f"Offered load: {report.streams:,} streams × one token per {report.interval * 1000:.0f} "
        f"ms = {offered:,.0f} events/s. A server process runs on one core, which at the measured "
        "CPU cost per event can serve at most (1 / CPU per event): "
        + ", ".join(capacity)
        + ". A server below the offered load is saturated: its streams stretch beyond the "
        "ideal duration by about the ratio of the two, so the durations compare throughput "
        "under saturation rather than latency.",
        "",
    ]
    lines += [
        "Per round (in the order run):",
        "",
        "| round | contender | server CPU s | events | µs/event | idle RSS MiB | "
        "RSS mid-stream MiB | RSS peak MiB | all open after s | duration median s | p99 s | "
        "round wall s | client CPU s |",
        "| ---: | --- " + "| ---: " * 11 + "|",
    ]
    for r in report.results:
        idle = report.idle_rss_kib.get(r.key)
        lines.append(
            f"| {r.round} | {BY_KEY[r.key].label} | {r.server_cpu_s:.2f} | {r.events:,} | "
            f"{_fmt(r.cpu_us_per_event, '.1f')} | "
            f"{_fmt(None if idle is None else idle / 1024, '.1f')} | "
            f"{_fmt(None if r.rss_mid_kib is None else r.rss_mid_kib / 1024, '.1f')} | "
            f"{_fmt(None if r.rss_peak_kib is None else r.rss_peak_kib / 1024, '.1f')} | "
            f"{_fmt(r.open_s, '.2f')} | {_fmt(r.median_s, '.2f')} | {_fmt(r.p99_s, '.2f')} | "
            f"{r.wall_s:.2f} | {r.client_cpu_s:.2f} |"
        )
    lines.append("")
    targets: list[str] = []
    for key in ("ai_stream", "ai_stream_collect"):
        label = "ai_stream" if key == "ai_stream" else "ai_stream `collect=True` (informational)"
        s = summaries.get(key)
        if s is None or plain is None:
            targets.append(f"* Trickling, {label}: not measured → {verdict(None)}")
            continue
        cpu_ok = None if s.cpu_us is None or plain.cpu_us is None else s.cpu_us <= plain.cpu_us
        mem_ok = None if s.mem_kib is None or plain.mem_kib is None else s.mem_kib <= plain.mem_kib
        dur_ok = (
            None
            if s.median_s is None or plain.median_s is None
            else s.median_s <= TARGET_DURATION_FACTOR * plain.median_s
        )
        complete = s.complete == s.streams
        targets += [
            f"* Trickling, {label}: server CPU per event ≤ the plain generator's: "
            f"{_fmt(s.cpu_us, '.1f')} vs {_fmt(plain.cpu_us, '.1f')} µs "
            f"({_ratio(s.cpu_us, plain.cpu_us)}) → {verdict(cpu_ok)}",
            f"* Trickling, {label}: memory per open stream ≤ the plain generator's: "
            f"{_fmt(s.mem_kib, '.1f')} vs {_fmt(plain.mem_kib, '.1f')} KiB "
            f"({_ratio(s.mem_kib, plain.mem_kib)}) → {verdict(mem_ok)}",
            f"* Trickling, {label}: stream duration (median) ≤ {TARGET_DURATION_FACTOR}× the "
            f"plain generator's: {_fmt(s.median_s, '.2f')} vs {_fmt(plain.median_s, '.2f')} s "
            f"({_ratio(s.median_s, plain.median_s)}; ideal {ideal:.2f} s) → {verdict(dur_ok)}",
            f"* Trickling, {label}: every stream complete: {s.complete:,}/{s.streams:,} "
            f"→ {verdict(complete)}",
        ]
    return lines, targets
