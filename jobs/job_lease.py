"""Short leases on running jobs, so a killed worker's jobs run again within seconds.

arq marks a running job with `arq:in-progress:<job id>`, which expires only after the longest
time limit of any job plus 10 s (over a quarter of an hour here, because a video transcode
may run that long); until it expires, no worker starts the job again. So a worker killed with
SIGKILL in the middle of a fan-out delayed it by 15 minutes. A running job now renews a short
lease on that key instead: after a kill the key lapses within LEASE_S, and the next poll of
any worker (or of the restarted one) runs the job again, which every job here allows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from arq.constants import in_progress_key_prefix
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

log = logging.getLogger("aperture.jobs")

LEASE_S = 10.0
RENEW_EVERY_S = LEASE_S / 4


@contextlib.asynccontextmanager
async def job_lease(ctx: dict[str, Any]) -> AsyncIterator[None]:
    """Hold the job's in-progress key for LEASE_S at a time while the body runs."""
    redis, job_id = ctx.get("redis"), ctx.get("job_id")
    if redis is None or job_id is None:  # a cron or a direct call: nothing to lease
        yield
        return
    renewing = asyncio.create_task(_renew(redis, in_progress_key_prefix + str(job_id)))
    try:
        yield
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing


async def _renew(redis: Any, key: str) -> None:
    while True:
        try:
            await redis.pexpire(key, int(LEASE_S * 1000))
        except RedisError as exc:
            # Redis is away: the job may be taken up again elsewhere, which it allows
            log.warning("cannot renew the lease %s: %s", key, exc)
        await asyncio.sleep(RENEW_EVERY_S)
