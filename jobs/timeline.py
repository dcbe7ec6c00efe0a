"""Timeline jobs: thin adapters from arq to FanoutService.

A root job splits the author's follower index into id ranges and enqueues one batch job per
range (the job carries the range, not the ids), so the batches of one post run in parallel
across workers.
"""

from __future__ import annotations

from typing import Any

from jobs.context import services_of


async def fanout_post(ctx: dict[str, Any], post_id: int, visible_at: float) -> None:
    await services_of(ctx).fanout.start(post_id, visible_at)


async def fanout_batch(
    ctx: dict[str, Any],
    post_id: int,
    author_id: int,
    low: int,
    high: int | None,
    position: str,
    visible_at: float,
) -> None:
    await services_of(ctx).fanout.push_batch(post_id, author_id, low, high, position, visible_at)


async def unfanout_post(ctx: dict[str, Any], post_id: int, author_id: int) -> None:
    await services_of(ctx).fanout.start_removal(post_id, author_id)


async def unfanout_batch(
    ctx: dict[str, Any], post_id: int, author_id: int, low: int, high: int | None, position: str
) -> None:
    await services_of(ctx).fanout.unpush_batch(post_id, author_id, low, high, position)


async def backfill_follow(ctx: dict[str, Any], follower_id: int, followee_id: int) -> None:
    await services_of(ctx).fanout.backfill_follow(follower_id, followee_id)


async def unmerge_follow(ctx: dict[str, Any], follower_id: int, followee_id: int) -> None:
    await services_of(ctx).fanout.unmerge_follow(follower_id, followee_id)


async def promote_famous(ctx: dict[str, Any], author_id: int) -> None:
    await services_of(ctx).fanout.start_promotion(author_id)


async def promote_batch(
    ctx: dict[str, Any], author_id: int, _author_id: int, low: int, high: int | None, position: str
) -> None:
    await services_of(ctx).fanout.promote_batch(author_id, low, high, position)


async def demote_famous(ctx: dict[str, Any], author_id: int) -> None:
    await services_of(ctx).fanout.start_demotion(author_id)


async def demote_batch(
    ctx: dict[str, Any], author_id: int, _author_id: int, low: int, high: int | None, position: str
) -> None:
    await services_of(ctx).fanout.demote_batch(author_id, low, high, position)


async def sweep_lapsed(ctx: dict[str, Any]) -> None:
    await services_of(ctx).lapses.sweep()
