"""Builds every domain service once per process from the opened stores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2 import PasswordHasher

from gateway.persisted_queries import PersistedQueries
from gateway.rate_limits import RateLimiter, parse_budgets
from services.accounts.activity import ActivityService
from services.accounts.sessions import SessionService
from services.accounts.users import UserService
from services.archive.service import ArchiveService
from services.engagement.comments import CommentService
from services.engagement.counters import USER, CounterService
from services.engagement.likes import LikeService
from services.foundation.id_leases import NodeLease
from services.foundation.ids import IdGenerator
from services.foundation.stores import redis_is_cluster
from services.live.channels import LiveEvents
from services.live.hub import LiveHub
from services.media.compose import PostComposer
from services.media.processing import MediaProcessor
from services.media.uploads import UploadService
from services.posts.service import PostService
from services.posts.store import PostStore
from services.social.follows import FollowService
from services.timeline.fanout import FanoutService
from services.timeline.feed_store import FeedStore
from services.timeline.home import DAY_S, HomeTimeline
from services.timeline.presence import PresenceService
from services.timeline.recent import RecentPosts
from services.timeline.user_classes import UserClassService

if TYPE_CHECKING:
    from aperture.settings import Settings
    from jobs.queue import JobQueue
    from services.foundation.stores import Stores


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
        persisted_queries=PersistedQueries(redis),
        home=HomeTimeline(
            settings=settings, store=feed_store, recent=recent, classes=classes, posts=posts, follows=follows
        ),
    )
