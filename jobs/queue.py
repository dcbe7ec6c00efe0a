"""The producer side of the job queue: services enqueue through JobQueue, never through arq directly."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from arq.connections import ArqRedis, RedisSettings, create_pool

from aperture.logs import request_id_var
from aperture.settings import is_cluster_url
from jobs.registry import REQUEST_ID_KWARG

if TYPE_CHECKING:
    from aperture.settings import Settings

log = logging.getLogger(__name__)

QUEUE_NAME = "aperture:queue"


def queue_redis_settings(settings: Settings) -> RedisSettings:
    url = settings.queue_redis_url or settings.redis_url
    if is_cluster_url(url) or (settings.redis_cluster and not settings.queue_redis_url):
        raise ValueError("arq needs a single Redis node: set QUEUE_REDIS_URL when REDIS_URL is a cluster")
    return RedisSettings.from_dsn(url)


class JobQueue:
    def __init__(self, pool: ArqRedis) -> None:
        self.pool = pool

    async def enqueue(
        self, function: str, *args: Any, job_id: str | None = None, defer_s: float | None = None
    ) -> bool:
        """Enqueue a job; False when a job with the same id is already queued or kept."""
        # The request id follows the work into the job's logs, and into the jobs it enqueues
        job = await self.pool.enqueue_job(
            function,
            *args,
            _job_id=job_id,
            _defer_by=defer_s,
            _queue_name=QUEUE_NAME,
            **cast("dict[str, Any]", {REQUEST_ID_KWARG: request_id_var.get()}),
        )
        return job is not None

    async def depth(self) -> int:
        return int(await self.pool.zcard(QUEUE_NAME))

    async def close(self) -> None:
        await self.pool.aclose()


async def open_queue(settings: Settings) -> JobQueue:
    pool = await create_pool(queue_redis_settings(settings), default_queue_name=QUEUE_NAME)
    return JobQueue(pool)
