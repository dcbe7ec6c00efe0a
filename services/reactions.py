"""Every reaction of one domain to another's events, in one table, made once at start-up.

Read an event's line to see who reacts to it, in the order the handlers run. Handlers that
are only conditional reactions (a deleted post that was never visible has nothing to take out
of feeds) are the small named functions below the table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aperture import metrics
from services.accounts.events import AccountCreated, ProfileUpdated, ProfileViewed
from services.archive.events import PostsMovedTier
from services.counters.events import CountsChanged, CountsSettled
from services.counters.service import NOTICE, POST, USER
from services.engagement.events import CommentAdded, CommentDeleted, LikeAdded, LikeRemoved
from services.media.events import MediaProcessed
from services.posts.events import ArchivedPostsRead, PostBecameVisible, PostDeleted
from services.privacy.events import UserBlocked, UserMuted
from services.social.events import FollowAdded, FollowRemoved
from services.timeline.events import FamousPostPublished, FanoutFinished, PostPushed, PostUnpushed

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from services.container import Services
    from services.posts.records import PostRecord

# Events that nothing reacts to yet; listed so that a reader sees they exist and are published
UNHANDLED: tuple[type, ...] = ()


def wire_reactions(services: Services) -> None:
    bus, live, fanout, classes = services.bus, services.live, services.fanout, services.classes
    notifications = services.notifications

    # Posts
    # The author's window at once, so their profile shows the post to everyone (the fan-out job
    # adds it again, idempotently, after a crash between here and there)
    bus.subscribe(PostBecameVisible, lambda e: services.recent.on_visible(e.post))
    bus.subscribe(PostBecameVisible, lambda e: fanout.on_post_visible(e.post))
    bus.subscribe(PostBecameVisible, lambda e: services.hashtags.on_post_changed(e.post))
    bus.subscribe(PostBecameVisible, lambda e: notifications.on_post_visible(e.post))
    bus.subscribe(PostDeleted, lambda e: services.media.purge_later(e.post))
    bus.subscribe(PostDeleted, lambda e: _if_was_visible(e, services.recent.on_deleted))
    bus.subscribe(PostDeleted, lambda e: _if_was_visible(e, lambda p: live.post_deleted(p.id, p.author_id)))
    bus.subscribe(PostDeleted, lambda e: _if_was_visible(e, fanout.on_post_deleted))
    bus.subscribe(PostDeleted, lambda e: _if_was_visible(e, services.hashtags.on_post_changed))
    bus.subscribe(PostDeleted, lambda e: _if_was_visible(e, notifications.on_post_deleted))
    bus.subscribe(ArchivedPostsRead, lambda e: services.archive.on_cold_reads(e.post_ids))
    bus.subscribe(PostsMovedTier, lambda e: services.posts.forget(e.post_ids))

    # Social graph
    bus.subscribe(FollowAdded, lambda e: classes.on_follow(e.follower_id, e.followee_id))
    bus.subscribe(FollowAdded, lambda e: live.author_added_for_user(e.follower_id, e.followee_id))
    bus.subscribe(FollowAdded, lambda e: fanout.on_follow(e.follower_id, e.followee_id))
    bus.subscribe(FollowRemoved, lambda e: classes.on_unfollow(e.follower_id, e.followee_id))
    bus.subscribe(FollowRemoved, lambda e: live.author_removed_for_user(e.follower_id, e.followee_id))
    bus.subscribe(FollowRemoved, lambda e: fanout.on_unfollow(e.follower_id, e.followee_id))
    bus.subscribe(FollowAdded, lambda e: notifications.on_follow(e.follower_id, e.followee_id))
    bus.subscribe(FollowRemoved, lambda e: notifications.on_follow(e.follower_id, e.followee_id))

    # Privacy: a block already cut the follow edges (whose reactions sweep the feeds); open
    # screens drop the other side's posts, and the muter's drop the muted author's
    bus.subscribe(UserBlocked, lambda e: live.author_removed_for_user(e.blocker_id, e.blocked_id))
    bus.subscribe(UserBlocked, lambda e: live.author_removed_for_user(e.blocked_id, e.blocker_id))
    bus.subscribe(UserMuted, lambda e: live.author_removed_for_user(e.muter_id, e.muted_id))

    # Engagement: notifications (counts move through `counters`)
    bus.subscribe(LikeAdded, lambda e: notifications.on_like(e.post_id, e.user_id, e.post_author_id))
    bus.subscribe(LikeRemoved, lambda e: notifications.on_like(e.post_id, e.user_id, e.post_author_id))
    bus.subscribe(CommentAdded, lambda e: notifications.on_comment(e.comment_id, e.post_id))
    bus.subscribe(CommentDeleted, lambda e: notifications.on_comment(e.comment_id, e.post_id))

    # Accounts: the people index (a new account is findable at once)
    bus.subscribe(AccountCreated, lambda e: services.search.index_user(e.user_id))
    bus.subscribe(ProfileUpdated, lambda e: services.search.index_user(e.user_id))
    # An account that turned public approves its pending follow requests
    bus.subscribe(
        ProfileUpdated, lambda e: services.privacy.on_profile_updated(e.user_id, made_public=e.made_public)
    )

    # Ranking signals: one pipelined Redis call each, made inline because enqueueing a job costs more
    signals = services.signals
    bus.subscribe(LikeAdded, lambda e: signals.on_like(e.user_id, e.post_id, e.post_author_id))
    bus.subscribe(LikeRemoved, lambda e: signals.on_unlike(e.user_id, e.post_id, e.post_author_id))
    bus.subscribe(CommentAdded, lambda e: signals.on_comment(e.author_id, e.post_id, e.post_author_id))
    bus.subscribe(
        CommentDeleted,
        lambda e: signals.on_comment_deleted(e.author_id, e.comment_id, e.post_id, e.post_author_id),
    )
    bus.subscribe(ProfileViewed, lambda e: signals.on_profile_view(e.viewer_id, e.profile_id))

    # Counters
    bus.subscribe(CountsChanged, lambda e: live.counts_changed(e.kind, e.entity_id))
    bus.subscribe(CountsSettled, lambda e: _if_followers(e, fanout.on_follower_counts))
    bus.subscribe(CountsSettled, lambda e: _if_followers(e, services.search.on_follower_counts))

    # Timeline delivery reaches open screens
    bus.subscribe(
        PostPushed, lambda e: live.new_post_for_users(e.live_reader_ids, e.post_id, e.author_id, e.visible_at)
    )
    bus.subscribe(PostUnpushed, lambda e: live.deleted_for_users(e.live_reader_ids, e.post_id, e.author_id))
    bus.subscribe(
        FamousPostPublished, lambda e: live.new_post_by_famous(e.post_id, e.author_id, e.visible_at)
    )

    # Metrics of this process
    bus.subscribe(FanoutFinished, lambda e: metrics.FANOUT_LAG_SECONDS.observe(e.lag_s))
    bus.subscribe(
        MediaProcessed,
        lambda e: metrics.MEDIA_SECONDS.labels(kind=e.kind, outcome=e.outcome).observe(e.seconds),
    )

    register_exact_counters(services)


def register_exact_counters(services: Services) -> None:
    """Each field's owner tells the counter flush how to count the edges behind it."""
    counters = services.counters
    counters.register_exact(USER, "posts", services.posts.exact_post_counts)
    counters.register_exact(USER, "followers", services.follows.exact_followers)
    counters.register_exact(USER, "following", services.follows.exact_following)
    counters.register_exact(POST, "likes", services.likes.exact_like_counts)
    counters.register_exact(POST, "comments", services.comments.exact_comment_counts)
    counters.register_exact(NOTICE, "activities", services.notifications.exact_counts)


async def _if_was_visible(event: PostDeleted, react: Callable[[PostRecord], Awaitable[object]]) -> None:
    # A post that never became visible was never pushed, counted or announced
    if event.was_visible:
        await react(event.post)


async def _if_followers(event: CountsSettled, react: Callable[[Mapping[int, int]], Awaitable[None]]) -> None:
    if event.kind == USER and event.field == "followers":
        await react(event.values)


def _observe_media(event: MediaProcessed) -> None:
    metrics.MEDIA_SECONDS.labels(kind=event.kind, outcome=event.outcome).observe(event.seconds)
