from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from resolvers import engagement
from schema.context import Info
from schema.ids import to_global_id
from schema.types import user as user_types
from schema.types.common import Node
from schema.types.connections import CommentConnection, UserConnection
from schema.types.media import Media
from services.accounts.users import UserRecord
from services.counters.service import Counts
from services.posts.service import PostRecord

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from schema.types.user import User


@strawberry.enum(description="Where a post is in its life. Only its author sees PROCESSING and FAILED posts.")
class PostState(Enum):
    PROCESSING = "PROCESSING"
    VISIBLE = "VISIBLE"
    FAILED = "FAILED"


@strawberry.type(description="A post: a caption with photos or videos.")
class Post(Node):
    row_id: strawberry.Private[int]
    record: strawberry.Private[PostRecord]
    caption: str
    hashtags: list[str]
    created_at: datetime
    # Filled when a whole page was hydrated in batches; otherwise each field loads on demand
    author_record: strawberry.Private[UserRecord | None] = None
    counts: strawberry.Private[Counts | None] = None
    liked: strawberry.Private[bool | None] = None

    @classmethod
    def from_record(
        cls,
        record: PostRecord,
        *,
        author: UserRecord | None = None,
        counts: Counts | None = None,
        liked: bool | None = None,
    ) -> Post:
        return cls(
            id=strawberry.ID(to_global_id("Post", record.id)),
            row_id=record.id,
            record=record,
            caption=record.caption,
            hashtags=list(record.hashtags),
            created_at=record.created_at,
            author_record=author,
            counts=counts,
            liked=liked,
        )

    @strawberry.field
    def state(self) -> PostState:
        # Deleted posts are never returned, so their state has no GraphQL value
        return PostState(self.record.status.value)

    @strawberry.field(description="Photos and videos, in the author's order (a carousel when several).")
    def media(self) -> list[Media]:
        return [Media.from_item(item) for item in self.record.media]

    # The fields below answer synchronously from hydrated data (a few microseconds) and fall
    # back to an awaitable loader call otherwise; graphql-core accepts either.

    @strawberry.field
    def author(self, info: Info) -> Annotated[User, strawberry.lazy("schema.types.user")]:
        if self.author_record is not None:
            return user_types.User.from_record(self.author_record)
        return self._load_author(info)  # type: ignore[return-value]

    async def _load_author(self, info: Info) -> User:
        record = await info.context.loaders.user_by_id.load(self.record.author_id)
        if record is None:
            raise LookupError(f"author {self.record.author_id} of post {self.row_id} is missing")
        return user_types.User.from_record(record)

    @strawberry.field(description="Users @mentioned in the caption who exist.")
    async def mentions(self, info: Info) -> list[Annotated[User, strawberry.lazy("schema.types.user")]]:
        records = await info.context.loaders.user_by_id.load_many(list(self.record.mention_ids))
        return [user_types.User.from_record(r) for r in records if r is not None]

    @strawberry.field
    def like_count(self, info: Info) -> int:
        return self._count(info, "likes")  # type: ignore[no-any-return]

    @strawberry.field
    def comment_count(self, info: Info) -> int:
        return self._count(info, "comments")  # type: ignore[no-any-return]

    def _count(self, info: Info, field: str) -> Any:
        if self.counts is not None:
            return self.counts[field]
        return self._load_count(info, field)

    async def _load_count(self, info: Info, field: str) -> int:
        return (await info.context.loaders.post_counts.load(self.row_id))[field]

    @strawberry.field(description="Whether the signed-in user likes this post (false when signed out).")
    def viewer_has_liked(self, info: Info) -> bool:
        if self.liked is not None:
            return self.liked
        awaitable: Awaitable[bool] = info.context.loaders.viewer_has_liked.load(self.row_id)
        return awaitable  # type: ignore[return-value]

    @strawberry.field(description="Who liked the post, most recent first.")
    async def likers(self, info: Info, first: int, after: str | None = None) -> UserConnection:
        return await engagement.post_likers(info, self.row_id, first, after)

    @strawberry.field(description="Comments, oldest first.")
    async def comments(self, info: Info, first: int, after: str | None = None) -> CommentConnection:
        return await engagement.post_comments(info, self.row_id, first, after)
