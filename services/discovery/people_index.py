"""The people index in Redis: how names are found by prefix, and who is popular.

Keys:

- `people:top:{<prefix>}`  for every prefix of 2 to SHORT_PREFIX characters of a searchable
                           term, a sorted set of user ids scored by follower count, capped at
                           TOP_CAP: the best-followed people whose names start so.
- `people:lex:{<ab>}`      every term starting with `ab`, as members "term\\0followers\\0uid" of
                           one score, so ZRANGEBYLEX finds the names that start with a longer
                           query, each with what it ranks by.
- `people:terms:{<uid>}`   the lex members a user is indexed under, to replace them when the
                           name or the follower count changes.
- `people:popular`         the POPULAR_CAP best-followed accounts, for people who follow nobody.
- `people:built`           present once every existing account was indexed (a rebuild job runs
                           when it is missing, e.g. after the cache was lost).

Follower counts are the settled ones (the counter flush publishes them), so they lag a live
count by about a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.discovery.normalize import search_terms, short_prefixes
from services.foundation.cluster_safe import ScriptBatch

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

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


def _lex_member(term: str, followers: int, user_id: int) -> str:
    return f"{term}{_SEPARATOR}{followers}{_SEPARATOR}{user_id}"


def _term_of(member: str) -> str:
    return member.split(_SEPARATOR, 1)[0]


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    username: str
    display_name: str
    followers: int


class PeopleIndex:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._ranked_add = redis.register_script(_RANKED_ADD)

    async def index(self, people: Sequence[Person]) -> None:
        """Index (or re-index, after a rename) people, in two round trips. Idempotent."""
        olds = await self._indexed_members(person.user_id for person in people)
        batch = ScriptBatch(self._redis)
        for person, old in zip(people, olds, strict=True):
            terms = search_terms(person.username, person.display_name)
            await self._replace(batch, person.user_id, old, terms, person.followers)
        await batch.execute()

    async def update_followers(self, followers: Mapping[int, int]) -> None:
        """Move indexed people to their settled follower counts, under the terms they have."""
        user_ids = list(followers)
        olds = await self._indexed_members(user_ids)
        batch = ScriptBatch(self._redis)
        for user_id, old in zip(user_ids, olds, strict=True):
            if old:
                await self._replace(batch, user_id, old, {_term_of(m) for m in old}, followers[user_id])
        await batch.execute()

    async def _indexed_members(self, user_ids: Iterable[int]) -> list[set[str]]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.smembers(terms_key(user_id))
            return [set(members) for members in await pipe.execute()]

    async def _replace(
        self, batch: ScriptBatch, user_id: int, old: set[str], terms: set[str], followers: int
    ) -> None:
        members = {_lex_member(term, followers, user_id) for term in terms}
        for member in old - members:
            batch.pipe.zrem(lex_key(member), member)
        for prefix in short_prefixes({_term_of(m) for m in old}) - short_prefixes(terms):
            batch.pipe.zrem(top_key(prefix), user_id)
        for member in members - old:
            batch.pipe.zadd(lex_key(member), {member: 0})
        batch.pipe.delete(terms_key(user_id))
        batch.pipe.sadd(terms_key(user_id), *members)
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

    async def starting_with(self, query: str, limit: int) -> tuple[list[tuple[int, int]], bool]:
        """Up to `limit` people with a term starting with `query` (any length from 2) as
        (user id, followers), in term order, and whether the index is built."""
        low = b"[" + query.encode()
        high = b"(" + query.encode() + b"\xff"  # above every UTF-8 continuation of the query
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zrangebylex(lex_key(query), low, high, start=0, num=limit)
            pipe.exists(BUILT_KEY)
            members, built = await pipe.execute()
        found: dict[int, int] = {}
        for member in members:
            _, followers, user_id = member.split(_SEPARATOR)
            found[int(user_id)] = int(followers)
        return list(found.items()), bool(built)

    async def popular(self, limit: int) -> list[tuple[int, int]]:
        ranked = await self._redis.zrevrange(POPULAR_KEY, 0, limit - 1, withscores=True)
        return [(int(member), int(score)) for member, score in ranked]

    async def mark_built(self) -> None:
        await self._redis.set(BUILT_KEY, 1)
