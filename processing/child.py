"""One sandboxed media child process, seen from the worker: start it, hand it items, end it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections import deque
from typing import TYPE_CHECKING, Any

from processing.errors import MediaFailure, MediaRejected, ProcessingCrashed
from processing.sandbox import spawn

if TYPE_CHECKING:
    from pathlib import Path

    from processing.sandbox import ProcessingOptions

# Importing Wand and loading the coders takes about 0.25 s; a loaded machine may take longer
READY_TIMEOUT_S = 60
_GRACE_S = 2
_STDERR_LINES = 20


class ProcessingChild:
    """A `python -m processing.run` that takes one item at a time over its stdin."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self._stderr_tail: deque[str] = deque(maxlen=_STDERR_LINES)
        self._drain = asyncio.create_task(self._drain_stderr())
        self.items = 0
        self.resident_bytes = 0

    @classmethod
    async def start(cls) -> ProcessingChild:
        child = cls(await spawn())
        try:
            greeting = await asyncio.wait_for(child._read_answer(), READY_TIMEOUT_S)
        except TimeoutError:
            await child.kill()
            raise ProcessingCrashed(f"the media process did not start within {READY_TIMEOUT_S} s") from None
        except BaseException:
            await child.kill()
            raise
        if greeting != {"ready": True}:
            await child.kill()
            raise ProcessingCrashed(f"the media process did not start: {child._last_words()}")
        return child

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def alive(self) -> bool:
        return self._process.returncode is None

    async def process(
        self, kind: str, source: Path, out_dir: Path, declared: str, options: ProcessingOptions
    ) -> dict[str, Any]:
        """The item's result; raises MediaRejected (the input, or its time ran out) or
        ProcessingCrashed (the child died without an answer)."""
        request = {
            "kind": kind,
            "source": str(source),
            "out_dir": str(out_dir),
            "declared": declared,
            "options": options.limits(),
        }
        self.items += 1
        timeout_s = options.timeout_for(kind)
        try:
            answer = await asyncio.wait_for(self._exchange(request), timeout_s)
        except TimeoutError:
            await self.kill()
            raise MediaRejected(
                MediaFailure.TIMED_OUT, f"processing took longer than {timeout_s:g} s"
            ) from None
        if "rejected" in answer:
            rejection = answer["rejected"]
            raise MediaRejected(MediaFailure(rejection["code"]), str(rejection["reason"]))
        self.resident_bytes = int(answer["rss"])
        result: dict[str, Any] = answer["ok"]
        return result

    async def _exchange(self, request: dict[str, Any]) -> dict[str, Any]:
        stdin = self._process.stdin
        assert stdin is not None  # noqa: S101 - spawned with a pipe
        try:
            stdin.write(json.dumps(request).encode() + b"\n")
            await stdin.drain()
        except ConnectionError:
            pass  # it is gone; reading says how
        return await self._read_answer()

    async def _read_answer(self) -> dict[str, Any]:
        stdout = self._process.stdout
        assert stdout is not None  # noqa: S101 - spawned with a pipe
        line = await stdout.readline()
        if not line:
            await self.kill()  # already on its way out; this only makes sure
            raise ProcessingCrashed(self._last_words())
        try:
            answer: dict[str, Any] = json.loads(line)
        except ValueError:
            await self.kill()
            raise ProcessingCrashed(f"the media process answered {line[:100]!r}") from None
        return answer

    async def kill(self) -> None:
        """End it now, and any ffmpeg it started: they share its process group. Even when it
        has exited (it crashed mid-transcode), an ffmpeg it left behind is still in the group,
        and the group's id stays reserved while any member lives."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        await self._ended()

    async def close(self) -> None:
        """Let it finish: with its input closed, it exits after the item it is on."""
        stdin = self._process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        try:
            await asyncio.wait_for(self._process.wait(), _GRACE_S)
        except TimeoutError:
            await self.kill()
        await self._ended()

    async def _ended(self) -> None:
        await self._process.wait()
        if self._process.stdin is not None:
            self._process.stdin.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self._drain

    async def _drain_stderr(self) -> None:
        # Read all the time, so that a chatty child never blocks on a full pipe
        stderr = self._process.stderr
        assert stderr is not None  # noqa: S101 - spawned with a pipe
        async for line in stderr:
            self._stderr_tail.append(line.decode(errors="replace").rstrip())

    def _last_words(self) -> str:
        lines = [line for line in self._stderr_tail if line.strip()]
        if lines:
            return lines[-1][:300]
        code = self._process.returncode
        if code is not None and code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit {code}"
