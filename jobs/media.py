"""Media processing jobs: thin adapters from arq to MediaProcessor."""

from __future__ import annotations

from typing import Any

from arq import Retry

from jobs.registry import job, services_of
from services.media.processing import RetryLater

STUCK_AFTER_S = 3600


@job(timeout_s=3600, max_tries=5)
async def process_media(ctx: dict[str, Any], post_id: int, media_id: int) -> None:
    try:
        await services_of(ctx).media.process(post_id, media_id, ctx.get("job_try", 1))
    except RetryLater as later:
        raise Retry(defer=later.delay_s) from later


@job(timeout_s=300)
async def recover_media(ctx: dict[str, Any]) -> int:
    """Resubmits posts whose processing job was lost (for example with a wiped queue)."""
    return await services_of(ctx).media.recover(STUCK_AFTER_S)


@job(timeout_s=300)
async def purge_media(ctx: dict[str, Any], post_id: int) -> int:
    """Deletes the blobs of a deleted post."""
    return await services_of(ctx).media.purge(post_id)


@job(timeout_s=600)
async def expire_uploads(ctx: dict[str, Any]) -> int:
    """Deletes the blobs and documents of uploads that were never put in a post."""
    return await services_of(ctx).uploads.expire()
