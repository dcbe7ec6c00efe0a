"""The ranked home timeline's GraphQL parts: the order argument and each edge's scoring inputs."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

import strawberry

from resolvers.cursors import encode_ranked_cursor
from schema.types.common import PageInfo
from schema.types.connections import PostConnection, PostEdge

if TYPE_CHECKING:
    from resolvers.ranked_timeline import RankedEdgePage
    from services.ranking.scoring import ScoreInputs

_DIGITS = 4


@strawberry.enum(description="The order of the home timeline.")
class HomeOrder(Enum):
    LATEST = strawberry.enum_value("LATEST", description="Newest first.")
    RANKED = strawberry.enum_value(
        "RANKED",
        description="Ranked for the viewer by recency, the viewer's engagement with the author and the "
        "post's recent engagement, with authors mixed; each edge has a `reason` and its `ranking` inputs. "
        "Past the ranked posts (the last few days) the feed continues newest first. Pages come from a "
        "ranking kept for a while: SNAPSHOT_EXPIRED means load the first page again.",
    )


@strawberry.type(
    description="What a ranked post's score was computed from, as of its ranking: "
    "score = recency weight * recency + affinity weight * affinity + velocity weight * velocity."
)
class RankingInputs:
    score: float
    age_hours: float = strawberry.field(description="The post's age when it was ranked.")
    recency: float = strawberry.field(description="2^(-age / recency half-life): 1 when new.")
    likes_given: float = strawberry.field(description="Your recent likes of this author's posts, decayed.")
    comments_given: float = strawberry.field(
        description="Your recent comments on this author's posts, decayed."
    )
    profile_visits: float = strawberry.field(
        description="Your recent visits to this author's profile, decayed."
    )
    affinity: float = strawberry.field(description="ln(1 + the weighted sum of the three counts above).")
    recent_likes: float = strawberry.field(description="Likes this post received recently, decayed.")
    recent_comments: float = strawberry.field(description="Comments this post received recently, decayed.")
    author_followers: int = strawberry.field(description="The author's followers when the post was ranked.")
    velocity: float = strawberry.field(
        description="ln(1 + the weighted sum of the two counts above per hundred followers of the "
        "author, fewer counting as a hundred)."
    )
    shown_before: bool = strawberry.field(
        description="Shown to you in an earlier ranked session, so placed after posts you have not seen."
    )

    @classmethod
    def from_inputs(cls, inputs: ScoreInputs) -> RankingInputs:
        return cls(
            score=round(inputs.score, _DIGITS),
            age_hours=round(inputs.age_hours, _DIGITS),
            recency=round(inputs.recency, _DIGITS),
            likes_given=round(inputs.likes_given, _DIGITS),
            comments_given=round(inputs.comments_given, _DIGITS),
            profile_visits=round(inputs.profile_visits, _DIGITS),
            affinity=round(inputs.affinity, _DIGITS),
            recent_likes=round(inputs.recent_likes, _DIGITS),
            recent_comments=round(inputs.recent_comments, _DIGITS),
            author_followers=inputs.author_followers,
            velocity=round(inputs.velocity, _DIGITS),
            shown_before=inputs.shown_before,
        )


def ranked_post_connection(page: RankedEdgePage) -> PostConnection:
    edges = [
        PostEdge(
            cursor=encode_ranked_cursor(edge.position),
            post=edge.node,
            reason=edge.reason,
            ranking=RankingInputs.from_inputs(edge.inputs) if edge.inputs else None,
        )
        for edge in page.edges
    ]
    page_info = PageInfo(
        has_next_page=page.has_next,
        has_previous_page=page.has_previous,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return PostConnection(edges=edges, page_info=page_info)
