"""The ranked home timeline: a page of hydrated posts, each with its reason and scoring inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from resolvers.cursors import decode_ranked_cursor
from resolvers.hydration import HydratedPost, hydrate_posts
from resolvers.selection import connection_node_fields, field_names_under
from services.foundation.errors import forbidden
from services.foundation.pagination import check_page_size
from services.ranking.reasons import CHRONOLOGICAL, reason_text

if TYPE_CHECKING:
    from resolvers.context import Info
    from services.accounts.users import UserRecord
    from services.ranking.positions import RankedPosition
    from services.ranking.ranked_home import RankedItem
    from services.ranking.scoring import ScoreInputs


@dataclass(frozen=True, slots=True)
class RankedEdge:
    position: RankedPosition  # which the edge's cursor encodes
    node: HydratedPost
    reason: str | None  # None when the query did not ask for it
    inputs: ScoreInputs | None  # None past the ranked posts, where the feed is newest first


@dataclass(frozen=True, slots=True)
class RankedEdgePage:
    edges: list[RankedEdge]
    has_next: bool
    has_previous: bool


def _reason(item: RankedItem, author: UserRecord | None) -> str:
    if item.ranked is None:
        return CHRONOLOGICAL
    return reason_text(item.ranked.reason, author.username if author else None)


async def ranked_home_timeline(info: Info, user_id: int, first: int, after: str | None) -> RankedEdgePage:
    context = info.context
    if context.viewer_id != user_id:
        raise forbidden("a home timeline is private to its owner")
    limit = check_page_size(first)
    position = decode_ranked_cursor(after)
    viewer_id = context.require_viewer()
    page = await context.services.ranked_home.page(viewer_id, position, limit)
    posts = await hydrate_posts(
        context.loaders, [item.post for item in page.items], connection_node_fields(info)
    )
    reasons: list[str | None] = [None] * len(page.items)
    if "reason" in field_names_under(info, "edges"):
        # The same loader as the posts' authors: asked for both, they cost one batch
        authors = await context.loaders.user_by_id.load_many([item.post.author_id for item in page.items])
        reasons = [_reason(item, author) for item, author in zip(page.items, authors, strict=True)]
    edges = [
        RankedEdge(item.position, post, reason, item.ranked.inputs if item.ranked else None)
        for item, post, reason in zip(page.items, posts, reasons, strict=True)
    ]
    return RankedEdgePage(edges=edges, has_next=page.has_next, has_previous=position is not None)
