"""Warm media child processes, reused from item to item and replaced after anything unusual.

Starting a sandboxed Python with Wand costs about 0.25 s of CPU, a third of what a 12 MP
photo costs in all, so children are kept and handed one item after another. Reuse must not
weaken the sandbox, so a child is ended, never reused, after a rejection (ImageMagick has
been seen to refuse the next large image after a refused bomb), a timeout, a crash or a
cancelled job, after ITEMS_PER_PROCESS items, and once it holds more than MAX_RESIDENT_BYTES.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from processing.child import ProcessingChild
from processing.errors import ProcessingCrashed

if TYPE_CHECKING:
    from pathlib import Path

    from processing.sandbox import ProcessingOptions

log = logging.getLogger(__name__)

ITEMS_PER_PROCESS = 100
# Well under the 3 GiB address-space cap, so a reused child still has room for a 50 MP image
MAX_RESIDENT_BYTES = 768 * 1024**2


class ProcessingPool:
    """Runs media items in sandboxed children, keeping up to `warm` of them idle between items.

    Items never wait for one another: with every warm child busy, the next item starts a new
    one, as it would without a pool. With `warm=0` every item gets a fresh process.
    """

    def __init__(self, *, warm: int = 2, items_per_process: int = ITEMS_PER_PROCESS) -> None:
        self._warm = warm
        self._items_per_process = items_per_process
        self._idle: list[ProcessingChild] = []
        self._busy: set[ProcessingChild] = set()
        self._starting: set[asyncio.Task[None]] = set()
        self._endings: set[asyncio.Task[None]] = set()
        self._closed = False
        self.started = 0
        self.retired = 0

    @property
    def children(self) -> list[ProcessingChild]:
        return [*self._idle, *self._busy]

    @property
    def busy(self) -> list[ProcessingChild]:
        return list(self._busy)

    async def run(
        self, kind: str, source: Path, out_dir: Path, declared: str, options: ProcessingOptions
    ) -> dict[str, Any]:
        """The item's result; raises MediaRejected or ProcessingCrashed, like the child."""
        await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
        child = await self._acquire()
        self._busy.add(child)
        try:
            result = await child.process(kind, source, out_dir, declared, options)
        except BaseException:
            # Rejected, timed out, crashed or cancelled mid-item: this child is not reused
            self._busy.discard(child)
            self._end(child, kill=True)
            raise
        self._busy.discard(child)
        self._release(child)
        return result

    def warm_up(self) -> None:
        """Start children in the background until `warm` are idle or on their way."""
        while not self._closed and len(self._idle) + len(self._starting) < self._warm:
            task = asyncio.create_task(self._start_idle())
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)

    async def close(self) -> None:
        """End every child: idle ones gracefully, busy ones at once (their jobs are retried
        elsewhere). Items sent after this are refused as crashes, so they are retried too."""
        self._closed = True
        await asyncio.gather(*self._starting, return_exceptions=True)
        for child in [*self._idle, *self._busy]:
            self._end(child, kill=child in self._busy)
        self._idle.clear()
        while self._endings:
            await asyncio.gather(*self._endings, return_exceptions=True)

    async def _acquire(self) -> ProcessingChild:
        while True:
            if self._closed:
                raise ProcessingCrashed("media processing is shutting down")
            while self._idle:
                child = self._idle.pop()
                if child.alive:
                    return child
                self._end(child, kill=True)
            if not self._starting:
                return await self._start()
            # One is on its way already: cheaper to wait for it than to start another
            await asyncio.wait(set(self._starting), return_when=asyncio.FIRST_COMPLETED)

    def _release(self, child: ProcessingChild) -> None:
        worn = child.items >= self._items_per_process or child.resident_bytes > MAX_RESIDENT_BYTES
        if self._closed or worn or len(self._idle) >= self._warm:
            self._end(child, kill=False)
        else:
            self._idle.append(child)

    async def _start(self) -> ProcessingChild:
        child = await ProcessingChild.start()
        self.started += 1
        if self._closed:  # closed while it started: nobody will end it later
            await child.close()
            raise ProcessingCrashed("media processing is shutting down")
        return child

    async def _start_idle(self) -> None:
        try:
            child = await self._start()
        except (ProcessingCrashed, OSError) as crash:
            if not self._closed:
                log.warning("a warm media process failed to start: %s", crash)
            return
        self._idle.append(child)

    def _end(self, child: ProcessingChild, *, kill: bool) -> None:
        self.retired += 1
        task = asyncio.create_task(child.kill() if kill else child.close())
        self._endings.add(task)
        task.add_done_callback(self._endings.discard)
        # A child ended early or worn out is replaced at once, so the next item finds one warm
        self.warm_up()


async def run_in_fresh_process(
    kind: str, source: Path, out_dir: Path, declared: str, options: ProcessingOptions
) -> dict[str, Any]:
    """One item in a process started for it alone: what every item cost before the pool."""
    pool = ProcessingPool(warm=0)
    try:
        return await pool.run(kind, source, out_dir, declared, options)
    finally:
        await pool.close()
