"""Object streams (``experimental_useObject``): ``ObjectStreamContext`` vs a plain text stream.

A model's structured output (a trip itinerary, :class:`Itinerary`) streamed as JSON text in
3-8 character deltas, the way a model streams tokens. Contenders, each producing the same body:

* ``ObjectStreamContext(Itinerary)`` fed by ``write_json(delta)``; ``run`` closes the text and
  validates the whole value against the model when the work returns (included in the time);
* ``StreamContext(stream_protocol="text")`` fed by ``write_text(delta)`` (no validation);
* a hand-written async generator yielding each delta encoded as UTF-8 (the baseline a user
  would write, served as ``StreamingResponse(gen(), media_type="text/plain")``);
* per element: ``ObjectStreamContext(list[Stop], output="array")`` fed by ``write_element``
  (each element validated before it is sent), and, informational, a hand-written generator of
  ``"[" + Stop.model_dump_json() + "," ... "]"`` (no validation).

In process (µs per delta / per element, interleaved rounds) and over HTTP (uvicorn,
``bench/server.py`` routes ``/object/...``; deltas per second). The linear cost curve of
``write_json`` (1k / 10k / 100k deltas) is in ``curves.py``. ``obj.partial`` is never read in
the timed loops (it parses the whole text when read); the check reads it once per contender.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import gc
import io
import json
import pstats
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import httpx
from pydantic import BaseModel, TypeAdapter
from pydantic_core import to_json

from ai_stream import ObjectResult, ObjectStreamContext, StreamContext
from ai_stream.protocol.partial_json import parse_partial_json
from ai_stream.testing import collect_stream

if TYPE_CHECKING:
    import argparse
    from collections.abc import AsyncIterator, Awaitable, Callable

# The goal: the object stream costs at most this many times the text stream per delta.
TARGET_TEXT_FACTOR = 2.0
MEAN_DELTA = 5.5  # mean of 3..8 characters


# --- the model and its output --------------------------------------------------------------------


class Stop(BaseModel):
    day: int
    city: str
    country: str
    place: str
    arrival: str
    duration_minutes: int
    transport: Literal["train", "bus", "walk", "ferry", "flight"]
    cost_eur: float
    activities: list[str]
    notes: str = ""


class Itinerary(BaseModel):
    title: str
    summary: str
    travelers: int
    currency: str
    stops: list[Stop]


_CITIES = (
    ("Zürich", "Switzerland"), ("Kraków", "Poland"), ("München", "Germany"), ("Málaga", "Spain"),
    ("Köln", "Germany"), ("Reykjavík", "Iceland"), ("東京", "Japan"), ("京都", "Japan"),
    ("Lyon", "France"), ("Porto", "Portugal"), ("İstanbul", "Türkiye"), ("Bergen", "Norway"),
    ("Ljubljana", "Slovenia"), ("Tallinn", "Estonia"), ("Sevilla", "Spain"), ("Firenze", "Italy"),
)  # fmt: skip
_PLACES = (
    "Altstadt", "Musée des Confluences", "Café Central", "Sagrada Família", "Old Harbour",
    "Nishiki Market", "Castle Hill", "Botanical Garden", "Central Station", "Cathedral Square",
    "Night Market", "Hallgrímskirkja", "Riverside Promenade", "Fish Market", "Opera House",
)  # fmt: skip
_ACTIVITIES = (
    "walk the old town", "coffee at a local café", "visit the museum", "lunch by the river",
    'see the "golden hour" view', "take the funicular", "try the street food",
    "boat tour", "browse the market", "sunset from the hill", "crème brûlée tasting",
    "ramen at 拉麺屋", "cycle along the coast", "free walking tour",
)  # fmt: skip
_NOTES = (
    "", "", "Book ahead.", "Closed on Mondays.\nBring cash.", 'Ask for the "menu del día".',
    "Tickets: ~25 € per person.", "Rain likely 🌧, pack a jacket.", "Quiet before 9:00.",
)  # fmt: skip
_TRANSPORT: tuple[Literal["train", "bus", "walk", "ferry", "flight"], ...] = (
    "train", "bus", "walk", "ferry", "flight",
)  # fmt: skip


def _stop(rng: random.Random, day: int) -> Stop:
    city, country = rng.choice(_CITIES)
    return Stop(
        day=day,
        city=city,
        country=country,
        place=rng.choice(_PLACES),
        arrival=f"{rng.randint(7, 20):02d}:{rng.choice((0, 15, 30, 45)):02d}",
        duration_minutes=rng.choice((45, 60, 90, 120, 180, 240)),
        transport=rng.choice(_TRANSPORT),
        cost_eur=round(rng.uniform(0, 150), 2),
        activities=rng.sample(_ACTIVITIES, rng.randint(1, 3)),
        notes=rng.choice(_NOTES),
    )


def _split(text: str, count: int, rng: random.Random) -> list[str]:
    """``text`` cut into exactly ``count`` pieces of 3-8 characters, randomly."""
    if not 3 * count <= len(text) <= 8 * count:
        raise ValueError(f"{len(text)} characters cannot make {count} deltas of 3-8")
    sizes = [rng.randint(3, 8) for _ in range(count)]
    excess = sum(sizes) - len(text)
    while excess:
        i = rng.randrange(count)
        if excess > 0 and sizes[i] > 3:
            sizes[i] -= 1
            excess -= 1
        elif excess < 0 and sizes[i] < 8:
            sizes[i] += 1
            excess += 1
    out: list[str] = []
    pos = 0
    for size in sizes:
        out.append(text[pos : pos + size])
        pos += size
    return out


@dataclass(frozen=True)
class ObjectWorkload:
    """One model answer: the value, its JSON text and the deltas it streams in."""

    itinerary: Itinerary
    text: str
    deltas: list[str]
    body: bytes  # what every delta contender sends: the text, UTF-8
    element_body: bytes  # what the element contenders send: "[" + stops + "]"

    @property
    def stops(self) -> list[Stop]:
        return self.itinerary.stops

    def describe(self) -> str:
        sizes = [len(d) for d in self.deltas]
        return (
            f"an `Itinerary` (title, summary, travelers, currency, {len(self.stops)} `Stop`s of "
            "day, city, country, place, arrival, duration, transport, cost, 1-3 activities, "
            f"notes) as compact JSON: {len(self.text):,} characters ({len(self.body):,} bytes "
            f"UTF-8, {sum(1 for d in self.deltas if not d.isascii())} of {len(self.deltas):,} "
            "deltas non-ASCII, with escaped quotes and newlines), streamed in "
            f"{len(self.deltas):,} deltas of {min(sizes)}-{max(sizes)} characters (mean "
            f"{sum(sizes) / len(sizes):.1f}) cut at random places (inside strings, escapes, "
            "keys, numbers), as a model streams tokens"
        )


def _itinerary(stops: list[Stop]) -> Itinerary:
    return Itinerary(
        title="Lakes, old towns and cafés by train",
        summary="A slow trip by train — museums, markets and “golden hour” views; "
        'budget ~1 200 € for two.\nSee "notes" per stop.',
        travelers=2,
        currency="EUR",
        stops=stops,
    )


def make_object_workload(deltas: int = 1000, seed: int = 3) -> ObjectWorkload:
    """An itinerary whose compact JSON streams in exactly ``deltas`` deltas of 3-8 characters."""
    rng = random.Random(seed)
    stops: list[Stop] = []
    size = len(_itinerary(stops).model_dump_json())
    target = int(deltas * MEAN_DELTA)
    while size < target:
        stop = _stop(rng, len(stops) // 3 + 1)
        size += len(stop.model_dump_json()) + (1 if stops else 0)
        stops.append(stop)
    itinerary = _itinerary(stops)
    text = itinerary.model_dump_json()
    # Past the target by less than one stop: cut it into exactly `deltas` pieces of 3-8.
    pieces = _split(text, deltas, rng)
    element_body = ("[" + ",".join(s.model_dump_json() for s in stops) + "]").encode()
    return ObjectWorkload(itinerary, text, pieces, text.encode(), element_body)


# --- the contenders ------------------------------------------------------------------------------


async def object_json_work(obj: ObjectStreamContext[Itinerary], deltas: list[str]) -> None:
    for delta in deltas:
        await obj.write_json(delta)


async def text_work(ctx: StreamContext[Any], deltas: list[str]) -> None:
    for delta in deltas:
        await ctx.write_text(delta)


async def element_work(obj: ObjectStreamContext[list[Stop]], stops: list[Stop]) -> None:
    for stop in stops:
        await obj.write_element(stop)


async def handwritten_deltas(deltas: list[str]) -> AsyncIterator[bytes]:
    """The baseline a user writes: yield each delta, UTF-8."""
    for delta in deltas:
        yield delta.encode()


async def handwritten_elements(stops: list[Stop]) -> AsyncIterator[bytes]:
    """A JSON array element by element: pydantic's JSON of each stop, no validation."""
    first = True
    for stop in stops:
        yield ("[" if first else ",").encode() + stop.model_dump_json().encode()
        first = False
    yield b"[]" if first else b"]"


def new_object_stream(**kwargs: Any) -> ObjectStreamContext[Itinerary]:
    return ObjectStreamContext(Itinerary, **kwargs)


async def run_object_json(w: ObjectWorkload) -> bytes:
    obj = new_object_stream()
    await obj.run(object_json_work, w.deltas)
    return await collect_stream(obj.context)


async def _ignore(result: ObjectResult[Any]) -> None:
    return None


async def run_object_json_on_finish(w: ObjectWorkload) -> bytes:
    obj = new_object_stream(on_finish=_ignore)
    await obj.run(object_json_work, w.deltas)
    return await collect_stream(obj.context)


async def run_text(w: ObjectWorkload) -> bytes:
    ctx: StreamContext[Any] = StreamContext(stream_protocol="text")
    await ctx.run(text_work, w.deltas)
    return await collect_stream(ctx)


async def run_handwritten(w: ObjectWorkload) -> bytes:
    return b"".join([piece async for piece in handwritten_deltas(w.deltas)])


async def run_object_element(w: ObjectWorkload) -> bytes:
    obj: ObjectStreamContext[list[Stop]] = ObjectStreamContext(list[Stop], output="array")
    await obj.run(element_work, w.stops)
    return await collect_stream(obj.context)


async def run_handwritten_element(w: ObjectWorkload) -> bytes:
    return b"".join([piece async for piece in handwritten_elements(w.stops)])


@dataclass(frozen=True)
class ObjContender:
    key: str
    label: str
    unit: Literal["delta", "element"]
    run: Callable[[ObjectWorkload], Awaitable[bytes]]
    route: str | None = None  # HTTP route (bench/server.py), if measured over HTTP
    note: str = ""


OBJECT = "object_json"
OBJECT_ON_FINISH = "object_json_on_finish"
TEXT = "text"
HANDWRITTEN = "handwritten"
ELEMENT = "object_element"
HANDWRITTEN_ELEMENT = "handwritten_element"

CONTENDERS = (
    ObjContender(
        OBJECT,
        "`ObjectStreamContext(Itinerary)`, `write_json`",
        "delta",
        run_object_json,
        "/object/ai_stream",
        "`obj.run(work)` (close + validation of the whole value included), drained with "
        "`collect_stream(obj.context)`; served as `UIMessageStreamResponse(obj)`",
    ),
    ObjContender(
        OBJECT_ON_FINISH,
        "the same with `on_finish=`",
        "delta",
        run_object_json_on_finish,
        note="informational: an `on_finish` (that does nothing), as an app that saves the "
        "object has; the text stream then keeps its record (`StreamRecord`, a reducer step per "
        "delta)",
    ),
    ObjContender(
        TEXT,
        '`StreamContext(stream_protocol="text")`, `write_text`',
        "delta",
        run_text,
        "/object/text",
        "no validation; served as `UIMessageStreamResponse(ctx)`",
    ),
    ObjContender(
        HANDWRITTEN,
        "hand-written generator of UTF-8 deltas",
        "delta",
        run_handwritten,
        "/object/handwritten",
        "`async def gen(): for d in deltas: yield d.encode()`; served as `StreamingResponse(gen(), "
        'media_type="text/plain")`',
    ),
    ObjContender(
        ELEMENT,
        '`ObjectStreamContext(list[Stop], output="array")`, `write_element`',
        "element",
        run_object_element,
        note="one `write_element(stop)` per `Stop` instance (validated, then sent); close + "
        "validation of the whole list included",
    ),
    ObjContender(
        HANDWRITTEN_ELEMENT,
        "hand-written generator, `Stop.model_dump_json()` per element",
        "element",
        run_handwritten_element,
        note='informational: `"["`/`","` + `stop.model_dump_json()` per element, `"]"`; no '
        "validation",
    ),
)
BY_KEY = {c.key: c for c in CONTENDERS}


# --- results -------------------------------------------------------------------------------------


@dataclass
class ObjHttp:
    command: list[str] = field(default_factory=list)
    deltas_per_s: dict[str, list[float]] = field(default_factory=dict)
    server_cpu_us: dict[str, list[float]] = field(default_factory=dict)  # per delta
    client_cpu_us: dict[str, list[float]] = field(default_factory=dict)  # per delta
    reads: dict[str, list[float]] = field(default_factory=dict)  # body pieces per response


@dataclass
class ObjectsReport:
    workload: ObjectWorkload
    rounds: int
    streams: int
    us: dict[str, list[float]] = field(default_factory=dict)  # per delta or per element
    bytes_per_stream: dict[str, int] = field(default_factory=dict)
    breakdown: dict[str, float] = field(default_factory=dict)
    http: ObjHttp | None = None
    http_rounds: int = 0
    http_requests: int = 0
    concurrency: int = 0
    warnings: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    def units(self, c: ObjContender) -> int:
        return len(self.workload.deltas) if c.unit == "delta" else len(self.workload.stops)


# --- in process ----------------------------------------------------------------------------------


async def check(report: ObjectsReport) -> None:
    """Every contender sends the expected bytes; the object streams end with a valid value."""
    w = report.workload
    for c in CONTENDERS:
        body = await c.run(w)
        report.bytes_per_stream[c.key] = len(body)
        expected = w.body if c.unit == "delta" else w.element_body
        if json.loads(body) != json.loads(expected):
            report.warnings.append(f"object streams: {c.label} sent another value")
        elif c.unit == "delta" and body != expected:
            report.warnings.append(f"object streams: {c.label} sent other bytes")
    # The final value, and what the client shows at the end (one read of `partial`).
    obj = new_object_stream()
    await obj.run(object_json_work, w.deltas)
    await collect_stream(obj.context)
    if obj.result != w.itinerary or obj.partial != json.loads(w.text):
        report.warnings.append("object streams: the final value differs from the model's")
    arr: ObjectStreamContext[list[Stop]] = ObjectStreamContext(list[Stop], output="array")
    await arr.run(element_work, w.stops)
    await collect_stream(arr.context)
    if arr.result != w.stops:
        report.warnings.append("object streams: the array's final value differs from the stops")


async def _time(c: ObjContender, w: ObjectWorkload, n: int) -> tuple[float, bytes]:
    body = b""
    start = time.perf_counter()
    for _ in range(n):
        body = await c.run(w)
    return time.perf_counter() - start, body


async def bench_inprocess(report: ObjectsReport) -> None:
    w, rounds, streams = report.workload, report.rounds, report.streams
    for c in CONTENDERS:  # warm-up
        await _time(c, w, max(2, streams // 5))
    results: dict[str, list[float]] = {c.key: [] for c in CONTENDERS}
    for r in range(rounds):
        order = CONTENDERS[r % len(CONTENDERS) :] + CONTENDERS[: r % len(CONTENDERS)]
        for c in order:
            gc.collect()
            elapsed, body = await _time(c, w, streams)
            results[c.key].append(elapsed / (streams * report.units(c)) * 1e6)
            if len(body) != report.bytes_per_stream[c.key]:
                report.warnings.append(f"object streams: {c.label}: a timed body differed")
        print(
            f"  object streams round {r + 1}/{rounds}: "
            + ", ".join(f"{k} {v[-1]:.3f}" for k, v in results.items())
            + " µs/unit",
            flush=True,
        )
    report.us = results


async def breakdown(w: ObjectWorkload, reps: int = 7) -> dict[str, float]:
    """Medians (µs) of the object stream's building blocks, through the public API."""
    big = 1 << 30  # no backpressure: only the writer's own cost

    async def write_text_calls() -> float:
        ctx: StreamContext[Any] = StreamContext(stream_protocol="text", buffer_size=big)
        await ctx.write_text("x")  # open the part (slow path once)
        start = time.perf_counter()
        for delta in w.deltas:
            await ctx.write_text(delta)
        return (time.perf_counter() - start) / len(w.deltas)

    async def write_json_calls() -> float:
        obj = new_object_stream(buffer_size=big)
        await obj.write_json(" ")  # open the part (slow path once)
        start = time.perf_counter()
        for delta in w.deltas:
            await obj.write_json(delta)
        return (time.perf_counter() - start) / len(w.deltas)

    async def data_write_text_calls() -> float:
        ctx: StreamContext[Any] = StreamContext(buffer_size=big)  # the SSE data protocol
        await ctx.write_text("x")
        start = time.perf_counter()
        for delta in w.deltas:
            await ctx.write_text(delta)
        return (time.perf_counter() - start) / len(w.deltas)

    async def close_whole() -> float:
        n, elapsed = 10, 0.0
        for _ in range(n):
            obj = new_object_stream(buffer_size=big)
            for delta in w.deltas:
                await obj.write_json(delta)
            start = time.perf_counter()
            await obj.close()  # parse the whole text, validate it against the model
            elapsed += time.perf_counter() - start
        return elapsed / n

    value = parse_partial_json(w.text).value
    adapter = TypeAdapter(Itinerary)

    async def repeat(f: Callable[[], object], n: int = 20) -> float:
        start = time.perf_counter()
        for _ in range(n):
            f()
        return (time.perf_counter() - start) / n

    async def write_element_calls() -> float:
        obj: ObjectStreamContext[list[Stop]] = ObjectStreamContext(
            list[Stop], output="array", buffer_size=big
        )
        start = time.perf_counter()
        for stop in w.stops:
            await obj.write_element(stop)
        return (time.perf_counter() - start) / len(w.stops)

    async def construct(make: Callable[[], object]) -> float:
        n = 200
        start = time.perf_counter()
        for _ in range(n):
            make()
        return (time.perf_counter() - start) / n

    probes: dict[str, Callable[[], Awaitable[float]]] = {
        "write_text": write_text_calls,
        "write_text_data": data_write_text_calls,
        "write_json": write_json_calls,
        "close": close_whole,
        "parse": lambda: repeat(lambda: parse_partial_json(w.text)),
        "dumps_validate": lambda: repeat(lambda: adapter.validate_json(to_json(value))),
        "validate_json": lambda: repeat(lambda: adapter.validate_json(w.text)),
        "write_element": write_element_calls,
        "construct_text": lambda: construct(lambda: StreamContext(stream_protocol="text")),
        "construct_object": lambda: construct(new_object_stream),
        "construct_array": lambda: construct(
            lambda: ObjectStreamContext(list[Stop], output="array")
        ),
    }
    samples: dict[str, list[float]] = {k: [] for k in probes}
    for _ in range(reps):
        for key, probe in probes.items():
            samples[key].append(await probe() * 1e6)
    return {k: statistics.median(v) for k, v in samples.items()}


def profile(w: ObjectWorkload, streams: int) -> str:
    """cProfile of ``streams`` object streams (``write_json``), sorted by own time."""

    async def loop() -> None:
        for _ in range(streams):
            await run_object_json(w)

    asyncio.run(loop())  # warm-up
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(loop())
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
    return out.getvalue()


def run_inprocess(args: argparse.Namespace) -> ObjectsReport:
    started = time.perf_counter()
    w = make_object_workload(args.object_deltas)
    report = ObjectsReport(w, args.rounds, args.streams)
    print(f"object workload: {w.describe()}", flush=True)
    asyncio.run(check(report))
    asyncio.run(bench_inprocess(report))
    print("  object stream cost breakdown", flush=True)
    report.breakdown = asyncio.run(breakdown(w))
    report.elapsed_s = time.perf_counter() - started
    return report


# --- over HTTP -----------------------------------------------------------------------------------


async def _batch(
    clients: list[httpx.AsyncClient], route: str, requests: int, expected: bytes
) -> tuple[float, int]:
    """``requests`` POSTs, one stream at a time per client; (seconds, body pieces read)."""
    remaining = requests
    reads = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal remaining, reads
        while remaining > 0:
            remaining -= 1
            async with client.stream("POST", route, json={"prompt": "Plan a trip"}) as r:
                parts = [part async for part in r.aiter_raw()]
            body = b"".join(parts)
            if r.status_code != 200 or body != expected:
                raise RuntimeError(f"{route}: status {r.status_code}, {len(body)} bytes")
            reads += len(parts)

    start = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for client in clients:
            group.create_task(worker(client))
    return time.perf_counter() - start, reads


async def bench_http(
    port: int,
    cpu_seconds: Callable[[], float],
    report: ObjectsReport,
    rounds: int,
    requests: int,
    concurrency: int,
) -> ObjHttp:
    """Deltas per second of each contender with an HTTP route, interleaved rounds."""
    w = report.workload
    http = ObjHttp()
    contenders = [c for c in CONTENDERS if c.route is not None]
    report.http_rounds, report.http_requests, report.concurrency = rounds, requests, concurrency
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60.0)
            )
            for _ in range(concurrency)
        ]
        for c in contenders:  # warm-up; every body is checked byte for byte
            assert c.route is not None
            await _batch(clients, c.route, concurrency * 2, w.body)
            http.deltas_per_s[c.key] = []
            http.server_cpu_us[c.key] = []
            http.client_cpu_us[c.key] = []
            http.reads[c.key] = []
        deltas = requests * len(w.deltas)
        for r in range(rounds):
            order = contenders[r % len(contenders) :] + contenders[: r % len(contenders)]
            for c in order:
                assert c.route is not None
                server_cpu, client_cpu = cpu_seconds(), time.process_time()
                elapsed, reads = await _batch(clients, c.route, requests, w.body)
                http.server_cpu_us[c.key].append((cpu_seconds() - server_cpu) / deltas * 1e6)
                http.client_cpu_us[c.key].append((time.process_time() - client_cpu) / deltas * 1e6)
                http.deltas_per_s[c.key].append(deltas / elapsed)
                http.reads[c.key].append(reads / requests)
            print(
                f"  object streams HTTP round {r + 1}/{rounds}: "
                + ", ".join(f"{k} {v[-1]:,.0f}" for k, v in http.deltas_per_s.items())
                + " deltas/s",
                flush=True,
            )
    return http


# --- report --------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL**"


def render(report: ObjectsReport) -> tuple[list[str], list[str]]:
    w = report.workload
    med = {k: statistics.median(v) for k, v in report.us.items()}
    best = {k: min(v) for k, v in report.us.items()}
    text, hand = med[TEXT], med[HANDWRITTEN]
    lines = [
        "## Object streams (`experimental_useObject`): in process",
        "",
        "Workload (`bench/object_streams.py`): " + w.describe() + ". The element rows stream "
        f"the same {len(w.stops)} stops as an array, one `write_element` per stop.",
        "",
        "Per stream: create the context, `run(work)` and drain it with "
        "`ai_stream.testing.collect_stream` (work task and reader concurrent, as in a server); "
        "the generators are joined. Every contender's body was checked first (the same bytes "
        "for the delta rows; the same JSON value for the element rows; the object streams' "
        f"final value equals the model's). {report.rounds} rounds (interleaved, order rotated) "
        f"of {report.streams} streams each; µs per delta (or per element) = round time / "
        "deltas (elements). `obj.partial` is not read in the timed loops.",
        "",
        "| contender | unit | median µs/unit | min µs/unit | median units/s | vs text stream | "
        "vs hand-written | bytes/stream |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in CONTENDERS:
        if c.unit == "delta":
            vs_text, vs_hand = f"{med[c.key] / text:.2f}×", f"{med[c.key] / hand:.2f}×"
        else:
            ref = med[HANDWRITTEN_ELEMENT]
            vs_text, vs_hand = "", f"{med[c.key] / ref:.2f}× (per element)"
        lines.append(
            f"| {c.label} | {c.unit} | {med[c.key]:.3f} | {best[c.key]:.3f} | "
            f"{1e6 / med[c.key]:,.0f} | {vs_text} | {vs_hand} | "
            f"{report.bytes_per_stream.get(c.key, 0):,} |"
        )
    lines += ["", *[f"* {c.label}: {c.note}" for c in CONTENDERS if c.note], ""]
    obj = med[OBJECT]
    factor = obj / text
    b = report.breakdown
    if b:
        n = len(w.deltas)
        per_stream_obj = obj * n
        writes = b["write_json"] * n
        lines += [
            "### Where the object stream's time goes",
            "",
            "Medians of micro-measurements through the public API (same run; writers with a "
            "1 GiB buffer, so no backpressure waits):",
            "",
            "| building block | cost |",
            "| --- | ---: |",
            '| `write_text` into the open part of a `stream_protocol="text"` context, per call '
            f"| {b['write_text']:.3f} µs |",
            "| for comparison: `write_text` into the open part of a data (SSE) context (its "
            f"fast path: a run of deltas encoded at once), per call | {b['write_text_data']:.3f} "
            "µs |",
            f"| `ObjectStreamContext.write_json`, per call | {b['write_json']:.3f} µs |",
            f"| `obj.close()` after the {n:,} deltas (parse the whole text as the client does, "
            f"validate it against `Itinerary`), per stream | {b['close']:.1f} µs |",
            f"| of which: `parse_partial_json(text)` (`ai_stream.protocol.partial_json`) | "
            f"{b['parse']:.1f} µs |",
            "| of which: `to_json(value)` (pydantic-core) + "
            f"`TypeAdapter(Itinerary).validate_json` | "
            f"{b['dumps_validate']:.1f} µs |",
            f"| for comparison: `TypeAdapter(Itinerary).validate_json(text)` alone | "
            f"{b['validate_json']:.1f} µs |",
            f'| `StreamContext(stream_protocol="text")` | {b["construct_text"]:.1f} µs |',
            f"| `ObjectStreamContext(Itinerary)` | {b['construct_object']:.1f} µs |",
            f'| `ObjectStreamContext(list[Stop], output="array")` | '
            f"{b['construct_array']:.1f} µs |",
            f"| `write_element(stop)`, per call (validate + JSON + send) | "
            f"{b['write_element']:.2f} µs |",
            "",
            f"Per object stream of {per_stream_obj:.0f} µs ({n:,} deltas): `write_json` calls "
            f"≈ {writes:.0f} µs ({b['write_json'] / b['write_text']:.2f}× `write_text`'s on a "
            f"text context, itself {b['write_text'] / b['write_text_data']:.1f}× the data "
            "protocol's fast path: a text context encodes its deltas one by one), "
            f"close + validation ≈ {b['close']:.0f} µs "
            f"({b['close'] / n:.2f} µs per delta), the context "
            f"≈ {b['construct_object']:.0f} µs; the rest is the run, the drain and the "
            "wake-ups, as for the text stream.",
            "",
        ]
    targets = [
        f"* Object stream (`write_json`, validation included) ≤ {TARGET_TEXT_FACTOR:.0f}× the "
        f"text stream's µs per delta (median): {obj:.3f} vs {text:.3f} µs = {factor:.2f}× → "
        f"{verdict(factor <= TARGET_TEXT_FACTOR)} (vs the hand-written generator: "
        f"{obj / hand:.2f}×)."
    ]
    if report.http is not None:
        http = report.http
        dps = {k: statistics.median(v) for k, v in http.deltas_per_s.items()}
        top = {k: max(v) for k, v in http.deltas_per_s.items()}
        scpu = {k: statistics.median(v) for k, v in http.server_cpu_us.items()}
        ccpu = {k: statistics.median(v) for k, v in http.client_cpu_us.items()}
        reads = {k: statistics.median(v) for k, v in http.reads.items()}
        ref = dps[HANDWRITTEN]
        lines += [
            f"## Object streams over HTTP: {report.concurrency} concurrent clients",
            "",
            "The same server command as the HTTP section (`bench/server.py`, its own process), "
            "routes `/object/ai_stream` (`UIMessageStreamResponse(obj)` after "
            "`await obj.run(work)`), `/object/text` (`UIMessageStreamResponse(ctx)` of a text "
            "`StreamContext`) and `/object/handwritten` (`StreamingResponse(gen(), "
            f'media_type="text/plain")`). {report.concurrency} `httpx.AsyncClient`s, one POST '
            "stream after another; every body must be the model's JSON text, byte for byte. "
            f"{report.http_rounds} rounds (interleaved, order rotated) of "
            f"{report.http_requests} requests per contender; deltas/s = deltas delivered "
            f"({len(w.deltas):,} per response) / wall time. Client and server share the 2 "
            "cores.",
            "",
            "| contender | median deltas/s | best deltas/s | vs hand-written | "
            "server CPU µs/delta | client CPU µs/delta | body reads/response |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines.extend(
            f"| {c.label} | {dps[c.key]:,.0f} | {top[c.key]:,.0f} | {dps[c.key] / ref:.2f}× | "
            f"{scpu[c.key]:.2f} | {ccpu[c.key]:.2f} | {reads[c.key]:,.0f} |"
            for c in CONTENDERS
            if c.key in dps
        )
        lines += [""]
        targets.append(
            "* Object stream over HTTP (informational): "
            f"{dps[OBJECT]:,.0f} deltas/s vs the hand-written generator's {ref:,.0f} "
            f"= {dps[OBJECT] / ref:.2f}×; vs the text stream's {dps[TEXT]:,.0f} = "
            f"{dps[OBJECT] / dps[TEXT]:.2f}×."
        )
    else:
        targets.append("* Object streams over HTTP: not run (`--no-http`).")
    return lines, targets
