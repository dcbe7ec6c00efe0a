from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers import engagement, post_fields
from resolvers.context import Info
from resolvers.cursors import encode_cursor
from resolvers.global_ids import to_global_id
from resolvers.hydration import HydratedPost
from schema.maybe_awaitable import map_maybe
from schema.types import comment as comment_types
from schema.types import user as user_types
from schema.types.common import Node
from schema.types.connections import CommentConnection, PostConnection, PostEdge, UserConnection, page_info
from schema.types.media import Media

if TYPE_CHECKING:
    from resolvers.pages import EdgePage
    from schema.types.user import User
    from services.posts.records import PostRecord


@strawberry.enum(description="Where a post is in its life. Only its author sees PROCESSING and FAILED posts.")
class PostState(Enum):
    PROCESSING = "PROCESSING"
    VISIBLE = "VISIBLE"
    FAILED = "FAILED"


@strawberry.type(description="A post: a caption with photos or videos.")
class Post(Node):
    data: strawberry.Private[HydratedPost]
    caption: str
    hashtags: list[str]
    created_at: datetime

    @classmethod
    def from_hydrated(cls, post: HydratedPost) -> Post:
        record = post.record
        return cls(
            id=strawberry.ID(to_global_id("Post", record.id)),
            data=post,
            caption=record.caption,
            hashtags=list(record.hashtags),
            created_at=record.created_at,
        )

    @classmethod
    def from_record(cls, record: PostRecord) -> Post:
        """A post whose other fields load on demand."""
        return cls.from_hydrated(HydratedPost(record))

    @strawberry.field
    def state(self) -> PostState:
        # Deleted posts are never returned, so their state has no GraphQL value
        return PostState(self.data.record.status.value)

    @strawberry.field(description="Photos and videos, in the author's order (a carousel when several).")
    def media(self) -> list[Media]:
        return [Media.from_item(item) for item in self.data.record.media]

    @strawberry.field
    def author(self, info: Info) -> Annotated[User, strawberry.lazy("schema.types.user")]:
        return map_maybe(post_fields.author(info, self.data), user_types.User.from_record)  # type: ignore[return-value]

    @strawberry.field(description="Users @mentioned in the caption who exist.")
    async def mentions(self, info: Info) -> list[Annotated[User, strawberry.lazy("schema.types.user")]]:
        return [user_types.User.from_record(record) for record in await post_fields.mentions(info, self.data)]

    @strawberry.field
    def like_count(self, info: Info) -> int:
        return post_fields.count(info, self.data, "likes")  # type: ignore[return-value]

    @strawberry.field
    def comment_count(self, info: Info) -> int:
        return post_fields.count(info, self.data, "comments")  # type: ignore[return-value]

    @strawberry.field(description="Whether the signed-in user likes this post (false when signed out).")
    def viewer_has_liked(self, info: Info) -> bool:
        return post_fields.viewer_has_liked(info, self.data)  # type: ignore[return-value]

    @strawberry.field(description="Who liked the post, most recent first.")
    async def likers(self, info: Info, first: int, after: str | None = None) -> UserConnection:
        return user_types.user_connection(
            await engagement.post_likers(info, self.data.record.id, first, after)
        )

    @strawberry.field(description="Comments, oldest first.")
    async def comments(self, info: Info, first: int, after: str | None = None) -> CommentConnection:
        page = await engagement.post_comments(info, self.data.record.id, first, after)
        return comment_types.comment_connection(page)


def post_connection(page: EdgePage[HydratedPost]) -> PostConnection:
    return PostConnection(
        edges=[PostEdge(cursor=encode_cursor(edge.key), post=edge.node) for edge in page.edges],
        page_info=page_info(page.keys, page.has_next, page.has_previous),
    )
