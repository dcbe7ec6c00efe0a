"""Payloads of the content mutations: each carries `errors { field message code }`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from resolvers.global_ids import to_global_id
from schema.types.comment import Comment
from schema.types.common import UserError
from schema.types.post import Post
from schema.types.user import User

if TYPE_CHECKING:
    from resolvers.interactions import Change
    from services.accounts.users import UserRecord
    from services.engagement.comment_records import CommentRecord
    from services.posts.records import PostRecord


@strawberry.type
class CreatePostPayload:
    post: Post | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def for_post(cls, record: PostRecord) -> CreatePostPayload:
        return cls(post=Post.from_record(record))


@strawberry.type
class DeletePostPayload:
    deleted_post_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def for_post_id(cls, post_id: int) -> DeletePostPayload:
        return cls(deleted_post_id=strawberry.ID(to_global_id("Post", post_id)))


@strawberry.type
class FollowPayload:
    user: User | None = strawberry.field(default=None, description="The user followed or unfollowed.")
    changed: bool = strawberry.field(default=False, description="False when the edge was already as asked.")
    requested: bool = strawberry.field(
        default=False,
        description="True when the account is private: a follow request is pending instead of an edge.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def for_change(cls, change: Change[UserRecord]) -> FollowPayload:
        user = User.from_record(change.target) if change.target is not None else None
        return cls(user=user, changed=change.changed, requested=change.requested)


@strawberry.type
class LikePayload:
    post: Post | None = None
    changed: bool = strawberry.field(default=False, description="False when the like was already as asked.")
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def for_change(cls, change: Change[PostRecord]) -> LikePayload:
        post = Post.from_record(change.target) if change.target is not None else None
        return cls(post=post, changed=change.changed)


@strawberry.type
class AddCommentPayload:
    comment: Comment | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def for_comment(cls, record: CommentRecord) -> AddCommentPayload:
        return cls(comment=Comment.from_record(record))


@strawberry.type
class DeleteCommentPayload:
    deleted_comment_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def for_comment_id(cls, comment_id: int) -> DeleteCommentPayload:
        return cls(deleted_comment_id=strawberry.ID(to_global_id("Comment", comment_id)))
