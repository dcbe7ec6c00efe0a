"""Events of the live subscriptions."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

import strawberry

from resolvers.cursors import encode_cursor
from resolvers.global_ids import to_global_id
from schema.execution.shared_events import ShareKey
from schema.types.post import Post

if TYPE_CHECKING:
    from resolvers.subscriptions import HomeUpdate
    from services.live.post_stream import PostLiveState


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
    # What this event's render depends on besides the subscriber's operation: subscribers of
    # one process with the same operation share one render (schema/execution/shared_events.py)
    share_key: strawberry.Private[ShareKey | None] = None

    @staticmethod
    def share_key_of(update: HomeUpdate) -> ShareKey | None:
        event = update.event
        if update.post is None:
            return None
        return ShareKey(
            (event.kind.value, update.post.record.id, event.cursor, update.post.liked),
            block_free=event.viewer_block_free,
        )

    @classmethod
    def from_update(cls, update: HomeUpdate) -> HomeTimelineEvent:
        event = update.event
        return cls(
            share_key=cls.share_key_of(update),
            type=HomeTimelineEventType(event.kind.value),
            cursor=encode_cursor(event.cursor) if event.cursor is not None else None,
            post=Post.from_hydrated(update.post) if update.post is not None else None,
            post_id=strawberry.ID(to_global_id("Post", event.post_id)) if event.post_id is not None else None,
            author_id=strawberry.ID(to_global_id("User", event.author_id))
            if event.author_id is not None
            else None,
        )


@strawberry.type(description="The live state of one post.")
class PostUpdate:
    post_id: strawberry.ID
    like_count: int
    comment_count: int
    deleted: bool = False

    @classmethod
    def from_state(cls, state: PostLiveState) -> PostUpdate:
        return cls(
            post_id=strawberry.ID(to_global_id("Post", state.post_id)),
            like_count=state.like_count,
            comment_count=state.comment_count,
            deleted=state.deleted,
        )
