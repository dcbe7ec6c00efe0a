"""Lists under a post: who liked it, and its comments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers import privacy
from resolvers.cursors import decode_cursor
from resolvers.pages import Edge, EdgePage
from services.foundation.pagination import check_page_size

if TYPE_CHECKING:
    from resolvers.context import Info
    from services.accounts.users import UserRecord
    from services.engagement.comment_records import CommentRecord


async def post_likers(info: Info, post_id: int, first: int, after: str | None) -> EdgePage[UserRecord]:
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    page = await info.context.services.likes.likers(post_id, after_key, limit)
    user_ids = [like.user_id for like in page.items]
    records = await info.context.loaders.user_by_id.load_many(user_ids)
    shown = await privacy.unblocked_ids(info, user_ids)
    return EdgePage(
        edges=[
            Edge(like.id, record, since=like.created_at)
            for like, record in zip(page.items, records, strict=True)
            if record is not None and record.id in shown
        ],
        keys=[like.id for like in page.items],
        has_next=page.has_next,
        has_previous=after_key is not None,
    )


async def post_comments(info: Info, post_id: int, first: int, after: str | None) -> EdgePage[CommentRecord]:
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    page = await info.context.services.comments.thread(post_id, after_key, limit)
    shown = await privacy.unblocked_ids(info, [comment.author_id for comment in page.items])
    return EdgePage(
        edges=[Edge(comment.id, comment) for comment in page.items if comment.author_id in shown],
        keys=[comment.id for comment in page.items],
        has_next=page.has_next,
        has_previous=after_key is not None,
    )
