"""Live events on Redis pub/sub. Owns the `live:user:{uid}`, `live:author:{aid}`,
`live:post:{pid}` and `live:users` channels and the `watch:post:{pid}` keys.

Events carry ids only; subscribers hydrate them with fresh loaders. A post event for a
user carries the post id, which is also that user's home-timeline cursor, so a client
that reconnects with its last cursor can read everything it missed from the feed.

What a fan-out batch tells its live readers goes out as one message on `live:users`, listing
them, rather than one message per reader on each one's own channel: every hub hears it once
and hands it to the listeners of those readers' channels in its process (hub.py). A batch of
a thousand live followers is one PUBLISH, one message per API process, and one prefetch.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import orjson

from services.foundation.cluster_safe import publish

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    import redis.asyncio as aioredis

    from services.engagement.likes import LikeService
    from services.posts.service import PostService
    from services.privacy.policy import VisibilityPolicy

WATCH_TTL_S = 30
_PREFETCH_TTL_S = 1.0
_PREFETCH_ENTRIES = 10_000
_PREFETCH_SWEEP_MIN = 64
NEW_POST = "post"
DELETED_POST = "delete"
AUTHOR_REMOVED = "unfollow"
AUTHOR_ADDED = "follow"
COUNTS = "counts"


def user_channel(user_id: int) -> str:
    return f"live:user:{user_id}"


def author_channel(author_id: int) -> str:
    return f"live:author:{author_id}"


def post_channel(post_id: int) -> str:
    return f"live:post:{post_id}"


# Every hub listens here; a message's `users` say whose `user_channel` listeners receive it
ROUTED_CHANNEL = "live:users"
ROUTED_TO = "users"


def watch_key(post_id: int) -> str:
    return f"watch:post:{{{post_id}}}"


def encode(kind: str, **fields: Any) -> bytes:
    return orjson.dumps({"type": kind, **fields})


class LiveEvents:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._publish_if_watched = redis.register_script(
            "if redis.call('EXISTS', KEYS[1]) == 1 then "
            "return redis.call('PUBLISH', ARGV[1], ARGV[2]) end return 0"
        )

    async def ensure_indexes(self) -> None:
        """Redis only."""

    @staticmethod
    def prefetcher(
        posts: PostService, likes: LikeService | None = None, policy: VisibilityPolicy | None = None
    ) -> Callable[[dict[str, Any], list[int]], Awaitable[None]]:
        """Attaches the post of a new-post event as `record`, loaded once per process; which
        of the viewers it goes to like it, as `likes` (viewer id to bool, for the viewers
        whose recent likes are in Redis; the others look for themselves); and who of them may
        see it, as `audience` (one turn for all of them, where each would ask on its own).

        Fan-out batches bring the same post once per batch within a moment; it is kept for
        one second. A delete in that second is followed by its own event, which removes the
        post on screen.
        """
        recent = _RecentRecords()

        async def prefetch(event: dict[str, Any], viewers: list[int]) -> None:
            if event.get("type") != NEW_POST:
                return
            post_id = int(event["postId"])
            found, record = recent.get(post_id)
            if not found:
                (record,) = await posts.get_many([post_id])
                recent.put(post_id, record)
            event["record"] = record
            if not viewers or record is None:
                return
            reads: list[Awaitable[Any]] = []
            if likes is not None:
                reads.append(likes.known_likes(viewers, post_id))
            if policy is not None:
                reads.append(policy.live_audience(record.author_id, viewers))
            # Gathered: both go out in the same Redis turn
            results = await asyncio.gather(*reads)
            if likes is not None:
                event["likes"] = results.pop(0)
            if policy is not None:
                event["audience"] = results.pop(0)

        return prefetch

    async def new_post_for_users(
        self, user_ids: Sequence[int], post_id: int, author_id: int, visible_at: float
    ) -> None:
        if not user_ids:
            return
        message = encode(
            NEW_POST, postId=post_id, authorId=author_id, visibleAt=visible_at, **{ROUTED_TO: list(user_ids)}
        )
        await publish(self._redis, ROUTED_CHANNEL, message)

    async def new_post_by_famous(self, post_id: int, author_id: int, visible_at: float) -> None:
        """Famous authors are not fanned out: their live followers listen on the author's channel."""
        message = encode(NEW_POST, postId=post_id, authorId=author_id, visibleAt=visible_at)
        await publish(self._redis, author_channel(author_id), message)

    async def deleted_for_users(self, user_ids: Sequence[int], post_id: int, author_id: int) -> None:
        if not user_ids:
            return
        message = encode(DELETED_POST, postId=post_id, authorId=author_id, **{ROUTED_TO: list(user_ids)})
        await publish(self._redis, ROUTED_CHANNEL, message)

    async def post_deleted(self, post_id: int, author_id: int) -> None:
        """Tells screens showing the post, and live followers of a famous author."""
        message = encode(DELETED_POST, postId=post_id, authorId=author_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            publish(pipe, author_channel(author_id), message)
            publish(pipe, post_channel(post_id), message)
            await pipe.execute()

    async def author_removed_for_user(self, user_id: int, author_id: int) -> None:
        """The user unfollowed the author: their screens drop the author's posts."""
        await publish(self._redis, user_channel(user_id), encode(AUTHOR_REMOVED, authorId=author_id))

    async def author_added_for_user(self, user_id: int, author_id: int) -> None:
        """The user followed the author: live subscriptions re-read which channels to listen on."""
        await publish(self._redis, user_channel(user_id), encode(AUTHOR_ADDED, authorId=author_id))

    async def counts_changed(self, kind: str, post_id: int) -> None:
        """Publishes only while someone watches the post, so unwatched likes cost one lookup."""
        if kind == "post":
            await self._publish_if_watched(
                keys=[watch_key(post_id)], args=[post_channel(post_id), encode(COUNTS, postId=post_id)]
            )

    async def watch_post(self, post_id: int) -> None:
        """Keep the post marked as watched for as long as this coroutine runs."""
        while True:
            await self._redis.set(watch_key(post_id), 1, ex=WATCH_TTL_S)
            await asyncio.sleep(WATCH_TTL_S / 3)


class _RecentRecords:
    """Posts loaded by the prefetcher in the last `_PREFETCH_TTL_S`. Expired ones are swept
    when the dict has doubled since the last sweep: a process that ran for hours does not
    hold its last ten thousand posts, and a busy one sweeps in amortised constant time."""

    def __init__(self) -> None:
        self._records: dict[int, tuple[float, Any]] = {}
        self._sweep_at = _PREFETCH_SWEEP_MIN

    def get(self, post_id: int) -> tuple[bool, Any]:
        cached = self._records.get(post_id)
        if cached is None or cached[0] < time.monotonic():
            return False, None
        return True, cached[1]

    def put(self, post_id: int, record: Any) -> None:
        now = time.monotonic()
        if len(self._records) >= self._sweep_at:
            for expired in [key for key, (until, _) in self._records.items() if until < now]:
                del self._records[expired]
            if len(self._records) >= _PREFETCH_ENTRIES:
                self._records.clear()
            self._sweep_at = max(_PREFETCH_SWEEP_MIN, 2 * len(self._records))
        self._records[post_id] = (now + _PREFETCH_TTL_S, record)

    def __len__(self) -> int:
        return len(self._records)
