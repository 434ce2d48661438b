"""Linear cost curves (in process): µs per chunk as the work grows.

A cost that grows linearly with the work keeps the µs per chunk flat; the bench reports µs per
chunk at three sizes and the ratio max/min (target: flat within 2×). Four curves:

* ``data``: a ``collect=True`` context writing N data parts with distinct ids
  (``await ctx.write_data("row", {"i": i}, id=f"r{i}")``);
* ``tools``: N tool calls in one step (``begin_tool_call`` + ``complete_tool_call`` each,
  ``collect=True``; 2 chunks per call);
* ``store``: ``ai_stream.resume.MemoryStreamStore``: one ``start()`` + ``append()`` +
  ``finish()`` when N streams have already finished (and not expired);
* ``object``: an ``ObjectStreamContext(Itinerary)`` fed N JSON text deltas of 3-8 characters
  (``await obj.write_json(delta)``; ``object_streams.make_object_workload(N)``), closed and
  validated when the work returns (``obj.partial`` is not read).

Every stream is drained concurrently (``ai_stream.testing.collect_stream``). A measurement that
runs past its time budget stops early: its µs per chunk is then a lower bound (the chunks written
so far were the cheap ones) and the curve fails.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from object_streams import ObjectWorkload, make_object_workload, new_object_stream

from ai_stream import ObjectStreamContext, StreamContext
from ai_stream.resume import MemoryStreamStore
from ai_stream.testing import collect_stream

if TYPE_CHECKING:
    import argparse
    from collections.abc import Awaitable, Callable

DONE = b"data: [DONE]\n\n"
FLAT_FACTOR = 2.0
MIN_CHUNKS = 20_000  # small sizes are repeated until this many chunks (or MIN_SECONDS) ...
MIN_SECONDS = 1.0  # ... so that one measurement is long enough to time
CHECK_EVERY = 64  # writes between two looks at the clock


@dataclass
class Point:
    n: int
    us: list[float] = field(default_factory=list)  # µs per chunk, one per round
    reps: list[int] = field(default_factory=list)
    truncated: bool = False
    reached: int = 0  # when truncated: how far the work got (items)
    note: str = ""


@dataclass
class Curve:
    key: str
    title: str
    what: str  # what one "chunk" is
    sizes: tuple[int, ...]
    points: dict[int, Point] = field(default_factory=dict)

    def medians(self) -> dict[int, float]:
        return {n: statistics.median(p.us) for n, p in self.points.items() if p.us}

    @property
    def ratio(self) -> float | None:
        m = self.medians()
        if len(m) < 2:
            return None
        return max(m.values()) / min(m.values())

    @property
    def truncated(self) -> bool:
        return any(p.truncated for p in self.points.values())

    @property
    def flat(self) -> bool:
        ratio = self.ratio
        complete = all(n in self.medians() for n in self.sizes)
        return ratio is not None and ratio <= FLAT_FACTOR and not self.truncated and complete


@dataclass
class CurvesReport:
    curves: list[Curve]
    rounds: int
    budget: float
    warnings: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0


# --- the measured work ---------------------------------------------------------------------------


async def _stream(
    n: int, deadline: float, write: Callable[[StreamContext[Any], int], Awaitable[None]]
) -> tuple[float, int, bytes]:
    """One ``collect=True`` stream of ``n`` items; (seconds, items written, body)."""
    done = 0

    async def work(ctx: StreamContext[Any]) -> None:
        nonlocal done
        for i in range(n):
            await write(ctx, i)
            done = i + 1
            if done % CHECK_EVERY == 0 and time.perf_counter() > deadline:
                return

    start = time.perf_counter()
    ctx: StreamContext[Any] = StreamContext(collect=True)
    await ctx.run(work)
    body = await collect_stream(ctx)
    return time.perf_counter() - start, done, body


async def _write_data(ctx: StreamContext[Any], i: int) -> None:
    await ctx.write_data("row", {"i": i}, id=f"r{i}")


async def _tool_call(ctx: StreamContext[Any], i: int) -> None:
    call = await ctx.begin_tool_call("lookup", {"i": i}, tool_call_id=f"call_{i}")
    await ctx.complete_tool_call(call.tool_call_id, {"row": i})


async def measure_stream_point(
    curve: Curve,
    n: int,
    budget: float,
    chunks_per_item: int,
    write: Callable[[StreamContext[Any], int], Awaitable[None]],
) -> None:
    point = curve.points.setdefault(n, Point(n))
    gc.collect()
    deadline = time.perf_counter() + budget
    elapsed = 0.0
    items = reps = 0
    while True:
        seconds, done, body = await _stream(n, deadline, write)
        if not body.endswith(DONE):
            raise RuntimeError(f"{curve.key}, N={n}: the stream did not end with [DONE]")
        elapsed += seconds
        items += done
        reps += 1
        if done < n:
            point.truncated, point.reached = True, done
            break
        if items >= MIN_CHUNKS or elapsed >= MIN_SECONDS or time.perf_counter() > deadline:
            break
    point.us.append(elapsed / (items * chunks_per_item) * 1e6)
    point.reps.append(reps)


async def measure_store_round(curve: Curve, sizes: tuple[int, ...], budget: float) -> None:
    """Grow one store through ``sizes``, timing a window of ``max(100, N/10)`` ops at each.

    The fill has the budget; a window at most a fifth of it (fewer ops if slow). When the fill
    runs out of budget, 20 ops are timed at the size reached and the point is marked truncated.
    """
    gc.collect()
    store = MemoryStreamStore(ttl=7 * 24 * 3600.0)  # nothing expires during the bench
    frame = b'data: {"type":"text-delta","id":"text-1","delta":" hello"}\n\n'
    count = 0
    deadline = time.perf_counter() + budget

    async def op(i: int) -> None:
        stream_id = f"stream-{i}"
        await store.start(f"chat-{i}", stream_id)
        await store.append(stream_id, frame)
        await store.finish(stream_id)

    for n in sizes:
        point = curve.points.setdefault(n, Point(n))
        while count < n:  # fill with finished streams
            await op(count)
            count += 1
            if count % CHECK_EVERY == 0 and time.perf_counter() > deadline:
                break
        reached = count
        window = max(100, n // 10) if reached >= n else 20
        start = time.perf_counter()
        window_end = start + max(0.5, budget / 5)
        done = 0
        while done < window:
            await op(count)
            count += 1
            done += 1
            if done % 16 == 0 and time.perf_counter() > window_end:
                break
        point.us.append((time.perf_counter() - start) / done * 1e6)
        point.reps.append(done)
        if reached < n:
            point.truncated, point.reached = True, reached
            return


_OBJECT_WORKLOADS: dict[int, ObjectWorkload] = {}


def object_workload(n: int) -> ObjectWorkload:
    if n not in _OBJECT_WORKLOADS:
        _OBJECT_WORKLOADS[n] = make_object_workload(n)
    return _OBJECT_WORKLOADS[n]


async def _object_stream(w: ObjectWorkload, deadline: float) -> tuple[float, int, bytes, bool]:
    """One object stream of ``w``'s deltas; (seconds, deltas written, body, validated).

    Past the deadline the rest of the text goes in one last delta (not counted), so that the
    value still closes and validates.
    """
    done = 0

    async def work(obj: ObjectStreamContext[Any], deltas: list[str]) -> None:
        nonlocal done
        for delta in deltas:
            await obj.write_json(delta)
            done += 1
            if done % CHECK_EVERY == 0 and time.perf_counter() > deadline:
                await obj.write_json("".join(deltas[done:]))
                return

    start = time.perf_counter()
    obj = new_object_stream()
    await obj.run(work, w.deltas)
    body = await collect_stream(obj.context)
    return time.perf_counter() - start, done, body, obj.result is not None


async def measure_object_point(curve: Curve, n: int, budget: float) -> None:
    w = object_workload(n)
    point = curve.points.setdefault(n, Point(n))
    gc.collect()
    deadline = time.perf_counter() + budget
    elapsed = 0.0
    items = reps = 0
    while True:
        seconds, done, body, valid = await _object_stream(w, deadline)
        if body != w.body or not valid:
            raise RuntimeError(f"{curve.key}, N={n}: the body or the final value differed")
        elapsed += seconds
        items += done
        reps += 1
        if done < n:
            point.truncated, point.reached = True, done
            break
        if items >= MIN_CHUNKS or elapsed >= MIN_SECONDS or time.perf_counter() > deadline:
            break
    point.us.append(elapsed / items * 1e6)
    point.reps.append(reps)


def make_curves(quick: bool) -> list[Curve]:
    del quick  # the same sizes; --quick shortens the budget and the rounds
    return [
        Curve(
            "data",
            "`collect=True`: N data parts with distinct ids",
            'one `write_data("row", {"i": i}, id=f"r{i}")` = 1 chunk',
            (1_000, 10_000, 100_000),
        ),
        Curve(
            "tools",
            "`collect=True`: N tool calls in one step",
            "`begin_tool_call` + `complete_tool_call` = 2 chunks per call",
            (100, 1_000, 10_000),
        ),
        Curve(
            "store",
            "`MemoryStreamStore`: start + append + finish with N finished streams",
            "one `start()` + `append()` + `finish()` of a new stream",
            (1_000, 10_000, 100_000),
        ),
        Curve(
            "object",
            "`ObjectStreamContext(Itinerary)`: N `write_json` deltas",
            "one `write_json(delta)` of 3-8 characters of an itinerary's JSON text (the "
            "context, the drain and the final close + validation of the whole value included)",
            (1_000, 10_000, 100_000),
        ),
    ]


async def _run(report: CurvesReport) -> None:
    budget = report.budget
    for rnd in range(report.rounds):
        for curve in report.curves:
            if curve.key == "store":
                # Later rounds only re-measure the sizes that fitted in the budget.
                sizes = tuple(
                    n for n in curve.sizes if n not in curve.points or not curve.points[n].truncated
                )
                if sizes:
                    await measure_store_round(curve, sizes, budget)
            elif curve.key == "object":
                for n in curve.sizes:
                    point = curve.points.get(n)
                    if point is not None and point.truncated:
                        continue
                    await measure_object_point(curve, n, budget)
            else:
                chunks_per_item = 2 if curve.key == "tools" else 1
                write = _tool_call if curve.key == "tools" else _write_data
                for n in curve.sizes:
                    point = curve.points.get(n)
                    if point is not None and point.truncated:
                        continue  # over budget in round 1: its lower bound stands
                    await measure_stream_point(curve, n, budget, chunks_per_item, write)
            print(
                f"  curves round {rnd + 1}/{report.rounds} {curve.key}: "
                + ", ".join(
                    f"N={n:,} {p.us[-1]:.2f}{' (budget)' if p.truncated else ''}"
                    for n, p in curve.points.items()
                    if p.us
                )
                + " µs/chunk",
                flush=True,
            )


def run_curves(args: argparse.Namespace, keys: tuple[str, ...] | None = None) -> CurvesReport:
    """Measure the curves (``keys``: only those)."""
    started = time.perf_counter()
    chosen = [c for c in make_curves(args.quick) if keys is None or c.key in keys]
    report = CurvesReport(chosen, args.curve_rounds, args.curve_budget)
    asyncio.run(_run(report))
    report.elapsed_s = time.perf_counter() - started
    return report


# --- report --------------------------------------------------------------------------------------


def render(report: CurvesReport) -> tuple[list[str], list[str]]:
    lines = [
        "## Linear cost curves (in process)",
        "",
        "µs per chunk as the work grows; a linear cost keeps it flat. Each size is measured once "
        f"per round ({report.rounds} rounds, sizes in ascending order; medians over rounds); "
        f"small sizes are repeated until {MIN_CHUNKS:,} chunks or {MIN_SECONDS:.0f} s. The "
        "streams are drained concurrently (`ai_stream.testing.collect_stream`); the time "
        "covers the context, the work, the drain (and the record with `collect=True`; the object "
        "stream's final close and validation). A measurement has a budget of "
        f"{report.budget:.0f} s: past it the work stops early, its µs/chunk is a lower bound "
        "(marked ≥; the chunks written so far were the cheap ones), the size is not measured "
        "again in later rounds, and the curve fails.",
        "",
    ]
    targets: list[str] = []
    for curve in report.curves:
        medians = curve.medians()
        low = min(medians.values()) if medians else None
        lines += [
            f"### {curve.title}",
            "",
            f"A chunk: {curve.what}.",
            "",
            "| N | µs/chunk (median) | vs smallest N | per round | repetitions/ops per round |",
            "| ---: | ---: | ---: | --- | --- |",
        ]
        for n in curve.sizes:
            p = curve.points.get(n)
            if p is None or not p.us:
                lines.append(f"| {n:,} | not measured | | | |")
                continue
            value = f"{medians[n]:.2f}"
            if p.truncated and curve.key == "store":
                value = (
                    f"≥ {value} (the fill reached only {p.reached:,} finished streams within the "
                    "budget; µs per op at that size)"
                )
            elif p.truncated:
                value = f"≥ {value} (stopped by the budget after {p.reached:,} of {n:,})"
            per_round = ", ".join(f"{v:.2f}" for v in p.us)
            reps = ", ".join(str(r) for r in p.reps)
            vs = f"{medians[n] / low:.1f}×" if low else "n/a"
            lines.append(f"| {n:,} | {value} | {vs} | {per_round} | {reps} |")
        ratio = curve.ratio
        lines += [
            "",
            f"max/min = {'n/a' if ratio is None else f'{ratio:.1f}×'}"
            + (" (a lower bound: a size ran out of budget)" if curve.truncated else ""),
            "",
        ]
        targets.append(
            f"* Linear cost, {curve.title}: µs/chunk flat within {FLAT_FACTOR:.0f}× over N = "
            + " / ".join(f"{n:,}" for n in curve.sizes)
            + f": max/min {'n/a' if ratio is None else f'{ratio:.1f}×'}"
            + (" (≥; over budget)" if curve.truncated else "")
            + f" → {'**PASS**' if curve.flat else '**FAIL**'}"
        )
    return lines, targets
