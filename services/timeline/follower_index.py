"""Each pushed author's followers, in Redis, so a fan-out never pages MongoDB.

Owns `followers:{aid}` (a sorted set of follower ids, each scored by its own id, so a range of
ids is a stable slice whatever is added or removed meanwhile), `followers:ready:{aid}` (set once
the index holds every follower) and `followers:building:{aid}` (a build lock).

The index starts as every active follower from MongoDB and is kept up to date: a follow adds,
an unfollow removes (and a second sweep removes again, in case a build read the edge just
before it went), a reader whose feed is rebuilt is added back to the authors they follow, a
reader whose activity lapsed is taken out by the lapse sweep (lapses.py), and a fan-out drops
the followers it finds without a feed (feed_scripts.PUSH_RANGE). So it holds the followers
worth pushing to, and reading it costs one range per batch of thousands.
A lost index is rebuilt from MongoDB at the next fan-out; it expires when its author stops
posting for the inactivity window. Each entry costs about 70-100 bytes of Redis memory
(docs/scaling.md).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from services.foundation.cluster_safe import ScriptBatch
from services.timeline.feed_store import ACTIVE_ABSENT, active_ttls

if TYPE_CHECKING:
    from collections.abc import Sequence

    import redis.asyncio as aioredis

    from services.social.follows import FollowService

# A build renews its lock after every page it reads; a builder that died frees it this soon
_BUILD_LOCK_S = 10
# Add one member to an index that exists (never create a partial one). KEYS = (index).
_ADD_IF_KEPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1])
"""
# Start a build: an index holding only the sentinel, not ready. KEYS = (index, ready); ARGV = ttl.
_BEGIN_BUILD = """
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZADD', KEYS[1], 0, '0')
return redis.call('EXPIRE', KEYS[1], ARGV[1])
"""
_SENTINEL = "0"  # score 0: below every range, it only keeps an empty index in existence


def index_key(author_id: int) -> str:
    return f"followers:{{{author_id}}}"


def ready_key(author_id: int) -> str:
    return f"followers:ready:{{{author_id}}}"


def building_key(author_id: int) -> str:
    return f"followers:building:{{{author_id}}}"


class FollowerIndex:
    def __init__(self, redis: aioredis.Redis, follows: FollowService, ttl_s: int, build_page: int) -> None:
        self._redis = redis
        self._follows = follows
        self._ttl_s = ttl_s
        self._build_page = build_page
        self._add_if_kept = redis.register_script(_ADD_IF_KEPT)
        self._begin_build = redis.register_script(_BEGIN_BUILD)
        self.builds = 0

    async def ensure(self, author_id: int) -> None:
        """Make the author's index complete (building it from MongoDB if it is missing) and
        keep it for another inactivity window."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.exists(ready_key(author_id))
            pipe.expire(index_key(author_id), self._ttl_s)
            pipe.expire(ready_key(author_id), self._ttl_s)
            ready, _, _ = await pipe.execute()
        while not ready:
            if await self._redis.set(building_key(author_id), 1, nx=True, ex=_BUILD_LOCK_S):
                try:
                    await self._build(author_id)
                finally:
                    await self._redis.delete(building_key(author_id))
                return
            # Another process builds it; if that process dies, its lock lapses and we build
            await asyncio.sleep(0.1)
            ready = await self._redis.exists(ready_key(author_id))

    async def _build(self, author_id: int) -> None:
        self.builds += 1
        # The index exists from here on, so follows made during the build land in it too
        await self._begin_build(keys=[index_key(author_id), ready_key(author_id)], args=[self._ttl_s])
        after: int | None = None
        while True:
            followers, after = await self._follows.follower_ids_after(author_id, after, self._build_page)
            # Only active followers: the others are added back when they return
            ttls = await active_ttls(self._redis, followers)
            active = [f for f, ttl in zip(followers, ttls, strict=True) if ttl != ACTIVE_ABSENT]
            async with self._redis.pipeline(transaction=False) as pipe:
                if active:
                    pipe.zadd(index_key(author_id), {str(f): f for f in active})
                pipe.expire(building_key(author_id), _BUILD_LOCK_S)
                await pipe.execute()
            if after is None:
                break
        await self._redis.set(ready_key(author_id), 1, ex=self._ttl_s)

    async def ranges(self, author_id: int, size: int) -> list[tuple[int, int | None]]:
        """Id ranges [low, high] that split the index into slices of about `size` followers;
        the last one is open-ended. Together they cover every id, so a follower added while a
        fan-out runs is reached by whichever range holds their id."""
        count = int(await self._redis.zcard(index_key(author_id))) - 1  # the sentinel
        if count <= 0:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for rank in range(1 + size, count + 1, size):
                pipe.zrange(index_key(author_id), rank, rank, withscores=True)
            bounds = [int(rows[0][1]) for rows in await pipe.execute() if rows]
        lows = [1, *bounds]
        highs: list[int | None] = [bound - 1 for bound in bounds]
        highs.append(None)
        return list(zip(lows, highs, strict=True))

    async def ids_in(self, author_id: int, low: int, high: int | None) -> list[int]:
        upper: float = float("inf") if high is None else high
        members = await self._redis.zrangebyscore(index_key(author_id), low, upper)
        return [int(member) for member in members]

    async def add(self, author_id: int, follower_id: int) -> None:
        await self._add_if_kept(keys=[index_key(author_id)], args=[follower_id])

    async def add_to_authors(self, follower_id: int, author_ids: Sequence[int]) -> None:
        """A reader is worth pushing to again (their feed was rebuilt): back into the indexes
        of the authors they follow that are kept."""
        if not author_ids:
            return
        batch = ScriptBatch(self._redis)
        for author_id in author_ids:
            await batch.script(self._add_if_kept, [index_key(author_id)], [follower_id])
        await batch.execute()

    async def remove(self, author_id: int, follower_id: int) -> None:
        await self._redis.zrem(index_key(author_id), str(follower_id))

    async def remove_from_authors(self, follower_id: int, author_ids: Sequence[int]) -> None:
        """A reader is no longer worth pushing to (their activity lapsed): out of the indexes of
        the authors they follow."""
        if not author_ids:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for author_id in author_ids:
                pipe.zrem(index_key(author_id), str(follower_id))
            await pipe.execute()

    async def size(self, author_id: int) -> int:
        return max(0, int(await self._redis.zcard(index_key(author_id))) - 1)
