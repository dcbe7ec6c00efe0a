"""The MongoDB stand-in in its own process, as mongod would be.

`aperture serve` starts litemongo in a child process and talks to it over a Unix socket,
instead of running it on a thread of the API. Two reasons, both measured under
`bench/soak.py`: litemongo keeps its query indexes in Python memory, so the process that
embeds it grows with every document stored (which made the API's memory look like a leak);
and its queries are pure Python, which took the GIL from the event loop while they ran.

The child is `python -m aperture.embedded.engine_server`; this module starts it, stops it,
and is its client. Calls are pipelined on one connection and answered in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlparse

from pymongo.errors import AutoReconnect

from aperture.embedded.child_processes import MAX_SOCKET_PATH, terminate
from aperture.embedded.engine_calls import encode_frame, read_frame
from aperture.embedded.litemongo_adapter import LiteClientShapes

if TYPE_CHECKING:
    from aperture.embedded.engine_calls import EngineCall
    from aperture.mongo_stats import CommandStats

log = logging.getLogger(__name__)

ENGINE_SCHEME = "litemongo+engine"
READY_LINE = b"ready\n"
MEMORY_FLAG = "--memory"
_START_TIMEOUT_S = 30.0


def is_engine_url(url: str) -> bool:
    return urlparse(url).scheme == ENGINE_SCHEME


class EngineProcessClient(LiteClientShapes):
    """PyMongo's async shapes, answered by the stand-in's process over its socket."""

    def __init__(self, url: str, stats: CommandStats | None = None) -> None:
        parsed = urlparse(url)
        if parsed.scheme != ENGINE_SCHEME:
            raise ValueError(f"not a {ENGINE_SCHEME} URL: {url!r}")
        self._socket_path = parsed.netloc + parsed.path
        self.stats = stats
        self.engine = self
        self._ids = itertools.count()
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._replies: asyncio.Task[None] | None = None
        self._lost: Exception | None = None

    async def start(self) -> Self:
        reader, self._writer = await asyncio.open_unix_connection(self._socket_path)
        self._replies = asyncio.create_task(self._read_replies(reader), name="mongo-engine-replies")
        return self

    async def call(self, command: str, call: EngineCall) -> Any:
        if self._writer is None:
            raise RuntimeError("call start() first")
        if self._lost is not None:
            raise AutoReconnect(f"the MongoDB stand-in's process is gone: {self._lost}")
        if self.stats is not None:
            self.stats.record(command)
        request_id = next(self._ids)
        reply = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = reply
        try:
            self._writer.write(encode_frame((request_id, call)))
            await self._writer.drain()
            return await reply
        finally:
            self._waiting.pop(request_id, None)

    async def _read_replies(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                request_id, succeeded, payload = await read_frame(reader)
                reply = self._waiting.pop(request_id, None)
                if reply is None or reply.done():
                    continue  # its caller was cancelled
                if succeeded:
                    reply.set_result(payload)
                else:
                    reply.set_exception(payload)
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            self._lost = error
        finally:
            self._lost = self._lost or ConnectionResetError("connection closed")
            for reply in self._waiting.values():
                if not reply.done():
                    reply.set_exception(
                        AutoReconnect(f"the MongoDB stand-in's process is gone: {self._lost}")
                    )

    async def close(self) -> None:
        if self._writer is None:
            return
        self._writer.close()
        with contextlib.suppress(ConnectionError):
            await self._writer.wait_closed()
        if self._replies is not None:
            await self._replies
        self._writer = None


class EmbeddedEngine:
    """The stand-in's child process for one data directory.

    With `memory=True` its data lives in the child's memory only (benchmarks), still out of
    the API's process, as a real database's would be.
    """

    def __init__(self, directory: Path, *, memory: bool = False) -> None:
        self.directory = directory.absolute()
        self.memory = memory
        self.url = ""
        self._process: asyncio.subprocess.Process | None = None
        self._socket_dir: Path | None = None

    def _socket_path(self) -> Path:
        path = self.directory / "engine.sock"
        if len(str(path)) < MAX_SOCKET_PATH:
            return path
        self._socket_dir = Path(tempfile.mkdtemp(prefix="aperture-engine-"))
        return self._socket_dir / "engine.sock"

    async def start(self) -> Self:
        self.directory.mkdir(parents=True, exist_ok=True)
        socket_path = self._socket_path()
        # Its stdin is a pipe from this process: when this process dies, even by SIGKILL, the
        # child reads end-of-file and exits. Its own session keeps a terminal's Ctrl-C from
        # stopping it before the API has finished its last writes.
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "aperture.embedded.engine_server", str(self.directory), str(socket_path),
            *([MEMORY_FLAG] if self.memory else []),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        assert self._process.stdout is not None  # noqa: S101 - piped just above
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), _START_TIMEOUT_S)
        except TimeoutError:
            line = b""
        if line != READY_LINE:
            await self.stop()
            raise RuntimeError(f"the MongoDB stand-in's process did not start (said {line!r})")
        self.url = f"{ENGINE_SCHEME}://{socket_path}"
        log.info("MongoDB stand-in started", extra={"pid": self._process.pid, "socket": str(socket_path)})
        return self

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            await terminate(process)  # SIGTERM lets it close its SQLite files cleanly
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
