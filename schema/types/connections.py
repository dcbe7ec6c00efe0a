"""Relay connections with opaque keyset cursors. Every list of objects is one of these."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers.cursors import encode_cursor
from resolvers.hydration import HydratedPost
from schema.types.common import PageInfo

if TYPE_CHECKING:
    from schema.types.comment import Comment
    from schema.types.post import Post
    from schema.types.ranking import RankingInputs
    from schema.types.user import User

PostRef = Annotated["Post", strawberry.lazy("schema.types.post")]
UserRef = Annotated["User", strawberry.lazy("schema.types.user")]
CommentRef = Annotated["Comment", strawberry.lazy("schema.types.comment")]
RankingInputsRef = Annotated["RankingInputs", strawberry.lazy("schema.types.ranking")]


def page_info(keys: list[int], has_next: bool, has_previous: bool) -> PageInfo:
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=encode_cursor(keys[0]) if keys else None,
        end_cursor=encode_cursor(keys[-1]) if keys else None,
    )


def cursor_page_info(cursors: list[str], has_next: bool, has_previous: bool) -> PageInfo:
    """Page info of a list whose cursors are not single keys (ranked lists)."""
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )


@strawberry.type
class PostEdge:
    cursor: str
    # The node is made when it is asked for: a page whose edges are kept cards never asks
    post: strawberry.Private[HydratedPost]
    reason: str | None = strawberry.field(
        default=None, description="Why the post is here, in words (RANKED order only; null for LATEST)."
    )
    ranking: RankingInputsRef | None = strawberry.field(
        default=None, description="What the post's score was computed from (RANKED order only)."
    )

    @strawberry.field
    def node(self) -> PostRef:
        from schema.types.post import Post  # noqa: PLC0415 - post.py imports this module

        return Post.from_hydrated(self.post)


@strawberry.type
class PostConnection:
    edges: list[PostEdge]
    page_info: PageInfo


@strawberry.type
class UserEdge:
    cursor: str
    node: UserRef
    since: datetime = strawberry.field(description="When this user followed, was followed, or liked.")


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
    page_info: PageInfo


@strawberry.type
class CommentEdge:
    cursor: str
    node: CommentRef


@strawberry.type
class CommentConnection:
    edges: list[CommentEdge]
    page_info: PageInfo
