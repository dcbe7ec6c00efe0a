"""Fan-out on write, and keeping feeds right as posts and follows change.

The job bodies live here; jobs/timeline.py only adapts them to arq. A post's fan-out reads
the author's followers from their Redis index (services/timeline/follower_index.py), never
from MongoDB: the root job splits the index into id ranges and enqueues one batch job per
range, and each batch pushes its range in scripts that read the ids inside Redis, a thousand
followers per call, with no Python loop per follower (feed_scripts.PUSH_RANGE).

Every step is idempotent: pushes are ZADDs of a fixed member, removals are ZREMs, and batches
are keyed by their range, so a retried or duplicated job rewrites the same entries.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from services.timeline.events import FamousPostPublished, FanoutFinished, PostPushed, PostUnpushed
from services.timeline.follower_index import index_key
from services.timeline.job_names import TimelineJob
from services.timeline.presence import LIVE_USERS_KEY, live_key

if TYPE_CHECKING:
    from collections.abc import Mapping

    import redis.asyncio as aioredis

    from aperture.settings import Settings
    from services.foundation.events import EventBus
    from services.foundation.job_queue import JobQueue
    from services.posts.service import PostRecord, PostService
    from services.social.follows import FollowService
    from services.timeline.feed_store import FeedStore, Window
    from services.timeline.follower_index import FollowerIndex
    from services.timeline.presence import PresenceService
    from services.timeline.recent import RecentPosts
    from services.timeline.user_classes import UserClassService

log = logging.getLogger(__name__)

PUSH, UNPUSH, PROMOTE, DEMOTE = "push", "unpush", "promote", "demote"
_BATCH_JOBS = {
    PUSH: TimelineJob.FANOUT_BATCH,
    UNPUSH: TimelineJob.UNFANOUT_BATCH,
    PROMOTE: TimelineJob.PROMOTE_BATCH,
    DEMOTE: TimelineJob.DEMOTE_BATCH,
}
_ROOT = "root"
_PENDING_TTL_S = 24 * 3600
BACKFILL_POSTS = 200
# Followers one push script call reaches: Redis is busy for a few milliseconds per call
PUSH_CHUNK = 1000
# Open a dispatch: KEYS = (pending); ARGV = root member, ttl.
_OPEN = """
redis.call('SADD', KEYS[1], ARGV[1])
return redis.call('EXPIRE', KEYS[1], ARGV[2])
"""
# Close one batch: KEYS = (pending); ARGV = position. Returns {removed, remaining}, read at once.
_CLOSE = "local removed = redis.call('SREM', KEYS[1], ARGV[1]) return {removed, redis.call('SCARD', KEYS[1])}"


def pending_key(tracking: str) -> str:
    return f"fanout:pending:{{{tracking}}}"


class FanoutService:
    def __init__(
        self,
        *,
        settings: Settings,
        redis: aioredis.Redis,
        queue: JobQueue,
        store: FeedStore,
        recent: RecentPosts,
        classes: UserClassService,
        presence: PresenceService,
        follows: FollowService,
        index: FollowerIndex,
        posts: PostService,
        bus: EventBus,
    ) -> None:
        self._index = index
        self._bus = bus
        self._settings = settings
        self._redis = redis
        self._queue = queue
        self._store = store
        self._recent = recent
        self._classes = classes
        self._presence = presence
        self._follows = follows
        self._posts = posts
        self._open = redis.register_script(_OPEN)
        self._close = redis.register_script(_CLOSE)

    async def ensure_indexes(self) -> None:
        """Redis only."""

    # Reactions to other domains' events (subscribed in services/reactions.py)

    async def on_post_visible(self, post: PostRecord) -> None:
        await self._queue.enqueue(TimelineJob.FANOUT_POST, post.id, time.time(), job_id=f"fanout:{post.id}")

    async def on_post_deleted(self, post: PostRecord) -> None:
        await self._queue.enqueue(
            TimelineJob.UNFANOUT_POST, post.id, post.author_id, job_id=f"unfanout:{post.id}"
        )

    async def on_follow(self, follower_id: int, followee_id: int) -> None:
        await self._index.add(followee_id, follower_id)
        await self._queue.enqueue(TimelineJob.BACKFILL_FOLLOW, follower_id, followee_id)

    async def on_unfollow(self, follower_id: int, followee_id: int) -> None:
        await self._index.remove(followee_id, follower_id)
        await self._queue.enqueue(TimelineJob.UNMERGE_FOLLOW, follower_id, followee_id)
        # A fan-out batch that read the follower list before the unfollow may push after the
        # removal, and an index build may have read the edge just before it went; a second
        # sweep after the longest batch or build can run catches both.
        await self._queue.enqueue(
            TimelineJob.UNMERGE_FOLLOW, follower_id, followee_id, defer_s=self._settings.fanout_sweep_delay_s
        )

    async def on_follower_counts(self, followers: Mapping[int, int]) -> None:
        """Promote accounts that reached the famous threshold, demote those that fell below it."""
        for user_id, count in followers.items():
            decision = await self._classes.wants_promotion(user_id, count)
            if decision is True:
                await self._classes.begin_promotion(user_id)
                await self._queue.enqueue(TimelineJob.PROMOTE_FAMOUS, user_id, job_id=f"promote:{user_id}")
            elif decision is False:
                await self._classes.begin_demotion(user_id)
                await self._queue.enqueue(TimelineJob.DEMOTE_FAMOUS, user_id, job_id=f"demote:{user_id}")

    # Job bodies

    async def start(self, post_id: int, visible_at: float) -> None:
        post = await self._posts.get(post_id)
        if post is None or not post.is_visible:
            return
        await self._recent.on_visible(post)
        if await self._classes.is_famous(post.author_id):
            # Pulled at read time; live followers listen on the author's channel
            await self._bus.publish(FamousPostPublished(post.id, post.author_id, visible_at))
            await self._report_lag(post.id, visible_at)
            return
        _, live = await self._store.push(
            [post.author_id], post.id, post.author_id, cap=self._settings.feed_cap, live_key=live_key
        )
        await self._bus.publish(PostPushed(post.id, post.author_id, tuple(live), visible_at))
        await self._dispatch(PUSH, post.id, post.author_id, visible_at)

    async def push_batch(  # noqa: PLR0917 - the job's arguments, in arq's positional order
        self, post_id: int, author_id: int, low: int, high: int | None, position: str, visible_at: float
    ) -> None:
        post = await self._posts.get(post_id)
        if post is not None and post.is_visible:
            if self._store.single_node:
                await self._push_range(post_id, author_id, low, high, visible_at)
            else:
                followers = await self._index.ids_in(author_id, low, high)
                _, live = await self._store.push(
                    followers, post_id, author_id, cap=self._settings.feed_cap, live_key=live_key
                )
                await self._bus.publish(PostPushed(post_id, author_id, tuple(live), visible_at))
        await self._finish(PUSH, post_id, position, visible_at)

    async def _push_range(
        self, post_id: int, author_id: int, low: int, high: int | None, visible_at: float
    ) -> None:
        """A chunk per script call, each starting after the last id the previous one read, so
        followers added or removed meanwhile shift nothing."""
        while high is None or low <= high:
            pushed = await self._store.push_range(
                index_key(author_id),
                low,
                high,
                count=PUSH_CHUNK,
                post_id=post_id,
                author_id=author_id,
                cap=self._settings.feed_cap,
                live_users_key=LIVE_USERS_KEY,
            )
            await self._bus.publish(PostPushed(post_id, author_id, tuple(pushed.live), visible_at))
            if pushed.read < PUSH_CHUNK:
                return
            low = pushed.last_id + 1

    async def start_removal(self, post_id: int, author_id: int) -> None:
        await self._dispatch(UNPUSH, post_id, author_id, 0.0)

    async def unpush_batch(
        self, post_id: int, author_id: int, low: int, high: int | None, position: str
    ) -> None:
        followers = await self._index.ids_in(author_id, low, high)
        await self._store.unpush([*followers, author_id], post_id, author_id)
        live = await self._presence.live_among(followers)
        await self._bus.publish(PostUnpushed(post_id, author_id, tuple(live)))
        await self._finish(UNPUSH, post_id, position, 0.0)

    async def backfill_follow(self, follower_id: int, followee_id: int) -> None:
        if await self._classes.is_famous(followee_id):
            return  # merged at read time
        window = (await self._recent.windows([followee_id], None, BACKFILL_POSTS))[followee_id]
        entries = [(post_id, followee_id) for post_id in window.ids]
        await self._store.merge_into_feed(
            follower_id, entries, self._settings.feed_cap, floor=_partial_floor(window, BACKFILL_POSTS)
        )

    async def unmerge_follow(self, follower_id: int, followee_id: int) -> None:
        if await self._follows.follows_which(follower_id, [followee_id]):
            return  # followed again since: keep the posts
        await self._index.remove(followee_id, follower_id)
        await self._store.remove_author(follower_id, followee_id)

    async def start_promotion(self, author_id: int) -> None:
        await self._dispatch(PROMOTE, author_id, author_id, 0.0)

    async def promote_batch(self, author_id: int, low: int, high: int | None, position: str) -> None:
        await self._classes.add_to_followers(author_id, await self._index.ids_in(author_id, low, high))
        await self._finish(PROMOTE, author_id, position, 0.0)

    async def start_demotion(self, author_id: int) -> None:
        await self._dispatch(DEMOTE, author_id, author_id, 0.0)

    async def demote_batch(self, author_id: int, low: int, high: int | None, position: str) -> None:
        follower_ids = await self._index.ids_in(author_id, low, high)
        window = (await self._recent.windows([author_id], None, BACKFILL_POSTS))[author_id]
        for post_id in window.ids:
            await self._store.push(
                follower_ids, post_id, author_id, cap=self._settings.feed_cap, live_key=live_key
            )
        floor = _partial_floor(window, BACKFILL_POSTS)
        if floor:
            await self._store.raise_floors(follower_ids, floor)
        await self._classes.remove_from_followers(author_id, follower_ids)
        await self._finish(DEMOTE, author_id, position, 0.0)

    # Dispatch: split the follower index into ranges, enqueue one job per range, and know when
    # all are done. Outstanding ranges are members of a set, so a retried batch counts once; a
    # retried dispatcher enqueues the same ranges again (the job ids stop duplicates), or, if
    # the index changed meanwhile, ranges that still cover every follower.

    async def _dispatch(self, task: str, subject_id: int, author_id: int, visible_at: float) -> None:
        tracking = f"{task}:{subject_id}"
        await self._open(keys=[pending_key(tracking)], args=[_ROOT, _PENDING_TTL_S])
        await self._index.ensure(author_id)
        ranges = await self._index.ranges(author_id, self._settings.fanout_batch_size)
        if ranges:
            async with self._redis.pipeline(transaction=False) as pipe:
                for low, _ in ranges:
                    pipe.sadd(pending_key(tracking), str(low))
                await pipe.execute()
        if task == PUSH and len(ranges) == 1:
            # One batch (most authors): pushed here, a job hop sooner. It is tracked as a
            # batch job's would be, so a retry of this dispatch finds the same state
            (low, high), position = ranges[0], str(ranges[0][0])
            await self.push_batch(subject_id, author_id, low, high, position, visible_at)
            ranges = []
        for low, high in ranges:
            position = str(low)
            args: list[Any] = [subject_id, author_id, low, high, position]
            if task == PUSH:
                args.append(visible_at)
            await self._queue.enqueue(_BATCH_JOBS[task], *args, job_id=f"{tracking}:{position}", wake=False)
        if ranges:
            await self._queue.wake()
        await self._finish(task, subject_id, _ROOT, visible_at)

    async def _finish(self, task: str, subject_id: int, position: str, visible_at: float) -> None:
        tracking = f"{task}:{subject_id}"
        removed, remaining = await self._close(keys=[pending_key(tracking)], args=[position])
        if not removed or remaining:
            return
        if task == PUSH:
            await self._report_lag(subject_id, visible_at)
        elif task == PROMOTE:
            # Only now do pushes stop: until every reader merges the author, they keep getting pushes
            await self._classes.finish_promotion(subject_id)

    async def _report_lag(self, post_id: int, visible_at: float) -> None:
        lag = time.time() - visible_at
        log.debug("fan-out finished", extra={"lag_s": round(lag, 4)})
        await self._bus.publish(FanoutFinished(post_id, lag))

    async def pending(self, post_id: int) -> int:
        return int(await self._redis.scard(pending_key(f"{PUSH}:{post_id}")))  # type: ignore[misc]


def _partial_floor(window: Window, wanted: int) -> int:
    """The floor a feed must have after taking `window`'s ids as an author's newest posts: just
    below the oldest of them when the author may have older ones, else 0 (no raise)."""
    if window.ids and (len(window.ids) >= wanted or window.floor > 0):
        return window.ids[-1] - 1
    return 0
