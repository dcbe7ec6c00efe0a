"""The people index in Redis: how names are found by prefix, and who is popular.

Keys:

- `people:top:{<prefix>}`  for every prefix of 2 to SHORT_PREFIX characters of a searchable
                           term, a sorted set of user ids scored by follower count, capped at
                           TOP_CAP: the best-followed people whose names start so.
- `people:lex:{<ab>}`      every term starting with `ab`, as members "term\\0uid" of one score,
                           so ZRANGEBYLEX finds the names that start with a longer query.
- `people:terms:{<uid>}`   the terms a user is indexed under, to unindex them on a rename.
- `people:popular`         the POPULAR_CAP best-followed accounts, for people who follow nobody.
- `people:built`           present once every existing account was indexed (a rebuild job runs
                           when it is missing, e.g. after the cache was lost).

Scores are the settled follower counts (the counter flush publishes them), so they lag a
live count by about a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.discovery.normalize import search_terms, short_prefixes
from services.foundation.cluster_safe import ScriptBatch

if TYPE_CHECKING:
    from collections.abc import Mapping

    import redis.asyncio as aioredis

TOP_CAP = 500
POPULAR_CAP = 1000
POPULAR_KEY = "people:popular"
BUILT_KEY = "people:built"
_SEPARATOR = "\x00"
# Add a member with its score, then keep only the `cap` best. KEYS = (set); ARGV = cap, score, member.
_RANKED_ADD = """
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[1])
if excess > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, excess - 1) end
return 1
"""


def top_key(prefix: str) -> str:
    return f"people:top:{{{prefix}}}"


def lex_key(term: str) -> str:
    return f"people:lex:{{{term[:2]}}}"


def terms_key(user_id: int) -> str:
    return f"people:terms:{{{user_id}}}"


class PeopleIndex:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._ranked_add = redis.register_script(_RANKED_ADD)

    async def index(self, user_id: int, username: str, display_name: str, followers: int) -> None:
        """Index (or re-index, after a rename) one person. Idempotent."""
        terms = search_terms(username, display_name)
        old_terms = set(await self._redis.smembers(terms_key(user_id)))  # type: ignore[misc]
        batch = ScriptBatch(self._redis)
        for term in old_terms - terms:
            batch.pipe.zrem(lex_key(term), f"{term}{_SEPARATOR}{user_id}")
        for prefix in short_prefixes(old_terms) - short_prefixes(terms):
            batch.pipe.zrem(top_key(prefix), user_id)
        for term in terms:
            batch.pipe.zadd(lex_key(term), {f"{term}{_SEPARATOR}{user_id}": 0})
        batch.pipe.delete(terms_key(user_id))
        batch.pipe.sadd(terms_key(user_id), *terms)
        await self._rank(batch, user_id, terms, followers)
        await batch.execute()

    async def update_followers(self, followers: Mapping[int, int]) -> None:
        """Move indexed people to their settled follower counts."""
        user_ids = list(followers)
        async with self._redis.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.smembers(terms_key(user_id))
            all_terms = await pipe.execute()
        batch = ScriptBatch(self._redis)
        for user_id, terms in zip(user_ids, all_terms, strict=True):
            if terms:
                await self._rank(batch, user_id, set(terms), followers[user_id])
        await batch.execute()

    async def _rank(self, batch: ScriptBatch, user_id: int, terms: set[str], followers: int) -> None:
        for prefix in short_prefixes(terms):
            await batch.script(self._ranked_add, [top_key(prefix)], [TOP_CAP, followers, user_id])
        await batch.script(self._ranked_add, [POPULAR_KEY], [POPULAR_CAP, followers, user_id])

    async def best_with_prefix(self, prefix: str) -> tuple[list[tuple[int, int]], bool]:
        """The best-followed people with a term starting with `prefix` (2 to SHORT_PREFIX
        characters) as (user id, followers), and whether the index is built."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zrevrange(top_key(prefix), 0, -1, withscores=True)
            pipe.exists(BUILT_KEY)
            ranked, built = await pipe.execute()
        return [(int(member), int(score)) for member, score in ranked], bool(built)

    async def starting_with(self, query: str, limit: int) -> tuple[list[int], bool]:
        """Up to `limit` people with a term starting with `query` (any length from 2), in term
        order, and whether the index is built."""
        key = lex_key(query)
        low = b"[" + query.encode()
        high = b"(" + query.encode() + b"\xff"  # above every UTF-8 continuation of the query
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zrangebylex(key, low, high, start=0, num=limit)
            pipe.exists(BUILT_KEY)
            members, built = await pipe.execute()
        user_ids = dict.fromkeys(int(member.rsplit(_SEPARATOR, 1)[1]) for member in members)
        return list(user_ids), bool(built)

    async def popular(self, limit: int) -> list[tuple[int, int]]:
        ranked = await self._redis.zrevrange(POPULAR_KEY, 0, limit - 1, withscores=True)
        return [(int(member), int(score)) for member, score in ranked]

    async def mark_built(self) -> None:
        await self._redis.set(BUILT_KEY, 1)
