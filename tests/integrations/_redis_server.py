"""Start a throwaway ``redis-server`` on a free 127.0.0.1 port (no persistence, temp dir)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """A private redis-server that can be killed and started again on the same port."""

    def __init__(self, directory: str) -> None:
        executable = shutil.which("redis-server")
        assert executable is not None, "redis-server is needed: apt-get install redis-server"
        self.executable, self.directory = executable, directory
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it: on its port again after :meth:`kill`, else on a free port."""
        for _attempt in range(5):  # another process may take the free port first
            port = self.port or _free_port()
            process = subprocess.Popen(
                [self.executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", self.directory,
                 "--logfile", f"{self.directory}/log"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            deadline = time.monotonic() + 10
            while process.poll() is None and time.monotonic() < deadline and not _ping(port):
                time.sleep(0.02)
            if process.poll() is None and _ping(port):
                self.port, self.process = port, process
                return
            process.kill()
            process.wait()
            time.sleep(0.2)
        raise RuntimeError("redis-server did not start")  # pragma: no cover

    def kill(self) -> None:
        """SIGKILL it (its data is gone: no persistence)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def redis_server() -> Iterator[str]:
    """Run a private redis-server for the ``with`` block; yields its ``redis://`` URL."""
    with restartable_redis() as server:
        yield server.url


@contextmanager
def restartable_redis(*, started: bool = True) -> Iterator[RedisServer]:
    """A :class:`RedisServer` for the ``with`` block (started unless ``started=False``)."""
    with tempfile.TemporaryDirectory(prefix="ai-stream-redis-") as directory:
        server = RedisServer(directory)
        if started:
            server.start()
        else:
            server.port = _free_port()
        try:
            yield server
        finally:
            server.kill()
