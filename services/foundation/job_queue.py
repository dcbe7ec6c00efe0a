"""The producer side of the job queue, and the base of every job name.

Each domain package names its own jobs in an enum derived from `JobName`; jobs/registry.py
maps every member to its handler, and a test fails when a name has none. Services enqueue
through `JobQueue`, which takes only `JobName` members, so a job can't be enqueued by a bare
string that nothing handles. The consumer side (arq's worker) lives in the top-level `jobs/`.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

from arq.connections import ArqRedis, RedisSettings, create_pool

from aperture.logs import request_id_var
from aperture.settings import is_cluster_url

if TYPE_CHECKING:
    from aperture.settings import Settings

log = logging.getLogger(__name__)

QUEUE_NAME = "aperture:queue"
# Tokens that wake an idle worker at once instead of at its next poll (jobs/worker.py)
WAKE_KEY = "aperture:queue:wake"
_WAKE_TOKENS = 16
# Carries the id of the request that enqueued a job into the job's logs
REQUEST_ID_KWARG = "request_id"


class JobName(StrEnum):
    """Base of the job-name enums that domain packages declare (an enum without members can be
    subclassed, and each member is the name arq runs the job under)."""


def queue_redis_settings(settings: Settings) -> RedisSettings:
    url = settings.queue_redis_url or settings.redis_url
    if is_cluster_url(url) or (settings.redis_cluster and not settings.queue_redis_url):
        raise ValueError("arq needs a single Redis node: set QUEUE_REDIS_URL when REDIS_URL is a cluster")
    return RedisSettings.from_dsn(url)


class JobQueue:
    def __init__(self, pool: ArqRedis) -> None:
        self.pool = pool

    async def enqueue(
        self,
        job: JobName,
        *args: Any,
        job_id: str | None = None,
        defer_s: float | None = None,
        wake: bool = True,
    ) -> bool:
        """Enqueue a job; False when a job with the same id is already queued or kept.

        A job due now wakes an idle worker unless `wake` is False (a caller enqueueing many
        jobs wakes once, with `wake()`)."""
        if not isinstance(job, JobName):
            raise TypeError(f"jobs are enqueued by a JobName member, not {job!r}")
        # The request id follows the work into the job's logs, and into the jobs it enqueues
        enqueued = await self.pool.enqueue_job(
            job.value,
            *args,
            _job_id=job_id,
            _defer_by=defer_s,
            _queue_name=QUEUE_NAME,
            **cast("dict[str, Any]", {REQUEST_ID_KWARG: request_id_var.get()}),
        )
        if enqueued is not None and wake and not defer_s:
            await self.wake()
        return enqueued is not None

    async def wake(self) -> None:
        """Wake idle workers now rather than at their next poll (a bounded list of tokens that
        workers block on, so a burst of enqueues wakes at most a few workers)."""
        async with self.pool.pipeline(transaction=False) as pipe:
            pipe.lpush(WAKE_KEY, 1)
            pipe.ltrim(WAKE_KEY, 0, _WAKE_TOKENS - 1)
            await pipe.execute()

    async def depth(self) -> int:
        return int(await self.pool.zcard(QUEUE_NAME))

    async def close(self) -> None:
        await self.pool.aclose()


async def open_queue(settings: Settings) -> JobQueue:
    pool = await create_pool(queue_redis_settings(settings), default_queue_name=QUEUE_NAME)
    return JobQueue(pool)
