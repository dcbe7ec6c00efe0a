"""Payloads of the content mutations: each carries `errors { field message code }`."""

from __future__ import annotations

import strawberry

from schema.types.comment import Comment
from schema.types.common import UserError
from schema.types.post import Post
from schema.types.user import User


@strawberry.type
class CreatePostPayload:
    post: Post | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePostPayload:
    deleted_post_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FollowPayload:
    user: User | None = strawberry.field(default=None, description="The user followed or unfollowed.")
    changed: bool = strawberry.field(default=False, description="False when the edge was already as asked.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LikePayload:
    post: Post | None = None
    changed: bool = strawberry.field(default=False, description="False when the like was already as asked.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AddCommentPayload:
    comment: Comment | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteCommentPayload:
    deleted_comment_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
