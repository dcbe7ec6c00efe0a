"""Trending hashtags: the tags used by the most distinct authors in the last 24 hours.

Keys: `trend:authors:{<tag>}`, a sorted set of the authors who used the tag, scored by when
they last did (older than a day is pruned on every use, and the key expires a day after the
last one); and `trend:tags`, every recently used tag scored by an upper bound of its distinct
authors: a use raises its score to the exact count (ZADD GT), and nothing lowers it but a read.

So a read takes the top of `trend:tags`, recounts those tags exactly, writes back any score
that had decayed, and repeats until the top it returns is exact. Since every stored score is
at least the true count, a tag left unread can never belong above the tags returned.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.foundation.cluster_safe import ScriptBatch

if TYPE_CHECKING:
    from collections.abc import Sequence

    import redis.asyncio as aioredis

WINDOW_S = 24 * 3600
TAGS_KEY = "trend:tags"
# Tags kept in `trend:tags`: more than any page of trending tags will ever reach
_TAGS_KEPT = 10_000
_MAX_ROUNDS = 8
_USE = """
redis.call('ZADD', KEYS[1], 'GT', ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return redis.call('ZCARD', KEYS[1])
"""
# Lower a tag's bound to its exact count, unless a use moved it since it was read
_SETTLE = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if tonumber(ARGV[3]) == 0 then redis.call('ZREM', KEYS[1], ARGV[1])
else redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) end
return 1
"""


def tag_authors_key(tag: str) -> str:
    return f"trend:authors:{{{tag}}}"


@dataclass(frozen=True, slots=True)
class TrendingHashtag:
    tag: str
    author_count: int


class TrendingHashtags:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._use = redis.register_script(_USE)
        self._settle = redis.register_script(_SETTLE)

    async def record(self, author_id: int, tags: Sequence[str], used_at: float) -> None:
        """The author used `tags` at `used_at` (epoch seconds). Idempotent."""
        if not tags:
            return
        since = time.time() - WINDOW_S
        batch = ScriptBatch(self._redis)
        for tag in tags:
            await batch.script(self._use, [tag_authors_key(tag)], [used_at, author_id, since, WINDOW_S])
        counts = await batch.execute()
        async with self._redis.pipeline(transaction=False) as pipe:
            for tag, count in zip(tags, counts, strict=True):
                pipe.zadd(TAGS_KEY, {tag: count}, gt=True)
            pipe.zremrangebyrank(TAGS_KEY, 0, -(_TAGS_KEPT + 1))
            await pipe.execute()

    async def top(self, first: int) -> list[TrendingHashtag]:
        since = time.time() - WINDOW_S
        exact: dict[str, int] = {}
        for _ in range(_MAX_ROUNDS):
            # A few more than asked, so that one round usually settles the whole page
            read = await self._redis.zrevrange(TAGS_KEY, 0, first + 9, withscores=True)
            async with self._redis.pipeline(transaction=False) as pipe:
                for tag, _ in read:
                    pipe.zcount(tag_authors_key(tag), since, "+inf")
                counts = await pipe.execute()
            exact = {tag: int(count) for (tag, _), count in zip(read, counts, strict=True)}
            decayed = [(tag, score) for tag, score in read if exact[tag] < score]
            if not decayed:
                break
            batch = ScriptBatch(self._redis)
            for tag, score in decayed:
                await batch.script(self._settle, [TAGS_KEY], [tag, _score_text(score), exact[tag]])
            await batch.execute()
            top_scores = sorted(read, key=lambda pair: -pair[1])[:first]
            if all(exact[tag] == score for tag, score in top_scores):
                break
        ranked = sorted(((tag, n) for tag, n in exact.items() if n > 0), key=lambda pair: (-pair[1], pair[0]))
        return [TrendingHashtag(tag, n) for tag, n in ranked[:first]]


def _score_text(score: float) -> str:
    # ZSCORE answers integral scores without a fraction ("3"), so compare in that form
    return str(int(score)) if score == int(score) else repr(score)
