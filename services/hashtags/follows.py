"""Hashtags people follow. Owns the `hashtag_follows` collection and the `followedtags:{uid}` cache.

One document per (user, tag), its _id "user:tag", so following twice is a duplicate key. The
home timeline asks for a reader's tags on every page, so they are cached in a Redis set; the
cache is filled only if no follow or unfollow happened while it was read (a version key
beside it), so it can never keep a tag that was unfollowed meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pymongo import ASCENDING, DESCENDING

from services.foundation.clock import utc_now
from services.foundation.documents import insert_new
from services.foundation.errors import DomainError, ErrorCode
from services.foundation.pagination import Page
from services.foundation.turn_batch import TurnBatch

if TYPE_CHECKING:
    from collections.abc import Sequence

    import redis.asyncio as aioredis
    from pymongo.asynchronous.database import AsyncDatabase

    from services.foundation.ids import IdGenerator

# Each followed tag is one more source merged into every home page read: bounded
MAX_FOLLOWED_HASHTAGS = 100
_CACHE_TTL_S = 24 * 3600
_EMPTY = ""  # member of a cached empty set, so "no tags" differs from "not cached"
_FILL = """
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SADD', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""


def followed_tags_key(user_id: int) -> str:
    return f"followedtags:{{{user_id}}}"


def followed_tags_version_key(user_id: int) -> str:
    return f"followedtags:{{{user_id}}}:v"


@dataclass(frozen=True, slots=True)
class FollowedHashtag:
    seq: int
    tag: str
    created_at: datetime


class HashtagFollows:
    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        redis: aioredis.Redis,
        ids: IdGenerator,
        *,
        turns: TurnBatch | None = None,
    ) -> None:
        self._follows = db["hashtag_follows"]
        self._redis = redis
        # Read on every home page, beside the feed: batched with the other reads of the turn
        self._turns = turns or TurnBatch(redis)
        self._ids = ids
        self._fill = redis.register_script(_FILL)

    async def ensure_indexes(self) -> None:
        await self._follows.create_index([("user_id", ASCENDING), ("seq", DESCENDING)], name="by_user")

    async def follow(self, user_id: int, tag: str) -> bool:
        """Follow a (normalised) tag; False when already followed."""
        if len(await self.tags_of(user_id)) >= MAX_FOLLOWED_HASHTAGS:
            raise DomainError(
                ErrorCode.TOO_MANY_FOLLOWED_HASHTAGS,
                f"at most {MAX_FOLLOWED_HASHTAGS} hashtags can be followed: unfollow one first",
                "name",
            )
        document = {
            "_id": f"{user_id}:{tag}",
            "seq": self._ids.next_id(),
            "user_id": user_id,
            "tag": tag,
            "created_at": utc_now(),
        }
        if not await insert_new(self._follows, document):
            return False
        await self._changed(user_id)
        return True

    async def unfollow(self, user_id: int, tag: str) -> bool:
        result = await self._follows.delete_one({"_id": f"{user_id}:{tag}", "user_id": user_id})
        if not result.deleted_count:
            return False
        await self._changed(user_id)
        return True

    async def _changed(self, user_id: int) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.incr(followed_tags_version_key(user_id))
            pipe.expire(followed_tags_version_key(user_id), 2 * _CACHE_TTL_S)
            pipe.delete(followed_tags_key(user_id))
            await pipe.execute()

    async def page(self, user_id: int, after: int | None, limit: int) -> Page[FollowedHashtag]:
        """The user's followed tags, most recently followed first."""
        query: dict[str, Any] = {"user_id": user_id}
        if after is not None:
            query["seq"] = {"$lt": after}
        rows = await self._follows.find(query).sort("seq", DESCENDING).limit(limit + 1).to_list(limit + 1)
        tags = [FollowedHashtag(row["seq"], row["tag"], row["created_at"].astimezone(UTC)) for row in rows]
        return Page.from_overfetch(tags, limit)

    async def tags_of(self, user_id: int) -> list[str]:
        """Every tag the user follows (at most MAX_FOLLOWED_HASHTAGS), from the cache when kept."""
        key, version_key = followed_tags_key(user_id), followed_tags_version_key(user_id)
        cached, version = await self._turns.commands([("SMEMBERS", key), ("GET", version_key)])
        if cached:
            return sorted(member for member in cached if member != _EMPTY)
        rows = await (
            self._follows.find({"user_id": user_id}, {"tag": 1})
            .sort("seq", DESCENDING)
            .limit(MAX_FOLLOWED_HASHTAGS)
            .to_list(MAX_FOLLOWED_HASHTAGS)
        )
        tags = sorted(row["tag"] for row in rows)
        await self._fill(keys=[key, version_key], args=[version or "0", _CACHE_TTL_S, _EMPTY, *tags])
        return tags

    async def follows_which(self, user_id: int, tags: Sequence[str]) -> set[str]:
        return set(tags) & set(await self.tags_of(user_id))
