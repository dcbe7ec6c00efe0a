from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.context import Info
from schema.ids import to_global_id
from schema.types import post as post_types
from schema.types import user as user_types
from schema.types.common import Node

if TYPE_CHECKING:
    from schema.types.post import Post
    from schema.types.user import User
    from services.engagement.comments import CommentRecord


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
        record = await info.context.loaders.user_by_id.load(self.author_row_id)
        return user_types.User.from_record(record) if record else None

    @strawberry.field(description="The post, or null once it is deleted.")
    async def post(self, info: Info) -> Annotated[Post, strawberry.lazy("schema.types.post")] | None:
        record = await info.context.loaders.post_by_id.load(self.post_row_id)
        if record is None or not record.visible_to(info.context.viewer_id):
            return None
        return post_types.Post.from_record(record)
