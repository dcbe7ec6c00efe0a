"""The home timeline and the user timeline: pages of hydrated posts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.cursors import decode_cursor
from resolvers.hydration import HydratedPost, hydrate_posts
from resolvers.pages import Edge, EdgePage
from resolvers.selection import connection_node_fields
from services.foundation.errors import forbidden
from services.foundation.pagination import check_page_size

if TYPE_CHECKING:
    from resolvers.context import Info
    from services.foundation.pagination import Page
    from services.posts.records import PostRecord


async def hydrated_page(info: Info, page: Page[PostRecord], after_key: int | None) -> EdgePage[HydratedPost]:
    posts = await hydrate_posts(info.context.loaders, page.items, connection_node_fields(info))
    return EdgePage(
        edges=[Edge(post.record.id, post) for post in posts],
        keys=[record.id for record in page.items],
        has_next=page.has_next,
        has_previous=after_key is not None,
    )


async def home_timeline(info: Info, user_id: int, first: int, after: str | None) -> EdgePage[HydratedPost]:
    if info.context.viewer_id != user_id:
        raise forbidden("a home timeline is private to its owner")
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    viewer_id = info.context.require_viewer()
    page = await info.context.services.home.page(viewer_id, after_key, limit)
    return await hydrated_page(info, page, after_key)


async def user_timeline(info: Info, author_id: int, first: int, after: str | None) -> EdgePage[HydratedPost]:
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    viewer_id = info.context.viewer_id
    page = await info.context.services.posts.author_posts(
        author_id, after_key, limit, include_own_hidden=viewer_id == author_id
    )
    return await hydrated_page(info, page, after_key)
