"""Hashtag and people-index jobs: thin adapters from arq to the services."""

from __future__ import annotations

from typing import Any

from jobs.context import services_of


async def sync_post_tags(ctx: dict[str, Any], post_id: int) -> None:
    await services_of(ctx).hashtags.sync_post(post_id)


async def rebuild_people_index(ctx: dict[str, Any]) -> None:
    await services_of(ctx).search.rebuild()
