"""Hashtag pages, following hashtags, and trending tags."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers import privacy
from resolvers.cursors import decode_cursor
from resolvers.interactions import Change
from resolvers.pages import Edge, EdgePage
from resolvers.timelines import hydrated_page
from services.foundation.errors import forbidden
from services.foundation.pagination import check_page_size
from services.hashtags.names import normalize_hashtag

if TYPE_CHECKING:
    from resolvers.context import Info
    from resolvers.hydration import HydratedPost
    from services.hashtags.trending import TrendingHashtag


def hashtag(name: str) -> str:
    """The tag a name stands for (INVALID_HASHTAG if none); an unknown tag is just empty."""
    return normalize_hashtag(name)


async def hashtag_posts(info: Info, tag: str, first: int, after: str | None) -> EdgePage[HydratedPost]:
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    page = await info.context.services.hashtags.page(tag, after_key, limit)
    # Private accounts' posts only for their followers; none across a block. The page may come
    # out short, but its cursor still moves past what was left out
    shown = await privacy.visible_posts(info, page.items)
    return await hydrated_page(info, page, after_key, shown=shown)


async def viewer_follows(info: Info, tag: str) -> bool:
    if info.context.viewer_id is None:
        return False
    return await info.context.loaders.viewer_follows_hashtag.load(tag)


async def follow_hashtag(info: Info, name: str, *, follow: bool) -> Change[str]:
    viewer_id = info.context.require_viewer()
    tag = normalize_hashtag(name)
    follows = info.context.services.hashtags.follows
    changed = await (follows.follow if follow else follows.unfollow)(viewer_id, tag)
    return Change(tag, changed)


async def followed_hashtags(info: Info, user_id: int, first: int, after: str | None) -> EdgePage[str]:
    if info.context.viewer_id != user_id:
        raise forbidden("followed hashtags are private to their owner")
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    page = await info.context.services.hashtags.follows.page(user_id, after_key, limit)
    return EdgePage(
        edges=[Edge(followed.seq, followed.tag, since=followed.created_at) for followed in page.items],
        keys=[followed.seq for followed in page.items],
        has_next=page.has_next,
        has_previous=after_key is not None,
    )


async def trending(info: Info, first: int) -> list[TrendingHashtag]:
    return await info.context.services.hashtags.trending.top(check_page_size(first))
