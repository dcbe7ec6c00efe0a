"""Follower and following lists: pages of users with when each follow began."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers import privacy
from resolvers.cursors import decode_cursor
from resolvers.pages import Edge, EdgePage
from services.foundation.pagination import check_page_size

if TYPE_CHECKING:
    from resolvers.context import Info
    from services.accounts.users import UserRecord
    from services.foundation.pagination import Page
    from services.social.follows import FollowEdge


async def _user_page(
    info: Info, page: Page[FollowEdge], *, by_follower: bool, after: int | None
) -> EdgePage[UserRecord]:
    user_ids = [edge.follower_id if by_follower else edge.followee_id for edge in page.items]
    records = await info.context.loaders.user_by_id.load_many(user_ids)
    shown = await privacy.unblocked_ids(info, user_ids)  # people blocked either way are left out
    return EdgePage(
        edges=[
            Edge(edge.id, record, since=edge.created_at)
            for edge, record in zip(page.items, records, strict=True)
            if record is not None and record.id in shown
        ],
        keys=[edge.id for edge in page.items],
        has_next=page.has_next,
        has_previous=after is not None,
    )


def _hidden(after: int | None) -> EdgePage[UserRecord]:
    """What a list of a private account (or across a block) shows: nothing."""
    return EdgePage(edges=[], keys=[], has_next=False, has_previous=after is not None)


async def followers(info: Info, user_id: int, first: int, after: str | None) -> EdgePage[UserRecord]:
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    if not await privacy.can_see(info, user_id):
        return _hidden(after_key)
    page = await info.context.services.follows.followers(user_id, after_key, limit)
    return await _user_page(info, page, by_follower=True, after=after_key)


async def following(info: Info, user_id: int, first: int, after: str | None) -> EdgePage[UserRecord]:
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    if not await privacy.can_see(info, user_id):
        return _hidden(after_key)
    page = await info.context.services.follows.following(user_id, after_key, limit)
    return await _user_page(info, page, by_follower=False, after=after_key)
