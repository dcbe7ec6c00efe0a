"""Builds every domain service once per process from the opened stores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2 import PasswordHasher

from services.activity import ActivityService
from services.archive import ArchiveService
from services.comments import CommentService
from services.compose import PostComposer
from services.counters import USER, CounterService
from services.fanout import FanoutService
from services.feed_store import FeedStore
from services.follows import FollowService
from services.home_timeline import DAY_S, HomeTimeline
from services.id_leases import NodeLease
from services.ids import IdGenerator
from services.likes import LikeService
from services.live_events import LiveEvents
from services.live_hub import LiveHub
from services.media_processing import MediaProcessor
from services.persisted_queries import PersistedQueries
from services.post_store import PostStore
from services.posts import PostService
from services.presence import PresenceService
from services.rate_limits import RateLimiter, parse_budgets
from services.recent_posts import RecentPosts
from services.sessions import SessionService
from services.sign_in_failures import SignInFailures
from services.stores import redis_is_cluster
from services.uploads import UploadService
from services.user_classes import UserClassService
from services.users import UserService

if TYPE_CHECKING:
    from aperture.settings import Settings
    from jobs.queue import JobQueue
    from services.stores import Stores


@dataclass
class Services:
    settings: Settings
    stores: Stores
    queue: JobQueue
    ids: IdGenerator
    node_lease: NodeLease
    users: UserService
    sessions: SessionService
    activity: ActivityService
    counters: CounterService
    follows: FollowService
    posts: PostService
    likes: LikeService
    comments: CommentService
    presence: PresenceService
    live: LiveEvents
    live_hub: LiveHub
    classes: UserClassService
    recent: RecentPosts
    fanout: FanoutService
    home: HomeTimeline
    uploads: UploadService
    media: MediaProcessor
    composer: PostComposer
    archive: ArchiveService
    rate_limits: RateLimiter
    sign_in_failures: SignInFailures
    persisted_queries: PersistedQueries

    async def ensure_indexes(self) -> None:
        for service in (
            self.users,
            self.sessions,
            self.activity,
            self.counters,
            self.follows,
            self.posts,
            self.likes,
            self.comments,
            self.uploads,
        ):
            await service.ensure_indexes()


async def build_services(stores: Stores, queue: JobQueue) -> Services:
    settings = stores.settings
    db, redis = stores.db, stores.redis
    ids = IdGenerator(node=0, valid_until=0.0)  # mints nothing until the lease is held
    node_lease = NodeLease(redis, ids)
    await node_lease.acquire()
    node_lease.start()
    hasher = PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib)
    users = UserService(db, redis, ids, hasher)
    counters = CounterService(db, redis, queue, settings.counter_flush_delay_s)
    post_store = PostStore(db, stores.archive_db, redis)
    posts = PostService(post_store, redis, ids, users, counters)
    archive = ArchiveService(
        settings=settings, store=post_store, counters=counters, blobs=stores.blobs, redis=redis, queue=queue
    )
    posts.cold_reads = archive.on_cold_reads
    archive.moved = posts.forget
    follows = FollowService(db, ids, users, counters)
    feed_store = FeedStore(redis, cluster=redis_is_cluster(settings))
    presence = PresenceService(redis)
    live = LiveEvents(redis)
    classes = UserClassService(
        redis=redis,
        follows=follows,
        feeds=feed_store,
        presence=presence,
        threshold=settings.famous_threshold,
        max_followees=settings.max_rebuild_followees,
    )
    recent = RecentPosts(feed_store, posts, settings.recent_cap, settings.inactive_days * DAY_S)
    fanout = FanoutService(
        settings=settings,
        redis=redis,
        queue=queue,
        store=feed_store,
        recent=recent,
        classes=classes,
        presence=presence,
        live=live,
        follows=follows,
        posts=posts,
    )
    uploads = UploadService(db, stores.blobs, ids, settings)
    media = MediaProcessor(
        settings=settings, redis=redis, queue=queue, posts=posts, uploads=uploads, blobs=stores.blobs
    )
    posts.media_deleted = media.purge_later
    posts.add_listener(fanout)
    follows.add_listener(fanout)
    counters.on_exact(USER, "followers", fanout.on_follower_count)
    counters.on_change(live.counts_changed)
    return Services(
        settings=settings,
        stores=stores,
        queue=queue,
        ids=ids,
        node_lease=node_lease,
        users=users,
        sessions=SessionService(db, redis),
        activity=ActivityService(db, redis),
        counters=counters,
        follows=follows,
        posts=posts,
        likes=LikeService(db, redis, ids, posts, counters),
        comments=CommentService(db, ids, posts, counters),
        presence=presence,
        live=live,
        live_hub=LiveHub(redis, prefetch=live.prefetcher(posts)),
        classes=classes,
        recent=recent,
        fanout=fanout,
        uploads=uploads,
        media=media,
        composer=PostComposer(posts, uploads, media, ids),
        archive=archive,
        rate_limits=RateLimiter(redis, parse_budgets(settings.rate_limits)),
        sign_in_failures=SignInFailures(
            redis, limit=settings.sign_in_failures_per_username, window_s=settings.sign_in_lock_s
        ),
        persisted_queries=PersistedQueries(redis),
        home=HomeTimeline(
            settings=settings, store=feed_store, recent=recent, classes=classes, posts=posts, follows=follows
        ),
    )
