"""Each hashtag's newest visible post ids, cached in Redis and shared by every reader of the tag.

Keys (one hash tag per hashtag, so a script touches both):

- `tagposts:{<tag>}`  sorted set of post ids (scored by id), capped, with a sentinel member
                      "0" at score 0 so that "kept but empty" differs from "not kept".
- `tagfloor:{<tag>}`  every visible post of the tag with an id above this value is in the set;
                      below it the set may be incomplete (trimmed at the cap, or still being
                      built, when the floor is MAX_ID) and reads fall back to the `hashtag`
                      index of the posts collection.

A window is built on first read and expires when nobody has built it for WINDOW_TTL_S, so
a tag nobody reads costs nothing; adds only land in a window that exists, so an expired one is
never recreated incomplete. Deleted posts may linger until trimmed: readers drop them, as they
drop deleted posts from home feeds.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, TypeVar

from services.foundation.cluster_safe import ScriptBatch
from services.foundation.documents import newest_unique
from services.foundation.ids import MAX_ID

if TYPE_CHECKING:
    from collections.abc import Awaitable, Iterable, Sequence

    import redis.asyncio as aioredis

    from services.posts.service import PostService

T = TypeVar("T")
WINDOW_TTL_S = 3 * 24 * 3600
_STORE_CONCURRENCY = 8
BUILDING_FLOOR = MAX_ID

# Store ids in a window that exists, trimming it to its cap and raising its floor past what
# the trim cut. KEYS = (set, floor); ARGV = cap, floor to set first ('' for none), then ids.
# Setting the floor first means a trim can only raise it further. Returns -1 for no window.
_STORE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'KEEPTTL') end
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i]) end
local excess = redis.call('ZCARD', KEYS[1]) - 1 - tonumber(ARGV[1])
if excess > 0 then
  local cut = redis.call('ZRANGE', KEYS[1], 1, excess, 'WITHSCORES')
  redis.call('ZREMRANGEBYRANK', KEYS[1], 1, excess)
  if tonumber(cut[#cut]) > tonumber(redis.call('GET', KEYS[2]) or '0') then
    redis.call('SET', KEYS[2], cut[#cut], 'KEEPTTL')
  end
end
return 1
"""
# Make a window exist, with its sentinel and its floor at "building". KEYS = (set, floor);
# ARGV = ttl, building floor.
_BEGIN = """
redis.call('ZADD', KEYS[1], 0, '0')
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[1])
"""


def window_key(tag: str) -> str:
    return f"tagposts:{{{tag}}}"


def window_floor_key(tag: str) -> str:
    return f"tagfloor:{{{tag}}}"


class TagWindows:
    def __init__(self, redis: aioredis.Redis, posts: PostService, cap: int) -> None:
        self._redis = redis
        self._posts = posts
        self.cap = cap
        self._store = redis.register_script(_STORE)
        self._begin = redis.register_script(_BEGIN)
        self.store_reads = 0

    async def ids_before(self, tags: Sequence[str], before: int | None, want: int) -> list[int]:
        """The `want` newest visible-when-cached post ids below `before` carrying any of `tags`,
        exact (a window that cannot vouch for enough is completed from MongoDB)."""
        if not tags:
            return []
        return newest_unique((await self._per_tag(tags, before, want)).values(), want)

    async def _per_tag(self, tags: Sequence[str], before: int | None, want: int) -> dict[str, list[int]]:
        # A reader back after days may follow many cold tags: their MongoDB reads run side by side
        limit = asyncio.Semaphore(_STORE_CONCURRENCY)
        windows = await self._read(tags, before, want)
        cold = [tag for tag, (_, floor, exists) in windows.items() if not exists or floor == BUILDING_FLOOR]
        if cold:
            await asyncio.gather(*(self._bounded(limit, self._build(tag)) for tag in cold))
            windows.update(await self._read(cold, before, want))

        async def exact(tag: str, ids: list[int], floor: int) -> list[int]:
            trusted = [post_id for post_id in ids if post_id > floor]
            if floor > 0 and len(trusted) < want:
                # Below the floor the window may miss posts: the index answers for that range
                self.store_reads += 1
                bound = min(before, floor + 1) if before is not None else floor + 1
                older = self._posts.tagged_ids_before(tag, bound, want - len(trusted))
                trusted += await self._bounded(limit, older)
            return trusted

        found = await asyncio.gather(*(exact(tag, ids, floor) for tag, (ids, floor, _) in windows.items()))
        return dict(zip(windows, found, strict=True))

    @staticmethod
    async def _bounded(limit: asyncio.Semaphore, work: Awaitable[T]) -> T:
        async with limit:
            return await work

    async def _read(
        self, tags: Iterable[str], before: int | None, want: int
    ) -> dict[str, tuple[list[int], int, bool]]:
        tags = list(tags)
        upper = f"({before}" if before is not None else "+inf"
        async with self._redis.pipeline(transaction=False) as pipe:
            for tag in tags:
                pipe.zrevrangebyscore(window_key(tag), upper, "(0", start=0, num=want)
                pipe.get(window_floor_key(tag))
                pipe.exists(window_key(tag))
            rows = await pipe.execute()
        return {
            tag: ([int(m) for m in rows[3 * i]], int(rows[3 * i + 1] or 0), bool(rows[3 * i + 2]))
            for i, tag in enumerate(tags)
        }

    async def _build(self, tag: str) -> None:
        keys = [window_key(tag), window_floor_key(tag)]
        # Exists before the query, so a post that turns visible meanwhile is still added
        await self._begin(keys=keys, args=[WINDOW_TTL_S, BUILDING_FLOOR])
        ids = await self._posts.tagged_ids_before(tag, None, self.cap + 1)
        floor = ids[self.cap - 1] - 1 if len(ids) > self.cap else 0
        await self._store(keys=keys, args=[self.cap, floor, *ids[: self.cap]])

    async def add(self, post_id: int, tags: Sequence[str]) -> None:
        """A post carrying `tags` became visible: add it to every window that is kept."""
        batch = ScriptBatch(self._redis)
        for tag in tags:
            await batch.script(self._store, [window_key(tag), window_floor_key(tag)], [self.cap, "", post_id])
        await batch.execute()

    async def remove(self, post_id: int, tags: Sequence[str]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for tag in tags:
                pipe.zrem(window_key(tag), post_id)
            await pipe.execute()

    async def members(self, tag: str) -> list[Any]:
        """The raw window (tests and benchmarks)."""
        return list(await self._redis.zrange(window_key(tag), 0, -1))
