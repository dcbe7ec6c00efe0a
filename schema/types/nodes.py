"""Which GraphQL type shows a record fetched by global id."""

from __future__ import annotations

from typing import TYPE_CHECKING

from schema.types.comment import Comment
from schema.types.post import Post
from schema.types.user import User
from services.accounts.users import UserRecord
from services.engagement.comment_records import CommentRecord
from services.posts.records import PostRecord

if TYPE_CHECKING:
    from schema.types.common import Node


def node_of(record: UserRecord | PostRecord | CommentRecord | None) -> Node | None:
    if isinstance(record, UserRecord):
        return User.from_record(record)
    if isinstance(record, PostRecord):
        return Post.from_record(record)
    if isinstance(record, CommentRecord):
        return Comment.from_record(record)
    return None
