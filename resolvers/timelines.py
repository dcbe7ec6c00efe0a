"""The home timeline and the user timeline: pages of hydrated posts."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from resolvers import privacy
from resolvers.cursors import decode_cursor
from resolvers.hydration import HydratedPost, card_fetch, hydrate_posts
from resolvers.pages import Edge, EdgePage
from resolvers.selection import connection_node_fields
from services.foundation.errors import forbidden
from services.foundation.pagination import check_page_size
from services.timeline.home import Candidate

if TYPE_CHECKING:
    from resolvers.context import Info
    from services.foundation.pagination import Page
    from services.posts.records import PostRecord


async def hydrated_page(
    info: Info, page: Page[PostRecord], after_key: int | None, *, shown: list[PostRecord] | None = None
) -> EdgePage[HydratedPost]:
    """The page's posts (or those of them `shown`), with the page's keys for its cursors."""
    items = page.items if shown is None else shown
    posts = await hydrate_posts(info.context.loaders, items, connection_node_fields(info))
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
    fetch = card_fetch(info.context.loaders, connection_node_fields(info))
    page = await info.context.services.home.page_of(viewer_id, after_key, limit, fetch)
    return _card_page(page.items, has_next=page.has_next, after_key=after_key)


def _card_page(posts: list[HydratedPost], *, has_next: bool, after_key: int | None) -> EdgePage[HydratedPost]:
    return EdgePage(
        edges=[Edge(post.record.id, post) for post in posts],
        keys=[post.record.id for post in posts],
        has_next=has_next,
        has_previous=after_key is not None,
    )


async def user_timeline(info: Info, author_id: int, first: int, after: str | None) -> EdgePage[HydratedPost]:
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    services = info.context.services
    own = info.context.viewer_id == author_id
    if not own:  # the author also sees their processing and failed posts, which only MongoDB has
        # The policy's reads go out with the page's first ones (one round trip for both)
        visible, cached = await asyncio.gather(
            privacy.can_see(info, author_id), _cached_user_page(info, author_id, after_key, limit)
        )
        if not visible:
            # A private account's posts are for its approved followers; blocks hide them both ways
            return EdgePage(edges=[], keys=[], has_next=False, has_previous=after_key is not None)
        if cached is not None:
            return cached
    page = await services.posts.author_posts(author_id, after_key, limit, include_own_hidden=own)
    return await hydrated_page(info, page, after_key)


async def _cached_user_page(
    info: Info, author_id: int, after_key: int | None, limit: int
) -> EdgePage[HydratedPost] | None:
    """A user timeline page from the author's cached window and the post cache, in two round
    trips; None when the window cannot vouch for it or a post in it is no longer visible."""
    ids = await info.context.services.recent.newest_ids(author_id, after_key, limit + 1)
    if ids is None:
        return None
    fetch = card_fetch(info.context.loaders, connection_node_fields(info))
    cards = await fetch([Candidate(post_id, author_id) for post_id in ids])
    posts = [card for card in cards if card is not None]
    if len(posts) < len(cards):
        return None  # deleted under the window: MongoDB pages around it
    return _card_page(posts[:limit], has_next=len(posts) > limit, after_key=after_key)
