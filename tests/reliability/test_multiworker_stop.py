"""Stop, reload and abandon across two uvicorn workers on one redis-server, driven by the real
``AbstractChat`` + ``DefaultChatTransport`` of the latest ai 6 and ai 7 releases.

Every chat is posted to worker A (which produces the answer, ``keep_running=GRACE``):

* **stop** — the user presses stop: the client aborts its fetch and posts the stop route to
  worker B. A's work is cancelled within a second, ``on_finish`` gets the aborted record with
  the partial text, and a reload (on B) finds nothing to resume (204): RUNS of RUNS.
* **reload** — the page reloads: the fetch is aborted and, within the grace period, a new chat
  on B resumes the answer. B's reader counts for A (presence in Redis), so the answer runs on
  and B's client gets the complete message: RUNS of RUNS.
* **abandon** — the page closes and nobody comes back: the answer is stopped after the grace
  period and saved (aborted, with its partial text): ABANDONS of ABANDONS.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import anyio
import pytest
from redis.asyncio import Redis

from tests.conformance.client import FIRST_AND_LATEST, NODE_DIR
from tests.integrations._redis_server import redis_server
from tests.reliability.conftest import Figures
from tests.reliability.multiworker_app import deltas
from tests.reliability.test_multiworker import Worker, expected_message, wait_ready, worker

RELEASES = (FIRST_AND_LATEST[6][1], FIRST_AND_LATEST[7][1])
RUNS = 50
ABANDONS = 20
GRACE = 1.5  # seconds an unread answer keeps running (keep_running)
STOP_LIMIT = 1.0  # seconds from the stop request to the cancelled work


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(scope="module")
def workers(redis_url: str) -> Iterator[tuple[Worker, Worker]]:
    with tempfile.TemporaryDirectory() as logs, ExitStack() as stack:
        options = ("--grace", str(GRACE))
        a = stack.enter_context(worker(redis_url, "mws:", logs, "a", *options))
        b = stack.enter_context(worker(redis_url, "mws:", logs, "b", *options))
        yield a, b


async def drive(a: Worker, b: Worker, release: str, scenario: str, runs: int) -> list[Any]:
    """Run ``multiworker.mjs``: ``runs`` chats of ``scenario`` with the real client."""
    node = shutil.which("node")
    assert node is not None
    await wait_ready(a, b)
    prefix = f"long-{scenario}-{release}-"
    result = await anyio.run_process(
        [node, "multiworker.mjs", "--a", a.url, "--b", b.url, "--version", release,
         "--scenario", scenario, "--runs", str(runs), "--concurrency", "25",
         "--prefix", prefix, "--wait-ms", str(int(GRACE * 1000 / 3))],
        cwd=NODE_DIR, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    outcome: dict[str, Any] = json.loads(result.stdout)
    runs_out: list[Any] = outcome["runs"]
    assert all("harnessError" not in run for run in runs_out), runs_out
    return runs_out


async def records_of(redis_url: str, chat_ids: set[str], within: float) -> dict[str, Any]:
    """The records ``on_finish`` got for ``chat_ids`` (waiting up to ``within`` seconds)."""
    found: dict[str, Any] = {}
    async with Redis.from_url(redis_url) as client:
        with anyio.move_on_after(within):
            while len(found) < len(chat_ids):
                for raw in await client.lrange("mws:records", 0, -1):
                    record = json.loads(raw)
                    if record["chat_id"] in chat_ids:
                        found[record["chat_id"]] = record
                await anyio.sleep(0.1)
    return found


@pytest.mark.parametrize("release", RELEASES)
async def test_stop_on_the_other_worker(
    workers: tuple[Worker, Worker], redis_url: str, release: str, figures: Figures
) -> None:
    a, b = workers
    runs = await drive(a, b, release, "stop", RUNS)
    records = await records_of(redis_url, {run["chatId"] for run in runs}, within=10)
    delays: list[float] = []
    good = 0
    failures: dict[str, str] = {}
    for run in runs:
        record = records.get(run["chatId"])
        full = "".join(deltas(run["chatId"]))
        statuses = [(r["method"], r["status"]) for r in run["requests"]]
        if record is None or record["cancelled_at"] is None:
            failures[run["chatId"]] = f"no cancelled record: {record}"
            continue
        delay = record["cancelled_at"] - run["leftAt"] / 1000
        delays.append(delay)
        if not (record["aborted"] and record["abort_reason"] == "stopped"):
            failures[run["chatId"]] = f"not stopped: {record}"
        elif not (record["text"] and full.startswith(record["text"]) and record["text"] != full):
            failures[run["chatId"]] = f"not the partial text: {record['text']!r}"
        elif delay >= STOP_LIMIT:
            failures[run["chatId"]] = f"cancelled {delay:.3f} s after the stop"
        elif run["stopStatus"] != 204 or statuses[-1] != ("GET", 204):
            failures[run["chatId"]] = f"stop {run['stopStatus']}, requests {statuses}"
        elif [m["role"] for m in run["messages"]] != ["user"] or run["status"] != "ready":
            failures[run["chatId"]] = f"reload shows {run['status']}: {run['messages']}"
        else:
            good += 1
    figures.record(
        f"multiworker stop on B while A produces (ai {release})",
        runs=RUNS,
        stopped_cleanly=good,
        cancel_after_stop_s_max=round(max(delays, default=0), 3),
        cancel_after_stop_s_median=round(sorted(delays)[len(delays) // 2], 3) if delays else 0,
    )
    assert good == RUNS, (failures, a.log_tail(), b.log_tail())


@pytest.mark.parametrize("release", RELEASES)
async def test_reload_on_the_other_worker_within_the_grace(
    workers: tuple[Worker, Worker], redis_url: str, release: str, figures: Figures
) -> None:
    a, b = workers
    runs = await drive(a, b, release, "reload", RUNS)
    records = await records_of(redis_url, {run["chatId"] for run in runs}, within=10)
    good = 0
    failures: dict[str, str] = {}
    for run in runs:
        chat_id = run["chatId"]
        record = records.get(chat_id)
        assistants = [m for m in run["messages"] if m["role"] == "assistant"]
        if record is None or record["aborted"]:
            failures[chat_id] = f"the answer did not run to its end: {record}"
        elif run["status"] != "ready" or run["errors"] or len(assistants) != 1:
            failures[chat_id] = f"{run['status']} {run['errors']} {run['messages']}"
        elif assistants[0] != await expected_message(chat_id):
            failures[chat_id] = f"message differs: {assistants[0]}"
        else:
            good += 1
    figures.record(
        f"multiworker reload on B within the grace (ai {release})",
        runs=RUNS,
        complete_messages=good,
        grace_s=GRACE,
    )
    assert good == RUNS, (failures, a.log_tail(), b.log_tail())


@pytest.mark.parametrize("release", RELEASES)
async def test_an_unread_answer_ends_after_the_grace_and_is_saved(
    workers: tuple[Worker, Worker], redis_url: str, release: str, figures: Figures
) -> None:
    a, b = workers
    started = time.time()
    runs = await drive(a, b, release, "abandon", ABANDONS)
    records = await records_of(redis_url, {run["chatId"] for run in runs}, within=GRACE + 10)
    after: list[float] = []
    good = 0
    failures: dict[str, str] = {}
    for run in runs:
        record = records.get(run["chatId"])
        if record is None:
            failures[run["chatId"]] = "not saved"
            continue
        ended = record["ended_at"] - run["leftAt"] / 1000
        after.append(ended)
        if not (record["aborted"] and record["text"].startswith(run["partialText"])):
            failures[run["chatId"]] = f"not the aborted partial answer: {record}"
        elif not GRACE <= ended < GRACE + 2.0:
            failures[run["chatId"]] = f"ended {ended:.3f} s after the reader left"
        else:
            good += 1
    figures.record(
        f"multiworker answer nobody reads (ai {release})",
        runs=ABANDONS,
        saved_after_grace=good,
        grace_s=GRACE,
        ended_after_leaving_s_min=round(min(after, default=0), 3),
        ended_after_leaving_s_max=round(max(after, default=0), 3),
        wall_s=round(time.time() - started, 3),
    )
    assert good == ABANDONS, (failures, a.log_tail(), b.log_tail())
