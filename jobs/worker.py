"""The consumer side: an arq Worker that runs every registered job."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from arq.cron import cron
from arq.worker import Function, Retry

from jobs.job_lease import job_lease
from jobs.registry import arq_functions, instrumented_handler, retry_delay_s
from jobs.resilient_worker import ResilientWorker
from services.archive.job_names import ArchiveJob
from services.counters.job_names import CounterJob
from services.foundation.job_queue import QUEUE_NAME, queue_redis_settings
from services.media.job_names import MediaJob
from services.runtime import open_services
from services.timeline.job_names import TimelineJob

if TYPE_CHECKING:
    from aperture.settings import Settings
    from services.container import Services

log = logging.getLogger("aperture.jobs")

TIMEOUT_GRACE_S = 2


def time_limited(function: Function, cap_s: int) -> Function:
    """Run the job under its own limit, capped by JOB_TIMEOUT_S, and retry it when time runs out.

    arq fails a timed-out job for good. Every job here is safe to re-run, and one cut short
    (a fan-out batch on a starved machine) still has work to finish, so running out of time
    is a Retry with backoff, up to the job's max_tries. arq's own timeout stays a few seconds
    later as a backstop. While it runs, the job holds a short lease (jobs/job_lease.py), so a
    killed worker's job runs again within seconds, not after arq's in-progress expiry."""
    limit_s = min(function.timeout_s or cap_s, cap_s)
    job_body = function.coroutine

    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        deadline = asyncio.timeout(limit_s)
        try:
            async with job_lease(ctx), deadline:
                return await job_body(ctx, *args, **kwargs)
        except TimeoutError:
            if not deadline.expired():
                raise  # the job's own timeout (a client call), not its time limit
            delay_s = retry_delay_s(int(ctx.get("job_try", 1)))
            log.warning(
                "job %s ran out of time after %s s; retrying in %s s",
                function.name,
                limit_s,
                delay_s,
                extra={"job": function.name, "try": ctx.get("job_try")},
            )
            raise Retry(defer=delay_s) from None

    return dataclasses.replace(function, coroutine=run, timeout_s=limit_s + TIMEOUT_GRACE_S)


def build_worker(
    settings: Settings,
    services: Services | None = None,
    *,
    burst: bool = False,
    max_jobs: int | None = None,
    poll_delay_s: float | None = None,
) -> ResilientWorker:
    """A worker that uses `services` when given (in-process), or opens its own stores."""
    exit_stack = contextlib.AsyncExitStack()

    async def on_startup(ctx: dict[str, Any]) -> None:
        if "services" not in ctx:
            ctx["services"] = await exit_stack.enter_async_context(open_services(settings))
        if not burst:
            ctx["services"].media.warm_up()  # a burst worker (tests, one-off drains) starts them on demand

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        del ctx
        await exit_stack.aclose()

    return ResilientWorker(
        functions=[time_limited(function, settings.job_timeout_s) for function in arq_functions()],
        cron_jobs=[
            # A safety net: flushes are normally enqueued by the writes themselves
            cron(
                instrumented_handler(CounterJob.FLUSH_COUNTERS),
                name="cron:flush_counters",
                second={0, 30},
                unique=True,
            ),
            cron(
                instrumented_handler(MediaJob.RECOVER_MEDIA),
                name="cron:recover_media",
                minute={5, 20, 35, 50},
                unique=True,
            ),
            cron(
                instrumented_handler(MediaJob.EXPIRE_UPLOADS),
                name="cron:expire_uploads",
                minute={41},
                unique=True,
            ),
            # Readers whose activity lapsed leave the follower indexes (services/timeline/lapses.py)
            cron(
                instrumented_handler(TimelineJob.SWEEP_LAPSED),
                name="cron:sweep_lapsed",
                second={10},
                unique=True,
            ),
            cron(
                instrumented_handler(ArchiveJob.ARCHIVE_POSTS),
                name="cron:archive_posts",
                minute={17},
                unique=True,
            ),
        ],
        queue_name=QUEUE_NAME,
        redis_settings=queue_redis_settings(settings),
        ctx={"services": services} if services is not None else {},
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        handle_signals=False,
        burst=burst,
        poll_delay=0.05 if burst else (poll_delay_s or settings.worker_poll_delay_s),
        max_jobs=max_jobs or settings.worker_max_jobs,
        job_timeout=settings.job_timeout_s,
        keep_result=0,
        max_tries=8,
    )
