"""Connections under a post: likers and comments."""

from __future__ import annotations

from schema.context import Info
from schema.cursors import decode_cursor, encode_cursor
from schema.types import comment as comment_types
from schema.types import user as user_types
from schema.types.connections import (
    CommentConnection,
    CommentEdge,
    UserConnection,
    UserEdge,
    page_info,
)
from services.foundation.pagination import check_page_size


async def post_likers(info: Info, post_id: int, first: int, after: str | None) -> UserConnection:
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    page = await info.context.services.likes.likers(post_id, after_key, limit)
    records = await info.context.loaders.user_by_id.load_many([like.user_id for like in page.items])
    edges = [
        UserEdge(
            cursor=encode_cursor(like.id), node=user_types.User.from_record(record), since=like.created_at
        )
        for like, record in zip(page.items, records, strict=True)
        if record is not None
    ]
    return UserConnection(
        edges=edges,
        page_info=page_info([like.id for like in page.items], page.has_next, after_key is not None),
    )


async def post_comments(info: Info, post_id: int, first: int, after: str | None) -> CommentConnection:
    limit = check_page_size(first)
    after_key = decode_cursor(after)
    page = await info.context.services.comments.thread(post_id, after_key, limit)
    edges = [
        CommentEdge(cursor=encode_cursor(c.id), node=comment_types.Comment.from_record(c)) for c in page.items
    ]
    return CommentConnection(
        edges=edges, page_info=page_info([c.id for c in page.items], page.has_next, after_key is not None)
    )
