"""arq's Worker, made to wake on new work and to survive losing Redis.

- arq polls the queue every `poll_delay`; a job enqueued just after a poll waits that long.
  This worker blocks on the wake list that `JobQueue` pushes to (services/foundation/
  job_queue.py), for at most one poll delay, so a new fan-out starts within a round trip.
- With every slot taken, arq sleeps a whole poll delay before it looks again, so jobs that
  queued behind full slots (the last batches of a fan-out wider than `max_jobs` batches) wait
  up to that long after a slot frees. This worker looks again as soon as a job ends.
- arq's main loop ends on the first Redis error raised while it polls (a Redis restart, a
  dropped connection, an out-of-memory reply), and with no supervisor no job runs after that.
  This one logs the error, backs off (0.1 s doubling to 5 s) and keeps polling; redis-py
  reconnects on the next command. Jobs cut off by the outage run again when their lease
  lapses (jobs/job_lease.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from arq.connections import create_pool, log_redis_info
from arq.worker import Worker
from redis.exceptions import RedisError

from services.foundation.job_queue import WAKE_KEY

log = logging.getLogger("aperture.jobs")

_FIRST_BACKOFF_S = 0.1
_MAX_BACKOFF_S = 5.0


class ResilientWorker(Worker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._slot_freed = asyncio.Event()

    def _release_sem_dec_counter_on_complete(self) -> None:
        super()._release_sem_dec_counter_on_complete()
        self._slot_freed.set()

    async def main(self) -> None:
        if self._pool is None:
            self._pool = await create_pool(
                self.redis_settings,
                job_deserializer=self.job_deserializer,
                job_serializer=self.job_serializer,
                default_queue_name=self.queue_name,
                expires_extra_ms=self.expires_extra_ms,
            )
        log.info("worker starting for %d functions", len(self.functions))
        await log_redis_info(self.pool, log.info)
        self.ctx["redis"] = self.pool
        if self.on_startup:
            await self.on_startup(self.ctx)
        backoff = _FIRST_BACKOFF_S
        while True:
            try:
                await self._poll_iteration()
                if self.burst and await self._burst_done():
                    return
                await self._wait_for_work()
            except (RedisError, OSError) as exc:
                log.warning(
                    "worker lost Redis (%s: %s); polling again in %.1f s", type(exc).__name__, exc, backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
            else:
                backoff = _FIRST_BACKOFF_S

    async def _burst_done(self) -> bool:
        """arq's burst rule: stop once the job budget is spent or the queue is empty."""
        if 0 <= self.max_burst_jobs <= self._jobs_started() or not await self.pool.zcard(self.queue_name):
            await asyncio.gather(*self.tasks.values())
            return True
        return False

    async def _wait_for_work(self) -> None:
        if self.burst:
            await asyncio.sleep(self.poll_delay_s)
            return
        if self.job_counter >= self.max_jobs:
            # Busy: a wake-up could not start anything now, but a job ending can
            self._slot_freed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._slot_freed.wait(), self.poll_delay_s)
            return
        # BLPOP takes fractions of a second since Redis 6
        await self.pool.blpop([WAKE_KEY], timeout=self.poll_delay_s)  # type: ignore[arg-type,misc]
