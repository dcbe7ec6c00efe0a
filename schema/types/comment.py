from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers import comment_fields
from resolvers.context import Info
from resolvers.cursors import encode_cursor
from resolvers.global_ids import to_global_id
from schema.types import post as post_types
from schema.types import user as user_types
from schema.types.common import Node
from schema.types.connections import CommentConnection, CommentEdge, page_info

if TYPE_CHECKING:
    from resolvers.pages import EdgePage
    from schema.types.post import Post
    from schema.types.user import User
    from services.engagement.comment_records import CommentRecord


@strawberry.type(description="A comment on a post.")
class Comment(Node):
    row_id: strawberry.Private[int]
    post_row_id: strawberry.Private[int]
    author_row_id: strawberry.Private[int]
    text: str
    created_at: datetime

    @classmethod
    def from_record(cls, record: CommentRecord) -> Comment:
        return cls(
            id=strawberry.ID(to_global_id("Comment", record.id)),
            row_id=record.id,
            post_row_id=record.post_id,
            author_row_id=record.author_id,
            text=record.text,
            created_at=record.created_at,
        )

    @strawberry.field
    async def author(self, info: Info) -> Annotated[User, strawberry.lazy("schema.types.user")] | None:
        record = await comment_fields.author(info, self.author_row_id)
        return user_types.User.from_record(record) if record else None

    @strawberry.field(description="The post, or null once it is deleted.")
    async def post(self, info: Info) -> Annotated[Post, strawberry.lazy("schema.types.post")] | None:
        record = await comment_fields.post(info, self.post_row_id)
        return post_types.Post.from_record(record) if record else None


def comment_connection(page: EdgePage[CommentRecord]) -> CommentConnection:
    return CommentConnection(
        edges=[
            CommentEdge(cursor=encode_cursor(edge.key), node=Comment.from_record(edge.node))
            for edge in page.edges
        ],
        page_info=page_info(page.keys, page.has_next, page.has_previous),
    )
