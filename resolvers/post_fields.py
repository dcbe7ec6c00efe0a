"""Fields of a post that a hydrated page already holds, or that load on demand.

Each answers synchronously from hydrated data (a few microseconds) and otherwise returns an
awaitable loader call; graphql-core accepts either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from resolvers.context import Info
    from resolvers.hydration import HydratedPost
    from services.accounts.users import UserRecord


def author(info: Info, post: HydratedPost) -> UserRecord | Awaitable[UserRecord]:
    if post.author is not None:
        return post.author
    return _load_author(info, post)


async def _load_author(info: Info, post: HydratedPost) -> UserRecord:
    record = await info.context.loaders.user_by_id.load(post.record.author_id)
    if record is None:
        raise LookupError(f"author {post.record.author_id} of post {post.record.id} is missing")
    return record


async def mentions(info: Info, post: HydratedPost) -> list[UserRecord]:
    records = await info.context.loaders.user_by_id.load_many(list(post.record.mention_ids))
    return [record for record in records if record is not None]


def count(info: Info, post: HydratedPost, field: str) -> int | Awaitable[int]:
    if post.counts is not None:
        return post.counts[field]
    return _load_count(info, post.record.id, field)


async def _load_count(info: Info, post_id: int, field: str) -> int:
    return (await info.context.loaders.post_counts.load(post_id))[field]


def viewer_has_liked(info: Info, post: HydratedPost) -> bool | Awaitable[bool]:
    if post.liked is not None:
        return post.liked
    return info.context.loaders.viewer_has_liked.load(post.record.id)
