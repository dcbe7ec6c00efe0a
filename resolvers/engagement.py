"""Lists under a post: who liked it, and its comments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.cursors import decode_cursor
from resolvers.pages import Edge, EdgePage
from services.foundation.pagination import check_page_size

if TYPE_CHECKING:
    from resolvers.context import Info
    from services.accounts.users import UserRecord
    from services.engagement.comments import CommentRecord


async def post_likers(info: Info, post_id: int, first: int, after: str | None) -> EdgePage[UserRecord]:
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    page = await info.context.services.likes.likers(post_id, after_key, limit)
    records = await info.context.loaders.user_by_id.load_many([like.user_id for like in page.items])
    return EdgePage(
        edges=[
            Edge(like.id, record, since=like.created_at)
            for like, record in zip(page.items, records, strict=True)
            if record is not None
        ],
        keys=[like.id for like in page.items],
        has_next=page.has_next,
        has_previous=after_key is not None,
    )


async def post_comments(info: Info, post_id: int, first: int, after: str | None) -> EdgePage[CommentRecord]:
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    page = await info.context.services.comments.thread(post_id, after_key, limit)
    return EdgePage(
        edges=[Edge(comment.id, comment) for comment in page.items],
        keys=[comment.id for comment in page.items],
        has_next=page.has_next,
        has_previous=after_key is not None,
    )
