from __future__ import annotations

from typing import TYPE_CHECKING

from schema.context import Info
from schema.cursors import decode_cursor, encode_cursor
from schema.types import user as user_types
from schema.types.connections import UserConnection, UserEdge, page_info
from services.foundation.pagination import check_page_size

if TYPE_CHECKING:
    from services.foundation.pagination import Page
    from services.social.follows import FollowEdge


async def _user_connection(
    info: Info, page: Page[FollowEdge], *, by_follower: bool, after: int | None
) -> UserConnection:
    user_ids = [edge.follower_id if by_follower else edge.followee_id for edge in page.items]
    records = await info.context.loaders.user_by_id.load_many(user_ids)
    edges = [
        UserEdge(
            cursor=encode_cursor(edge.id), node=user_types.User.from_record(record), since=edge.created_at
        )
        for edge, record in zip(page.items, records, strict=True)
        if record is not None
    ]
    return UserConnection(
        edges=edges, page_info=page_info([e.id for e in page.items], page.has_next, after is not None)
    )


async def followers(info: Info, user_id: int, first: int, after: str | None) -> UserConnection:
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    page = await info.context.services.follows.followers(user_id, after_key, limit)
    return await _user_connection(info, page, by_follower=True, after=after_key)


async def following(info: Info, user_id: int, first: int, after: str | None) -> UserConnection:
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    page = await info.context.services.follows.following(user_id, after_key, limit)
    return await _user_connection(info, page, by_follower=False, after=after_key)
