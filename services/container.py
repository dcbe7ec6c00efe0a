"""Builds every domain service once per process from the opened stores.

Services are built here in dependency order; how they react to each other's events is
wired in one place, services/reactions.py, which services/runtime.py applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2 import PasswordHasher

from services.accounts.activity import ActivityService
from services.accounts.profile_views import ProfileViews
from services.accounts.sessions import SessionService
from services.accounts.sign_in_failures import SignInFailures
from services.accounts.users import UserService
from services.archive.service import ArchiveService
from services.counters.service import CounterService
from services.discovery.people_index import PeopleIndex
from services.discovery.search import UserSearch
from services.discovery.suggestions import SuggestionService
from services.engagement.comment_heads import CommentHeads
from services.engagement.comments import CommentService
from services.engagement.likes import LikeService
from services.foundation.events import EventBus
from services.foundation.id_leases import NodeLease
from services.foundation.ids import IdGenerator
from services.foundation.stores import redis_is_cluster
from services.hashtags.follows import HashtagFollows
from services.hashtags.service import FollowedHashtagPosts, HashtagService
from services.hashtags.trending import TrendingHashtags
from services.hashtags.windows import TagWindows
from services.live.channels import LiveEvents
from services.live.home_stream import HomeStream
from services.live.hub import LiveHub
from services.live.post_stream import PostStream
from services.media.avatars import AvatarService
from services.media.compose import PostComposer
from services.media.processing import MediaProcessor
from services.media.uploads import UploadService
from services.notifications.service import NotificationService
from services.notifications.sources import Contributions
from services.notifications.store import NotificationStore
from services.notifications.stream import NotificationStream
from services.posts.service import PostService
from services.posts.store import PostStore
from services.privacy.follow_requests import FollowRequests
from services.privacy.policy import VisibilityPolicy
from services.privacy.relations import RelationStore
from services.privacy.reports import ReportService
from services.privacy.service import PrivacyService
from services.ranking.audiences import AuthorAudiences
from services.ranking.config import RankingConfig
from services.ranking.ranked_home import RankedHomeTimeline
from services.ranking.signals import EngagementSignals
from services.ranking.snapshots import SnapshotStore
from services.social.follows import FollowService
from services.timeline.fanout import FanoutService
from services.timeline.feed_store import FeedStore
from services.timeline.follower_index import FollowerIndex
from services.timeline.home import DAY_S, HomeTimeline
from services.timeline.lapses import LapseSweeper
from services.timeline.presence import PresenceService
from services.timeline.recent import RecentPosts
from services.timeline.user_classes import UserClassService

if TYPE_CHECKING:
    from aperture.settings import Settings
    from services.foundation.job_queue import JobQueue
    from services.foundation.stores import Stores


@dataclass
class Services:
    settings: Settings
    stores: Stores
    queue: JobQueue
    bus: EventBus
    ids: IdGenerator
    node_lease: NodeLease
    users: UserService
    sessions: SessionService
    activity: ActivityService
    counters: CounterService
    follows: FollowService
    policy: VisibilityPolicy
    privacy: PrivacyService
    reports: ReportService
    posts: PostService
    likes: LikeService
    comments: CommentService
    presence: PresenceService
    live: LiveEvents
    live_hub: LiveHub
    home_stream: HomeStream
    post_stream: PostStream
    classes: UserClassService
    recent: RecentPosts
    fanout: FanoutService
    home: HomeTimeline
    follower_index: FollowerIndex
    lapses: LapseSweeper
    uploads: UploadService
    media: MediaProcessor
    composer: PostComposer
    avatars: AvatarService
    archive: ArchiveService
    sign_in_failures: SignInFailures
    hashtags: HashtagService
    search: UserSearch
    suggestions: SuggestionService
    notifications: NotificationService
    notification_stream: NotificationStream
    profile_views: ProfileViews
    signals: EngagementSignals
    audiences: AuthorAudiences
    ranked_home: RankedHomeTimeline

    def forget_process_state(self) -> None:
        """Drop what this process remembers of the stores (throttles, schedules, cached bounds),
        after they were wiped or restored under it."""
        self.activity.forget_recent_touches()
        self.counters.forget_flush_schedule()
        self.posts.store.forget_archive_ceiling()
        self.audiences.forget()

    async def ensure_indexes(self) -> None:
        for service in (
            self.users,
            self.sessions,
            self.activity,
            self.follows,
            self.privacy,
            self.reports,
            self.posts,
            self.likes,
            self.comments,
            self.uploads,
            self.hashtags,
            self.notifications,
        ):
            await service.ensure_indexes()


async def build_services(stores: Stores, queue: JobQueue) -> Services:
    settings = stores.settings
    db, redis, turns = stores.db, stores.redis, stores.turns
    bus = EventBus()
    ids = IdGenerator(node=0, valid_until=0.0)  # mints nothing until the lease is held
    node_lease = NodeLease(redis, ids)
    await node_lease.acquire()
    node_lease.start()
    hasher = PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib)
    users = UserService(db, redis, ids, hasher, bus=bus, turns=turns)
    counters = CounterService(
        db, redis, queue, bus=bus, flush_delay_s=settings.counter_flush_delay_s, turns=turns
    )
    post_store = PostStore(db, stores.archive_db, redis)
    posts = PostService(post_store, redis, ids, users, counters, bus=bus, turns=turns)
    follows = FollowService(db, ids, users, counters, bus=bus)
    blocks = RelationStore(db["blocks"], redis, ids, name="blocks", reverse=True, turns=turns)
    # Mutes keep who muted each user too: a live post asks, for all its viewers at once, who muted its author
    mutes = RelationStore(db["mutes"], redis, ids, name="mutes", reverse=True, turns=turns)
    policy = VisibilityPolicy(users=users, follows=follows, blocks=blocks, mutes=mutes)
    privacy = PrivacyService(
        users=users,
        follows=follows,
        requests=FollowRequests(db, ids),
        blocks=blocks,
        mutes=mutes,
        policy=policy,
        bus=bus,
    )
    feed_store = FeedStore(redis, cluster=redis_is_cluster(settings), turns=turns)
    presence = PresenceService(redis, cluster=redis_is_cluster(settings))
    classes = UserClassService(
        redis=redis,
        follows=follows,
        feeds=feed_store,
        presence=presence,
        threshold=settings.famous_threshold,
        max_followees=settings.max_rebuild_followees,
        turns=turns,
    )
    recent = RecentPosts(feed_store, posts, settings.recent_cap, settings.inactive_days * DAY_S)
    uploads = UploadService(db, stores.blobs, ids, settings)
    media = MediaProcessor(
        settings=settings, redis=redis, queue=queue, posts=posts, uploads=uploads, blobs=stores.blobs, bus=bus
    )
    live = LiveEvents(redis)
    likes = LikeService(db, redis, ids, posts, counters, policy=policy, bus=bus, turns=turns)
    live_hub = LiveHub(redis, prefetch=live.prefetcher(posts, likes, policy))
    comments = CommentService(
        db, ids, posts, counters, policy=policy, bus=bus, heads=CommentHeads(redis, turns)
    )
    hashtags = _build_hashtags(stores, queue, posts, ids)
    follower_index = FollowerIndex(redis, follows, settings.inactive_days * DAY_S, settings.fanout_page_size)
    home = HomeTimeline(
        settings=settings,
        store=feed_store,
        recent=recent,
        classes=classes,
        posts=posts,
        follows=follows,
        follower_index=follower_index,
        policy=policy,
        extra_sources=[FollowedHashtagPosts(hashtags.follows, hashtags.windows)],
    )
    people = PeopleIndex(redis)
    notifications = NotificationService(
        store=NotificationStore(db, ids),
        contributions=Contributions(
            users=users, posts=posts, likes=likes, comments=comments, follows=follows, policy=policy
        ),
        counters=counters,
        queue=queue,
        redis=redis,
        groups_kept=settings.notification_groups_kept,
    )
    ranking = RankingConfig.from_settings(settings)
    signals = EngagementSignals(redis, ranking)
    audiences = AuthorAudiences(counters)
    return Services(
        settings=settings,
        stores=stores,
        queue=queue,
        bus=bus,
        ids=ids,
        node_lease=node_lease,
        users=users,
        sessions=SessionService(db, redis, turns=turns),
        activity=ActivityService(db, redis),
        counters=counters,
        follows=follows,
        policy=policy,
        privacy=privacy,
        reports=ReportService(db, ids, posts=posts, users=users, policy=policy),
        posts=posts,
        likes=likes,
        comments=comments,
        presence=presence,
        live=live,
        live_hub=live_hub,
        home_stream=HomeStream(
            settings=settings,
            home=home,
            posts=posts,
            presence=presence,
            classes=classes,
            hub=live_hub,
            policy=policy,
        ),
        post_stream=PostStream(posts=posts, counters=counters, live=live, hub=live_hub, policy=policy),
        classes=classes,
        recent=recent,
        fanout=FanoutService(
            settings=settings,
            redis=redis,
            queue=queue,
            store=feed_store,
            recent=recent,
            classes=classes,
            presence=presence,
            follows=follows,
            index=follower_index,
            posts=posts,
            bus=bus,
        ),
        uploads=uploads,
        media=media,
        composer=PostComposer(posts, uploads, media, ids),
        avatars=AvatarService(
            settings=settings,
            users=users,
            uploads=uploads,
            processor=media,
            blobs=stores.blobs,
            queue=queue,
            ids=ids,
        ),
        archive=ArchiveService(
            settings=settings,
            store=post_store,
            counters=counters,
            blobs=stores.blobs,
            redis=redis,
            queue=queue,
            bus=bus,
        ),
        sign_in_failures=SignInFailures(
            redis, limit=settings.sign_in_failures_per_username, window_s=settings.sign_in_lock_s
        ),
        home=home,
        follower_index=follower_index,
        lapses=LapseSweeper(redis, follows, follower_index, settings.max_rebuild_followees),
        hashtags=hashtags,
        search=UserSearch(users=users, counters=counters, index=people, queue=queue),
        suggestions=SuggestionService(users=users, follows=follows, counters=counters, index=people),
        notifications=notifications,
        notification_stream=NotificationStream(notifications=notifications, hub=live_hub),
        profile_views=ProfileViews(users, bus=bus),
        signals=signals,
        audiences=audiences,
        ranked_home=RankedHomeTimeline(
            config=ranking,
            home=home,
            posts=posts,
            audiences=audiences,
            signals=signals,
            snapshots=SnapshotStore(redis, ranking),
            ids=ids,
        ),
    )


def _build_hashtags(stores: Stores, queue: JobQueue, posts: PostService, ids: IdGenerator) -> HashtagService:
    windows = TagWindows(stores.redis, posts, stores.settings.hashtag_window_cap)
    return HashtagService(
        posts=posts,
        queue=queue,
        windows=windows,
        follows=HashtagFollows(stores.db, stores.redis, ids, turns=stores.turns),
        trending=TrendingHashtags(stores.redis),
    )
