"""Media processing jobs: thin adapters from arq to MediaProcessor and UploadService."""

from __future__ import annotations

from typing import Any

from arq import Retry

from jobs.context import services_of
from services.media.processing import RetryLater

STUCK_AFTER_S = 3600


async def process_media(ctx: dict[str, Any], post_id: int, media_id: int) -> None:
    try:
        await services_of(ctx).media.process(post_id, media_id, ctx.get("job_try", 1))
    except RetryLater as later:
        raise Retry(defer=later.delay_s) from later


async def process_avatar(ctx: dict[str, Any], user_id: int, media_id: int) -> None:
    try:
        await services_of(ctx).avatars.process(user_id, media_id, ctx.get("job_try", 1))
    except RetryLater as later:
        raise Retry(defer=later.delay_s) from later


async def recover_media(ctx: dict[str, Any]) -> int:
    """Resubmits posts whose processing job was lost (for example with a wiped queue)."""
    return await services_of(ctx).media.recover(STUCK_AFTER_S)


async def purge_media(ctx: dict[str, Any], post_id: int) -> int:
    """Deletes the blobs of a deleted post."""
    return await services_of(ctx).media.purge(post_id)


async def expire_uploads(ctx: dict[str, Any]) -> int:
    """Deletes the blobs and documents of uploads that were never put in a post."""
    return await services_of(ctx).uploads.expire()
