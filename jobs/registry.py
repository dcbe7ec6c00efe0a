"""Every job, with its handler and limits, in one table.

A domain package names its jobs (a `JobName` enum, e.g. services/timeline/job_names.py);
this table says what runs each of them. tests/jobs/test_registry.py fails when a name has no
handler here, or a handler no name.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from arq.worker import Function, Retry, func
from pymongo.errors import PyMongoError
from redis.exceptions import RedisError

from aperture import metrics
from aperture.logs import request_id_var
from jobs import archive, counters, discovery, media, notifications, timeline
from services.archive.job_names import ArchiveJob
from services.counters.job_names import CounterJob
from services.discovery.job_names import DiscoveryJob
from services.foundation.job_queue import REQUEST_ID_KWARG
from services.hashtags.job_names import HashtagJob
from services.media.job_names import MediaJob
from services.notifications.job_names import NotificationJob
from services.timeline.job_names import TimelineJob

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from arq.typing import WorkerCoroutine

    from services.foundation.job_queue import JobName

log = logging.getLogger("aperture.jobs")

# Failures of a store or the network that are worth waiting out
TRANSIENT_ERRORS = (RedisError, PyMongoError, OSError)
RETRY_DELAY_CAP_S = 30
# Fan-out batches retry until they succeed, in practice: 100 tries at the 30 s cap is ~50 min
FANOUT_TRIES = 100


def retry_delay_s(job_try: int) -> int:
    return int(min(2**job_try, RETRY_DELAY_CAP_S))


@dataclass(frozen=True)
class JobSpec:
    handler: Callable[..., Awaitable[Any]]
    timeout_s: float
    max_tries: int | None = None


JOBS: Mapping[JobName, JobSpec] = {
    TimelineJob.FANOUT_POST: JobSpec(timeline.fanout_post, timeout_s=120, max_tries=FANOUT_TRIES),
    TimelineJob.FANOUT_BATCH: JobSpec(timeline.fanout_batch, timeout_s=60, max_tries=FANOUT_TRIES),
    TimelineJob.UNFANOUT_POST: JobSpec(timeline.unfanout_post, timeout_s=120, max_tries=FANOUT_TRIES),
    TimelineJob.UNFANOUT_BATCH: JobSpec(timeline.unfanout_batch, timeout_s=60, max_tries=FANOUT_TRIES),
    TimelineJob.BACKFILL_FOLLOW: JobSpec(timeline.backfill_follow, timeout_s=60, max_tries=FANOUT_TRIES),
    TimelineJob.UNMERGE_FOLLOW: JobSpec(timeline.unmerge_follow, timeout_s=60, max_tries=FANOUT_TRIES),
    TimelineJob.PROMOTE_FAMOUS: JobSpec(timeline.promote_famous, timeout_s=120, max_tries=FANOUT_TRIES),
    TimelineJob.PROMOTE_BATCH: JobSpec(timeline.promote_batch, timeout_s=60, max_tries=FANOUT_TRIES),
    TimelineJob.DEMOTE_FAMOUS: JobSpec(timeline.demote_famous, timeout_s=120, max_tries=FANOUT_TRIES),
    TimelineJob.DEMOTE_BATCH: JobSpec(timeline.demote_batch, timeout_s=60, max_tries=FANOUT_TRIES),
    TimelineJob.SWEEP_LAPSED: JobSpec(timeline.sweep_lapsed, timeout_s=300),
    CounterJob.FLUSH_COUNTERS: JobSpec(counters.flush_counters, timeout_s=120),
    MediaJob.PROCESS_MEDIA: JobSpec(media.process_media, timeout_s=3600, max_tries=5),
    MediaJob.PROCESS_AVATAR: JobSpec(media.process_avatar, timeout_s=600, max_tries=5),
    MediaJob.RECOVER_MEDIA: JobSpec(media.recover_media, timeout_s=300),
    MediaJob.PURGE_MEDIA: JobSpec(media.purge_media, timeout_s=300),
    MediaJob.EXPIRE_UPLOADS: JobSpec(media.expire_uploads, timeout_s=600),
    ArchiveJob.ARCHIVE_POSTS: JobSpec(archive.archive_posts, timeout_s=600),
    ArchiveJob.PROMOTE_POST: JobSpec(archive.promote_post, timeout_s=120),
    NotificationJob.SYNC_LIKE: JobSpec(notifications.sync_like, timeout_s=60),
    NotificationJob.SYNC_COMMENT: JobSpec(notifications.sync_comment, timeout_s=60),
    NotificationJob.SYNC_FOLLOW: JobSpec(notifications.sync_follow, timeout_s=60),
    NotificationJob.SYNC_CAPTION: JobSpec(notifications.sync_caption, timeout_s=60),
    NotificationJob.FORGET_POST: JobSpec(notifications.forget_post, timeout_s=120),
    HashtagJob.SYNC_POST_TAGS: JobSpec(discovery.sync_post_tags, timeout_s=60),
    DiscoveryJob.REBUILD_PEOPLE_INDEX: JobSpec(discovery.rebuild_people_index, timeout_s=900),
}


def instrumented(name: str, body: Callable[..., Awaitable[Any]]) -> WorkerCoroutine:
    """The job body with the enqueuing request's id in its logs, and its outcome in the metrics."""

    @functools.wraps(body)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        token = request_id_var.set(kwargs.pop(REQUEST_ID_KWARG, None) or ctx.get("job_id"))
        started = time.perf_counter()
        outcome = "ok"
        try:
            return await body(ctx, *args, **kwargs)
        except (Retry, asyncio.CancelledError):
            # Cancelled: out of time (retried) or the worker is stopping (run again later)
            outcome = "retry"
            raise
        except TRANSIENT_ERRORS as exc:
            # A store that is away for a moment: every job is safe to run again, and one that
            # gave up here (a fan-out batch after its push) would leave its work undone
            outcome = "retry"
            delay_s = retry_delay_s(int(ctx.get("job_try", 1)))
            log.warning(
                "job %s met %s: %s; retrying in %s s",
                name,
                type(exc).__name__,
                exc,
                delay_s,
                extra={"job": name, "try": ctx.get("job_try")},
            )
            raise Retry(defer=delay_s) from exc
        except Exception:
            outcome = "failed"
            metrics.JOB_FAILURES.labels(job=name).inc()
            log.exception("job %s failed", name, extra={"job": name, "try": ctx.get("job_try")})
            raise
        finally:
            elapsed = time.perf_counter() - started
            metrics.JOB_SECONDS.labels(job=name, outcome=outcome).observe(elapsed)
            log.debug(
                "job %s finished",
                name,
                extra={"job": name, "outcome": outcome, "duration_ms": round(elapsed * 1000, 2)},
            )
            request_id_var.reset(token)

    return cast("WorkerCoroutine", run)


def instrumented_handler(name: JobName) -> WorkerCoroutine:
    return instrumented(name.value, JOBS[name].handler)


def arq_functions() -> list[Function]:
    """The table as arq functions. Results are not kept: jobs report through the stores, and
    a kept result would block re-enqueueing the same job id."""
    return [
        func(
            instrumented_handler(name),
            name=name.value,
            timeout=spec.timeout_s,
            max_tries=spec.max_tries,
            keep_result=0,
        )
        for name, spec in JOBS.items()
    ]
