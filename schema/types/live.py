"""Events of the live subscriptions."""

from __future__ import annotations

from enum import Enum

import strawberry

from schema.types.post import Post


@strawberry.enum(description="What happened in the home timeline.")
class HomeTimelineEventType(Enum):
    POST_ADDED = "POST_ADDED"
    POST_REMOVED = "POST_REMOVED"
    AUTHOR_REMOVED = "AUTHOR_REMOVED"
    RESYNC = "RESYNC"


@strawberry.type(
    description="A change to the viewer's home timeline. POST_ADDED carries the post; POST_REMOVED the "
    "id of a post to drop; AUTHOR_REMOVED the id of an account the viewer unfollowed, whose posts to "
    "drop; RESYNC means more was missed than can be replayed, so reload homeTimeline from the top. "
    "Every event but RESYNC carries the cursor to resubscribe with."
)
class HomeTimelineEvent:
    type: HomeTimelineEventType
    cursor: str | None = strawberry.field(
        default=None, description="Resume from here: pass it as `after` when resubscribing."
    )
    post: Post | None = None
    post_id: strawberry.ID | None = None
    author_id: strawberry.ID | None = None


@strawberry.type(description="The live state of one post.")
class PostUpdate:
    post_id: strawberry.ID
    like_count: int
    comment_count: int
    deleted: bool = False
