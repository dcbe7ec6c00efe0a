"""Hot/cold tier jobs: thin adapters from arq to ArchiveService."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from jobs.context import services_of


async def archive_posts(
    ctx: dict[str, Any], age_s: float | None = None, max_engagement: int | None = None
) -> int:
    age = timedelta(seconds=age_s) if age_s is not None else None
    report = await services_of(ctx).archive.run(age=age, max_engagement=max_engagement)
    return report.archived


async def promote_post(ctx: dict[str, Any], post_id: int) -> bool:
    return await services_of(ctx).archive.promote(post_id)
