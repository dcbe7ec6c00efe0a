"""A worker whose job slots were all taken starts the next queued job as soon as one ends,
not at its next poll (jobs/resilient_worker.py): a fan-out wider than `max_jobs` batches
would otherwise leave its last batches waiting up to a poll delay."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from arq.connections import RedisSettings
from arq.worker import func

from jobs.resilient_worker import ResilientWorker
from tests.processes import arq_queue, redis_db_url

QUEUE = "aperture:test-worker-slots"
STARTS = "worker-slots:starts"
POLL_DELAY_S = 5.0
JOB_S = 0.3


async def takes_a_while(ctx: dict[str, Any], index: int) -> None:
    await ctx["redis"].rpush(STARTS, f"{index}:{time.time()}")
    await asyncio.sleep(JOB_S)


async def test_a_freed_slot_starts_the_next_job_without_waiting_for_the_poll(redis_url: str) -> None:
    async with arq_queue(redis_url, 7, QUEUE) as pool:
        worker = ResilientWorker(
            functions=[func(takes_a_while, name="takes_a_while")],
            queue_name=QUEUE,
            redis_settings=RedisSettings.from_dsn(redis_db_url(redis_url, 7)),
            poll_delay=POLL_DELAY_S,
            max_jobs=2,
            handle_signals=False,
            keep_result=0,
        )
        for index in range(4):
            await pool.enqueue_job("takes_a_while", index, _job_id=f"slots:{index}")
        began = time.time()
        running = asyncio.create_task(worker.main())
        try:
            while await pool.llen(STARTS) < 4 and time.time() - began < 3 * POLL_DELAY_S:  # type: ignore[misc]
                await asyncio.sleep(0.05)
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
            await worker.close()
        entries: list[bytes] = await pool.lrange(STARTS, 0, -1)  # type: ignore[misc]
        starts = sorted(float(entry.split(b":")[1]) - began for entry in entries)
    assert len(starts) == 4
    # The first two start at once; the last two when those end, well before a poll delay
    assert starts[2] >= JOB_S * 0.9
    assert starts[3] < JOB_S + 2.0 < POLL_DELAY_S
