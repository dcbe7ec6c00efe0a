"""Hashtags: their pages of posts, following them, and what is trending."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers import hashtags
from resolvers.context import Info
from resolvers.cursors import encode_cursor
from resolvers.rank_cursors import encode_rank_cursor
from schema.types import post as post_types
from schema.types.common import PageInfo, UserError
from schema.types.connections import cursor_page_info, page_info

if TYPE_CHECKING:
    from resolvers.interactions import Change
    from resolvers.pages import EdgePage
    from schema.types.connections import PostConnection
    from services.hashtags.trending import TrendingHashtag as TrendingRecord

PostConnectionRef = Annotated["PostConnection", strawberry.lazy("schema.types.connections")]


@strawberry.type(description="A hashtag, by its normal form: case-insensitive, without the '#'.")
class Hashtag:
    name: str

    @strawberry.field(description="Visible posts carrying the tag, newest first. Empty for an unknown tag.")
    async def posts(self, info: Info, first: int, after: str | None = None) -> PostConnectionRef:
        return post_types.post_connection(await hashtags.hashtag_posts(info, self.name, first, after))

    @strawberry.field(
        description="Whether the signed-in user follows this tag (its posts join their home timeline)."
    )
    async def viewer_follows(self, info: Info) -> bool:
        return await hashtags.viewer_follows(info, self.name)


@strawberry.type
class HashtagEdge:
    cursor: str
    node: Hashtag
    since: datetime = strawberry.field(description="When the viewer followed it.")


@strawberry.type
class HashtagConnection:
    edges: list[HashtagEdge]
    page_info: PageInfo


def hashtag_connection(page: EdgePage[str]) -> HashtagConnection:
    edges = [
        HashtagEdge(cursor=encode_cursor(edge.key), node=Hashtag(name=edge.node), since=edge.since)  # type: ignore[arg-type]
        for edge in page.edges
    ]
    return HashtagConnection(edges=edges, page_info=page_info(page.keys, page.has_next, page.has_previous))


@strawberry.type
class TrendingHashtagEdge:
    cursor: str
    node: Hashtag
    author_count: int = strawberry.field(description="Distinct people who used it in the last 24 hours.")


@strawberry.type(
    description="The tags used by the most distinct authors in the last 24 hours; one ranked page."
)
class TrendingHashtagConnection:
    edges: list[TrendingHashtagEdge]
    page_info: PageInfo


def trending_connection(records: list[TrendingRecord]) -> TrendingHashtagConnection:
    edges = [
        TrendingHashtagEdge(
            cursor=encode_rank_cursor((rank,)),
            node=Hashtag(name=record.tag),
            author_count=record.author_count,
        )
        for rank, record in enumerate(records, start=1)
    ]
    return TrendingHashtagConnection(
        edges=edges,
        page_info=cursor_page_info([edge.cursor for edge in edges], has_next=False, has_previous=False),
    )


@strawberry.type
class HashtagFollowPayload:
    hashtag: Hashtag | None = None
    changed: bool = strawberry.field(default=False, description="False when it was already as asked.")
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def for_change(cls, change: Change[str]) -> HashtagFollowPayload:
        return cls(hashtag=Hashtag(name=change.target) if change.target else None, changed=change.changed)
