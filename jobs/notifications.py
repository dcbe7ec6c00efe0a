"""Notification jobs: thin adapters from arq to NotificationService."""

from __future__ import annotations

from typing import Any

from jobs.context import services_of


async def sync_like(ctx: dict[str, Any], post_id: int, user_id: int) -> None:
    await services_of(ctx).notifications.sync_like(post_id, user_id)


async def sync_comment(ctx: dict[str, Any], comment_id: int, post_id: int) -> None:
    await services_of(ctx).notifications.sync_comment(comment_id, post_id)


async def sync_follow(ctx: dict[str, Any], follower_id: int, followee_id: int) -> None:
    await services_of(ctx).notifications.sync_follow(follower_id, followee_id)


async def sync_caption(ctx: dict[str, Any], post_id: int) -> None:
    await services_of(ctx).notifications.sync_caption(post_id)


async def forget_post(ctx: dict[str, Any], post_id: int) -> None:
    await services_of(ctx).notifications.forget_post(post_id)
