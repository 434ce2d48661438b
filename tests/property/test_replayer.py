"""The persistent replay server: answers, survives a dead node process, times out a stuck one."""

from __future__ import annotations

import time

import pytest

from tests.property.replayer import Replayer, ReplayError

BODY = (
    b'data: {"type":"start","messageId":"m1"}\n\n'
    b'data: {"type":"start-step"}\n\n'
    b'data: {"type":"text-start","id":"t"}\n\n'
    b'data: {"type":"text-delta","id":"t","delta":"Hi \\ud83d"}\n\n'
    b'data: {"type":"text-delta","id":"t","delta":"\\ude00"}\n\n'
    b'data: {"type":"text-end","id":"t"}\n\n'
    b'data: {"type":"finish-step"}\n\n'
    b'data: {"type":"finish"}\n\n'
    b"data: [DONE]\n\n"
)


def test_round_trips_are_fast_and_use_the_real_clients() -> None:
    replayer = Replayer()
    try:
        replayer.replay_ui(BODY, ["6.0.326"])  # warm up the JIT
        started = time.monotonic()
        for _ in range(10):
            results = replayer.replay_ui(BODY, ["5.0.0", "7.0.173"])
        per_request = (time.monotonic() - started) / 10
        v4 = replayer.replay_v4(
            b'f:{"messageId":"m1"}\n0:"Hel"\n0:"lo"\nd:{"finishReason":"stop"}\n'
        )
        observed = {
            "starts": replayer.starts,
            "fast": per_request < 0.5,
            "chunk_errors": [results[r]["chunkErrors"] for r in ("5.0.0", "7.0.173")],
            "text": [
                results[r]["chat"]["messages"][-1]["parts"][1]["text"] for r in ("5.0.0", "7.0.173")
            ],
            "v4": (v4["errors"], v4["message"]["content"]),
        }
        assert observed == {
            "starts": 1,
            "fast": True,
            "chunk_errors": [[], []],
            "text": ["Hi 😀", "Hi 😀"],  # a pair split across deltas is joined by the client
            "v4": ([], "Hello"),
        }
    finally:
        replayer.close()


def test_a_dead_server_is_started_again() -> None:
    replayer = Replayer()
    try:
        assert replayer.ping()
        proc = replayer._proc
        assert proc is not None
        proc.kill()
        proc.wait()
        assert replayer.ping()
        assert replayer.starts == 2
    finally:
        replayer.close()


def test_a_stuck_request_times_out_and_the_server_is_replaced() -> None:
    replayer = Replayer(timeout=0.001)
    try:
        replayer.start_timeout = 60
        with pytest.raises(ReplayError, match="no answer within"):
            replayer.replay_ui(BODY, ["5.0.0", "5.0.277", "6.0.0", "6.0.326"])
        replayer.timeout = 60
        assert replayer.ping()
        assert replayer.starts == 3  # killed after the timeout, retried once, then a fresh one
    finally:
        replayer.close()
