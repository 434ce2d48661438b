"""A persistent node process (``replay_server.mjs``) that replays bodies through the real clients.

``replay.mjs`` starts node and loads every release for each batch (about a second); a property
test replays hundreds of tiny bodies, so :class:`Replayer` keeps one ``replay_server.mjs`` running
and talks to it over pipes: one JSON request line in, one JSON line out, a few milliseconds per
release. A request that does not answer within its timeout kills the process (the next request
starts a new one); a process that died is started again, and the request retried once.
"""

from __future__ import annotations

import base64
import collections
import itertools
import json
import queue
import shutil
import subprocess
import threading
import time
from typing import Any

from tests.conformance.client import NODE_DIR

__all__ = ("ReplayError", "Replayer")

_EOF = object()


class ReplayError(RuntimeError):
    """The replay server failed, died or did not answer in time (never a client verdict)."""


class Replayer:
    """One ``node replay_server.mjs`` process, started on first use.

    Args:
        timeout: Seconds a request may take before the process is killed.
        start_timeout: Seconds node may take to load every release.
    """

    def __init__(self, *, timeout: float = 60.0, start_timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.start_timeout = start_timeout
        self.starts = 0
        """How many node processes were started (1 unless one died or timed out)."""
        self.installed: list[str] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[object] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # --- process -------------------------------------------------------------------------------

    def _start(self) -> subprocess.Popen[bytes]:
        node = shutil.which("node")
        if node is None:
            raise ReplayError("node is not installed; the conformance suite needs Node 20+.")
        if not (NODE_DIR / "node_modules").is_dir():
            raise ReplayError("Run `make install` (npm ci in tests/conformance/node) first.")
        proc = subprocess.Popen(
            [node, "replay_server.mjs"],
            cwd=NODE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.starts += 1
        lines: queue.Queue[object] = queue.Queue()
        self._lines = lines
        assert proc.stdout is not None and proc.stderr is not None
        stdout, stderr = proc.stdout, proc.stderr

        def pump_stdout() -> None:
            for line in stdout:
                lines.put(line)
            lines.put(_EOF)

        def pump_stderr() -> None:
            for line in stderr:
                self._stderr.append(line.decode(errors="replace").rstrip())

        threading.Thread(target=pump_stdout, daemon=True).start()
        threading.Thread(target=pump_stderr, daemon=True).start()
        self._proc = proc
        ready = self._read_line(self.start_timeout)
        if not ready.get("ready"):
            self._kill()
            raise ReplayError(f"replay_server.mjs did not start: {ready!r}")
        self.installed = list(ready.get("installed", []))
        return proc

    def _read_line(self, timeout: float) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self._kill()
            raise ReplayError(
                f"replay_server.mjs gave no answer within {timeout} s (killed).{self._tail()}"
            ) from None
        if line is _EOF:
            self._kill()
            raise ReplayError(f"replay_server.mjs exited.{self._tail()}")
        assert isinstance(line, bytes)
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _tail(self) -> str:
        return ("\nstderr:\n" + "\n".join(self._stderr)) if self._stderr else ""

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()

    def close(self) -> None:
        """End the node process (closing its stdin lets it exit by itself)."""
        with self._lock:
            proc = self._proc
            if proc is None:
                return
            try:
                assert proc.stdin is not None
                proc.stdin.close()
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self._kill()

    # --- requests ------------------------------------------------------------------------------

    def _request(self, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        proc = self._proc if self._proc is not None and self._proc.poll() is None else None
        if proc is None:
            self._kill()
            proc = self._start()
        request_id = next(self._ids)
        line = json.dumps({**payload, "id": request_id}, allow_nan=False) + "\n"
        assert proc.stdin is not None
        try:
            proc.stdin.write(line.encode())
            proc.stdin.flush()
        except OSError as exc:
            self._kill()
            raise ReplayError(f"replay_server.mjs is gone: {exc}{self._tail()}") from exc
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read_line(max(0.001, deadline - time.monotonic()))
            if answer.get("id") == request_id:
                break
        if "error" in answer:
            raise ReplayError(f"replay_server.mjs refused the request: {answer['error']}")
        return answer

    def request(self, payload: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send one request and return the answer; retried once in a new process on failure."""
        with self._lock:
            try:
                return self._request(payload, timeout or self.timeout)
            except ReplayError:
                if self._proc is not None:  # the server answered with an error: no retry
                    raise
                return self._request(payload, timeout or self.timeout)

    def ping(self) -> bool:
        """Check that the server answers."""
        return bool(self.request({"ping": True}).get("pong"))

    def replay_ui(
        self, body: bytes, releases: list[str] | tuple[str, ...], **options: Any
    ) -> dict[str, Any]:
        """Replay a UI message stream body: ``{release: result}`` as ``replay.mjs``."""
        case = {
            "name": "case",
            "bodyBase64": base64.b64encode(body).decode(),
            "versions": list(releases),
            **options,
        }
        results: dict[str, Any] = self.request({"protocol": "ui", "cases": [case]})["results"]
        per_release: dict[str, Any] = results["case"]
        return per_release

    def replay_v4(self, body: bytes, **options: Any) -> dict[str, Any]:
        """Replay an ai 4 data stream body: the result of ``replay_v4.mjs``."""
        case = {"name": "case", "bodyBase64": base64.b64encode(body).decode(), **options}
        results: dict[str, Any] = self.request({"protocol": "data-stream", "cases": [case]})[
            "results"
        ]
        result: dict[str, Any] = results["case"]
        return result

    def replay_text(
        self, body: bytes, releases: tuple[str, ...], runs: tuple[str, ...] = ("chat-text",)
    ) -> dict[str, Any]:
        """Replay a text stream body: ``{release: {run: result}}`` as ``text_streams.mjs``."""
        case = {
            "name": "case",
            "bodyBase64": base64.b64encode(body).decode(),
            "versions": list(releases),
            "runs": list(runs),
        }
        results: dict[str, Any] = self.request({"protocol": "text", "cases": [case]})["results"]
        per_release: dict[str, Any] = results["case"]
        return per_release
