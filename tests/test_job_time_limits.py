"""A job that runs out of time is retried by a real arq worker, not failed for good."""

from __future__ import annotations

import asyncio
from typing import Any

from arq.connections import RedisSettings
from arq.worker import Worker, func

from jobs.worker import time_limited
from tests.processes import arq_queue, redis_db_url

QUEUE = "aperture:test-time-limits"
RUNS_KEY = "time-limits:runs"
DONE_KEY = "time-limits:done"


async def slow_first_time(ctx: dict[str, Any]) -> None:
    """Overruns its limit on the first try only, like a batch on a briefly starved machine."""
    redis = ctx["redis"]
    runs = await redis.incr(RUNS_KEY)
    if runs == 1:
        await asyncio.sleep(30)
    await redis.set(DONE_KEY, runs)


async def raises_its_own_timeout(ctx: dict[str, Any]) -> None:
    await ctx["redis"].incr(RUNS_KEY)
    raise TimeoutError("a client call timed out")


def _worker(redis_url: str, job: Any, cap_s: int) -> Worker:
    return Worker(
        functions=[time_limited(job, cap_s)],
        queue_name=QUEUE,
        redis_settings=RedisSettings.from_dsn(redis_db_url(redis_url, 6)),
        burst=True,
        poll_delay=0.05,
        handle_signals=False,
        keep_result=0,
        max_tries=3,
    )


async def test_a_job_out_of_time_is_retried_and_finishes(redis_url: str) -> None:
    async with arq_queue(redis_url, 6, QUEUE) as pool:
        await pool.enqueue_job("slow_first_time", _queue_name=QUEUE)
        worker = _worker(redis_url, func(slow_first_time, name="slow_first_time", timeout=60), cap_s=1)
        try:
            await asyncio.wait_for(worker.async_run(), timeout=30)
        finally:
            await worker.close()
        assert int(await pool.get(RUNS_KEY)) == 2
        assert int(await pool.get(DONE_KEY)) == 2
        assert (worker.jobs_retried, worker.jobs_failed, worker.jobs_complete) == (1, 0, 1)


async def test_a_timeout_raised_by_the_job_itself_is_a_failure(redis_url: str) -> None:
    async with arq_queue(redis_url, 6, QUEUE) as pool:
        await pool.enqueue_job("raises_its_own_timeout", _queue_name=QUEUE)
        worker = _worker(redis_url, func(raises_its_own_timeout, name="raises_its_own_timeout"), cap_s=5)
        try:
            await asyncio.wait_for(worker.async_run(), timeout=30)
        finally:
            await worker.close()
        assert int(await pool.get(RUNS_KEY)) == 1
        assert (worker.jobs_retried, worker.jobs_failed) == (0, 1)
